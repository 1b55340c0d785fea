"""Draw your own data: click adds a point, right- or shift-click the other class, drag erases."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

from playground import theme
from playground.snapshots import FRAME

ERASE_RADIUS = 0.6


class _DrawBox(pg.ViewBox):
    """A ViewBox that turns clicks and drags into point edits instead of panning."""

    def __init__(self, owner: "PointsPlot") -> None:
        super().__init__(enableMenu=False)
        self.owner = owner
        self.setMouseEnabled(False, False)

    def mouseClickEvent(self, event) -> None:  # noqa: N802 - pyqtgraph's name
        """Add a point where clicked."""
        point = self.mapSceneToView(event.scenePos())
        other = event.button() == Qt.RightButton or bool(event.modifiers() & Qt.ShiftModifier)
        self.owner.add_point(point.x(), point.y(), other)
        event.accept()

    def mouseDragEvent(self, event, axis=None) -> None:  # noqa: N802 - pyqtgraph's name
        """Erase points under the dragged cursor."""
        event.accept()
        point = self.mapSceneToView(event.scenePos())
        self.owner.erase_near(point.x(), point.y(), final=event.isFinish())


class PointsPlot(pg.PlotWidget):
    """Edits a list of ``[x1, x2, label]``; emits ``pointsChanged(list)`` after each edit."""

    pointsChanged = Signal(list)

    def __init__(self, parent=None) -> None:
        self.box = _DrawBox(self)
        super().__init__(parent, viewBox=self.box, background="w")
        self.setObjectName("pointsPlot")
        self.setXRange(-FRAME, FRAME, padding=0)
        self.setYRange(-FRAME, FRAME, padding=0)
        self.setAspectLocked(True)
        self.showGrid(x=True, y=True, alpha=0.15)
        self.setMinimumHeight(200)
        self.setToolTip("Click: add a point of the chosen class · right- or shift-click: the "
                        "other class · drag: erase")
        self.scatter = pg.ScatterPlotItem(size=8, pen=pg.mkPen("w", width=0.8))
        self.addItem(self.scatter)
        self.points: list[list[float]] = []
        self.current_class = 1
        self._erased = False

    def set_points(self, points: list) -> None:
        """Show these points (no signal)."""
        self.points = [list(p) for p in (points or [])]
        self._redraw()

    def add_point(self, x1: float, x2: float, other: bool) -> None:
        """Add one point of the chosen (or the other) class."""
        if not (-FRAME <= x1 <= FRAME and -FRAME <= x2 <= FRAME):
            return
        label = self.current_class
        if other:
            label = 0 if self.current_class != 0 else 1
        self.points.append([round(x1, 3), round(x2, 3), int(label)])
        self._redraw()
        self.pointsChanged.emit(self.points)

    def erase_near(self, x1: float, x2: float, final: bool) -> None:
        """Remove points within the eraser radius; report once the drag ends."""
        if self.points:
            table = np.array(self.points, dtype=float)
            keep = np.hypot(table[:, 0] - x1, table[:, 1] - x2) > ERASE_RADIUS
            if not keep.all():
                self.points = [p for p, k in zip(self.points, keep) if k]
                self._erased = True
                self._redraw()
        if final and self._erased:
            self._erased = False
            self.pointsChanged.emit(self.points)

    def _redraw(self) -> None:
        if not self.points:
            self.scatter.setData([], [])
            return
        table = np.array(self.points, dtype=float)
        labels = table[:, 2].astype(int)
        colours = theme.class_rgb(max(2, labels.max() + 1))
        brushes = [pg.mkBrush(*colours[k]) for k in range(len(colours))]
        self.scatter.setData(table[:, 0], table[:, 1], brush=[brushes[k] for k in labels])
