"""What each export format looks like inside, and how bad input to export is refused."""
import ast
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import catalog
from engine.errors import ProjectError
from engine.export import export_model, prepare_export, verify_export
from engine.export.plan import build_plan, preprocessing_of
from engine.modelfile import load_model, save_model
from engine.project import parse_project, prepare
from engine.trainer import Trainer

catalog.load_all()

SPIRAL = {"source": "spiral", "samples": 100, "noise": 0.1, "test_fraction": 0.3,
          "features": ["x1", "x2", "x1^2", "sin(x2)"]}
CHAIN = [{"type": "dense", "units": 6, "activation": "tanh"},
         {"type": "dropout", "rate": 0.5},
         {"type": "dense", "units": 1, "activation": "sigmoid"}]
IMAGES = {"source": "digits", "limit": 120, "test_fraction": 0.25}
CONV = [{"type": "conv2d", "id": "features", "filters": 3, "kernel_size": 3, "padding": "same",
         "activation": "relu"},
        {"type": "batchnorm"},
        {"type": "maxpool2d", "pool_size": 2},
        {"type": "flatten"},
        {"type": "dense", "units": 10, "activation": "softmax"}]


def saved_model(folder: Path, data: dict, layers: list, loss: str):
    """Train a few steps, save and load back; return (SavedModel, model path, test samples)."""
    raw = {"layerlab": 1, "name": "Format test", "seed": 2, "data": data,
           "network": {"layers": layers},
           "training": {"loss": loss, "batch_size": 8,
                        "optimizer": {"type": "adam", "learning_rate": 0.02}}}
    project = parse_project(raw, None, folder)
    trainer = Trainer(project, prepare(project))
    for _ in range(4):
        trainer.step()
    path = folder / "model.safetensors"
    save_model(path, trainer)
    return load_model(path), path, trainer.dataset.x_test


@pytest.fixture(scope="module")
def spiral(tmp_path_factory):
    """A 2-D classifier with feature transforms, dropout and a one-unit sigmoid output."""
    return saved_model(tmp_path_factory.mktemp("spiral"), SPIRAL, CHAIN, "binary_crossentropy")


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """A small convolutional digit classifier."""
    return saved_model(tmp_path_factory.mktemp("digits"), IMAGES, CONV,
                       "categorical_crossentropy")


def test_onnx_graph_contract(digits, tmp_path):
    onnx = pytest.importorskip("onnx")
    saved, _, x_test = digits
    path = export_model(saved, "onnx", tmp_path / "digits.onnx")[0]
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == 10
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    (graph_input,), (graph_output,) = model.graph.input, model.graph.output
    assert graph_input.name == "input" and graph_output.name == "output"
    dims = graph_input.type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [1, 8, 8]
    names = {node.name for node in model.graph.node}
    assert {"features", "batchnorm_1", "maxpool2d_1", "flatten_1", "dense_1"} <= names
    ops = {node.op_type for node in model.graph.node}
    assert {"Conv", "BatchNormalization", "MaxPool", "Flatten", "Gemm", "Softmax"} <= ops
    initializers = {init.name for init in model.graph.initializer}
    assert {"features.weight", "dense_1.bias", "batchnorm_1.running_var"} <= initializers


def test_onnx_batch_axis_is_dynamic(spiral, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    saved, _, x_test = spiral
    path = export_model(saved, "onnx", tmp_path / "spiral.onnx")[0]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (1, 5, len(x_test)):
        x = x_test[:batch].astype(np.float32)
        out = session.run(["output"], {"input": x})[0]
        assert out.shape == (batch, 2)
        np.testing.assert_allclose(out, saved.predict(x), atol=1e-5)
    ops = [node.op_type for node in __import__("onnx").load(str(path)).graph.node]
    assert "Dropout" not in ops and "Sin" in ops


def test_numpy_module_is_plain_numpy_and_portable(spiral, tmp_path):
    saved, _, x_test = spiral
    module_path, npz_path = export_model(saved, "numpy", tmp_path / "model.py")
    assert npz_path == tmp_path / "model.npz"
    source = module_path.read_text()
    tree = ast.parse(source)
    assert imported_modules(tree) == {"numpy", "pathlib"}
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"predict", "dense", "tanh", "sigmoid", "make_features", "standardise"} <= functions
    assert not functions & {"conv2d", "maxpool2d", "batchnorm", "softmax", "relu"}
    assert "allow_pickle=False" in source
    # The module finds its weights beside itself, wherever the pair is moved.
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    for path in (module_path, npz_path):
        shutil.move(str(path), moved / path.name)
    assert verify_export(saved, "numpy", [moved / "model.py"], x_test) < 1e-5
    with np.load(moved / "model.npz", allow_pickle=False) as archive:
        assert {"dense_1.weight", "dense_2.bias", "input.mean", "input.std"} <= set(
            archive.files)


