"""Write a digit or letter with the mouse or a pen and watch the network classify it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import (QFileDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QSlider, QVBoxLayout, QWidget)

from engine.errors import ProjectError
from engine.imageprep import prepare_image
from engine.probes import class_probabilities
from playground.imageio import is_image_path, read_grayscale
from playground.images.imaging import gray_pixmap

CANVAS_SIZE = 280
# MNIST strokes are about 2-3 pixels wide in 28; drawn on 280 pixels that is ~20-28 pixels.
DEFAULT_STROKE = 22
# The 8x8 digits are made of strokes about a quarter of the glyph wide: a thick pen matches.
SMALL_INPUT_STROKE = 44
SMALL_INPUT = 16
PREDICT_DELAY_MS = 40   # at most ~25 predictions a second while drawing
PREVIEW_SIZE = 140


class DrawingCanvas(QWidget):
    """A white square the person writes on in black; strokes follow mouse or pen pressure."""

    changed = Signal()

    def __init__(self, size: int = CANVAS_SIZE, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawingCanvas")
        self.setFixedSize(size, size)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.stroke_width = DEFAULT_STROKE
        self.picture = QImage(size, size, QImage.Format.Format_Grayscale8)
        self._last: QPointF | None = None
        # An opened file is classified from its own pixels (as `layerlab predict` does) until
        # the person draws on it; the paper only shows a fitted copy.
        self.original: np.ndarray | None = None
        self.clear()

    def clear(self) -> None:
        """Blank paper."""
        self.original = None
        self.picture.fill(QColor(255, 255, 255))
        self.update()
        self.changed.emit()

    def draw_line(self, start: QPointF, end: QPointF, pressure: float = 1.0) -> None:
        """Ink a round-capped segment (also how tests write a synthetic stroke)."""
        painter = QPainter(self.picture)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = max(1.0, self.stroke_width * (0.4 + 0.6 * pressure))
        painter.setPen(QPen(QColor(0, 0, 0), width, Qt.PenStyle.SolidLine,
                            Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        painter.drawLine(start, end)
        painter.end()
        self.original = None
        self.update()
        self.changed.emit()

    def set_array(self, image: np.ndarray) -> None:
        """Show a grayscale image ``(H, W)`` in [0, 1] fitted onto the paper (e.g. a file)."""
        pixmap = gray_pixmap(image)
        scaled = pixmap.scaled(self.picture.size(), Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
        border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
        self.picture.fill(QColor(*(3 * [int(255 * float(np.median(border)))])))
        painter = QPainter(self.picture)
        painter.drawPixmap((self.picture.width() - scaled.width()) // 2,
                           (self.picture.height() - scaled.height()) // 2, scaled)
        painter.end()
        self.original = np.array(image, dtype=np.float32)
        self.update()
        self.changed.emit()

    def to_array(self) -> np.ndarray:
        """The paper as ``(H, W)`` float32 in [0, 1] (1 is white), or the opened image."""
        if self.original is not None:
            return self.original
        width, height = self.picture.width(), self.picture.height()
        raw = np.frombuffer(self.picture.constBits(), dtype=np.uint8,
                            count=self.picture.bytesPerLine() * height)
        rows = raw.reshape(height, self.picture.bytesPerLine())[:, :width]
        return rows.astype(np.float32) / np.float32(255.0)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Draw the paper with a thin frame."""
        painter = QPainter(self)
        painter.drawImage(0, 0, self.picture)
        painter.setPen(QPen(QColor(160, 160, 160), 1))
        painter.drawRect(QRectF(0.5, 0.5, self.width() - 1, self.height() - 1))
        painter.end()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        """Start a stroke (a click alone leaves a dot)."""
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = event.position()
            self.draw_line(self._last, self._last)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        """Continue the stroke."""
        if self._last is not None and event.buttons() & Qt.MouseButton.LeftButton:
            point = event.position()
            self.draw_line(self._last, point)
            self._last = point

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        """End the stroke."""
        self._last = None

    def tabletEvent(self, event) -> None:  # noqa: N802
        """Pen input: the pressure sets the stroke width."""
        point, pressure = event.position(), float(event.pressure())
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._last = point
            self.draw_line(point, point, pressure)
        elif kind == QEvent.Type.TabletMove and self._last is not None:
            self.draw_line(self._last, point, pressure)
            self._last = point
        elif kind == QEvent.Type.TabletRelease:
            self._last = None
        event.accept()


