"""Small helpers the image views share: arrays to pixmaps, colour maps, image plots."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

# Weights: blue for negative, white for zero, red for positive (a diverging map keeps the sign).
DIVERGING = pg.colormap.get("CET-D1")
# Activations and probabilities: dark for zero, bright for large.
SEQUENTIAL = pg.colormap.get("viridis")
# Counts and rates: white to blue, so the numbers drawn on top stay readable.
BLUES = pg.ColorMap([0.0, 1.0], [(255, 255, 255), (31, 86, 160)])
# Behind image mosaics: dark grey, so black pixels and the gaps between tiles stay distinct.
BACKGROUND = (58, 58, 62)


def display_images(samples: np.ndarray) -> np.ndarray:
    """Raw samples ``(N, C, H, W)`` or ``(N, H, W)`` as ``(N, H, W)`` grayscale in [0, 1]."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 4:
        samples = samples.mean(axis=1)
    if samples.ndim != 3:
        raise ValueError(f"expected images (N, C, H, W) or (N, H, W), got {samples.shape}")
    return np.clip(samples, 0.0, 1.0)


def gray_pixmap(image: np.ndarray, size: int | None = None, invert: bool = False) -> QPixmap:
    """A ``(H, W)`` array in [0, 1] as a grayscale pixmap, scaled to ``size`` with hard pixels."""
    values = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    if invert:
        values = 1.0 - values
    data = np.ascontiguousarray((values * 255.0 + 0.5).astype(np.uint8))
    height, width = data.shape
    qimage = QImage(data.data, width, height, width, QImage.Format.Format_Grayscale8).copy()
    pixmap = QPixmap.fromImage(qimage)
    if size:
        pixmap = pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.FastTransformation)
    return pixmap


def image_plot(title: str = "") -> tuple[pg.PlotItem, pg.ImageItem]:
    """A plot holding one ImageItem, rows drawn top-down, square pixels, no mouse panning."""
    plot = pg.PlotItem(title=title)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.invertY(True)
    plot.setAspectLocked(True)
    plot.getViewBox().setMouseEnabled(False, False)
    item = pg.ImageItem(axisOrder="row-major")
    plot.addItem(item)
    return plot, item


def hide_axes(plot: pg.PlotItem) -> None:
    """Remove the axes of an image plot (pixel coordinates mean nothing to people)."""
    for name in ("left", "bottom"):
        plot.hideAxis(name)


def fit_image(plot: pg.PlotItem, shape: tuple[int, ...]) -> None:
    """Show the whole ``(H, W)`` image in its plot (the view does not follow new images)."""
    height, width = shape[:2]
    plot.getViewBox().setRange(xRange=(0, width), yRange=(0, height), padding=0.02)
