"""The MNIST LeNet preset: relative IDX paths, the missing-file error, and a short real run.

MNIST is not bundled, so the preset is copied beside a tiny synthetic IDX pair written under
the standard file names (``synthetic_mnist_preset``, also used by the tests that go over
every preset).
"""
from __future__ import annotations

import gzip
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from engine.data import load_dataset
from engine.data.idx import MNIST_DOWNLOAD, download_for
from engine.errors import ProjectError
from engine.project import load_project, parse_project, prepare
from engine.resources import resource_path
from engine.trainer import Trainer

MNIST_PRESET = resource_path("presets", "mnist_lenet.json")
IMAGES, LABELS = MNIST_DOWNLOAD.files


def _idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I",
                                                                   *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_synthetic_mnist(folder: Path, count: int = 200, seed: int = 0) -> tuple[Path, Path]:
    """A learnable stand-in for MNIST: 28×28 gzip IDX files under the standard names.

    Class k is a bright 6×6 square at its own place in a 2×5 grid, over faint noise.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 10
    rng.shuffle(labels)
    images = rng.integers(0, 40, size=(count, 28, 28))
    for index, label in enumerate(labels):
        top, left = 4 + 12 * (label // 5), 1 + 5 * (label % 5)
        images[index, top:top + 6, left:left + 6] = 255
    paths = []
    for name, array in ((IMAGES, images), (LABELS, labels)):
        path = folder / name
        path.write_bytes(gzip.compress(_idx_bytes(array)))
        paths.append(path)
    return paths[0], paths[1]


def synthetic_mnist_preset(folder: Path, count: int = 200) -> Path:
    """The bundled MNIST preset copied into ``folder`` beside synthetic IDX files."""
    write_synthetic_mnist(folder, count)
    return Path(shutil.copy(MNIST_PRESET, folder / MNIST_PRESET.name))


def test_preset_is_a_lenet_on_mnist_files_by_their_standard_names() -> None:
    raw = json.loads(MNIST_PRESET.read_text(encoding="utf-8"))
    assert raw["data"]["source"] == "idx"
    assert (raw["data"]["images"], raw["data"]["labels"]) == (IMAGES, LABELS)
    assert raw["data"]["limit"] == 10000
    assert raw["training"]["optimizer"]["type"] == "adam"
    assert raw["training"]["batch_size"] == 64
    kinds = [layer["type"] for layer in raw["network"]["layers"]]
    assert kinds[:5] == ["conv2d", "maxpool2d", "conv2d", "maxpool2d", "flatten"]
    assert kinds[-3:] == ["dense", "dense", "dense"]


def test_copied_preset_reads_the_files_beside_it_and_trains(tmp_path: Path) -> None:
    project = load_project(synthetic_mnist_preset(tmp_path / "elsewhere"))
    prepared = prepare(project)
    dataset = prepared.dataset
    assert dataset.sample_shape == (1, 28, 28) and dataset.classes == list("0123456789")
    assert (dataset.n_train, dataset.n_test) == (160, 40)   # test_fraction 0.2 of 200
    assert prepared.model.output_shape == (10,)
    assert prepared.model.param_count() == 61_706
    trainer = Trainer(project, prepared)
    before = trainer.evaluate()["train_loss"]
    trainer.fit(3)
    after = trainer.history[-1]
    assert after["train_loss"] < 0.5 * before
    assert after["train_accuracy"] > 0.5


def test_bundled_preset_says_where_mnist_comes_from() -> None:
    with pytest.raises(ProjectError) as caught:
        prepare(load_project(MNIST_PRESET))
    error = caught.value
    assert error.file == str(MNIST_PRESET) and error.where == "data.images"
    expected = MNIST_PRESET.parent / IMAGES
    assert error.what.startswith(f"file not found: {expected} (relative paths start at the "
                                 f"project file's folder)")
    assert "MNIST is not bundled with LayerLab" in error.what
    for address in ("https://yann.lecun.com/exdb/mnist/", "https://github.com/cvdfoundation/mnist"):
        assert address in error.what
    assert f"put both files in {MNIST_PRESET.parent}, copy the project file next to them" \
        in error.what


def test_unsaved_project_resolves_against_the_current_folder(tmp_path: Path,
                                                             monkeypatch) -> None:
    raw = json.loads(MNIST_PRESET.read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProjectError, match="current folder while the project is not saved"):
        load_dataset(parse_project(raw).data, 0)
    write_synthetic_mnist(tmp_path, count=50)
    assert load_dataset(parse_project(raw).data, 0).n_train == 40


def test_other_missing_files_keep_the_plain_message(tmp_path: Path) -> None:
    data = {"source": "idx", "images": "mine-images.idx", "labels": "mine-labels.idx"}
    with pytest.raises(ProjectError) as caught:
        load_dataset(data, 0, base_dir=tmp_path)
    assert caught.value.what == (f"file not found: {tmp_path / 'mine-images.idx'} (relative "
                                 f"paths start at the project file's folder)")


def test_downloads_are_recognised_from_file_names() -> None:
    assert download_for("train-images-idx3-ubyte.gz t10k-labels-idx1-ubyte") is MNIST_DOWNLOAD
    assert download_for("fashion/train-images-idx3-ubyte.gz").name == "Fashion-MNIST"
    assert download_for("emnist-letters-train-images-idx3-ubyte.gz").name == "EMNIST"
    assert download_for("mine-images.idx") is None


def test_cli_reports_the_missing_files_in_one_line(tmp_path: Path, capsys) -> None:
    from playground.cli import main
    out = tmp_path / "run"
    assert main(["train", str(MNIST_PRESET), "--out", str(out), "--quiet"]) == 2
    message = capsys.readouterr().err.strip()
    assert "\n" not in message
    assert message.startswith(f"layerlab: error: {MNIST_PRESET}: data.images: file not found")
    assert "https://yann.lecun.com/exdb/mnist/" in message
    assert not out.exists()
