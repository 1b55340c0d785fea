"""Malformed projects and settings: every one is a ProjectError ``FILE: WHERE: WHAT``.

Each case here once escaped as a raw Python or numpy exception (or trained on garbage); the
matching fix is in the engine, and the test keeps it fixed.
"""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from engine.errors import ProjectError
from engine.project import load_project, parse_project, prepare
from engine.trainer import Trainer

BASE = {"layerlab": 1, "name": "t", "seed": 1,
        "data": {"source": "circle", "samples": 60},
        "network": {"layers": [{"type": "dense", "units": 4, "activation": "tanh"},
                               {"type": "dense", "units": 1, "activation": "sigmoid"}]},
        "training": {"batch_size": 8, "epochs": 1}}
IMAGES = {"source": "digits", "limit": 60}
SOFTMAX10 = {"type": "dense", "units": 10, "activation": "softmax"}


def project(data=None, layers=None, **training) -> dict:
    """BASE with ``data``, ``layers`` and training settings replaced."""
    raw = copy.deepcopy(BASE)
    if data is not None:
        raw["data"] = data
    if layers is not None:
        raw["network"]["layers"] = layers
    raw["training"].update(training)
    return raw


def refuse(raw, where: str, what: str = "", base_dir=None) -> ProjectError:
    """Parse and prepare ``raw``; it must fail with a ProjectError at ``where``."""
    with pytest.raises(ProjectError) as caught:
        prepare(parse_project(raw, "p.json", base_dir))
    assert caught.value.where == where, str(caught.value)
    assert what in caught.value.what, str(caught.value)
    return caught.value


def test_deeply_nested_json_is_a_file_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"layerlab": 1, "data": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ProjectError, match=r"\(file\): invalid JSON: .*nested too deeply"):
        load_project(path)


@pytest.mark.parametrize("value", [10**400, -(10**400)], ids=["plus", "minus"])
def test_json_integers_too_large_for_a_float(value):
    raw = project(data={"source": "points", "points": [[value, 0, 0], [1, 1, 1]]})
    refuse(raw, "data.points[0][0]", "out of range")
    raw = project(training=None)
    raw["training"] = {"optimizer": {"type": "sgd", "learning_rate": value}}
    refuse(raw, "training.optimizer.learning_rate", "finite number")


def test_points_beyond_float32_are_refused():
    refuse(project(data={"source": "points", "points": [[1e308, 0, 0], [-1e308, 1, 1]]}),
           "data.points[0][0]", "out of range")


def test_reshape_to_an_absurd_shape_is_a_shape_error():
    layers = [{"type": "flatten"}, {"type": "reshape", "shape": [10**20, 10**20]}, SOFTMAX10]
    refuse(project(data=IMAGES, layers=layers), "network.layers[1]", "same number of values")


@pytest.mark.parametrize("layers, where, what", [
    ([{"type": "conv2d", "filters": 2, "kernel_size": 9}, {"type": "flatten"}, SOFTMAX10],
     "network.layers[0]", "kernel_size 9 does not fit"),
    ([{"type": "maxpool2d", "pool_size": 9}, {"type": "flatten"}, SOFTMAX10],
     "network.layers[0]", "pool_size 9 does not fit"),
    ([{"type": "conv2d", "filters": 2, "kernel_size": 3, "stride": 20}, {"type": "flatten"},
      SOFTMAX10], "network.layers[0].stride", "out of range"),
    ([{"type": "flatten"}, {"type": "reshape", "shape": [7, 7]}, {"type": "flatten"}, SOFTMAX10],
     "network.layers[1]", "same number of values"),
    ([{"type": "flatten"}], "training.loss", "regression loss"),
    ([SOFTMAX10], "network.layers[0]", "add a `flatten` layer"),
    ([{"type": "flatten"}, {"type": "dense", "units": 1, "activation": "softmax"}],
     "training.loss", "one output unit per class (10)"),
    ([{"type": "conv2d", "filters": 2, "kernel_size": 3, "id": "a"},
      {"type": "conv2d", "filters": 2, "kernel_size": 5, "id": "b", "inputs": ["input"]},
      {"type": "concat", "inputs": ["a", "b"]}, {"type": "flatten"}, SOFTMAX10],
     "network.layers[2]", "height and width must match"),
    ([{"type": "flatten", "id": "f"}, {"type": "add", "inputs": ["f"]}, SOFTMAX10],
     "network.layers[1].inputs", "at least 2 inputs"),
])
def test_layer_settings_at_their_limits(layers, where, what):
    refuse(project(data=IMAGES, layers=layers), where, what)


