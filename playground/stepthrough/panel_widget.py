"""One stage panel: an array's heatmap with its histogram and summary numbers, updated in place."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.stepthrough import Panel
from playground.stepthrough.axes import IntegerAxis

GRAPHICS_MIN_SIZE = (130, 150)   # small: the stage view scrolls rather than grow the dock
GRAPHICS_HINT_SIZE = (300, 250)
HISTOGRAM_HEIGHT = 100
COUNT_AXIS_WIDTH = 44
SIGNED_MAP = "CET-D1"      # diverging blue-white-red: zero stays white
UNSIGNED_MAP = "viridis"


def _small_font() -> QFont:
    """The tick font of the count axis: a little smaller than the default."""
    font = QFont()
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
    return font


def image_levels(image: np.ndarray, symmetric: bool) -> tuple[float, float]:
    """Colour levels for an image: ±max|v| for signed data, else min..max (never empty)."""
    finite = image[np.isfinite(image)]
    if finite.size == 0:
        return -1.0, 1.0
    if symmetric:
        peak = float(np.abs(finite).max()) or 1.0
        return -peak, peak
    low, high = float(finite.min()), float(finite.max())
    return (low, high) if high > low else (low - 0.5, high + 0.5)


class _Graphics(pg.GraphicsLayoutWidget):
    """The heatmap and histogram canvas, asking for a modest size (the stage view scrolls)."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """GRAPHICS_HINT_SIZE, not pyqtgraph's sum of its items' preferred sizes."""
        return QSize(*GRAPHICS_HINT_SIZE)


class PanelWidget(QWidget):
    """Heatmap (rows as the engine lays them out) over a histogram of the same values."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold")
        self.title.setWordWrap(True)
        self.stats = QLabel()
        self.stats.setStyleSheet("color: #555")
        # Wraps at the " · " separators instead of widening the whole stage view.
        self.stats.setWordWrap(True)
        self.stats.setToolTip("Summary of every value in the array: mean, standard deviation, "
                              "minimum, maximum and the L2 norm ‖·‖")
        self.graphics = _Graphics()
        self.graphics.setBackground("w")
        self.graphics.setFocusPolicy(Qt.NoFocus)
        self.graphics.setMinimumSize(*GRAPHICS_MIN_SIZE)
        self.graphics.setToolTip("Top: the values as a heatmap (colour bar on the right). "
                                 "Bottom: their histogram, how many values fall in each bin.")
        self.graphics.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.view = self.graphics.addViewBox(row=0, col=0)
        self.view.invertY(True)
        self.view.setMouseEnabled(False, False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image_item)
        self.colour_bar = pg.ColorBarItem(colorMap=pg.colormap.get(UNSIGNED_MAP), interactive=False,
                                          width=12)
        self.colour_bar.setImageItem(self.image_item)
        # A fixed axis width: otherwise labels such as 0.0004 do not fit and are dropped.
        self.colour_bar.getAxis("right").setWidth(56)
        self.graphics.addItem(self.colour_bar, row=0, col=1)
        self.histogram_plot = self.graphics.addPlot(
            row=1, col=0, colspan=2, axisItems={"left": IntegerAxis("left")})
        self.histogram_plot.setMaximumHeight(HISTOGRAM_HEIGHT)
        self.histogram_plot.setMouseEnabled(False, False)
        self.histogram_plot.hideButtons()
        count_axis = self.histogram_plot.getAxis("left")
        count_axis.setLabel("count")
        count_axis.setWidth(COUNT_AXIS_WIDTH)
        count_axis.setStyle(tickFont=_small_font(), tickTextOffset=2)
        self.histogram_curve = self.histogram_plot.plot(
            [0.0, 1.0], [0.0], stepMode="center", fillLevel=0, brush=(70, 110, 190, 150),
            pen=pg.mkPen((40, 70, 150), width=1))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.title)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.stats)
        self._symmetric: bool | None = None

    def show_panel(self, panel: Panel) -> None:
        """Draw ``panel``: its image, histogram, title with shape and the summary numbers."""
        image = panel.image
        shape = "×".join(str(n) for n in panel.shape) or "scalar"
        layout = f"; {panel.axes}" if panel.axes else ""
        self.title.setText(f"{panel.name}  <span style='font-weight: normal; color: #666'>"
                           f"({shape}{layout})</span>")
        if self._symmetric != panel.symmetric:
            self.colour_bar.setColorMap(pg.colormap.get(SIGNED_MAP if panel.symmetric
                                                        else UNSIGNED_MAP))
            self._symmetric = panel.symmetric
        levels = image_levels(image, panel.symmetric)
        # NaN (the gaps between tiles) is drawn transparent, so gaps never look like values.
        self.image_item.setImage(image, autoLevels=False)
        self.colour_bar.setLevels(levels)
        # Tiled images and feature maps keep square pixels; matrices fill the panel.
        self.view.setAspectLocked(len(panel.shape) >= 3)
        self.view.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0.02)
        counts, edges = panel.histogram
        self.histogram_curve.setData(edges, counts)
        stats = panel.stats
        # Non-breaking inside "name value": a narrow panel wraps only between the pairs.
        pairs = (("mean", "mean"), ("std", "std"), ("min", "min"), ("max", "max"),
                 ("‖·‖", "norm"))
        self.stats.setText(" · ".join(f"{label}\u00a0{stats[key]:.3g}" for label, key in pairs))
