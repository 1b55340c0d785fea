"""The ``npz`` source: arrays from ``numpy.savez``, read without ever unpickling.

Each member's ``.npy`` header is inspected before its data is read, so object arrays are
refused unread and a header that promises more data than the archive holds (a damaged or
hostile file) is an error instead of a giant allocation.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from engine.data.common import (FLOAT32_MAX, Source, beyond_float32, make_rng, resolve_path,
                                task_param, test_fraction_param)
from engine.data.dataset import Dataset, make_dataset
from engine.data.images import image_input_names
from engine.data.tabular import decide_task, labels_from_numbers, labels_from_text
from engine.errors import ProjectError, os_reason
from engine.params import Param
from engine.registry import SOURCES

ZIP_MAGIC = b"PK\x03\x04"
NPY_MAGIC = b"\x93NUMPY"


def _open_archive(path: Path, file: str | None) -> zipfile.ZipFile:
    """The .npz file as a zip archive; anything else is a ProjectError saying what it is."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(8)
    except OSError as exc:  # permission denied, I/O error, ...
        raise ProjectError(file, "data.path", f"cannot read {path.name}: "
                                              f"{os_reason(exc)}") from None
    if start.startswith(NPY_MAGIC):
        raise ProjectError(file, "data.path", f"{path.name} holds a single array (.npy); save "
                                              "x and y together with numpy.savez")
    if not start.startswith(ZIP_MAGIC):
        what = "an empty file" if not start else "not a zip archive"
        raise ProjectError(file, "data.path", f"{path.name} is not a readable .npz file "
                                              f"({what}); write one with numpy.savez(path, "
                                              "x=..., y=...)")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ProjectError(file, "data.path", f"{path.name} is not a readable .npz file: "
                                              f"damaged archive ({exc})") from None


def read_npz_array(path: Path, archive: zipfile.ZipFile, key: str, file: str | None,
                   where: str) -> np.ndarray:
    """Array ``key`` from the archive: header checked first, object arrays never unpickled."""
    member = f"{key}.npy"
    names = [name[:-4] for name in archive.namelist() if name.endswith(".npy")]
    if member not in archive.namelist():
        raise ProjectError(file, where, f"no array \"{key}\" in {path.name}; arrays: "
                                        f"{', '.join(names) or 'none'}")
    size = archive.getinfo(member).file_size
    try:
        with archive.open(member) as stream:
            version = np.lib.format.read_magic(stream)
            reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = reader(stream)
            header_end = stream.tell()
            if dtype.hasobject:
                raise ProjectError(file, where, f"{path.name}: array \"{key}\" cannot be read "
                                                "without unpickling (it holds Python objects, "
                                                "and LayerLab never unpickles); store plain "
                                                "numeric or string arrays")
            promised = int(np.prod(shape, dtype=object)) * dtype.itemsize
            if promised > size - header_end:
                raise ProjectError(file, where, f"{path.name}: array \"{key}\" is damaged: its "
                                                f"header promises shape {tuple(shape)} "
                                                f"({promised} bytes) but only "
                                                f"{size - header_end} bytes follow")
            data = stream.read(promised)
    except ProjectError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, RuntimeError, NotImplementedError,
            zlib.error) as exc:  # damaged or exotic archives (encrypted, unknown compression)
        raise ProjectError(file, where, f"{path.name}: array \"{key}\" is damaged "
                                        f"({exc})") from None
    if len(data) != promised:
        raise ProjectError(file, where, f"{path.name}: array \"{key}\" is truncated")
    order = "F" if fortran else "C"
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order)