def test_working_limits_train():
    """Units 1, dropout 0, add of three inputs, batch larger than the set, no test split."""
    layers = [{"type": "dense", "units": 3, "id": "a"},
              {"type": "dense", "units": 3, "id": "b", "inputs": ["input"]},
              {"type": "dense", "units": 3, "id": "c", "inputs": ["input"]},
              {"type": "add", "inputs": ["a", "b", "c"]}, {"type": "dropout", "rate": 0},
              {"type": "dense", "units": 1, "activation": "sigmoid"}]
    raw = project(data={"source": "circle", "samples": 20, "test_fraction": 0}, layers=layers,
                  batch_size=1000)
    trainer = Trainer(parse_project(raw))
    record = trainer.step()
    assert record.batch_size == 20 and np.isfinite(record.loss)
    assert trainer.evaluate()["test_loss"] is None


def write(tmp_path, name: str, text: str | bytes) -> str:
    """Write a data file beside the project and return its name."""
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return name


CSV_NET = [{"type": "dense", "units": 2, "activation": "softmax"}]
ROWS = "\n".join(f"{i * 0.1},{i % 3},{i % 2}" for i in range(30))


@pytest.mark.parametrize("name, text, where, what", [
    ("big.csv", "a,b,y\n" + ROWS + "\n1e39,1,0\n", 'line 32, column "a"', "32-bit floats"),
    ("semi.csv", "a;b;y\n" + "\n".join(f"{i},5;{i};{i % 2}" for i in range(9)), "line 2",
     "seems to use ';'"),
    ("quote.csv", "a,b,y\n" + ROWS + '\n"1,1,0\n', "line 32", "never closed"),
    ("noheader.csv", ROWS, "line 1", "looks like data"),
])
def test_csv_oddities_name_the_line(tmp_path, name, text, where, what):
    path = write(tmp_path, name, text)
    with pytest.raises(ProjectError) as caught:
        prepare(parse_project(project(data={"source": "csv", "path": path, "target": "y"},
                                      layers=CSV_NET), "p.json", tmp_path))
    assert caught.value.file.endswith(name)
    assert caught.value.where == where and what in caught.value.what


@pytest.mark.parametrize("newline, bom", [("\r\n", ""), ("\r", ""), ("\n", "\ufeff")])
def test_csv_line_endings_and_bom_read_alike(tmp_path, newline, bom):
    path = write(tmp_path, "t.csv", bom + ("a,b,y\n" + ROWS + "\n\n").replace("\n", newline))
    prepared = prepare(parse_project(project(data={"source": "csv", "path": path,
                                                   "target": "y"}, layers=CSV_NET),
                                     "p.json", tmp_path))
    assert prepared.dataset.n_train + prepared.dataset.n_test == 30
    assert prepared.dataset.input_names == ["a", "b"]


def test_guessed_task_is_named_when_the_loss_disagrees(tmp_path):
    path = write(tmp_path, "many.csv", "a,y\n" + "\n".join(f"{i},{i}" for i in range(30)))
    refuse(project(data={"source": "csv", "path": path, "target": "y"},
                   layers=[{"type": "dense", "units": 30, "activation": "softmax"}]),
           "training.loss", 'set data.task to "classification"', base_dir=tmp_path)


def npz(tmp_path, name: str = "d.npz", **arrays) -> dict:
    """Save ``arrays`` with numpy.savez and return npz data settings naming the file."""
    np.savez(tmp_path / name, **arrays)
    return {"source": "npz", "path": name}


X = np.random.default_rng(0).normal(size=(40, 3))
Y = (X[:, 0] > 0).astype(np.int64)


@pytest.mark.parametrize("arrays, where, what", [
    ({"x": X, "y": np.int64(1)}, "data.y", "single value"),
    ({"x": np.zeros((40, 0)), "y": Y}, "data.x", "hold no values"),
    ({"x": np.zeros((40, 0, 5)), "y": Y}, "data.x", "hold no values"),
    ({"x": X * 1e300, "y": Y}, "data.x", "32-bit floats"),
    ({"x": X, "y": X[:, 0] * 1e300}, "data.y", "32-bit floats"),
    ({"x": X, "y": np.eye(2)[Y]}, "data.y", "not one-hot"),
    ({"x": np.zeros((40, 1, 2, 2, 2)), "y": Y}, "data.x", "expected (N, D) vectors"),
    ({"x": X, "y": Y[:-1]}, "data.y", "has 39 rows"),
])
def test_npz_shapes_and_values(tmp_path, arrays, where, what):
    refuse(project(data=npz(tmp_path, **arrays), layers=CSV_NET), where, what,
           base_dir=tmp_path)


