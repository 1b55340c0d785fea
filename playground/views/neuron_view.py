"""TF Playground's neuron view: every neuron as a heatmap over the plane, joined by weights."""
from __future__ import annotations

import functools

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QLabel, QToolTip, QWidget

from engine.data import apply_features
from playground import theme
from playground.snapshots import FRAME, NEURON_GRID, plane_points
from playground.views.onscreen import on_screen

MAX_NEURONS = 16   # per column; larger layers show their first 16
TITLE_HEIGHT = 20.0  # column titles sit above this line; tiles never cross it
BLOCKED = "Training is disabled, so there are no neurons to show yet."


def class_lut(colour: tuple[int, int, int], size: int = 256) -> np.ndarray:
    """White → class colour lookup table (uint8, size × 3) for a probability in [0, 1]."""
    t = np.linspace(0.0, 1.0, size)[:, None]
    white = np.full(3, 255.0)
    return (white + (np.array(colour, dtype=float) - white) * t).astype(np.uint8)


def tile_layout(count: int, tallest: int, width: float, height: float,
                margin: float = 36.0) -> tuple[float, float, float]:
    """(tile size, vertical pitch, horizontal gap) so every column fits under the titles."""
    available = max(height - TITLE_HEIGHT - 4, 8.0)
    pitch = available / max(tallest, 1)
    size = max(2.0, min(64.0, pitch * 0.88, (width - 2 * margin) / (count * 2.2)))
    pitch = min(pitch, size + 6)
    gap_x = (width - 2 * margin - size) / max(count - 1, 1)
    return size, pitch, gap_x


def to_qimage(values: np.ndarray, lut: np.ndarray) -> QImage:
    """A [-1, 1] map (rows = x2 from the bottom) as an RGB image, x2 pointing up."""
    tiles = TileImages(1, *values.shape)
    tiles.fill(values[None], packed_lut(lut))
    return tiles.images[0].copy()   # own the pixels: ``tiles`` dies with this call


def packed_lut(lut: np.ndarray) -> np.ndarray:
    """An RGB lookup table (n × 3 uint8) as opaque 0xffRRGGBB words for RGB32 images."""
    rgb = lut.astype(np.uint32)
    return (0xFF000000 | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).astype(np.uint32)


@functools.lru_cache(maxsize=64)
def class_packed_lut(colour: tuple[int, int, int]) -> np.ndarray:
    """``packed_lut(class_lut(colour))``, built once per colour (output tiles ask per snapshot)."""
    return packed_lut(class_lut(colour))


class TileImages:
    """One column's tiles: their pixels in one array, a QImage over each tile's part.

    Redrawing writes the new colours into the array in place, so a snapshot costs one
    vectorised lookup per column, with no QImage or buffer allocated per frame.
    """

    def __init__(self, count: int, height: int, width: int) -> None:
        self.pixels = np.empty((count, height, width), np.uint32)   # 0xffRRGGBB, x2 up
        # The QImages read ``pixels`` directly (no copy); this object keeps it alive.
        self.images = [QImage(self.pixels[i].data, width, height, 4 * width,
                              QImage.Format.Format_RGB32) for i in range(count)]

    def fits(self, shape: tuple[int, ...]) -> bool:
        """Whether maps of ``shape`` (count, height, width) can be drawn into these tiles."""
        return self.pixels.shape == tuple(shape)

    def fill(self, values: np.ndarray, lut: np.ndarray) -> None:
        """Colour [-1, 1] maps (count × rows from the bottom × columns) through a packed LUT."""
        index = np.clip((values[:, ::-1] + 1) * 127.5, 0, 255).astype(np.uint8)
        np.take(lut, index, out=self.pixels, mode="clip")   # "clip": no buffered copy


