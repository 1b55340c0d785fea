"""The ``folder`` source on PNG/JPEG files written by the tests (Pillow)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

from engine.data import load_dataset  # noqa: E402
from engine.errors import ProjectError  # noqa: E402
from engine.registry import SOURCES  # noqa: E402


@pytest.fixture(autouse=True)
def folder_registered():
    """Register the source for these tests only, unless the package already imports it.

    Left registered, it would change the generated JSON Schema other tests compare with the
    committed one before ``engine.data`` lists the module.
    """
    before = dict(SOURCES.entries)
    from engine.data import folder
    SOURCES.entries.setdefault("folder", folder.FolderSource)
    yield
    if "folder" not in before:
        SOURCES.entries.clear()
        SOURCES.entries.update(before)


def write_image(path: Path, array: np.ndarray, mode: str = "L") -> None:
    """Save a uint8 array (H, W) or (H, W, 3/4) with Pillow."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array.astype(np.uint8), mode=mode).save(path)


def bar(vertical: bool, size: int = 20, dark_ink: bool = True) -> np.ndarray:
    """A bar on a plain background: white paper with dark ink, or the reverse."""
    image = np.full((size, size), 255 if dark_ink else 0, dtype=np.uint8)
    ink = 0 if dark_ink else 255
    if vertical:
        image[2:-2, size // 2 - 2:size // 2 + 2] = ink
    else:
        image[size // 2 - 2:size // 2 + 2, 2:-2] = ink
    return image


def make_folder(root: Path, per_class: int = 5) -> Path:
    for k in range(per_class):
        write_image(root / "horizontal" / f"h{k}.png", bar(False))
        write_image(root / "vertical" / f"v{k}.png", bar(True, size=24 + k))
    return root


def test_classes_are_sorted_sub_folders_and_images_are_normalised(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "bars")
    (root / "notes.txt").write_text("not a class")
    (root / "empty").mkdir()
    dataset = load_dataset({"source": "folder", "path": str(root), "test_fraction": 0.2}, 0)
    assert dataset.classes == ["horizontal", "vertical"]
    assert dataset.kind == "image" and dataset.task == "classification"
    assert dataset.sample_shape == (1, 28, 28)
    assert dataset.n_train == 8 and dataset.n_test == 2
    x, y = dataset.x_all(), dataset.y_all()
    assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    # Dark ink on white paper is inverted to bright ink on black, as in MNIST.
    assert (x[:, 0, 0, 0] == 0).all()
    horizontal = x[y == 0][:, 0]
    vertical = x[y == 1][:, 0]
    assert (horizontal.sum(axis=2).std(axis=1) > horizontal.sum(axis=1).std(axis=1)).all()
    assert (vertical.sum(axis=1).std(axis=1) > vertical.sum(axis=2).std(axis=1)).all()
    assert dataset.input_names[0] == "px_0_0" and len(dataset.input_names) == 28 * 28


def test_size_limit_invert_and_relative_paths(tmp_path: Path) -> None:
    make_folder(tmp_path / "data" / "bars")
    settings = {"source": "folder", "path": "data/bars", "size": 8, "limit": 3,
                "invert": False, "test_fraction": 0.0}
    dataset = load_dataset(settings, 0, base_dir=tmp_path)
    assert dataset.sample_shape == (1, 8, 8)
    assert np.bincount(dataset.y_train).tolist() == [3, 3]
    # Not inverted: the white paper stays bright.
    assert dataset.x_train[:, 0, 0, 0].min() == pytest.approx(1.0)
    again = load_dataset(settings, 0, base_dir=tmp_path)
    np.testing.assert_array_equal(again.x_train, dataset.x_train)


def test_centre_uses_the_mnist_recipe(tmp_path: Path) -> None:
    root = tmp_path / "dots"
    corner = np.full((40, 40), 255, dtype=np.uint8)
    corner[2:12, 2:8] = 0  # a dark blob in the top-left corner
    for name in ("a", "b"):
        write_image(root / name / "x.png", corner)
        rgba = np.dstack([np.zeros((40, 40, 3)), 255 - corner]).astype(np.uint8)
        write_image(root / name / "y.png", rgba, mode="RGBA")  # ink on transparent paper
    dataset = load_dataset({"source": "folder", "path": str(root), "centre": True,
                            "test_fraction": 0.0}, 0)
    images = dataset.x_train[:, 0].astype(np.float64)
    rows = (images.sum(axis=2) * np.arange(28)).sum(axis=1) / images.sum(axis=(1, 2))
    cols = (images.sum(axis=1) * np.arange(28)).sum(axis=1) / images.sum(axis=(1, 2))
    np.testing.assert_allclose(rows, 13.5, atol=1.0)
    np.testing.assert_allclose(cols, 13.5, atol=1.0)
    # The ink's longer side fills 20 of the 28 pixels.
    assert (images > 0.15).any(axis=2).sum(axis=1).max() == 20


def test_jpeg_and_colour_images_are_read(tmp_path: Path) -> None:
    root = tmp_path / "mixed"
    colour = np.zeros((16, 16, 3), dtype=np.uint8)
    colour[4:12, 4:12] = (250, 250, 250)
    write_image(root / "a" / "one.jpg", colour, mode="RGB")
    write_image(root / "b" / "two.JPEG", colour, mode="RGB")
    dataset = load_dataset({"source": "folder", "path": str(root), "size": 16,
                            "test_fraction": 0.0}, 0)
    assert dataset.x_train.shape == (2, 1, 16, 16)
    assert dataset.x_train[:, 0, 8, 8].min() > 0.9 and dataset.x_train[:, 0, 0, 0].max() < 0.1


def test_errors_name_the_file_or_folder(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="folder not found"):
        load_dataset({"source": "folder", "path": str(tmp_path / "missing")}, 0)
    single = tmp_path / "single"
    write_image(single / "only" / "a.png", bar(True))
    with pytest.raises(ProjectError, match="at least two classes") as info:
        load_dataset({"source": "folder", "path": str(single)}, 0, file="p.json")
    assert info.value.where == "data.path"
    broken = make_folder(tmp_path / "broken", per_class=1)
    (broken / "vertical" / "zz.png").write_bytes(b"not really a png")
    with pytest.raises(ProjectError, match=r"zz\.png: not a readable image"):
        load_dataset({"source": "folder", "path": str(broken)}, 0)
    with pytest.raises(ProjectError, match="is a file, not a folder"):
        load_dataset({"source": "folder", "path": str(broken / "vertical" / "zz.png")}, 0)
    with pytest.raises(ProjectError, match="data.size"):
        load_dataset({"source": "folder", "path": str(broken), "size": 2}, 0)


def test_a_project_trains_on_a_folder(tmp_path: Path) -> None:
    from engine.project import load_project
    from engine.trainer import Trainer
    make_folder(tmp_path / "bars", per_class=6)
    project_file = tmp_path / "bars.json"
    project_file.write_text(json.dumps({
        "layerlab": 1, "data": {"source": "folder", "path": "bars", "size": 12,
                                "test_fraction": 0.25},
        "network": {"layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3,
                                "activation": "relu"}, {"type": "flatten"},
                               {"type": "dense", "units": 2, "activation": "softmax"}]},
        "training": {"batch_size": 4, "optimizer": {"type": "adam", "learning_rate": 0.05}}}))
    trainer = Trainer(load_project(project_file))
    trainer.fit(15)
    assert trainer.evaluate()["train_accuracy"] == 1.0