def test_npz_column_of_integer_labels_classifies(tmp_path):
    data = npz(tmp_path, x=X, y=Y[:, None])
    prepared = prepare(parse_project(project(data=data, layers=CSV_NET), "p.json", tmp_path))
    assert prepared.dataset.task == "classification" and prepared.dataset.classes == ["0", "1"]


def test_npz_object_arrays_are_never_unpickled(tmp_path):
    import io
    import zipfile

    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (marker.write_text, ("unpickled",))

    with zipfile.ZipFile(tmp_path / "evil.npz", "w") as archive:
        for key, value in (("x", np.array([Payload()] * 40, dtype=object)), ("y", Y)):
            buffer = io.BytesIO()
            np.save(buffer, value, allow_pickle=True)
            archive.writestr(f"{key}.npy", buffer.getvalue())
    refuse(project(data={"source": "npz", "path": "evil.npz"}, layers=CSV_NET), "data.x",
           "without unpickling", base_dir=tmp_path)
    assert not marker.exists()


def test_npz_header_promising_a_huge_array_is_refused_unread(tmp_path):
    import io
    import zipfile

    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 3), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        archive.writestr("x.npy", npy)
        buffer = io.BytesIO()
        np.save(buffer, Y)
        archive.writestr("y.npy", buffer.getvalue())
    refuse(project(data={"source": "npz", "path": "huge.npz"}, layers=CSV_NET), "data.x",
           "header promises shape (100000000000, 3)", base_dir=tmp_path)


@pytest.mark.parametrize("content, what", [(b"hello", "not a zip archive"),
                                           (b"", "an empty file")])
def test_npz_that_is_not_an_archive(tmp_path, content, what):
    write(tmp_path, "bad.npz", content)
    refuse(project(data={"source": "npz", "path": "bad.npz"}, layers=CSV_NET), "data.path",
           what, base_dir=tmp_path)


def test_compressed_fortran_npz_reads_like_numpy(tmp_path):
    x = np.asfortranarray(np.random.default_rng(1).random((30, 4)))
    np.savez_compressed(tmp_path / "c.npz", x=x, y=np.arange(30) % 3)
    from engine.data import load_dataset
    data = load_dataset({"source": "npz", "path": "c.npz", "test_fraction": 0}, 0, tmp_path)
    np.testing.assert_array_equal(np.sort(data.x_train, axis=0),
                                  np.sort(x.astype(np.float32), axis=0))


def test_every_json_level_rejects_unknown_fields():
    for path in (["extra"], ["data", "extra"], ["training", "extra"],
                 ["network", "extra"], ["network", "layers", 0, "extra"]):
        raw = copy.deepcopy(BASE)
        target = raw
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = 1
        with pytest.raises(ProjectError, match="unknown field"):
            parse_project(json.loads(json.dumps(raw)))


def test_gzip_idx_that_inflates_far_beyond_its_header_stops_early(tmp_path):
    import zlib

    from engine.data.idx import read_idx

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    header = (0x0803).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (10, 4, 4))
    data = packer.compress(header + bytes(160))
    zeros = bytes(1 << 20)
    data += b"".join(packer.compress(zeros) for _ in range(64)) + packer.flush()
    (tmp_path / "bomb-images.gz").write_bytes(data)  # 64 MB of junk in ~64 KB
    with pytest.raises(ProjectError, match=r"65536\+ unexpected bytes after the 10×4×4 data"):
        read_idx(tmp_path / "bomb-images.gz", 3, None, "data.images")


def test_image_whose_header_claims_billions_of_pixels(tmp_path):
    import struct
    import zlib

    pytest.importorskip("PIL")

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    ihdr = struct.pack(">IIBBBBB", 40000, 40000, 8, 0, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
           + chunk(b"IEND", b""))
    for name in ("a", "b"):
        (tmp_path / "set" / name).mkdir(parents=True)
        (tmp_path / "set" / name / "1.png").write_bytes(png)
    refuse(project(data={"source": "folder", "path": "set"}, layers=CSV_NET), "data.path",
           "image too large to read", base_dir=tmp_path)


def test_single_unit_softmax_regression_is_refused():
    refuse(project(data={"source": "plane", "samples": 40},
                   layers=[{"type": "dense", "units": 1, "activation": "softmax"}],
                   loss="mse"), "training.loss", "softmax over a single output unit")


def test_format_version_written_as_a_float():
    raw = copy.deepcopy(BASE)
    raw["layerlab"] = 1.0
    assert parse_project(raw).to_json()["layerlab"] == 1
    raw["layerlab"] = 1.5
    with pytest.raises(ProjectError, match="layerlab: expected the format version"):
        parse_project(raw)


