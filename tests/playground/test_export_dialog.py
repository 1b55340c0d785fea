"""The Export dialog on a real trained model, offscreen; plot and metrics export helpers."""
import csv

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine import catalog
from engine.modelfile import load_model, save_model
from engine.project import parse_project, prepare
from engine.trainer import Trainer
from playground.dialogs import ExportDialog, export_metrics_csv, export_plot

catalog.load_all()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A briefly trained 2-D classifier (features + batchnorm), saved and loaded back."""
    folder = tmp_path_factory.mktemp("model")
    raw = {"layerlab": 1, "name": "Dialog", "seed": 4,
           "data": {"source": "moons", "samples": 80, "noise": 0.1, "test_fraction": 0.25,
                    "features": ["x1", "x2", "x1*x2"]},
           "network": {"layers": [{"type": "dense", "units": 6, "activation": "relu"},
                                  {"type": "batchnorm"},
                                  {"type": "dense", "units": 1, "activation": "sigmoid"}]},
           "training": {"loss": "binary_crossentropy", "batch_size": 8}}
    project = parse_project(raw, None, folder)
    trainer = Trainer(project, prepare(project))
    for _ in range(5):
        trainer.step()
    trainer.record_history()
    save_model(folder / "model.safetensors", trainer)
    return load_model(folder / "model.safetensors"), trainer


def test_export_onnx_and_check(qtbot, tmp_path, trained):
    pytest.importorskip("onnxruntime")
    saved, trainer = trained
    dialog = ExportDialog(saved, samples=trainer.dataset.x_test, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.set_format("onnx")
    target = tmp_path / "moons.onnx"
    dialog.set_path(target)
    summary = dialog.summary.toPlainText()
    assert "moons.onnx" in summary and "opset 17" in summary
    assert "(batch, 2) raw samples" in summary and "(batch, 2) class probabilities" in summary
    assert not target.exists()          # the summary writes nothing
    with qtbot.waitSignal(dialog.exported, timeout=5000) as signal:
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    assert signal.args == [[target]] and target.is_file()
    text = dialog.result_label.text()
    assert "Largest difference" in text and "matches" in text
    difference = float(text.split(": ")[1].split(" ")[0])
    assert difference < 1e-4
    assert dialog.check() < 1e-4        # checking again reuses the written file


def test_format_change_updates_path_and_summary(qtbot, tmp_path, trained):
    saved, _ = trained
    dialog = ExportDialog(saved, folder=tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.path_edit.text() == str(tmp_path / "model.onnx")
    dialog.set_format("pytorch")
    assert dialog.path_edit.text() == str(tmp_path / "model.py")
    summary = dialog.summary.toPlainText()
    assert "model_weights.safetensors" in summary and "model_weights.npz" in summary
    dialog.set_format("numpy")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert (tmp_path / "model.py").is_file() and (tmp_path / "model.npz").is_file()
    assert dialog.check() < 1e-4        # random samples when none are given


def test_export_into_missing_folder_shows_error(qtbot, tmp_path, trained):
    saved, _ = trained
    dialog = ExportDialog(saved, folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.set_path(tmp_path / "nowhere" / "model.onnx")
    assert dialog.export() == []
    assert "folder does not exist" in dialog.result_label.text()


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_export_plot(qtbot, tmp_path, suffix):
    import pyqtgraph as pg
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.plot(np.arange(20.0), np.sin(np.arange(20.0)))
    plot.resize(320, 200)
    path = export_plot(plot, tmp_path / f"loss{suffix}")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in data[:400]
    with pytest.raises(ValueError):
        export_plot(plot, tmp_path / "loss.jpg")


def test_export_metrics_csv(tmp_path, trained):
    _, trainer = trained
    path = export_metrics_csv(trainer.history, tmp_path / "metrics.csv")
    with path.open() as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == ["epoch", "step", "seconds", "train_loss", "test_loss",
                             "train_accuracy", "test_accuracy"]
    assert len(rows) == len(trainer.history) and float(rows[-1]["train_loss"]) > 0
