"""Exported models (ONNX, numpy, PyTorch) give what SavedModel.predict gives, project by project.

Each project is trained for a few steps (so batchnorm statistics are not trivial), saved,
loaded back, exported to all three formats and run on its test samples.
"""
from pathlib import Path

import numpy as np
import pytest

from engine import catalog
from engine.export import export_model, verify_export
from engine.modelfile import load_model, save_model
from engine.project import parse_project, prepare
from engine.trainer import Trainer

catalog.load_all()

TOLERANCE = 1e-4
ALL_FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
DIGITS = {"source": "digits", "limit": 160, "test_fraction": 0.25}
CCE = "categorical_crossentropy"


def dense(units, activation, **extra):
    """A dense layer entry."""
    return {"type": "dense", "units": units, "activation": activation, **extra}


def conv(filters, kernel, activation, padding="valid", stride=1, **extra):
    """A conv2d layer entry."""
    return {"type": "conv2d", "filters": filters, "kernel_size": kernel, "stride": stride,
            "padding": padding, "activation": activation, **extra}


PROJECTS = {
    "dense_every_activation": (
        {"source": "circle", "samples": 120, "noise": 0.1, "test_fraction": 0.25,
         "features": ALL_FEATURES},
        [dense(6, "relu"), dense(6, "leaky_relu"), dense(6, "elu"), dense(6, "gelu"),
         dense(6, "tanh"), dense(6, "linear"), {"type": "activation", "function": "sigmoid"},
         dense(1, "sigmoid")],
        "binary_crossentropy"),
    "softmax_batchnorm_dropout": (
        {"source": "blobs", "classes": 3, "samples": 150, "test_fraction": 0.3,
         "features": ["x2", "x1*x2", "sin(x1)"]},
        [dense(8, "relu"), {"type": "batchnorm"}, {"type": "dropout", "rate": 0.3},
         dense(8, "elu"), {"type": "activation", "function": "gelu"}, dense(3, "softmax")],
        CCE),
    "regression_plane": (
        {"source": "plane", "samples": 120, "noise": 0.1, "test_fraction": 0.25},
        [dense(5, "tanh"), {"type": "batchnorm"}, dense(1, "linear")], "mse"),
    "dense_add_concat_branches": (
        {"source": "xor", "samples": 120, "noise": 0.0, "test_fraction": 0.25,
         "features": ["x1", "x2", "x1*x2"]},
        [dense(4, "tanh", id="left", inputs=["input"]),
         dense(4, "relu", id="right", inputs=["input"]),
         {"type": "add", "id": "sum", "inputs": ["left", "right"]},
         {"type": "concat", "id": "joined", "inputs": ["sum", "left", "input"]},
         dense(1, "sigmoid")],
        "binary_crossentropy"),
    "conv_same_valid_stride_pools": (
        DIGITS,
        [conv(4, 3, "relu", "same"), {"type": "batchnorm"},
         conv(4, 4, "leaky_relu", "same"),          # even kernel: uneven 'same' padding
         {"type": "maxpool2d", "pool_size": 2},
         conv(6, 2, "elu", "same", stride=2),       # stride 2, 'same'
         conv(6, 2, "gelu", "valid"),
         {"type": "avgpool2d", "pool_size": 1, "stride": 1},
         {"type": "flatten"}, {"type": "dropout", "rate": 0.2}, dense(10, "softmax")],
        CCE),
    "conv_branches_reshape": (
        DIGITS,
        [conv(3, 3, "relu", "same", id="a", inputs=["input"]),
         conv(3, 3, "tanh", "same", id="b", inputs=["input"]),
         {"type": "add", "id": "sum", "inputs": ["a", "b"]},
         {"type": "concat", "id": "stack", "inputs": ["sum", "input"]},
         conv(4, 3, "sigmoid", "valid", stride=2),
         {"type": "avgpool2d", "pool_size": 2, "stride": 1},
         {"type": "flatten"}, {"type": "reshape", "shape": [4, 2, 2]},
         {"type": "maxpool2d", "pool_size": 2},
         {"type": "flatten"}, dense(10, "softmax")],
        CCE),
    "vector_regression_two_targets": (
        {"source": "npz", "path": "vectors.npz", "task": "regression", "test_fraction": 0.25},
        [dense(6, "elu"), {"type": "dropout", "rate": 0.1}, dense(2, "linear")], "huber"),
}


