"""File sources: IDX (raw and gzip), CSV and npz; every error names the file and the place."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from engine.data import load_dataset
from engine.data.idx import EMNIST_LETTERS, FASHION_NAMES
from engine.errors import ProjectError


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """An IDX file of unsigned bytes holding ``array`` (magic 0x0803 for 3-D, 0x0801 for 1-D)."""
    magic = (0x08 << 8 | array.ndim) if magic is None else magic
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(tmp_path, images: np.ndarray, labels: np.ndarray, gz: bool = False,
              prefix: str = "train") -> dict:
    """Write an image and a label file; return the data settings that name them."""
    suffix = ".gz" if gz else ""
    names = {"images": f"{prefix}-images-idx3-ubyte{suffix}",
             "labels": f"{prefix}-labels-idx1-ubyte{suffix}"}
    for key, array in (("images", images), ("labels", labels)):
        data = idx_bytes(array)
        (tmp_path / names[key]).write_bytes(gzip.compress(data) if gz else data)
    return {"source": "idx", **names}


@pytest.fixture
def small_idx():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 5, 7), dtype=np.uint8)
    labels = np.arange(40) % 4
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_idx_raw_and_gzip(tmp_path, small_idx, gz):
    images, labels = small_idx
    settings = write_idx(tmp_path, images, labels, gz=gz)
    data = load_dataset(settings, seed=1, base_dir=tmp_path, file="p.json")
    assert data.kind == "image" and data.sample_shape == (1, 5, 7)
    assert data.n_train + data.n_test == 40 and data.n_test == 8
    assert data.classes == ["0", "1", "2", "3"]
    # Every sample is its image / 255 with its own label, whatever the shuffle.
    flat = images.reshape(40, -1).astype(np.float32) / 255
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        rows = np.array([np.flatnonzero((flat == sample.ravel()).all(axis=1))[0] for sample in x])
        np.testing.assert_array_equal(labels[rows], y)
    assert data.x_train.min() >= 0 and data.x_train.max() <= 1


def test_idx_limit_transpose_and_names(tmp_path, small_idx):
    images, labels = small_idx
    settings = write_idx(tmp_path, images, labels + 1, prefix="emnist-letters-train")
    data = load_dataset({**settings, "limit": 10, "test_fraction": 0.0}, seed=0,
                        base_dir=tmp_path)
    assert data.n_train == 10 and data.sample_shape == (1, 7, 5)  # EMNIST is stored transposed
    assert data.classes == EMNIST_LETTERS  # letters are 1-based: label 1 is "A"
    transposed = images[:10].transpose(0, 2, 1) / np.float32(255)
    rows = [np.flatnonzero((transposed == x[0]).all(axis=(1, 2)))[0] for x in data.x_train]
    np.testing.assert_array_equal(labels[rows], data.y_train)
    kept = load_dataset({**settings, "transpose": False, "label_offset": 0, "limit": 10,
                         "test_fraction": 0.0}, seed=0, base_dir=tmp_path)
    assert kept.sample_shape == (1, 5, 7) and kept.classes == EMNIST_LETTERS
    assert sorted(set(kept.y_train.tolist())) == [1, 2, 3, 4]
    fashion = write_idx(tmp_path, images, labels, prefix="fashion-train")
    assert load_dataset(fashion, seed=0, base_dir=tmp_path).classes == FASHION_NAMES
    named = load_dataset({**fashion, "class_names": ["a", "b", "c", "d"]}, seed=0,
                         base_dir=tmp_path)
    assert named.classes == ["a", "b", "c", "d"]


def test_idx_letters_offset_below_zero_is_an_error(tmp_path, small_idx):
    images, labels = small_idx
    settings = write_idx(tmp_path, images, labels, prefix="emnist-letters-train")
    with pytest.raises(ProjectError, match=r"data\.label_offset: labels of .* below 0"):
        load_dataset(settings, seed=0, base_dir=tmp_path)
    shifted = write_idx(tmp_path, images, labels + 1, prefix="emnist-letters-train")
    data = load_dataset({**shifted, "test_fraction": 0.0}, seed=0, base_dir=tmp_path)
    assert set(data.y_train.tolist()) == {0, 1, 2, 3} and data.classes[0] == "A"


def test_idx_wrong_magic(tmp_path, small_idx):
    images, labels = small_idx
    settings = write_idx(tmp_path, images, labels)
    (tmp_path / settings["images"]).write_bytes(idx_bytes(images, magic=0x0D03))
    with pytest.raises(ProjectError) as info:
        load_dataset(settings, seed=0, base_dir=tmp_path, file="p.json")
    message = str(info.value)
    assert message.startswith("p.json: data.images: train-images-idx3-ubyte: bad magic number "
                              "0x00000D03 (3-dimensional float data); expected 0x00000803")
    # Images and labels swapped: the label file is 1-D.
    with pytest.raises(ProjectError, match=r"data\.images: train-labels-idx1-ubyte: bad magic"):
        load_dataset({**settings, "images": settings["labels"]}, seed=0, base_dir=tmp_path)
    (tmp_path / settings["images"]).write_bytes(idx_bytes(images))
    (tmp_path / "notes.txt").write_text("hello, not IDX")
    with pytest.raises(ProjectError, match=r"notes\.txt: bad magic .*not an IDX file"):
        load_dataset({**settings, "labels": "notes.txt"}, seed=0, base_dir=tmp_path)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_truncated(tmp_path, small_idx, gz):
    images, labels = small_idx
    settings = write_idx(tmp_path, images, labels)
    data = idx_bytes(images)[:-10]
    (tmp_path / settings["images"]).write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(ProjectError, match=r"data\.images: .*truncated: the header promises "
                                           r"40×5×7 = 1400 bytes, the file has 1390"):
        load_dataset(settings, seed=0, base_dir=tmp_path)
    (tmp_path / settings["images"]).write_bytes(idx_bytes(images))
    (tmp_path / settings["labels"]).write_bytes(idx_bytes(labels)[:6])
    with pytest.raises(ProjectError, match=r"data\.labels: .*truncated header"):
        load_dataset(settings, seed=0, base_dir=tmp_path)


def test_idx_damaged_gzip_and_trailing_bytes(tmp_path, small_idx):
    images, labels = small_idx
    settings = write_idx(tmp_path, images, labels, gz=True)
    packed = (tmp_path / settings["images"]).read_bytes()
    (tmp_path / settings["images"]).write_bytes(packed[:len(packed) // 2])
    with pytest.raises(ProjectError, match=r"data\.images: .*damaged gzip"):
        load_dataset(settings, seed=0, base_dir=tmp_path)
    (tmp_path / settings["images"]).write_bytes(gzip.compress(idx_bytes(images) + b"xx"))
    with pytest.raises(ProjectError, match="2 unexpected bytes after the 40×5×7 data"):
        load_dataset(settings, seed=0, base_dir=tmp_path)


def test_idx_count_mismatch_and_missing_file(tmp_path, small_idx):
    images, labels = small_idx
    settings = write_idx(tmp_path, images, labels[:39])
    with pytest.raises(ProjectError, match=r"data\.labels: train-labels-idx1-ubyte holds 39 "
                                           r"labels but train-images-idx3-ubyte holds 40"):
        load_dataset(settings, seed=0, base_dir=tmp_path)
    with pytest.raises(ProjectError, match=r"data\.images: file not found: .*nothere"):
        load_dataset({**settings, "images": "nothere"}, seed=0, base_dir=tmp_path)


def write_csv(tmp_path, text: str, name: str = "table.csv") -> dict:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return {"source": "csv", "path": name}


def test_csv_string_labels(tmp_path):
    rows = ["sepal,petal,kind"] + [f"{i / 10},{i % 3},{['setosa', 'iris', 'virginica'][i % 3]}"
                                    for i in range(30)]
    settings = write_csv(tmp_path, "\n".join(rows) + "\n")
    data = load_dataset({**settings, "target": "kind"}, seed=0, base_dir=tmp_path)
    assert data.task == "classification" and data.kind == "vector"
    assert data.classes == ["iris", "setosa", "virginica"]  # sorted, text kept
    assert data.input_names == ["sepal", "petal"] and data.sample_shape == (2,)
    # petal (i % 3) identifies the class: 0 -> setosa (1), 1 -> iris (0), 2 -> virginica (2).
    mapping = {0: 1, 1: 0, 2: 2}
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        np.testing.assert_array_equal([mapping[int(v)] for v in x[:, 1]], y)
    assert data.n_test == 6 and np.bincount(data.y_test).tolist() == [2, 2, 2]


def test_csv_integer_labels_and_regression(tmp_path):
    rows = ["a,b,digit,price"] + [f"{i},{-i},{(i % 3) + 1},{i * 1.5 + 0.25}" for i in range(50)]
    settings = write_csv(tmp_path, "\ufeff" + "\r\n".join(rows) + "\r\n\r\n")
    labels = load_dataset({**settings, "target": "digit"}, seed=0, base_dir=tmp_path)
    assert labels.task == "classification" and labels.classes == ["1", "2", "3"]
    assert labels.input_names == ["a", "b", "price"]
    np.testing.assert_array_equal(labels.y_train, labels.x_train[:, 0].astype(int) % 3)
    value = load_dataset({**settings, "target": "price"}, seed=0, base_dir=tmp_path)
    assert value.task == "regression" and value.target_names == ["price"]
    assert value.y_train.shape == (40, 1) and value.y_train.dtype == np.float32
    np.testing.assert_allclose(value.y_train[:, 0], value.x_train[:, 0] * 1.5 + 0.25)
    forced = load_dataset({**settings, "target": "digit", "task": "regression"}, seed=0,
                          base_dir=tmp_path)
    assert forced.task == "regression"


@pytest.mark.parametrize("text, where, what", [
    ("a,b,y\n1,2,0\n3,x4,1\n", 'line 3, column "b"', '"x4" is not a number; expected a number'),
    ("a,b,y\n1,2,0\n3,,1\n", 'line 3, column "b"', "empty value; expected a number"),
    ("a,b,y\n1,2,0\n\n3,nan,1\n", 'line 4, column "b"', '"nan" is not a finite number'),
    ("a,b,y\n1,2,0\n3,4\n", "line 3", "2 values but the header names 3 columns"),
    ("a,b,y\n1,2,0\n3,4,\n", 'line 3, column "y"', "empty value; every row needs a target"),
    ("a,b,y\n1,2,0.5\n3,4,1\n", 'line 2, column "y"', '"0.5" is not a class label'),
    ("a,a,y\n1,2,0\n", "line 1", 'column name "a" appears twice'),
    ("", "line 1", "empty file"),
    ("a,b,y\n", "line 2", "no data rows"),
    ("a,b,y\n1,2,same\n3,4,same\n", 'column "y"', 'only one class ("same")'),
])
def test_csv_errors_name_line_and_column(tmp_path, text, where, what):
    settings = write_csv(tmp_path, text)
    task = "classification" if "0.5" in text else None
    with pytest.raises(ProjectError) as info:
        load_dataset({**settings, "target": "y", "task": task}, seed=0, base_dir=tmp_path)
    assert info.value.file.endswith("table.csv")
    assert info.value.where == where
    assert what in info.value.what


def test_csv_regression_with_text_and_unknown_target(tmp_path):
    settings = write_csv(tmp_path, "a,y\n1,cat\n2,dog\n")
    with pytest.raises(ProjectError, match=r'line 2, column "y": "cat" is not a number'):
        load_dataset({**settings, "target": "y", "task": "regression"}, seed=0,
                     base_dir=tmp_path)
    with pytest.raises(ProjectError, match=r'p\.json: data\.target: no column "z" in table\.csv; '
                                           r"columns: a, y"):
        load_dataset({**settings, "target": "z"}, seed=0, base_dir=tmp_path, file="p.json")
    write_csv(tmp_path, "1,2,0\n3,4,1\n", "nohead.csv")
    with pytest.raises(ProjectError, match="first line looks like data; add a header row"):
        load_dataset({"source": "csv", "path": "nohead.csv", "target": "y"}, seed=0,
                     base_dir=tmp_path)
    write_csv(tmp_path, "a;y\n1;0\n", "semi.csv")
    with pytest.raises(ProjectError, match="seems to use ';'"):
        load_dataset({"source": "csv", "path": "semi.csv", "target": "y"}, seed=0,
                     base_dir=tmp_path)
    with pytest.raises(ProjectError, match=r"data\.target: missing"):
        load_dataset(settings, seed=0, base_dir=tmp_path)


def test_npz_vectors_images_and_labels(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4)).astype(np.float64)
    np.savez(tmp_path / "v.npz", x=x, y=np.array(["no", "yes"] * 15))
    data = load_dataset({"source": "npz", "path": "v.npz"}, seed=0, base_dir=tmp_path)
    assert data.task == "classification" and data.classes == ["no", "yes"]
    assert data.x_train.dtype == np.float32 and data.sample_shape == (4,)
    assert data.input_names == ["x1", "x2", "x3", "x4"]
    np.savez(tmp_path / "img.npz", pixels=rng.integers(0, 255, (20, 6, 6)),
             digit=np.arange(20) % 10)
    images = load_dataset({"source": "npz", "path": "img.npz", "x": "pixels", "y": "digit"},
                          seed=0, base_dir=tmp_path)
    assert images.kind == "image" and images.sample_shape == (1, 6, 6)
    assert images.classes == [str(k) for k in range(10)]
    assert images.x_train.max() > 1  # npz samples are used as stored
    np.savez(tmp_path / "r.npz", x=x, y=x[:, :2] * 2)
    reg = load_dataset({"source": "npz", "path": "r.npz"}, seed=0, base_dir=tmp_path)
    assert reg.task == "regression" and reg.n_targets == 2 and reg.target_names == ["y0", "y1"]
    np.testing.assert_allclose(reg.y_train, reg.x_train[:, :2] * 2, rtol=1e-6)


def test_npz_errors(tmp_path):
    x = np.zeros((10, 3))
    np.savez(tmp_path / "obj.npz", x=x, y=np.array([{"a": 1}] * 10, dtype=object))
    with pytest.raises(ProjectError, match=r"data\.y: obj\.npz: array \"y\" cannot be read "
                                           r"without unpickling"):
        load_dataset({"source": "npz", "path": "obj.npz"}, seed=0, base_dir=tmp_path)
    np.savez(tmp_path / "keys.npz", data=x, y=np.arange(10))
    with pytest.raises(ProjectError, match=r'data\.x: no array "x" in keys\.npz; arrays: data, y'):
        load_dataset({"source": "npz", "path": "keys.npz"}, seed=0, base_dir=tmp_path)
    np.savez(tmp_path / "len.npz", x=x, y=np.arange(9))
    with pytest.raises(ProjectError, match=r'data\.y: "y" has 9 rows but "x" has 10'):
        load_dataset({"source": "npz", "path": "len.npz"}, seed=0, base_dir=tmp_path)
    np.savez(tmp_path / "hot.npz", x=x, y=np.eye(10))
    with pytest.raises(ProjectError, match="not one-hot"):
        load_dataset({"source": "npz", "path": "hot.npz", "task": "classification"}, seed=0,
                     base_dir=tmp_path)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ProjectError, match=r"data\.path: bad\.npz is not a readable \.npz"):
        load_dataset({"source": "npz", "path": "bad.npz"}, seed=0, base_dir=tmp_path)
