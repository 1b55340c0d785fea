"""Output names the file system cannot hold are bad input (exit 2), not internal errors."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.resources import resource_path

PRESET = resource_path("presets", "xor.json")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the real command line."""
    return subprocess.run([sys.executable, "-m", "playground", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A briefly trained model file."""
    out = tmp_path_factory.mktemp("run")
    result = run("train", str(PRESET), "--epochs", "1", "--quiet", "--out", str(out), cwd=out)
    assert result.returncode == 0, result.stderr
    return out / "model.safetensors"


def assert_bad_input(result: subprocess.CompletedProcess) -> None:
    """Exit 2 with one `layerlab: error:` line naming the problem."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("layerlab: error: ")
    assert "too long" in lines[0]


def test_train_out_name_too_long(tmp_path):
    assert_bad_input(run("train", str(PRESET), "--out", "o" * 300, cwd=tmp_path))


def test_predict_output_name_too_long(model, tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((2, 2), dtype=np.float32))
    assert_bad_input(run("predict", str(model), "x.npy", "-o", "p" * 300 + ".csv", cwd=tmp_path))


def test_export_name_too_long(model, tmp_path):
    assert_bad_input(run("export", str(model), "--format", "numpy", "-o", "e" * 300 + ".py",
                         cwd=tmp_path))


def test_damaged_png_is_bad_input(model, tmp_path):
    from PIL import Image
    image = Image.fromarray((np.random.default_rng(0).random((12, 10)) * 255).astype(np.uint8))
    image.save(tmp_path / "ok.png")
    data = bytearray((tmp_path / "ok.png").read_bytes())
    data[36] = 0
    (tmp_path / "broken.png").write_bytes(bytes(data))
    result = run("predict", str(model), "broken.png", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("layerlab: error: ")
