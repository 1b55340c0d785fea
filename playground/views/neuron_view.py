"""TF Playground's neuron view: every neuron as a heatmap over the plane, joined by weights."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from engine.data import apply_features
from playground import theme
from playground.snapshots import NEURON_GRID, plane_points

MAX_NEURONS = 16   # per column; larger layers show their first 16


def to_qimage(values: np.ndarray, lut: np.ndarray) -> QImage:
    """A [-1, 1] map (rows = x2 from the bottom) as an RGB image, x2 pointing up."""
    index = np.clip((values + 1) * 127.5, 0, 255).astype(np.uint8)[::-1]
    rgb = np.ascontiguousarray(lut[index])
    height, width = index.shape
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format_RGB888)
    return image.copy()   # own the pixels: ``rgb`` dies with this call


class NeuronView(QWidget):
    """Draws inputs, hidden dense neurons and the output; weights as sign-coloured lines."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("neuronView")
        self.setMouseTracking(True)
        self.setMinimumSize(320, 220)
        self.lut = theme.diverging_lut()
        self.features: list[str] = []
        self.feature_images: list[QImage] = []
        self.feature_values: list[np.ndarray] = []
        self.columns: list[tuple[str, list[QImage]]] = []
        self.weights: list[np.ndarray] = []      # weight matrix into each column after the first
        self.layer_ids: list[str] = []
        self._neurons: list[tuple[QRectF, str, np.ndarray | None]] = []
        self._pending = None
        self._arrays: list[list[np.ndarray]] = []   # raw maps per column, for hover values
        self._lines: list[tuple[QPointF, QPointF, str]] = []
        self.message = ("The neuron view shows dense networks on 2-D data. Press Step or Train "
                        "to see every neuron's output over the plane.")

    def set_features(self, features: list[str] | None) -> None:
        """The network's input features (each drawn as its own map over the plane)."""
        self.features = list(features or [])
        self.feature_images = []
        self.feature_values: list[np.ndarray] = []
        if self.features:
            values = apply_features(plane_points(NEURON_GRID), self.features)
            raw = values.T.reshape(-1, NEURON_GRID, NEURON_GRID)
            scale = np.abs(values).max(axis=0)
            scale[scale == 0] = 1
            values = (values / scale).T.reshape(-1, NEURON_GRID, NEURON_GRID)
            self.feature_images = [to_qimage(v, self.lut) for v in values]
            self.feature_values = list(raw)
        self.columns = []
        self.update()

    def clear(self, message: str | None = None) -> None:
        """Show the empty state."""
        self._pending = None
        if message:
            self.message = message
        self.columns = []
        self.update()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Draw the snapshot that arrived while hidden."""
        super().showEvent(event)
        if self._pending is not None:
            self.update_snapshot(*self._pending)

    def update_snapshot(self, snapshot, layer_order: list[str], output_id: str | None) -> None:
        """Redraw from a snapshot's neuron maps, decision grid and weight copies.

        While hidden only the newest snapshot is kept (drawn on showing).
        """
        if not self.isVisible():
            self._pending = (snapshot, layer_order, output_id)
            return
        self._pending = None
        if not snapshot.neuron_maps and snapshot.grid is None or not self.feature_images:
            self.columns = []
            self.update()
            return
        if not snapshot.neuron_maps and len(layer_order) > 1:
            self.columns = []
            self.update()
            return
        columns = [("input", self.feature_images)]
        arrays: list[list[np.ndarray]] = [list(self.feature_values)]
        ids = [i for i in layer_order if i in snapshot.neuron_maps]
        for layer_id in ids:
            maps = snapshot.neuron_maps[layer_id][:MAX_NEURONS]
            scale = np.maximum(np.abs(maps).max(axis=(1, 2), keepdims=True), 1.0)
            columns.append((layer_id, [to_qimage(m, self.lut) for m in maps / scale]))
            arrays.append(list(maps))
        if snapshot.grid is not None and output_id is not None:
            grid = snapshot.grid
            value = grid[..., -1] * 2 - 1 if grid.ndim == 3 else np.clip(grid, -1, 1)
            columns.append((output_id, [to_qimage(value, self.lut)]))
            arrays.append([grid[..., -1] if grid.ndim == 3 else grid])
        self._arrays = arrays
        self.layer_ids = ids + ([output_id] if output_id else [])
        self.weights = [snapshot.weights.get(f"{layer_id}.weight") for layer_id in self.layer_ids]
        self.columns = columns
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Lines first (sign = colour, magnitude = width), then the neuron thumbnails."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("white"))
        # Lines are drawn without antialiasing: hundreds of them at 15+ Hz cost training time.
        if not self.columns:
            painter.setPen(QColor(theme.TEXT_DIM))
            painter.drawText(self.rect().adjusted(20, 20, -20, -20),
                             Qt.AlignCenter | Qt.TextWordWrap, self.message)
            return
        count = len(self.columns)
        tallest = max(len(images) for _, images in self.columns)
        margin = 36.0      # room for the column titles at both ends
        size = max(16.0, min(64.0, (self.height() - 30) / max(tallest, 1) - 6,
                             (self.width() - 2 * margin) / (count * 2.2)))
        gap_x = (self.width() - 2 * margin - size) / max(count - 1, 1)
        rects: list[list[QRectF]] = []
        for c, (_, images) in enumerate(self.columns):
            total = len(images) * (size + 6) - 6
            top = (self.height() + 18 - total) / 2
            left = margin + (c * gap_x if count > 1 else 0)
            rects.append([QRectF(left, top + i * (size + 6), size, size)
                          for i in range(len(images))])
        self._lines, self._neurons = [], []
        for c in range(1, count):
            weight = self.weights[c - 1]
            if weight is None:
                continue
            biggest = float(np.abs(weight).max()) or 1.0
            for i, source in enumerate(rects[c - 1]):
                for j, target in enumerate(rects[c]):
                    if i >= weight.shape[0] or j >= weight.shape[1]:
                        continue
                    w = float(weight[i, j])
                    colour = QColor(*(theme.BLUE if w > 0 else theme.ORANGE))
                    colour.setAlphaF(0.35 + 0.65 * abs(w) / biggest)
                    painter.setPen(QPen(colour, 0.5 + 5.0 * abs(w) / biggest))
                    start = QPointF(source.right(), source.center().y())
                    end = QPointF(target.left(), target.center().y())
                    painter.drawLine(start, end)
                    self._lines.append((start, end, f"{self.layer_ids[c - 1]}.weight[{i}, {j}] "
                                                    f"= {w:+.4f}"))
        label_font = painter.font()
        label_font.setPointSizeF(8)
        painter.setFont(label_font)
        for c, (name, images) in enumerate(self.columns):
            for i, (rect, image) in enumerate(zip(rects[c], images)):
                painter.drawImage(rect, image)
                painter.setPen(QPen(QColor(theme.NODE_BORDER), 1))
                painter.drawRect(rect)
                label = self.features[i] if c == 0 and i < len(self.features) else f"{name} #{i}"
                values = self._arrays[c][i] if c < len(self._arrays) and i < len(
                    self._arrays[c]) else None
                self._neurons.append((rect, label, values))
            painter.setPen(QColor(theme.TEXT_DIM))
            head = rects[c][0] if rects[c] else QRectF(0, 20, size, size)
            painter.drawText(QRectF(head.center().x() - 60, 2, 120, 14), Qt.AlignCenter,
                             name if c else "features")

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Name the neuron or the weight (with its value) under the mouse."""
        point = event.position()
        for rect, label, values in self._neurons:
            if rect.contains(point):
                text = label
                if values is not None:
                    # Thumbnails show x2 upwards; arrays have row 0 at x2 = -6.
                    size = values.shape[0]
                    col = min(size - 1, int((point.x() - rect.left()) / rect.width() * size))
                    row = min(size - 1, int((rect.bottom() - point.y()) / rect.height() * size))
                    x1 = -6 + 12 * (col + 0.5) / size
                    x2 = -6 + 12 * (row + 0.5) / size
                    text = f"{label}: {values[row, col]:+.3f} at ({x1:.1f}, {x2:.1f})"
                QToolTip.showText(event.globalPosition().toPoint(), text, self)
                return
        for start, end, label in self._lines:
            if _distance(point, start, end) < 3.0:
                QToolTip.showText(event.globalPosition().toPoint(), label, self)
                return
        QToolTip.hideText()


def _distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    """Distance from point p to the segment a–b."""
    ax, ay, bx, by, px, py = a.x(), a.y(), b.x(), b.y(), p.x(), p.y()
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy or 1.0
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return float(np.hypot(px - ax - t * dx, py - ay - t * dy))
