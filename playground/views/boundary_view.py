"""The decision boundary: the network's output over the input plane, with the data on top."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground import theme
from playground.snapshots import FRAME, data_frame




class SquareHost(QWidget):
    """Keeps its one child square and centred, so the plane fills the plot with no margin."""

    def __init__(self, child: QWidget, parent=None) -> None:
        super().__init__(parent)
        self.child = child
        child.setParent(self)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Centre the largest square that fits."""
        super().resizeEvent(event)
        side = min(self.width(), self.height())
        self.child.setGeometry((self.width() - side) // 2, (self.height() - side) // 2,
                               side, side)


def lightened_lut() -> np.ndarray:
    """TF Playground's diverging colours, washed out so the data points stay readable."""
    lut = theme.diverging_lut().astype(float)
    return (255 - (255 - lut) * 0.72).astype(np.uint8)


LIGHT_LUT = lightened_lut()


class BoundaryView(QWidget):
    """``boundaryPlot`` with toggles for test points and discretized output."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        toggles = QHBoxLayout()
        self.show_test = QCheckBox("Show test data")
        self.show_test.setObjectName("showTestData")
        self.discretize = QCheckBox("Discretize output")
        self.discretize.setObjectName("discretizeOutput")
        self.show_test.setToolTip("Also draw the test points (black outline); training points "
                                  "always show (white outline)")
        self.discretize.setToolTip("Colour each region by the predicted class (or the sign of "
                                   "the output) instead of by confidence")
        toggles.addWidget(self.show_test)
        toggles.addWidget(self.discretize)
        toggles.addStretch(1)
        layout.addLayout(toggles)
        self.plot = pg.PlotWidget(background=theme.PLOT_BACKGROUND)
        self.plot.setObjectName("boundaryPlot")
        self.plot.setLabel("bottom", "x1")
        self.plot.setLabel("left", "x2")
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        # The square host keeps x and y at one scale; the view range is exactly the plane.
        self.host = SquareHost(self.plot)
        layout.addWidget(self.host, 1)
        self.empty = QLabel("The decision boundary appears here for 2-D data sets "
                            "(circle, xor, gaussian, spiral, moons, blobs, plane, …).")
        self.empty.setWordWrap(True)
        theme.mark_dim(self.empty)
        layout.addWidget(self.empty)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=6, pen=pg.mkPen("w", width=0.9))
        self.test_points = pg.ScatterPlotItem(size=6, pen=pg.mkPen("k", width=1.0))
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        self.show_test.toggled.connect(self.test_points.setVisible)
        self.test_points.setVisible(False)
        self.discretize.toggled.connect(lambda _: self._draw())
        self.task = "classification"
        self.n_classes = 2
        self.value_range = 1.0
        self._grid: np.ndarray | None = None
        self.grid_frame = FRAME     # half-width the current grid covers
        self.set_frame(FRAME)       # self.frame: half-width of the plane drawn (data extent)
        self.set_planar(False)

    def set_frame(self, frame: float) -> None:
        """Show exactly [-frame, frame]² (no padding, so no empty band around the grid)."""
        self.frame = frame
        self.plot.setXRange(-frame, frame, padding=0)
        self.plot.setYRange(-frame, frame, padding=0)

    def set_planar(self, planar: bool) -> None:
        """Show the plot for 2-D data, an explanation otherwise."""
        self.host.setVisible(planar)
        self.show_test.setVisible(planar)
        self.discretize.setVisible(planar)
        self.empty.setVisible(not planar)

    def set_data(self, dataset) -> None:
        """Draw the raw training and test points of a 2-D data set."""
        planar = dataset is not None and dataset.kind == "2d"
        self.set_planar(planar)
        self._grid = None
        self.image.clear()
        if not planar:
            return
        self.task = dataset.task
        self.set_frame(data_frame(dataset))
        if dataset.task == "classification":
            self.n_classes = max(2, dataset.n_classes or 2)
            colours = theme.class_rgb(self.n_classes)
            brushes = [pg.mkBrush(*c) for c in colours]
            pick = lambda y: [brushes[int(k)] for k in y]  # noqa: E731
        else:
            y_all = np.concatenate([dataset.y_train[:, 0], dataset.y_test[:, 0]])
            self.value_range = float(np.abs(y_all).max()) or 1.0
            lut = theme.diverging_lut()
            def pick(y):  # noqa: E306 - local helper
                index = np.clip((y[:, 0] / self.value_range + 1) / 2 * 255, 0, 255).astype(int)
                return [pg.mkBrush(*lut[i]) for i in index]
        self.train_points.setData(dataset.x_train[:, 0], dataset.x_train[:, 1],
                                  brush=pick(dataset.y_train))
        if len(dataset.x_test):
            self.test_points.setData(dataset.x_test[:, 0], dataset.x_test[:, 1],
                                     brush=pick(dataset.y_test))
        else:
            self.test_points.setData([], [])

    def update_grid(self, grid: np.ndarray | None, frame: float | None = None) -> None:
        """A new decision grid from a snapshot (G × G × classes, or G × G values).

        ``frame`` is the half-width the grid covers (snapshots' FRAME when not given); the view
        keeps showing the whole data set, so it grows to the grid when the grid is larger.
        """
        if grid is None:
            return
        self._grid = grid
        self.grid_frame = float(frame) if frame else FRAME
        if self.grid_frame > self.frame:
            self.set_frame(self.grid_frame)
        self._draw()

    def _rect(self) -> QRectF:
        f = self.grid_frame
        return QRectF(-f, -f, 2 * f, 2 * f)

    def _draw(self) -> None:
        grid = self._grid
        if grid is None:
            return
        discrete = self.discretize.isChecked()
        if self.task != "classification":
            values = grid / self.value_range
            if discrete:
                values = np.sign(values)
            self.image.setLookupTable(LIGHT_LUT)
            self.image.setImage(values.T, autoLevels=False, levels=(-1, 1), rect=self._rect())
            return
        if grid.shape[-1] == 2:
            p = grid[..., 1]
            if discrete:
                p = (p > 0.5).astype(np.float32)
            self.image.setLookupTable(LIGHT_LUT)
            self.image.setImage(p.T, autoLevels=False, levels=(0, 1), rect=self._rect())
            return
        probabilities = grid
        if discrete:
            probabilities = np.eye(grid.shape[-1], dtype=np.float32)[grid.argmax(-1)]
        colours = theme.class_rgb(grid.shape[-1]).astype(np.float32)
        rgb = probabilities @ colours
        confidence = probabilities.max(-1, keepdims=True)
        # Uncertain regions fade to white; the winning class's colour shows where it is sure.
        rgb = 255 - (255 - rgb) * (0.25 + 0.5 * confidence)
        self.image.setLookupTable(None)
        self.image.setImage(np.transpose(rgb, (1, 0, 2)).astype(np.uint8), autoLevels=False,
                            levels=(0, 255), rect=self._rect())
