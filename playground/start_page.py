"""The first-run start page: the presets as a gallery of cards, plus new, open and the tour."""
from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QFontMetrics, QImage, QPixmap
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea,
                               QSizePolicy, QVBoxLayout, QWidget)

from engine.data.idx import download_for
from engine.resources import resource_path
from playground.appinfo import app_icon

log = logging.getLogger(__name__)

THUMB_SIZE = QSize(168, 112)
CARD_WIDTH = 196
CARD_MARGIN = 10
TITLE_LINES = 2
CAPTION_LINES = 4
# TensorFlow Playground's class colours: orange for the first class, blue for the second.
CLASS_COLOURS = np.array([[245, 147, 34], [8, 119, 189], [77, 175, 74], [152, 78, 163],
                          [228, 26, 28], [166, 86, 40], [247, 129, 191], [102, 102, 102],
                          [23, 190, 207], [188, 189, 34]], dtype=np.float32)
BACKGROUND = np.array([247, 247, 247], dtype=np.float32)
SOURCE_LABELS = {
    "circle": "Circle", "xor": "XOR", "gaussian": "Two Gaussians", "spiral": "Spiral",
    "moons": "Moons", "blobs": "Blobs", "plane": "Plane (regression)",
    "multigauss": "Gaussian mixture (regression)", "points": "Hand-placed points",
    "digits": "8x8 digits", "idx": "IDX images", "csv": "CSV table", "npz": "NumPy arrays",
}
# Tables have no picture worth drawing small; the icon stands in without reading the file.
TABLE_SOURCES = ("csv", "npz")
THUMB_IDX_LIMIT = 300
LAYER_SHORT = {"maxpool2d": "maxpool", "avgpool2d": "avgpool", "batchnorm": "batchnorm",
               "dropout": "dropout", "add": "add", "concat": "concat", "reshape": "reshape"}


@dataclass(frozen=True)
class PresetInfo:
    """What a card shows about one preset file."""

    path: Path
    name: str
    description: str
    data: dict = field(default_factory=dict)
    seed: int = 0


def describe_network(layers: list) -> str:
    """A short sketch of a layer list, e.g. ``dense 8 → 8 → 1`` or ``conv 16 → maxpool → …``."""
    parts: list[str] = []
    previous = None
    for layer in layers:
        if not isinstance(layer, dict):
            continue
        kind = layer.get("type")
        if kind == "dense":
            units = str(layer.get("units", "?"))
            # A run of dense layers reads best as its widths: "dense 8 → 8 → 1".
            parts.append(units if previous == "dense" else f"dense {units}")
        elif kind == "conv2d":
            parts.append(f"conv {layer.get('filters', '?')}")
        elif kind in LAYER_SHORT:
            parts.append(LAYER_SHORT[kind])
        else:
            continue
        previous = kind
    return " → ".join(parts) if parts else "no layers yet"


def describe_preset(raw: dict) -> str:
    """One line from a project: its data source, its inputs and its network."""
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    source = str(data.get("source", "circle"))
    label = SOURCE_LABELS.get(source, source)
    if source == "idx":
        # Not bundled: the card says so before anyone clicks (opening asks for the files).
        download = download_for(f"{data.get('images', '')} {data.get('labels', '')}")
        label = f"{download.name if download else 'IDX'} files needed"
    features = data.get("features")
    if isinstance(features, list) and len(features) > 2:
        label += f", {len(features)} features"
    network = raw.get("network") if isinstance(raw.get("network"), dict) else {}
    layers = network.get("layers") if isinstance(network.get("layers"), list) else []
    return f"{label} · {describe_network(layers)}"


def files_needed(data: dict) -> str | None:
    """For a card's tooltip: which data files a preset needs that LayerLab does not bundle."""
    if data.get("source") != "idx":
        return None
    names = [str(data.get(key)) for key in ("images", "labels") if data.get(key)]
    download = download_for(" ".join(names))
    what = f"the {download.name} files" if download else "IDX files"
    return (f"Needs {what} {' and '.join(names)}, which are not bundled: download them once; "
            f"opening the preset looks for them in the current folder or asks where they are.")