def test_network_without_parameters_trains(tmp_path):
    """Only an activation layer: nothing to learn, but stepping and evaluating still work."""
    x = np.random.default_rng(0).normal(size=(40, 1))
    data = npz(tmp_path, x=x, y=2 * x[:, 0])
    trainer = Trainer(parse_project(project(
        data=data, layers=[{"type": "activation", "function": "linear"}]), "p.json", tmp_path))
    assert trainer.model.param_count() == 0
    assert np.isfinite(trainer.step().loss) and trainer.evaluate()["train_r2"] > 0.5


@pytest.mark.parametrize("source", ["plane", "multigauss"])
def test_regression_without_a_test_split(source):
    raw = project(data={"source": source, "samples": 40, "test_fraction": 0},
                  layers=[{"type": "dense", "units": 1}], loss="mse")
    trainer = Trainer(parse_project(raw))
    assert trainer.y_test.shape == (0, 1)
    trainer.fit(1)
    result = trainer.evaluate()
    assert result["test_loss"] is None and result["test_r2"] is None
    assert np.isfinite(result["train_r2"])


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("dims", [(2**32 - 1,) * 3, (2**21, 2**21, 2**22)])
def test_idx_header_dimensions_that_overflow_int64(tmp_path, gz, dims):
    import gzip

    from engine.data.idx import read_idx

    raw = (0x0803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    raw += bytes(16)
    (tmp_path / "images").write_bytes(gzip.compress(raw) if gz else raw)
    total = dims[0] * dims[1] * dims[2]
    with pytest.raises(ProjectError, match=f"truncated: the header promises .* = {total} bytes"):
        read_idx(tmp_path / "images", 3, None, "data.images")


def test_npz_member_with_an_unsupported_zip_version(tmp_path):
    import io

    buffer = io.BytesIO()
    np.savez(buffer, x=X, y=Y)
    data = bytearray(buffer.getvalue())
    entry = data.index(b"PK\x01\x02")  # the first member's central directory entry
    data[entry + 6] = 172  # "version needed to extract": 17.2, which zipfile cannot read
    (tmp_path / "odd.npz").write_bytes(bytes(data))
    refuse(project(data={"source": "npz", "path": "odd.npz"}, layers=CSV_NET), "data.path",
           "damaged archive (zip file version 17.2)", base_dir=tmp_path)


def test_png_with_a_broken_chunk_is_a_project_error(tmp_path):
    """Pillow raises SyntaxError for a damaged PNG chunk; people get a ProjectError."""
    import io

    image = pytest.importorskip("PIL.Image")
    buffer = io.BytesIO()
    pixels = (np.random.default_rng(0).random((12, 10)) * 255).astype(np.uint8)
    image.fromarray(pixels).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[36] = 0  # the IDAT chunk's length: Pillow then reads a chunk name from inside the data
    with pytest.raises(SyntaxError):
        image.open(io.BytesIO(bytes(data))).load()
    from engine.data.folder import read_image
    (tmp_path / "broken.png").write_bytes(bytes(data))
    with pytest.raises(ProjectError, match=r"broken\.png: cannot read the image \(broken PNG"):
        read_image(tmp_path / "broken.png", None, "data.path")


def test_csv_numeric_target_with_a_missing_value_names_the_cell(tmp_path):
    rows = "\n".join(f"{i},{i * 0.37:.2f}" for i in range(30))
    path = write(tmp_path, "gap.csv", "a,y\n" + rows + "\n5,NaN\n")
    with pytest.raises(ProjectError) as caught:
        prepare(parse_project(project(data={"source": "csv", "path": path, "target": "y"},
                                      layers=[{"type": "dense", "units": 1}], loss="mse"),
                              "p.json", tmp_path))
    assert caught.value.where == 'line 32, column "y"'
    assert '"NaN" is not a finite number' in caught.value.what


@pytest.mark.parametrize("source", ["csv", "npz", "idx", "folder"])
@pytest.mark.parametrize("path", ["a" * 5000, "~no_such_user_here/data.file"],
                         ids=["too-long", "unknown-user"])
def test_paths_the_system_rejects(source, path):
    data = {"csv": {"source": "csv", "path": path, "target": "y"},
            "npz": {"source": "npz", "path": path}, "folder": {"source": "folder", "path": path},
            "idx": {"source": "idx", "images": path, "labels": path}}[source]
    error = refuse(project(data=data), "data.images" if source == "idx" else "data.path")
    assert "File name too long" in error.what or "not found" in error.what
