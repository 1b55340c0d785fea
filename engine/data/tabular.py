"""Table sources: ``csv`` (header row, numeric features, one target column) and ``npz`` arrays."""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np

from engine.data.common import Source, make_rng, resolve_path, task_param, test_fraction_param
from engine.data.dataset import Dataset, make_dataset
from engine.data.images import image_input_names
from engine.errors import ProjectError
from engine.params import Param
from engine.registry import SOURCES

# With no `task` given, whole-number targets with at most this many distinct values classify.
MAX_AUTO_CLASSES = 20


def labels_from_text(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Integer labels and sorted class names for text targets (names keep the text)."""
    names, labels = np.unique(values, return_inverse=True)
    return labels.reshape(-1).astype(np.int64), [str(name) for name in names]


def labels_from_numbers(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Integer labels for whole-number targets, classes sorted by value and named by it."""
    uniques, labels = np.unique(values, return_inverse=True)
    return labels.reshape(-1).astype(np.int64), [str(int(v)) for v in uniques]


def decide_task(task: str | None, numbers: np.ndarray | None, integer_dtype: bool = False) -> str:
    """The task: as given, else classification for text, integer dtypes or few whole numbers."""
    if task is not None:
        return task
    if numbers is None or integer_dtype:
        return "classification"
    whole = bool(np.all(numbers == np.round(numbers)))
    return "classification" if whole and len(np.unique(numbers)) <= MAX_AUTO_CLASSES else \
        "regression"


def _read_rows(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, data rows and each row's line number; blank lines are skipped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectError(str(path), "(file)", f"not UTF-8 text ({exc.reason} at byte "
                                                f"{exc.start}); save the table as UTF-8 CSV") \
            from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                continue
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise ProjectError(str(path), f"line {reader.line_num}", f"not valid CSV: {exc}") from None
    if header is None:
        raise ProjectError(str(path), "line 1", "empty file; expected a header row of column "
                                                "names, then one row per sample")
    for index, name in enumerate(header):
        if not name:
            raise ProjectError(str(path), "line 1", f"column {index + 1} has no name; every "
                                                    "column needs a name in the header row")
        if name in header[:index]:
            raise ProjectError(str(path), "line 1", f"column name \"{name}\" appears twice")
    if not rows:
        raise ProjectError(str(path), "line 2", "no data rows after the header")
    return header, rows, lines


def read_csv_table(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Header, stripped cells ``(N, C)`` as strings, and the line number of each row."""
    header, rows, lines = _read_rows(path)
    widths = np.array([len(row) for row in rows])
    wrong = np.flatnonzero(widths != len(header))
    if wrong.size:
        first = wrong[0]
        raise ProjectError(str(path), f"line {lines[first]}",
                           f"{widths[first]} values but the header names {len(header)} "
                           "columns; every row needs one value per column")
    cells = np.char.strip(np.array(rows, dtype=str).reshape(len(rows), len(header)))
    return header, cells, np.array(lines)


def header_hint(header: list[str]) -> str:
    """A hint for the usual reasons a target column is not found: no header, wrong separator."""
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        return " (the file seems to use ';' or tabs; LayerLab reads comma-separated values)"
    try:
        np.array(header).astype(np.float64)
    except ValueError:
        return ""
    return " (the first line looks like data; add a header row of column names)"


def _where(lines: np.ndarray, row: int, column: str) -> str:
    return f"line {lines[row]}, column \"{column}\""


def parse_numbers(path: Path, cells: np.ndarray, names: list[str], lines: np.ndarray,
                  allowed: str) -> np.ndarray:
    """Cells ``(N, K)`` as float64; the first empty or non-numeric cell is a ProjectError."""
    empty = np.argwhere(np.char.str_len(cells) == 0)
    if empty.size:
        row, col = empty[0]
        raise ProjectError(str(path), _where(lines, row, names[col]),
                           f"empty value; expected {allowed}")
    try:
        numbers = cells.astype(np.float64)
    except ValueError:
        numbers = None
    if numbers is None:
        # Only on failure: find the first bad cell, scanning rows in file order.
        for row in range(cells.shape[0]):
            for col in range(cells.shape[1]):
                try:
                    float(cells[row, col])
                except ValueError:
                    raise ProjectError(str(path), _where(lines, row, names[col]),
                                       f"\"{cells[row, col]}\" is not a number; expected "
                                       f"{allowed}") from None
        raise AssertionError("numpy rejected a cell that float() accepts")
    bad = np.argwhere(~np.isfinite(numbers))
    if bad.size:
        row, col = bad[0]
        raise ProjectError(str(path), _where(lines, row, names[col]),
                           f"\"{cells[row, col]}\" is not a finite number; expected {allowed}")
    return numbers


@SOURCES.register("csv")
class CsvSource(Source):
    """A CSV table: a header row, numeric feature columns and one target column."""

    kind = "vector"
    params = (
        Param("path", "path", None, "CSV file with a header row (comma-separated, UTF-8)",
              required=True),
        Param("target", "str", None, "name of the column to predict; every other column is "
              "a numeric feature", required=True),
        task_param(),
        test_fraction_param(0.2),
    )

    @classmethod
    def load(cls, settings: dict, seed: int, base_dir: Path | None,
             file: str | None) -> Dataset:
        """Parse the table, check every cell, and split it with ``test_fraction``."""
        path = resolve_path(settings["path"], base_dir, file, "data.path")
        header, cells, lines = read_csv_table(path)
        target = settings["target"]
        if target not in header:
            raise ProjectError(file, "data.target", f"no column \"{target}\" in {path.name}; "
                                                    f"columns: {', '.join(header)}"
                                                    + header_hint(header))
        target_col = header.index(target)
        feature_cols = [i for i in range(len(header)) if i != target_col]
        feature_names = [header[i] for i in feature_cols]
        if not feature_cols:
            raise ProjectError(file, "data.target", f"{path.name} has no columns besides the "
                                                    "target; add feature columns")
        x = parse_numbers(path, cells[:, feature_cols], feature_names, lines, "a number")
        y_text = cells[:, target_col]
        y, task, classes = cls.parse_target(path, y_text, target, lines, settings.get("task"))
        return make_dataset(x, y, task=task, kind="vector", source="csv",
                            test_fraction=settings["test_fraction"], rng=make_rng(seed),
                            classes=classes, input_names=feature_names,
                            target_names=[target] if task == "regression" else [],
                            settings=settings)

    @classmethod
    def parse_target(cls, path: Path, y_text: np.ndarray, target: str, lines: np.ndarray,
                     task: str | None) -> tuple[np.ndarray, str, list[str] | None]:
        """Labels or values of the target column, the task, and the class names."""
        column = y_text[:, None]
        empty = np.flatnonzero(np.char.str_len(y_text) == 0)
        if empty.size:
            raise ProjectError(str(path), _where(lines, empty[0], target),
                               "empty value; every row needs a target")
        if task == "regression":
            values = parse_numbers(path, column, [target], lines, "a number (regression)")
            return values, "regression", None
        try:
            numbers = y_text.astype(np.float64)
        except ValueError:
            numbers = None
        if numbers is not None and not np.all(np.isfinite(numbers)):
            numbers = None
        task = decide_task(task, numbers)
        if task == "regression":
            return numbers.reshape(-1, 1), "regression", None
        if numbers is not None:
            fractional = np.flatnonzero(numbers != np.round(numbers))
            if fractional.size:
                raise ProjectError(str(path), _where(lines, fractional[0], target),
                                   f"\"{y_text[fractional[0]]}\" is not a class label; labels "
                                   "are whole numbers or text (or set task: regression)")
            labels, classes = labels_from_numbers(numbers)
        else:
            labels, classes = labels_from_text(y_text)
        if len(classes) < 2:
            raise ProjectError(str(path), f"column \"{target}\"", f"only one class "
                                                                 f"(\"{classes[0]}\"); "
                                                                 "classification needs two or "
                                                                 "more")
        return labels, "classification", classes


def _load_npz_array(path: Path, archive, key: str, file: str | None, where: str) -> np.ndarray:
    if key not in archive.files:
        raise ProjectError(file, where, f"no array \"{key}\" in {path.name}; arrays: "
                                        f"{', '.join(archive.files) or 'none'}")
    try:
        return archive[key]
    except ValueError as exc:
        raise ProjectError(file, where, f"{path.name}: array \"{key}\" cannot be read without "
                                        f"unpickling ({exc}); store plain numeric or string "
                                        "arrays") from None


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
        """Read x and y with ``allow_pickle=False``, check shapes and values, and split."""
        path = resolve_path(settings["path"], base_dir, file, "data.path")
        try:
            archive = np.load(path, allow_pickle=False)
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise ProjectError(file, "data.path", f"{path.name} is not a readable .npz file "
                                                  f"({exc})") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ProjectError(file, "data.path", f"{path.name} holds a single array; save x "
                                                  "and y together with numpy.savez")
        with archive:
            x = _load_npz_array(path, archive, settings["x"], file, "data.x")
            y = _load_npz_array(path, archive, settings["y"], file, "data.y")
        x = cls.check_samples(path, x, settings["x"], file)
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
        if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
            raise ProjectError(file, "data.x", f"\"{key}\" contains NaN or infinite values")
        return x

    @classmethod
    def check_targets(cls, path: Path, y: np.ndarray, settings: dict, file: str | None):
        """Labels (classification) or ``(N, k)`` values (regression), task, classes, names."""
        key = settings["y"]
        if y.dtype.kind in "US":
            if settings.get("task") == "regression":
                raise ProjectError(file, "data.y", f"\"{key}\" holds text; regression needs "
                                                   "numbers")
            if y.ndim != 1:
                raise ProjectError(file, "data.y", f"text labels must be 1-D, got {y.shape}")
            labels, classes = labels_from_text(y.astype(str))
            return labels, "classification", cls._check_classes(classes, key, file), []
        if y.dtype.kind not in "biuf":
            raise ProjectError(file, "data.y", f"\"{key}\" holds {y.dtype} values; targets "
                                               "must be numbers or text")
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise ProjectError(file, "data.y", f"\"{key}\" contains NaN or infinite values")
        numbers = y.astype(np.float64)
        if y.ndim == 2 and settings.get("task") != "classification":
            task = "regression"
        elif y.ndim == 1:
            task = decide_task(settings.get("task"), numbers, integer_dtype=y.dtype.kind in "biu")
        else:
            raise ProjectError(file, "data.y", f"\"{key}\" has shape {y.shape}; classification "
                                               "needs (N,) integer labels (not one-hot), "
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