class NeuronView(QWidget):
    """Draws inputs, hidden dense neurons and the output; weights as sign-coloured lines."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("neuronView")
        self.setMouseTracking(True)
        self.setMinimumSize(320, 220)
        self.lut = theme.diverging_lut()
        self.packed = packed_lut(self.lut)
        # Tile buffers reused across snapshots, keyed by column (layer id, or the output).
        self._tiles: dict[str, TileImages] = {}
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
        self.message: str | None = ("The neuron view shows dense networks on 2-D data. Press Step or Train "
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
            tiles = TileImages(*values.shape)
            tiles.fill(values, self.packed)
            self.feature_images = [image.copy() for image in tiles.images]
            self.feature_values = list(raw)
        self.columns = []
        self.update()

    def clear(self, message: str | None = None) -> None:
        """Show the empty state: ``message``, or (None) why there is no trainer."""
        self._pending = None
        self.message = message
        self.columns = []
        self.update()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Draw the snapshot that arrived while hidden."""
        super().showEvent(event)
        self.show_pending()

    def show_pending(self) -> None:
        """Draw the snapshot kept while hidden, once the view can be seen (called per frame:
        a dock tab brought to the front gets no show event)."""
        if self._pending is not None and on_screen(self):
            self.update_snapshot(*self._pending)

    def update_snapshot(self, snapshot, layer_order: list[str], output_id: str | None) -> None:
        """Redraw from a snapshot's neuron maps, decision grid and weight copies.

        While hidden or behind another tab only the newest snapshot is kept (drawn when seen).
        """
        if not on_screen(self):
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
            columns.append((layer_id, self._tile_images(layer_id, maps / scale, self.packed)))
            arrays.append(list(maps))
        if snapshot.grid is not None and output_id is not None:
            images, values = self.output_tiles(snapshot.grid)
            columns.append((output_id, images))
            arrays.append(values)
        self._arrays = arrays
        self.layer_ids = ids + ([output_id] if output_id else [])
        self.weights = [snapshot.weights.get(f"{layer_id}.weight") for layer_id in self.layer_ids]
        self.columns = columns
        self.update()

    def output_tiles(self, grid: np.ndarray) -> tuple[list[QImage], list[np.ndarray]]:
        """Output tiles: one per class in the class palette (more than two classes), else one.

        Two classes (or a sigmoid) read as TF Playground's single orange/blue map; regression
        values are clipped to [-1, 1].
        """
        if grid.ndim != 3:
            return self._tile_images("\0output", np.clip(grid, -1, 1)[None], self.packed), [grid]
        k = grid.shape[-1]
        if k <= 2:
            return (self._tile_images("\0output", grid[None, ..., -1] * 2 - 1, self.packed),
                    [grid[..., -1]])
        colours = theme.class_rgb(k)
        maps = [grid[..., c] for c in range(k)]
        images = [self._tile_images(f"\0output{c}", m[None] * 2 - 1,
                                    class_packed_lut(tuple(int(v) for v in colours[c])))[0]
                  for c, m in enumerate(maps)]
        return images, maps

    def _tile_images(self, key: str, values: np.ndarray, lut: np.ndarray) -> list[QImage]:
        """QImages of [-1, 1] maps, drawn into the column's reused tile buffer."""
        tiles = self._tiles.get(key)
        if tiles is None or not tiles.fits(values.shape):
            tiles = self._tiles[key] = TileImages(*values.shape)
        tiles.fill(values, lut)
        return tiles.images

    def empty_message(self) -> str:
        """The empty-state text; without a trainer, the reason training is disabled."""
        if self.message is not None:
            return self.message
        window = self.window()
        banner = window.findChild(QLabel, "trainingBlocked") if window is not None else None
        shown = banner is not None and not banner.isHidden()
        reason = banner.text().strip() if shown else ""
        if reason:
            return f"{BLOCKED}\n\n{_plain(reason)}"
        return f"{BLOCKED} Fix the problem shown above the canvas, then press Step or Train."

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Lines first (sign = colour, magnitude = width), then the neuron thumbnails."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(theme.PLOT_BACKGROUND))
        # Lines are drawn without antialiasing: hundreds of them at 15+ Hz cost training time.
        if not self.columns:
            painter.setPen(QColor(theme.TEXT_DIM))
            painter.drawText(self.rect().adjusted(20, 20, -20, -20),
                             Qt.AlignCenter | Qt.TextWordWrap, self.empty_message())
            return
        count = len(self.columns)
        tallest = max(len(images) for _, images in self.columns)
        margin = 36.0      # room for the column titles at both ends
        size, pitch, gap_x = tile_layout(count, tallest, self.width(), self.height(), margin)
        rects: list[list[QRectF]] = []
        for c, (_, images) in enumerate(self.columns):
            total = (len(images) - 1) * pitch + size
            top = TITLE_HEIGHT + max(0.0, (self.height() - TITLE_HEIGHT - total) / 2)
            left = margin + (c * gap_x if count > 1 else 0)
            rects.append([QRectF(left, top + i * pitch, size, size)
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
                if c == count - 1 and c and len(images) > 2:
                    label = f"{name}: P(class {i})"
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
                    x1 = -FRAME + 2 * FRAME * (col + 0.5) / size
                    x2 = -FRAME + 2 * FRAME * (row + 0.5) / size
                    text = f"{label}: {values[row, col]:+.3f} at ({x1:.1f}, {x2:.1f})"
                QToolTip.showText(event.globalPosition().toPoint(), text, self)
                return
        for start, end, label in self._lines:
            if _distance(point, start, end) < 3.0:
                QToolTip.showText(event.globalPosition().toPoint(), label, self)
                return
        QToolTip.hideText()


def _plain(text: str) -> str:
    """Rich text of the banner as plain text."""
    from PySide6.QtGui import QTextDocument
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def _distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    """Distance from point p to the segment a–b."""
    ax, ay, bx, by, px, py = a.x(), a.y(), b.x(), b.y(), p.x(), p.y()
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy or 1.0
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return float(np.hypot(px - ax - t * dx, py - ay - t * dy))
