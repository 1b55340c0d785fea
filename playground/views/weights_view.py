"""Weights view: every layer's weight matrix as a heatmap (conv filters as small images),
with histograms of the weights and gradients; built once per network, updated in place."""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.probes import tile_images
from playground import theme
from playground.views.onscreen import on_screen

HISTOGRAM_BINS = 40
# Seconds between histogram redraws while snapshots stream in: their shape changes slowly, and
# binning every weight and gradient costs more per frame than the heatmaps.
HISTOGRAM_INTERVAL = 0.25


def weight_image(weight: np.ndarray) -> np.ndarray:
    """A 2-D picture of a weight tensor: dense (in, out) as is, conv filters tiled."""
    if weight.ndim == 2:
        return weight
    if weight.ndim == 4:
        return tile_images(weight.mean(axis=1), gap=1, fill=0.0)
    return weight.reshape(len(weight), -1) if weight.ndim > 1 else weight[None, :]


class WeightsView(QWidget):
    """``weightsView``: heatmaps of every weight, histograms of one layer's weights/gradients."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("weightsView")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(theme.PLOT_BACKGROUND)
        # The empty state is a plain QLabel: pyqtgraph labels removed by clear() and kept
        # referenced from Python crashed the interpreter at exit.
        self.empty = QLabel("Weights appear here after the first step.")
        self.empty.setAlignment(Qt.AlignCenter)
        theme.mark_dim(self.empty)
        layout.addWidget(self.empty, 3)
        layout.addWidget(self.graphics, 3)
        self.graphics.hide()
        row = QHBoxLayout()
        row.addWidget(QLabel("histograms of"))
        self.layer_choice = QComboBox()
        self.layer_choice.setObjectName("histogramLayer")
        self.layer_choice.setToolTip("Which layer's weights and gradients the two histograms "
                                     "below count")
        self.layer_choice.currentIndexChanged.connect(lambda _: self._draw_histograms())
        row.addWidget(self.layer_choice, 1)
        layout.addLayout(row)
        self.histograms = pg.GraphicsLayoutWidget()
        self.histograms.setBackground(theme.PLOT_BACKGROUND)
        layout.addWidget(self.histograms, 2)
        self.weight_hist = self.histograms.addPlot(title="weights")
        self.grad_hist = self.histograms.addPlot(title="gradients")
        for plot in (self.weight_hist, self.grad_hist):
            plot.hideAxis("left")          # counts matter by shape, not by value
            plot.setMouseEnabled(False, False)
            plot.hideButtons()
        self.weight_curve = self.weight_hist.plot([0, 1], [0], stepMode="center", fillLevel=0,
                                                  brush=(31, 119, 208, 120),
                                                  pen=pg.mkPen(theme.LOSS_TRAIN))
        self.grad_curve = self.grad_hist.plot([0, 1], [0], stepMode="center", fillLevel=0,
                                              brush=(240, 120, 30, 120),
                                              pen=pg.mkPen(theme.LOSS_TEST))
        self._closed = False
        self.images: dict[str, pg.ImageItem] = {}
        self.levels: dict[str, float] = {}
        self._names: tuple[str, ...] = ()
        self._snapshot = None
        self._pending = None
        self._histograms_due = False     # the newest snapshot's histograms are not drawn yet
        self._histograms_at = -HISTOGRAM_INTERVAL   # perf_counter of the last histogram draw

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Draw the snapshot that arrived while hidden."""
        super().showEvent(event)
        self.show_pending()

    def show_pending(self) -> None:
        """Per frame: draw a snapshot kept while hidden once the view can be seen (a dock tab
        brought to the front gets no show event), and histograms held back by the rate limit."""
        if self._closed:
            return
        if self._pending is not None:
            if on_screen(self):
                self.update_snapshot(self._pending)
            return
        if self._histograms_due and time.perf_counter() - self._histograms_at \
                >= HISTOGRAM_INTERVAL:
            self._draw_histograms()

    def shutdown(self) -> None:
        """Destroy the plot canvas now, while Qt is intact (the window is closing).

        Left to interpreter exit, this GraphicsLayoutWidget crashed the process (SIGSEGV)
        after its plots had been rebuilt; deleting it explicitly avoids that.
        """
        import shiboken6
        self._closed = True
        self._pending = None
        if shiboken6.isValid(self.graphics):
            shiboken6.delete(self.graphics)

    def clear(self) -> None:
        """Forget the current network's plots."""
        if self._closed:
            return
        self._pending = None
        self._snapshot = None
        self._histograms_due = False
        self.graphics.clear()
        self.images = {}
        self.levels = {}
        self._names = ()
        self.graphics.hide()
        self.empty.show()
        self.weight_curve.setData([0, 1], [0])
        self.grad_curve.setData([0, 1], [0])

    def _build(self, names: tuple[str, ...]) -> None:
        self.empty.hide()
        self.graphics.show()
        self.graphics.clear()
        self.images = {}
        self.levels = {}
        lut = theme.diverging_lut()
        columns = min(4, max(1, len(names)))
        for k, name in enumerate(names):
            plot = self.graphics.addPlot(row=k // columns, col=k % columns, title=name)
            plot.setAspectLocked(False)
            plot.invertY(True)
            plot.hideAxis("bottom")
            plot.hideAxis("left")
            plot.setMouseEnabled(False, False)
            plot.hideButtons()
            image = pg.ImageItem()
            image.setLookupTable(lut)
            plot.addItem(image)
            self.images[name] = image
        self._names = names
        current = self.layer_choice.currentText()
        self.layer_choice.blockSignals(True)
        self.layer_choice.clear()
        self.layer_choice.addItems(["all weights", *names])
        if current in names:
            self.layer_choice.setCurrentText(current)
        self.layer_choice.blockSignals(False)

    def update_snapshot(self, snapshot) -> None:
        """Show the weights of a snapshot (rebuilds only when the parameter set changes).

        While hidden (e.g. a background tab) only the newest snapshot is kept, and drawn on
        showing: drawing what nobody sees would slow training down. Histograms follow at most
        every ``HISTOGRAM_INTERVAL`` seconds (``show_pending`` draws the newest one).
        """
        if self._closed:
            return
        if not on_screen(self):
            self._pending = snapshot
            return
        self._pending = None
        names = tuple(n for n in snapshot.weights if n.endswith("weight"))
        if not names:
            return
        if names != self._names:
            self._build(names)
        for name in names:
            picture = weight_image(snapshot.weights[name])
            biggest = float(np.nanmax(np.abs(picture))) if picture.size else 1.0
            # Levels only grow (in powers of two), so the colour scale stays put.
            level = self.levels.get(name, 0.0)
            if biggest > level or biggest < level / 8:
                level = 2.0 ** np.ceil(np.log2(max(biggest, 1e-6)))
                self.levels[name] = level
            # Row-major picture (rows = inputs); ImageItem wants (x, y).
            self.images[name].setImage(picture.T, autoLevels=False, levels=(-level, level))
        self._snapshot = snapshot
        self._histograms_due = True
        if time.perf_counter() - self._histograms_at >= HISTOGRAM_INTERVAL:
            self._draw_histograms()

    def _draw_histograms(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        self._histograms_due = False
        self._histograms_at = time.perf_counter()
        choice = self.layer_choice.currentText()
        names = self._names if choice in ("", "all weights") else (choice,)
        weights = [snapshot.weights[n].ravel() for n in names if n in snapshot.weights]
        grads = [snapshot.gradients[n].ravel() for n in names if n in snapshot.gradients]
        for values, curve in ((weights, self.weight_curve), (grads, self.grad_curve)):
            if not values:
                curve.setData([0, 1], [0])
                continue
            data = np.concatenate(values)
            data = data[np.isfinite(data)]
            if not data.size:
                continue
            counts, edges = np.histogram(data, bins=HISTOGRAM_BINS)
            curve.setData(edges, counts)