class DrawingPad(QWidget):
    """Draw (or drop an image) and see the class probabilities and the network's input.

    ``set_model(saved_model)`` takes a ``SavedModel``; ``set_model(model, preprocessor,
    classes)`` takes a built model. Prediction switches a model to evaluation mode, so while
    a worker trains give the pad a copy (e.g. a SavedModel made from the current weights).
    """

    probabilitiesChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawingPad")
        self.setAcceptDrops(True)
        self.model = None
        self.preprocessor = None
        self.classes: list[str] = []
        self.input_shape: tuple[int, ...] | None = None
        self.last_probabilities: np.ndarray | None = None

        self.canvas = DrawingCanvas()
        self.stroke_slider = QSlider(Qt.Orientation.Horizontal, objectName="strokeWidth")
        self.stroke_slider.setRange(4, 64)
        self.stroke_slider.setValue(DEFAULT_STROKE)
        clear_button = QPushButton("Clear", objectName="padClear")
        open_button = QPushButton("Open image…", objectName="padOpen")
        self.preview = QLabel(objectName="padPreview", alignment=Qt.AlignmentFlag.AlignCenter)
        self.preview.setFixedSize(PREVIEW_SIZE, PREVIEW_SIZE)
        self.preview.setStyleSheet("background: black; border: 1px solid gray;")
        self.prediction = QLabel("Load or train a model, then write here.",
                                 objectName="padPrediction", wordWrap=True)
        font = QFont(self.prediction.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.prediction.setFont(font)
        self.message = QLabel(objectName="padMessage", wordWrap=True)
        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setMenuEnabled(False)
        self.plot_widget.hideButtons()
        self.plot_widget.setMouseEnabled(False, False)
        self.plot_widget.setYRange(0.0, 1.0, padding=0.02)
        self.plot_widget.setLabel("left", "probability")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=(31, 86, 160))
        self.plot_widget.addItem(self.bars)

        controls = QHBoxLayout()
        controls.addWidget(clear_button)
        controls.addWidget(open_button)
        controls.addWidget(QLabel("Stroke"))
        controls.addWidget(self.stroke_slider, 1)
        left = QVBoxLayout()
        left.addWidget(self.canvas)
        left.addLayout(controls)
        left.addWidget(QLabel("Draw with the mouse or a pen, or drop a .png/.jpg here."))
        right = QGridLayout()
        right.addWidget(QLabel("What the network sees"), 0, 0)
        right.addWidget(self.preview, 1, 0, Qt.AlignmentFlag.AlignTop)
        right.addWidget(self.prediction, 1, 1)
        right.addWidget(self.plot_widget, 2, 0, 1, 2)
        right.addWidget(self.message, 3, 0, 1, 2)
        right.setRowStretch(2, 1)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)

        self._timer = QTimer(self, singleShot=True, interval=PREDICT_DELAY_MS)
        self._timer.timeout.connect(self.predict_now)
        self.canvas.changed.connect(self._timer.start)
        self.stroke_slider.valueChanged.connect(self._stroke_changed)
        clear_button.clicked.connect(self.canvas.clear)
        open_button.clicked.connect(self._open_clicked)

    def set_model(self, model, preprocessor=None, classes: list[str] | None = None) -> None:
        """Classify with a SavedModel, or a built Model plus its Preprocessor and class names."""
        if preprocessor is None:
            preprocessor = model.preprocessor
            classes = classes or model.class_names()
            model = model.model
        raw_shape = tuple(preprocessor.raw_shape)
        if preprocessor.kind != "image" or len(raw_shape) != 3 or raw_shape[0] != 1:
            self.model = None
            self.message.setText(f"The drawing pad needs a one-channel image model; this one "
                                 f"takes samples of shape {raw_shape}.")
            return
        self.model, self.preprocessor = model, preprocessor
        if self.input_shape != raw_shape:
            # A new input size: start from the stroke width its training images have.
            small = min(raw_shape[1:]) < SMALL_INPUT
            self.stroke_slider.setValue(SMALL_INPUT_STROKE if small else DEFAULT_STROKE)
        self.input_shape = raw_shape
        units = int(np.prod(model.output_shape))
        self.classes = list(classes) if classes else [str(k) for k in range(max(units, 2))]
        self.bars.setOpts(x=np.arange(len(self.classes)), height=np.zeros(len(self.classes)))
        self.plot_widget.getAxis("bottom").setTicks([list(enumerate(self.classes))])
        self.plot_widget.setXRange(-0.5, len(self.classes) - 0.5, padding=0.02)
        self.message.setText(f"The network sees {raw_shape[1]}×{raw_shape[2]} pixels: the ink "
                             "is made light on dark, cropped, scaled into the frame and centred "
                             "by its centre of mass, as the training images were.")
        self.predict_now()

    def network_input(self) -> np.ndarray:
        """The drawing as a raw sample ``(1, H, W)`` in [0, 1], prepared like MNIST/digits."""
        if self.input_shape is None:
            raise ValueError("no image model set")
        _, height, width = self.input_shape
        return prepare_image(self.canvas.to_array(), height, width)

    @Slot()
    def predict_now(self) -> np.ndarray | None:
        """Prepare the drawing, classify it and show the probabilities."""
        if self.model is None:
            return None
        sample = self.network_input()
        self.preview.setPixmap(gray_pixmap(sample[0], PREVIEW_SIZE))
        if not sample.any():
            self.prediction.setText("Write a digit or letter.")
            self.bars.setOpts(height=np.zeros(len(self.classes)))
            self.last_probabilities = None
            return None
        inputs = self.preprocessor.transform(sample[None])
        output = self.model.predict(inputs)
        probabilities = class_probabilities(output, self.model.last_activation)[0]
        self.last_probabilities = probabilities
        best = int(np.argmax(probabilities))
        name = self.classes[best] if best < len(self.classes) else str(best)
        self.prediction.setText(f"{name}  ({probabilities[best]:.0%})")
        self.bars.setOpts(height=probabilities[:len(self.classes)])
        self.probabilitiesChanged.emit(probabilities)
        return probabilities

    def load_image(self, path: str | Path) -> bool:
        """Put an image file on the pad and classify it; False (message shown) if unreadable."""
        try:
            image = read_grayscale(path)
        except ProjectError as error:
            self.message.setText(f"{Path(path).name}: {error.what}")
            return False
        self.canvas.set_array(image)
        self.message.setText(f"Opened {Path(path).name}.")
        self.predict_now()
        return True

    @Slot(int)
    def _stroke_changed(self, value: int) -> None:
        self.canvas.stroke_width = int(value)

    @Slot()
    def _open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", "",
                                              "Images (*.png *.jpg *.jpeg)")
        if path:
            self.load_image(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Accept one dropped image file."""
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile() and is_image_path(urls[0].toLocalFile()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        """Classify the dropped image."""
        self.load_image(event.mimeData().urls()[0].toLocalFile())
        event.acceptProposedAction()