def load_presets(folder: Path | None = None) -> list[PresetInfo]:
    """Read every ``*.json`` preset in ``folder`` (default: bundled presets), sorted by name.

    Files that are not valid JSON objects are skipped with a log warning, so one broken preset
    never hides the others; a missing folder gives an empty list.
    """
    folder = Path(folder) if folder is not None else resource_path("presets")
    if not folder.is_dir():
        return []
    presets = []
    for path in sorted(folder.glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            log.warning("skipping preset %s: %s", path, error)
            continue
        if not isinstance(raw, dict):
            log.warning("skipping preset %s: not a JSON object", path)
            continue
        name = str(raw.get("name") or path.stem.replace("_", " ").title())
        data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
        seed = raw.get("seed") if isinstance(raw.get("seed"), int) else 0
        presets.append(PresetInfo(path, name, describe_preset(raw), dict(data), seed))
    return sorted(presets, key=lambda info: info.name.lower())


def _rgb_image(pixels: np.ndarray) -> QImage:
    """A QImage that owns a copy of an ``(H, W, 3)`` uint8 array."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width, _ = pixels.shape
    image = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()


def scatter_pixels(points: np.ndarray, colours: np.ndarray, size: QSize,
                   radius: int = 2) -> np.ndarray:
    """Rasterise coloured 2-D points into an ``(H, W, 3)`` image without a loop over points."""
    width, height = size.width(), size.height()
    image = np.empty((height, width, 3), dtype=np.float32)
    image[...] = BACKGROUND
    if len(points) == 0:
        return image.astype(np.uint8)
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.where(high - low > 0, high - low, 1.0)
    margin = radius + 2
    cols = margin + (points[:, 0] - low[0]) / span[0] * (width - 1 - 2 * margin)
    rows = margin + (high[1] - points[:, 1]) / span[1] * (height - 1 - 2 * margin)
    cols, rows = np.rint(cols).astype(np.int64), np.rint(rows).astype(np.int64)
    # Loop over the few pixel offsets of one disc; each step paints every point at once.
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dx * dx + dy * dy > radius * radius + 1:
                continue
            image[np.clip(rows + dy, 0, height - 1), np.clip(cols + dx, 0, width - 1)] = colours
    return image.astype(np.uint8)


def target_colours(values: np.ndarray) -> np.ndarray:
    """Regression targets as colours: orange for low, white in the middle, blue for high."""
    values = np.asarray(values, dtype=np.float32).reshape(len(values), -1)[:, 0]
    spread = float(np.abs(values).max()) or 1.0
    t = np.clip(values / spread, -1.0, 1.0)[:, None]
    white = np.array([255.0, 255.0, 255.0], dtype=np.float32)
    return np.where(t < 0, white + (CLASS_COLOURS[0] - white) * -t,
                    white + (CLASS_COLOURS[1] - white) * t)


def image_mosaic(images: np.ndarray, labels: np.ndarray, size: QSize) -> np.ndarray:
    """Up to six sample images (different labels first) tiled 3 x 2, grey on white."""
    order = np.argsort(labels, kind="stable")
    _, first = np.unique(labels[order], return_index=True)
    picks = order[first][:6]
    if len(picks) < 6:
        picks = np.arange(min(6, len(images)))
    tiles = images[picks, 0] if images.ndim == 4 else images[picks]
    tiles = 1.0 - np.clip(tiles, 0.0, 1.0)
    rows, cols, tile_h, tile_w = 2, 3, tiles.shape[1], tiles.shape[2]
    padded = np.ones((rows * cols, tile_h + 2, tile_w + 2), dtype=np.float32)
    padded[:len(tiles), 1:-1, 1:-1] = tiles
    mosaic = padded.reshape(rows, cols, tile_h + 2, tile_w + 2).transpose(0, 2, 1, 3)
    mosaic = mosaic.reshape(rows * (tile_h + 2), cols * (tile_w + 2))
    scale = max(1, min(size.height() // mosaic.shape[0], size.width() // mosaic.shape[1]))
    mosaic = np.kron(mosaic, np.ones((scale, scale), dtype=np.float32))
    canvas = np.ones((size.height(), size.width()), dtype=np.float32)
    top = (size.height() - mosaic.shape[0]) // 2
    left = (size.width() - mosaic.shape[1]) // 2
    canvas[top:top + mosaic.shape[0], left:left + mosaic.shape[1]] = mosaic
    return np.repeat((canvas * 255)[..., None], 3, axis=2).astype(np.uint8)


def render_thumbnail(info: PresetInfo, size: QSize = THUMB_SIZE) -> QPixmap:
    """A small picture of the preset's data: points by class or target, or sample images.

    Falls back to the app icon when the data cannot be loaded here (e.g. a CSV file that the
    preset names but the bundle lacks), because a missing picture must not break the page.
    """
    source = info.data.get("source", "circle")
    if source in TABLE_SOURCES:
        return app_icon().pixmap(size.height())
    settings = dict(info.data)
    if source == "idx":
        # Six pictures need a few hundred images, not all 60 000 of MNIST.
        settings["limit"] = min(int(settings.get("limit") or THUMB_IDX_LIMIT), THUMB_IDX_LIMIT)
    try:
        from engine.data import load_dataset
        dataset = load_dataset(settings, info.seed, info.path.parent, str(info.path))
        x, y = dataset.x_all(), dataset.y_all()
        if dataset.kind == "2d":
            if dataset.task == "classification":
                colours = CLASS_COLOURS[np.asarray(y, dtype=np.int64) % len(CLASS_COLOURS)]
            else:
                colours = target_colours(y)
            return QPixmap.fromImage(_rgb_image(scatter_pixels(x[:, :2], colours, size)))
        if dataset.kind == "image":
            return QPixmap.fromImage(_rgb_image(image_mosaic(x, np.asarray(y), size)))
    except Exception as error:  # noqa: BLE001 - any failure only costs the picture
        log.info("no thumbnail for %s: %s", info.path.name, error)
    return app_icon().pixmap(size.height())


def keep_together(text: str) -> str:
    """Non-breaking spaces inside "dense 8" and after "→", so lines break before an arrow."""
    text = re.sub(r"\b(dense|conv) (?=[\d?])", "\\1\u00a0", text)
    return text.replace(" → ", " →\u00a0")


def fit_lines(text: str, metrics: QFontMetrics, width: int, max_lines: int) -> list[str]:
    """``text`` word-wrapped to ``width`` pixels in at most ``max_lines`` lines.

    Newlines in ``text`` start a new line; a word wider than a line, or text beyond the last
    line, is elided with "…" (the card's tooltip keeps the full text).
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and metrics.horizontalAdvance(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + [" ".join(lines[max_lines - 1:])]
        lines[-1] = lines[-1] + " …" if metrics.horizontalAdvance(lines[-1]) <= width \
            else lines[-1]
    # elidedText measures a little differently, so only lines that overflow are elided.
    return [metrics.elidedText(line, Qt.TextElideMode.ElideRight, width)
            if metrics.horizontalAdvance(line) > width else line for line in lines]


class PresetCard(QPushButton):
    """A clickable card: thumbnail, bold name and a few wrapped lines of description."""

    def __init__(self, info: PresetInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.setObjectName(f"presetCard_{info.path.stem}")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedWidth(CARD_WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        needed = files_needed(info.data)
        self.setToolTip(f"<b>{html.escape(info.name)}</b><br>{html.escape(info.description)}"
                        + (f"<br>{html.escape(needed)}" if needed else "") +
                        f"<br>Opens a copy of {html.escape(info.path.name)}; your changes never "
                        f"alter the preset.")
        self.setAccessibleName(f"Preset {info.name}")
        self.setAccessibleDescription(info.description)
        self.thumbnail = QLabel(self)
        self.thumbnail.setFixedSize(THUMB_SIZE)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel(self)
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        text_width = CARD_WIDTH - 2 * CARD_MARGIN
        self.title.setText("\n".join(fit_lines(info.name, self.title.fontMetrics(), text_width,
                                               TITLE_LINES)))
        self.caption = QLabel(self)
        # The data on the first line, the network below it: both read whole, not "dense 256 → dr…".
        caption = keep_together(info.description.replace(" · ", "\n", 1))
        self.caption.setText("\n".join(fit_lines(caption, self.caption.fontMetrics(),
                                                 text_width, CAPTION_LINES)))
        self.caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(CARD_MARGIN, CARD_MARGIN, CARD_MARGIN, CARD_MARGIN)
        layout.setSpacing(4)
        layout.addWidget(self.thumbnail, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.title)
        layout.addWidget(self.caption, 1)
        # Labels inside a button would swallow clicks meant for the button.
        for label in (self.thumbnail, self.title, self.caption):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFixedHeight(self.content_height())
        self.has_thumbnail = False

    def content_height(self) -> int:
        """The height that shows the thumbnail, the title and the caption without clipping."""
        spacing = self.layout().spacing()
        return (2 * CARD_MARGIN + THUMB_SIZE.height() + self.title.sizeHint().height()
                + self.caption.sizeHint().height() + 2 * spacing + 2)

    def set_thumbnail(self, pixmap: QPixmap) -> None:
        """Show ``pixmap`` as the card's picture."""
        self.thumbnail.setPixmap(pixmap)
        self.has_thumbnail = True


class StartPage(QWidget):
    """Welcome page: preset gallery, "New empty network", "Open…" and the guided tour.

    Signals: ``presetChosen(str)`` with the preset file's path, ``newEmptyRequested()``,
    ``openRequested()`` (show the Open dialog) and ``tourRequested()``. Thumbnails are drawn
    after the page is shown, one per event-loop turn, so the window appears at once;
    ``thumbnailsReady()`` fires when all are drawn.
    """

    presetChosen = Signal(str)
    newEmptyRequested = Signal()
    openRequested = Signal()
    tourRequested = Signal()
    thumbnailsReady = Signal()

    def __init__(self, presets_dir: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startPage")
        self.presets = load_presets(presets_dir)
        self.cards: list[PresetCard] = []
        self._pending: list[PresetCard] = []
        self._columns = 0

        header = QHBoxLayout()
        logo = QLabel(self)
        logo.setPixmap(app_icon().pixmap(64))
        header.addWidget(logo)
        titles = QVBoxLayout()
        welcome = QLabel("<h2>Welcome to LayerLab</h2>", self)
        hint = QLabel("Pick an example to train right away, start from an empty network, "
                      "or open a project file.", self)
        hint.setWordWrap(True)
        titles.addWidget(welcome)
        titles.addWidget(hint)
        header.addLayout(titles, 1)

        buttons = QHBoxLayout()
        self.new_button = self._button("New empty network", "newEmptyButton",
                                       "Start with the input and output only; add layers from "
                                       "the palette (Ctrl+N)", self.newEmptyRequested)
        self.open_button = self._button("Open…", "openProjectButton",
                                        "Open a project (.json) or model (.safetensors) file "
                                        "(Ctrl+O)", self.openRequested)
        self.tour_button = self._button("Take the tour", "tourButton",
                                        "A one-minute walk through the panels", self.tourRequested)
        for button in (self.new_button, self.open_button, self.tour_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.gallery = QWidget(self)
        self.gallery.setObjectName("presetGallery")
        self.grid = QGridLayout(self.gallery)
        self.grid.setSpacing(12)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.gallery)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setToolTip("Example projects: click one to open it")

        self.empty_label = QLabel("No example projects were found in this installation; "
                                  "use “New empty network” or “Open…”.", self)
        self.empty_label.setWordWrap(True)
        self.empty_label.setVisible(not self.presets)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 12)
        layout.addLayout(header)
        layout.addLayout(buttons)
        examples = QLabel("<b>Examples</b>", self)
        layout.addWidget(examples)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.scroll, 1)

        for info in self.presets:
            card = PresetCard(info, self.gallery)
            card.clicked.connect(self._on_card_clicked)
            self.cards.append(card)
        # One height for every card (the tallest text), so the gallery rows line up.
        height = max((card.content_height() for card in self.cards), default=0)
        for card in self.cards:
            card.setFixedHeight(height)
        self._pending = list(self.cards)
        self._relayout(force=True)
        self.scroll.viewport().installEventFilter(self)
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setInterval(0)
        self._thumb_timer.timeout.connect(self._render_next_thumbnail)
        if self._pending:
            self._thumb_timer.start()

    def _button(self, text: str, name: str, tip: str, signal: Signal) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.clicked.connect(signal.emit)
        return button

    def render_all_thumbnails(self) -> None:
        """Draw every remaining thumbnail now (tests, screenshots)."""
        while self._pending:
            self._render_next_thumbnail()

    @Slot()
    def _render_next_thumbnail(self) -> None:
        if not self._pending:
            self._thumb_timer.stop()
            return
        card = self._pending.pop(0)
        card.set_thumbnail(render_thumbnail(card.info))
        if not self._pending:
            self._thumb_timer.stop()
            self.thumbnailsReady.emit()

    @Slot()
    def _on_card_clicked(self) -> None:
        card = self.sender()
        if isinstance(card, PresetCard):
            self.presetChosen.emit(str(card.info.path))

    def _relayout(self, force: bool = False) -> None:
        """Place the cards in as many columns as the visible width holds."""
        available = self.scroll.viewport().width() if self.isVisible() else 4 * CARD_WIDTH
        columns = max(1, available // (CARD_WIDTH + self.grid.spacing()))
        if columns == self._columns and not force:
            return
        self._columns = columns
        for index, card in enumerate(self.cards):
            self.grid.removeWidget(card)
            self.grid.addWidget(card, index // columns, index % columns)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Reflow the gallery when the scroll area's visible width changes."""
        if watched is self.scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._relayout()
        return super().eventFilter(watched, event)
