"""The drawing pad: strokes become the 28x28 / 8x8 arrays the network sees, and get classified."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QPushButton

from engine.data import Preprocessor
from engine.graph import build_model
from engine.imageprep import prepare_image
from playground.images import DrawingPad
from playground.images.screenshots import draw_seven, train_digits_cnn

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


@pytest.fixture(scope="module")
def trainer():
    return train_digits_cnn(epochs=3, seed=1)


def mnist_sized_model():
    """An untrained 28x28 classifier with an identity preprocessor (inputs as drawn)."""
    model = build_model([{"type": "conv2d", "filters": 2, "kernel_size": 5, "stride": 2,
                          "activation": "relu"}, {"type": "flatten"},
                         {"type": "dense", "units": 10}], (1, 28, 28), 0)
    preprocessor = Preprocessor("image", (1, 28, 28), None, np.zeros((1, 1, 1)),
                                np.ones((1, 1, 1)))
    return model, preprocessor


def vertical_stroke(pad: DrawingPad) -> None:
    """A straight down-stroke in the middle of the paper, 200 pixels long."""
    pad.canvas.stroke_width = 20
    pad.canvas.draw_line(QPointF(140, 40), QPointF(140, 240))


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    total = image.sum()
    rows = (image.sum(axis=1) * (np.arange(image.shape[0]) + 0.5)).sum() / total
    cols = (image.sum(axis=0) * (np.arange(image.shape[1]) + 0.5)).sum() / total
    return float(rows), float(cols)


def test_a_stroke_becomes_the_expected_28x28_input(qtbot) -> None:
    pad = DrawingPad()
    qtbot.addWidget(pad)
    model, preprocessor = mnist_sized_model()
    pad.set_model(model, preprocessor, [str(k) for k in range(10)])
    assert pad.stroke_slider.value() == 22  # MNIST-like stroke for 28x28 inputs
    assert pad.predict_now() is None and "Write" in pad.prediction.text()
    vertical_stroke(pad)
    paper = pad.canvas.to_array()
    assert paper.shape == (280, 280) and paper[140, 140] == 0.0 and paper[10, 10] == 1.0
    sample = pad.network_input()
    assert sample.shape == (1, 28, 28) and sample.dtype == np.float32
    np.testing.assert_array_equal(sample, prepare_image(paper, 28, 28))
    image = sample[0]
    ink_rows = np.flatnonzero((image > 0.15).any(axis=1))
    ink_cols = np.flatnonzero((image > 0.15).any(axis=0))
    # MNIST's recipe: the long side fills 20 of 28 pixels, centred by the centre of mass.
    assert len(ink_rows) == 20 and ink_rows[0] == 4
    assert len(ink_cols) <= 3
    rows, cols = centre_of_mass(image)
    assert rows == pytest.approx(14.0, abs=0.6) and cols == pytest.approx(14.0, abs=0.6)
    assert image.max() == pytest.approx(1.0) and image[0].max() == 0.0
    probabilities = pad.predict_now()
    assert probabilities.shape == (10,) and probabilities.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(pad.bars.opts["height"], probabilities)


def test_a_stroke_becomes_the_expected_8x8_input_and_a_seven_is_read(qtbot, trainer) -> None:
    pad = DrawingPad()
    qtbot.addWidget(pad)
    pad.set_model(trainer.model, trainer.preprocessor, trainer.dataset.classes)
    assert pad.stroke_slider.value() == 44  # the 8x8 digits have thick strokes
    vertical_stroke(pad)
    image = pad.network_input()[0]
    assert image.shape == (8, 8)
    # Small targets use the whole field: the stroke spans all 8 rows, 1-2 middle columns.
    assert (image > 0.15).any(axis=1).all()
    assert set(np.flatnonzero((image > 0.15).any(axis=0))) <= {3, 4}
    pad.canvas.clear()
    pad.canvas.stroke_width = pad.stroke_slider.value()
    draw_seven(pad.canvas)
    with qtbot.waitSignal(pad.probabilitiesChanged, timeout=2000) as blocker:
        pass  # the pad predicts shortly after the drawing changes
    probabilities = blocker.args[0]
    assert int(np.argmax(probabilities)) == 7
    assert pad.prediction.text().startswith("7")


def test_mouse_strokes_draw_on_the_canvas(qtbot) -> None:
    pad = DrawingPad()
    qtbot.addWidget(pad)
    pad.show()
    qtbot.waitExposed(pad)
    canvas = pad.canvas
    points = [QPointF(60, 60), QPointF(120, 120), QPointF(200, 200)]

    def send(kind, point, buttons):
        button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove \
            else Qt.MouseButton.NoButton
        event = QMouseEvent(kind, point, canvas.mapToGlobal(point), button, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(canvas, event)

    send(QEvent.Type.MouseButtonPress, points[0], Qt.MouseButton.LeftButton)
    for point in points[1:]:
        send(QEvent.Type.MouseMove, point, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton)
    send(QEvent.Type.MouseMove, QPointF(60, 220), Qt.MouseButton.NoButton)  # not drawing
    paper = canvas.to_array()
    for point in points + [QPointF(90, 90), QPointF(160, 160)]:
        assert paper[int(point.y()), int(point.x())] < 0.2
    assert paper[220, 60] == 1.0 and paper[60, 200] == 1.0
    qtbot.mouseClick(pad.findChild(QPushButton, "padClear"), Qt.MouseButton.LeftButton)
    assert canvas.to_array().min() == 1.0


def test_open_and_drop_an_image_file(qtbot, trainer, tmp_path) -> None:
    pad = DrawingPad()
    qtbot.addWidget(pad)
    pad.set_model(trainer.model, trainer.preprocessor, trainer.dataset.classes)
    # A digit of the test split, enlarged and saved as dark ink on white paper.
    index = int(np.flatnonzero(trainer.dataset.y_test == 4)[0])
    digit = trainer.dataset.x_test[index, 0]
    big = np.kron(1.0 - digit, np.ones((12, 12)))
    path = tmp_path / "four.png"
    Image.fromarray((big * 255).astype(np.uint8)).save(path)
    assert pad.load_image(path)
    np.testing.assert_allclose(pad.network_input(), prepare_image(big, 8, 8), atol=0.01)
    assert "four.png" in pad.message.text()
    assert pad.last_probabilities is not None
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    pad.dragEnterEvent(enter)
    assert enter.isAccepted()
    pad.canvas.clear()
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    pad.dropEvent(drop)
    np.testing.assert_allclose(pad.network_input(), prepare_image(big, 8, 8), atol=0.01)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    mime.setUrls([QUrl.fromLocalFile(str(text_file))])
    refused = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    refused.ignore()
    pad.dragEnterEvent(refused)
    assert not refused.isAccepted()
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    assert not pad.load_image(broken)
    assert "broken.png" in pad.message.text()


def test_models_that_do_not_take_one_channel_images_are_refused(qtbot) -> None:
    pad = DrawingPad()
    qtbot.addWidget(pad)
    model = build_model([{"type": "dense", "units": 2}], (2,), 0)
    preprocessor = Preprocessor("2d", (2,), ["x1", "x2"], np.zeros(2), np.ones(2))
    pad.set_model(model, preprocessor)
    assert pad.model is None and "one-channel image model" in pad.message.text()
    with pytest.raises(ValueError):
        pad.network_input()


def test_a_saved_model_file_drives_the_pad(qtbot, trainer, tmp_path) -> None:
    from engine.modelfile import load_model, save_model
    save_model(tmp_path / "digits.safetensors", trainer)
    saved = load_model(tmp_path / "digits.safetensors")
    pad = DrawingPad()
    qtbot.addWidget(pad)
    pad.set_model(saved)
    assert pad.classes == [str(k) for k in range(10)] and pad.input_shape == (1, 8, 8)
    pad.canvas.stroke_width = 44
    draw_seven(pad.canvas)
    probabilities = pad.predict_now()
    np.testing.assert_allclose(probabilities, saved.predict(pad.network_input()[None])[0],
                               rtol=1e-5, atol=1e-6)


def test_pen_pressure_sets_the_stroke_width(qtbot) -> None:
    from PySide6.QtGui import QPointingDevice, QTabletEvent
    pad = DrawingPad()
    qtbot.addWidget(pad)
    canvas = pad.canvas
    canvas.stroke_width = 40
    device = QPointingDevice.primaryPointingDevice()

    def pen(kind, x: float, y: float, pressure: float) -> None:
        point = QPointF(x, y)
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.TabletRelease \
            else Qt.MouseButton.LeftButton
        event = QTabletEvent(kind, device, point, canvas.mapToGlobal(point), pressure, 0.0,
                             0.0, 0.0, 0.0, 0.0, Qt.KeyboardModifier.NoModifier,
                             Qt.MouseButton.LeftButton, buttons)
        QApplication.sendEvent(canvas, event)

    pen(QEvent.Type.TabletPress, 40, 70, 1.0)
    pen(QEvent.Type.TabletMove, 240, 70, 1.0)   # firm: 40 px wide
    pen(QEvent.Type.TabletRelease, 240, 70, 0.0)
    pen(QEvent.Type.TabletPress, 40, 200, 0.0)
    pen(QEvent.Type.TabletMove, 240, 200, 0.0)  # light: 40% of the width
    pen(QEvent.Type.TabletRelease, 240, 200, 0.0)
    paper = canvas.to_array()
    firm = int((paper[:, 140] < 0.5)[:135].sum())
    light = int((paper[:, 140] < 0.5)[135:].sum())
    assert firm == pytest.approx(40, abs=2) and light == pytest.approx(16, abs=2)