@SOURCES.register("npz")
class NpzSource(Source):
    """A numpy .npz file: samples under key x, targets under key y (never unpickled)."""

    kind = "vector"
    params = (
        Param("path", "path", None, ".npz file (numpy.savez)", required=True),
        Param("x", "str", "x", "key of the samples: (N, D) vectors, (N, H, W) or (N, C, H, W) "
              "images"),
        Param("y", "str", "y", "key of the targets: (N,) labels or values, or (N, k) values"),
        task_param(),
        test_fraction_param(0.2),
    )

    @classmethod
    def load(cls, settings: dict, seed: int, base_dir: Path | None,
             file: str | None) -> Dataset:
        """Read x and y without unpickling, check shapes and values, and split."""
        path = resolve_path(settings["path"], base_dir, file, "data.path")
        with _open_archive(path, file) as archive:
            x = read_npz_array(path, archive, settings["x"], file, "data.x")
            y = read_npz_array(path, archive, settings["y"], file, "data.y")
        x = cls.check_samples(path, x, settings["x"], file)
        if y.ndim == 0:
            raise ProjectError(file, "data.y", f"\"{settings['y']}\" is a single value; expected "
                                               "one target per sample")
        if len(y) != len(x):
            raise ProjectError(file, "data.y", f"\"{settings['y']}\" has {len(y)} rows but "
                                               f"\"{settings['x']}\" has {len(x)}")
        y, task, classes, target_names = cls.check_targets(path, y, settings, file)
        kind = "image" if x.ndim == 4 else "vector"
        names = image_input_names(*x.shape[1:]) if kind == "image" else None
        return make_dataset(x, y, task=task, kind=kind, source="npz",
                            test_fraction=settings["test_fraction"], rng=make_rng(seed),
                            classes=classes, input_names=names, target_names=target_names,
                            settings=settings)

    @classmethod
    def check_samples(cls, path: Path, x: np.ndarray, key: str, file: str | None) -> np.ndarray:
        """Numeric, finite samples with at least two of them; 3-D becomes one-channel images."""
        if x.dtype.kind not in "biuf":
            raise ProjectError(file, "data.x", f"\"{key}\" holds {x.dtype} values; samples "
                                               "must be numbers")
        if x.ndim == 1:
            x = x[:, None]
        elif x.ndim == 3:
            x = x[:, None, :, :]
        elif x.ndim not in (2, 4):
            raise ProjectError(file, "data.x", f"\"{key}\" has shape {x.shape}; expected (N, D) "
                                               "vectors, (N, H, W) or (N, C, H, W) images")
        if len(x) < 2:
            raise ProjectError(file, "data.x", f"\"{key}\" holds {len(x)} samples; at least 2 "
                                               "are needed")
        if 0 in x.shape[1:]:
            raise ProjectError(file, "data.x", f"\"{key}\" has shape {x.shape}: its samples "
                                               "hold no values")
        if x.dtype.kind == "f":
            if not np.all(np.isfinite(x)):
                raise ProjectError(file, "data.x", f"\"{key}\" contains NaN or infinite values")
            if np.any(beyond_float32(x)):
                raise ProjectError(file, "data.x", f"\"{key}\" has values beyond "
                                                   f"±{FLOAT32_MAX:.3g}, too large for 32-bit "
                                                   "floats; rescale the data")
        return x

    @classmethod
    def check_targets(cls, path: Path, y: np.ndarray, settings: dict, file: str | None):
        """Labels (classification) or ``(N, k)`` values (regression), task, classes, names."""
        key = settings["y"]
        task = settings.get("task")
        if y.dtype.kind in "US":
            if task == "regression":
                raise ProjectError(file, "data.y", f"\"{key}\" holds text; regression needs "
                                                   "numbers")
            if y.ndim == 2 and y.shape[1] == 1:
                y = y[:, 0]
            if y.ndim != 1:
                raise ProjectError(file, "data.y", f"text labels must be 1-D, got {y.shape}")
            labels, classes = labels_from_text(y.astype(str))
            return labels, "classification", cls._check_classes(classes, key, file), []
        if y.dtype.kind not in "biuf":
            raise ProjectError(file, "data.y", f"\"{key}\" holds {y.dtype} values; targets "
                                               "must be numbers or text")
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise ProjectError(file, "data.y", f"\"{key}\" contains NaN or infinite values")
        if y.dtype.kind == "f" and np.any(beyond_float32(y)):
            raise ProjectError(file, "data.y", f"\"{key}\" has values beyond ±{FLOAT32_MAX:.3g}, "
                                               "too large for 32-bit floats; rescale them")
        numbers = y.astype(np.float64)
        if task != "regression" and y.ndim == 2:
            if y.shape[1] == 1 and y.dtype.kind in "biu":
                numbers = numbers[:, 0]  # a column of integer labels
            elif _is_one_hot(numbers):
                raise ProjectError(file, "data.y", f"\"{key}\" looks one-hot {y.shape}; class "
                                                   "labels must be (N,) integers, not one-hot: "
                                                   "save y.argmax(axis=1) (or set task: "
                                                   "regression to predict the columns)")
        if numbers.ndim == 2 and task != "classification":
            task = "regression"
        elif numbers.ndim == 1:
            task = decide_task(task, numbers, integer_dtype=y.dtype.kind in "biu")
        else:
            raise ProjectError(file, "data.y", f"\"{key}\" has shape {y.shape}; classification "
                                               "needs (N,) integer labels or one-hot rows, "
                                               "regression (N,) or (N, k) values")
        if task == "regression":
            values = numbers.reshape(len(numbers), -1)
            names = [key] if values.shape[1] == 1 else [f"{key}{i}" for i in
                                                        range(values.shape[1])]
            return values, "regression", None, names
        if np.any(numbers != np.round(numbers)):
            raise ProjectError(file, "data.y", f"\"{key}\" has fractional values; class labels "
                                               "must be whole numbers (or set task: regression)")
        labels, classes = labels_from_numbers(numbers)
        return labels, "classification", cls._check_classes(classes, key, file), []

    @staticmethod
    def _check_classes(classes: list[str], key: str, file: str | None) -> list[str]:
        if len(classes) < 2:
            raise ProjectError(file, "data.y", f"\"{key}\" has only one class; classification "
                                               "needs two or more")
        return classes


def _is_one_hot(values: np.ndarray) -> bool:
    """True for ``(N, k)`` rows of zeros with a single one (k >= 2): one-hot class labels."""
    return (values.ndim == 2 and values.shape[1] >= 2
            and bool(np.all((values == 0) | (values == 1)))
            and bool(np.all(values.sum(axis=1) == 1)))
