"""IDX import: variant detection on small files the test writes, and the dialog's settings."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QDialogButtonBox

from engine.data import load_dataset
from playground.images import IdxImportDialog, companion_labels, detect_idx


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """An IDX file of unsigned bytes (magic 0x0803 for images, 0x0801 for labels)."""
    magic = (0x08 << 8 | array.ndim) if magic is None else magic
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_pair(folder: Path, images_name: str, labels_name: str, labels: np.ndarray,
               size: int = 28, gz: bool = False) -> tuple[Path, Path]:
    """Images with a bright top-left corner (so orientation shows) and the given labels."""
    folder.mkdir(parents=True, exist_ok=True)
    images = np.zeros((len(labels), size, size), dtype=np.uint8)
    images[:, :4, :10] = 255  # wide bar along the top row
    paths = []
    for name, array in ((images_name, images), (labels_name, labels)):
        data = idx_bytes(np.asarray(array))
        path = folder / name
        path.write_bytes(gzip.compress(data) if gz else data)
        paths.append(path)
    return paths[0], paths[1]


def test_mnist_names_gzip_and_companion(tmp_path: Path) -> None:
    images, labels = write_pair(tmp_path, "train-images-idx3-ubyte.gz",
                                "train-labels-idx1-ubyte.gz", np.arange(30) % 10, gz=True)
    assert companion_labels(images) == labels
    info = detect_idx(images, labels)
    assert info.variant == "MNIST" and info.count == 30 and (info.height, info.width) == (28, 28)
    assert not info.transpose and info.label_offset == 0
    assert info.class_names == [str(k) for k in range(10)]
    assert "MNIST: 30 images of 28×28 pixels, 10 classes (0, 1" in info.describe()


def test_emnist_letters_are_transposed_and_one_based(tmp_path: Path) -> None:
    images, labels = write_pair(tmp_path, "emnist-letters-train-images-idx3-ubyte",
                                "emnist-letters-train-labels-idx1-ubyte",
                                np.arange(52) % 26 + 1)
    info = detect_idx(images, labels)
    assert info.variant == "EMNIST letters" and info.transpose and info.label_offset == 1
    assert info.class_names[0] == "A" and info.class_names[-1] == "Z"
    assert "transposed" in info.describe() and "labels start at 1" in info.describe()
    assert not info.from_labels


def test_fashion_and_unnamed_files(tmp_path: Path) -> None:
    images, labels = write_pair(tmp_path, "fashion-images.idx", "fashion-labels.idx",
                                np.arange(20) % 10)
    info = detect_idx(images, labels)
    assert info.variant == "Fashion-MNIST" and info.class_names[9] == "Ankle boot"
    images, labels = write_pair(tmp_path / "x", "a.idx", "b.idx", np.arange(26) + 1)
    guessed = detect_idx(images, labels)
    assert guessed.variant == "EMNIST letters" and guessed.from_labels and guessed.transpose
    images, labels = write_pair(tmp_path / "y", "a.idx", "b.idx", np.arange(12) % 3, size=16)
    plain = detect_idx(images, labels)
    assert plain.variant == "IDX" and plain.class_names == ["0", "1", "2"]
    assert (plain.height, plain.width) == (16, 16)


def test_bad_pairs_explain_themselves(tmp_path: Path) -> None:
    images, labels = write_pair(tmp_path, "train-images-idx3-ubyte",
                                "train-labels-idx1-ubyte", np.arange(10))
    short = tmp_path / "short-labels"
    short.write_bytes(idx_bytes(np.arange(9)))
    with pytest.raises(ValueError, match="holds 9 labels but train-images-idx3-ubyte holds 10"):
        detect_idx(images, short)
    with pytest.raises(ValueError, match="not an IDX image file"):
        detect_idx(labels, labels)
    with pytest.raises(ValueError, match="bad magic number"):
        detect_idx(images, images)
    with pytest.raises(ValueError, match="file not found"):
        detect_idx(tmp_path / "missing", labels)


def test_dialog_detects_and_returns_loadable_settings(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    images, labels = write_pair(folder, "emnist-letters-train-images-idx3-ubyte.gz",
                                "emnist-letters-train-labels-idx1-ubyte.gz",
                                np.arange(60) % 26 + 1, gz=True)
    dialog = IdxImportDialog(base_dir=tmp_path)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    with pytest.raises(ValueError):
        dialog.data_settings()
    dialog.set_files(images)  # the label file is found beside it
    assert dialog.labels_edit.text() == str(labels)
    assert ok.isEnabled()
    assert "EMNIST letters: 60 images" in dialog.detected.text()
    dialog.limit_spin.setValue(52)
    dialog.test_spin.setValue(0.25)
    settings = dialog.data_settings()
    assert settings == {"source": "idx",
                        "images": "data/emnist-letters-train-images-idx3-ubyte.gz",
                        "labels": "data/emnist-letters-train-labels-idx1-ubyte.gz",
                        "limit": 52, "test_fraction": 0.25, "transpose": True,
                        "label_offset": 1}
    dataset = load_dataset(settings, 0, base_dir=tmp_path)
    assert dataset.classes[:3] == ["A", "B", "C"] and dataset.n_train + dataset.n_test == 52
    # Transposed back: the bright bar written along the top runs down the left side.
    image = dataset.x_train[0, 0]
    assert image[:10, :4].min() == 1.0 and image[:4, 4:10].max() == 0.0
    dialog.labels_edit.setText(str(images))
    assert not ok.isEnabled()
    assert "bad magic number" in dialog.detected.text()


def test_dialog_keeps_absolute_paths_without_a_project_folder(qtbot, tmp_path: Path) -> None:
    images, labels = write_pair(tmp_path, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
                                np.arange(10))
    dialog = IdxImportDialog()
    qtbot.addWidget(dialog)
    dialog.set_files(images, labels)
    settings = dialog.data_settings()
    assert settings["images"] == str(images.resolve()) and settings["limit"] is None
    assert "class_names" not in settings
    assert "cvdfoundation/mnist" in dialog.findChild(type(dialog.detected),
                                                     "idxExplanation").text()