def test_numpy_module_for_images_writes_conv_functions(digits, tmp_path):
    saved, _, x_test = digits
    module_path = export_model(saved, "numpy", tmp_path / "digits.py")[0]
    functions = {node.name for node in ast.parse(module_path.read_text()).body
                 if isinstance(node, ast.FunctionDef)}
    assert {"conv2d", "batchnorm", "maxpool2d", "flatten", "dense", "relu",
            "softmax"} <= functions
    assert "make_features" not in functions
    assert verify_export(saved, "numpy", [module_path], x_test) < 1e-4


def test_pytorch_module_mirrors_layers_and_loads_without_layerlab(digits, tmp_path):
    torch = pytest.importorskip("torch")
    saved, _, x_test = digits
    paths = export_model(saved, "pytorch", tmp_path / "net.py")
    assert [p.name for p in paths] == ["net.py", "net_weights.safetensors", "net_weights.npz"]
    imported = imported_modules(ast.parse(paths[0].read_text()))
    assert imported == {"pathlib", "numpy", "torch", "safetensors"}
    module = _import(paths[0])
    model = module.load_model()
    assert isinstance(model.features, torch.nn.Conv2d) and model.features.padding == (1, 1)
    assert isinstance(model.batchnorm_1, torch.nn.BatchNorm2d)
    assert isinstance(model.dense_1, torch.nn.Linear)
    np.testing.assert_array_equal(model.dense_1.weight.detach().numpy(),
                                  saved.model.layers["dense_1"].weight.data.T)
    with torch.no_grad():
        out = model(torch.from_numpy(x_test.astype(np.float32))).numpy()
    np.testing.assert_allclose(out, saved.predict(x_test), atol=1e-4)


def test_pytorch_model_can_go_on_training(spiral, tmp_path):
    torch = pytest.importorskip("torch")
    saved, _, x_test = spiral
    module = _import(export_model(saved, "pytorch", tmp_path / "model.py")[0])
    model = module.load_model().train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.from_numpy(x_test.astype(np.float32))
    target = torch.ones(len(x), 1)
    before = model.dense_2.weight.detach().clone()
    loss = torch.nn.functional.binary_cross_entropy(model.network(model.preprocess(x)), target)
    loss.backward()
    optimizer.step()
    assert not torch.equal(before, model.dense_2.weight.detach())


