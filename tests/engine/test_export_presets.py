"""Every bundled preset, trained briefly, exports to all three formats and matches predict."""
from pathlib import Path

import pytest

from engine import catalog
from engine.export import export_model, verify_export
from engine.modelfile import load_model, save_model
from engine.project import load_project, prepare
from engine.resources import resource_path
from engine.trainer import Trainer

catalog.load_all()

PRESETS = sorted(resource_path("presets").glob("*.json")) if resource_path(
    "presets").is_dir() else []
TOLERANCE = 1e-4
CHECKED_SAMPLES = 64


@pytest.fixture(scope="module")
def saved_presets(tmp_path_factory):
    """Each preset trained for three steps, saved and loaded back, with test samples."""
    cache: dict[Path, tuple] = {}

    def get(preset: Path):
        if preset not in cache:
            path = preset
            if preset.stem == "mnist_lenet":   # MNIST is not bundled: a synthetic stand-in
                from tests.engine.test_mnist_preset import synthetic_mnist_preset
                path = synthetic_mnist_preset(tmp_path_factory.mktemp("mnist_data"))
            project = load_project(path)
            trainer = Trainer(project, prepare(project))
            for _ in range(3):
                trainer.step()
            path = tmp_path_factory.mktemp(preset.stem) / "model.safetensors"
            save_model(path, trainer)
            cache[preset] = (load_model(path), trainer.dataset.x_test[:CHECKED_SAMPLES])
        return cache[preset]

    return get


@pytest.mark.skipif(not PRESETS, reason="no presets bundled yet")
@pytest.mark.parametrize("preset", PRESETS, ids=[p.stem for p in PRESETS])
@pytest.mark.parametrize("fmt", ["onnx", "numpy", "pytorch"])
def test_preset_exports_match_predict(saved_presets, tmp_path, preset, fmt):
    pytest.importorskip({"onnx": "onnxruntime", "numpy": "numpy", "pytorch": "torch"}[fmt])
    saved, x_test = saved_presets(preset)
    out = tmp_path / ("model.onnx" if fmt == "onnx" else "model.py")
    difference = verify_export(saved, fmt, export_model(saved, fmt, out), x_test)
    assert difference < TOLERANCE, f"{preset.stem}/{fmt}: largest difference {difference}"