def write_vectors(folder: Path) -> None:
    """A small vector data set with two regression targets, as an .npz file."""
    rng = np.random.default_rng(8)
    x = rng.normal(3.0, 2.0, size=(80, 5)).astype(np.float32)
    y = np.stack([x[:, 0] - x[:, 1], np.sin(x[:, 2])], axis=1).astype(np.float32)
    np.savez(folder / "vectors.npz", x=x, y=y)


def train_and_save(tmp_path: Path, data: dict, layers: list, loss: str, steps: int = 6,
                   dtype=None):
    """Train a project for a few steps, save it, load it back; return (SavedModel, x_test)."""
    raw = {"layerlab": 1, "name": "export test", "seed": 5, "data": data,
           "network": {"layers": layers},
           "training": {"loss": loss, "batch_size": 16,
                        "optimizer": {"type": "adam", "learning_rate": 0.02}}}
    if data.get("path") == "vectors.npz":
        write_vectors(tmp_path)
    project = parse_project(raw, None, tmp_path)
    trainer = Trainer(project, prepare(project, dtype=dtype))
    for _ in range(steps):
        trainer.step()
    path = tmp_path / "model.safetensors"
    save_model(path, trainer)
    return load_model(path), trainer.dataset.x_test


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Every project trained once and saved, shared by the format tests."""
    models = {}
    for name, (data, layers, loss) in PROJECTS.items():
        folder = tmp_path_factory.mktemp(name)
        models[name] = train_and_save(folder, data, layers, loss)
    return models


@pytest.mark.parametrize("name", list(PROJECTS))
@pytest.mark.parametrize("fmt", ["onnx", "numpy", "pytorch"])
def test_export_matches_predict(trained, tmp_path, name, fmt):
    if fmt == "onnx":
        pytest.importorskip("onnxruntime")
    if fmt == "pytorch":
        pytest.importorskip("torch")
    saved, x_test = trained[name]
    out = tmp_path / ("model.onnx" if fmt == "onnx" else "model.py")
    paths = export_model(saved, fmt, out)
    assert paths[0] == out and all(path.is_file() for path in paths)
    difference = verify_export(saved, fmt, paths, x_test)
    assert difference < TOLERANCE, f"{name}/{fmt}: largest difference {difference}"


def test_batchnorm_statistics_are_trained(trained):
    """The comparison means something only if running statistics moved away from 0 and 1."""
    saved, _ = trained["softmax_batchnorm_dropout"]
    layer = saved.model.layers["batchnorm_1"]
    assert not np.allclose(layer.running_mean.data, 0.0)
    assert not np.allclose(layer.running_var.data, 1.0)


def test_predictions_are_probabilities_or_values(trained, tmp_path):
    """One-unit sigmoid classifiers export two columns, 1-p and p; regression one value."""
    pytest.importorskip("onnxruntime")
    import onnxruntime
    for name, width in (("dense_every_activation", 2), ("regression_plane", 1),
                        ("conv_branches_reshape", 10)):
        saved, x_test = trained[name]
        path = export_model(saved, "onnx", tmp_path / f"{name}.onnx")[0]
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        out = session.run(["output"], {"input": x_test.astype(np.float32)})[0]
        assert out.shape == (len(x_test), width)
        if name != "regression_plane":
            np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_float64_model_exports(tmp_path):
    """A model trained in float64 still exports float32 graphs within tolerance."""
    pytest.importorskip("onnxruntime")
    data, layers, loss = PROJECTS["softmax_batchnorm_dropout"]
    saved, x_test = train_and_save(tmp_path, data, layers, loss, dtype=np.float64)
    assert saved.model.dtype == np.float64
    for fmt, name in (("onnx", "m.onnx"), ("numpy", "m.py")):
        paths = export_model(saved, fmt, tmp_path / name)
        assert verify_export(saved, fmt, paths, x_test) < TOLERANCE