def test_pytorch_loads_npz_when_safetensors_is_missing(spiral, tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    saved, _, x_test = spiral
    paths = export_model(saved, "pytorch", tmp_path / "model.py")
    paths[1].unlink()       # no safetensors file either: only the npz can be read
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    model = _import(paths[0]).load_model()
    with torch.no_grad():
        out = model(torch.from_numpy(x_test.astype(np.float32))).numpy()
    np.testing.assert_allclose(out, saved.predict(x_test), atol=1e-4)


def test_export_from_a_model_path(spiral, tmp_path):
    saved, model_path, x_test = spiral
    paths = export_model(model_path, "numpy", tmp_path)     # a folder: default name inside
    assert paths[0] == tmp_path / "model.py"
    assert verify_export(model_path, "numpy", paths, x_test) < 1e-5


def test_preprocessing_recovered_from_transform_alone(spiral):
    """Without mean/std attributes the standardisation is found by probing transform()."""
    saved, _, _ = spiral
    original = saved.preprocessor

    class TransformOnly:
        features = original.features

        def transform(self, x):
            return original.transform(x)

    try:
        saved.preprocessor = TransformOnly()
        features, mean, std = preprocessing_of(saved, "model")
    finally:
        saved.preprocessor = original
    assert features == SPIRAL["features"]
    np.testing.assert_allclose(mean, original.mean, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(std, original.std, rtol=1e-4)


@pytest.mark.parametrize("content", [b"", b"not a model at all",
                                     b"\xff\xff\xff\xff\xff\xff\xff\xff{}"])
def test_corrupt_model_files_are_project_errors(tmp_path, content):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(content)
    with pytest.raises(ProjectError) as caught:
        export_model(bad, "onnx", tmp_path / "out.onnx")
    assert caught.value.file.endswith("bad.safetensors")
    assert list(tmp_path.iterdir()) == [bad]


def test_foreign_safetensors_file_is_a_project_error(tmp_path):
    from safetensors.numpy import save_file
    foreign = tmp_path / "foreign.safetensors"
    save_file({"weight": np.zeros((2, 2), dtype=np.float32)}, str(foreign))
    with pytest.raises(ProjectError, match="not a LayerLab model"):
        export_model(foreign, "numpy", tmp_path / "out.py")
    assert not (tmp_path / "out.py").exists()


def test_bad_format_and_missing_folder_write_nothing(spiral, tmp_path):
    saved, _, _ = spiral
    with pytest.raises(ProjectError, match="unknown format"):
        export_model(saved, "tflite", tmp_path / "m.tflite")
    with pytest.raises(ProjectError, match="folder does not exist"):
        export_model(saved, "pytorch", tmp_path / "missing" / "model.py")
    with pytest.raises(ProjectError, match="ending in .py"):
        export_model(saved, "numpy", tmp_path / "model.npz")
    assert list(tmp_path.iterdir()) == []


def test_prepare_export_lists_files_without_writing(digits, tmp_path):
    saved, _, _ = digits
    files = prepare_export(saved, "pytorch", tmp_path / "m.py")
    assert [p.name for p in files] == ["m.py", "m_weights.safetensors", "m_weights.npz"]
    assert all(isinstance(data, bytes) and data for data in files.values())
    assert list(tmp_path.iterdir()) == []
    plan = build_plan(saved)
    assert plan.raw_shape == (1, 8, 8) and plan.result_width == 10


def imported_modules(tree: ast.Module) -> set[str]:
    """Top-level names of every module a source file imports."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


def _import(path: Path):
    from engine.export import _import_path
    return _import_path(path)


def test_every_registered_layer_and_activation_can_be_exported():
    """A new layer type or activation must come with its export (this fails until it does)."""
    from engine.export.plan import SUPPORTED_ACTIVATIONS, SUPPORTED_LAYERS
    from engine.registry import ACTIVATIONS, LAYERS
    assert set(LAYERS.names()) <= set(SUPPORTED_LAYERS)
    assert set(ACTIVATIONS.names()) <= set(SUPPORTED_ACTIVATIONS)


TRICKY_IDS = [
    {"type": "conv2d", "id": "dense", "filters": 2, "kernel_size": 3, "activation": "relu"},
    {"type": "batchnorm", "id": "train"},
    {"type": "flatten", "id": "forward"},
    {"type": "dense", "id": "x", "units": 4, "activation": "tanh"},
    {"type": "dense", "id": "relu", "units": 4, "activation": "relu", "inputs": ["forward"]},
    {"type": "add", "id": "input_mean", "inputs": ["x", "relu"]},
    {"type": "dense", "id": "layer_x", "units": 3, "activation": "softmax"},
]


@pytest.mark.parametrize("fmt", ["onnx", "numpy", "pytorch"])
def test_layer_ids_that_clash_with_generated_names(tmp_path, fmt):
    """Ids such as "dense", "train" or "x" must not shadow the exported code's own names."""
    pytest.importorskip({"onnx": "onnxruntime", "numpy": "numpy", "pytorch": "torch"}[fmt])
    data = {"source": "npz", "path": "images.npz", "task": "classification"}
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "images.npz", x=rng.uniform(0, 1, (40, 1, 6, 6)).astype(np.float32),
             y=rng.integers(0, 3, 40))
    saved, _, x_test = saved_model(tmp_path, data, TRICKY_IDS, "categorical_crossentropy")
    paths = export_model(saved, fmt, tmp_path / ("m.onnx" if fmt == "onnx" else "m.py"))
    assert verify_export(saved, fmt, paths, x_test) < 1e-4


def test_reserved_names_cover_torch_module_attributes():
    torch = pytest.importorskip("torch")
    from engine.export.plan import RESERVED_NAMES
    public = {name for name in dir(torch.nn.Module) if not name.startswith("_")}
    assert public <= RESERVED_NAMES
