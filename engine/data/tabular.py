"""Table sources: ``csv`` (header row, numeric features, one target column) and ``npz`` arrays."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from engine.data.common import (FLOAT32_MAX, Source, beyond_float32, make_rng, resolve_path,
                                task_param, test_fraction_param)
from engine.data.dataset import Dataset, make_dataset
from engine.errors import ProjectError, os_reason
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
    except OSError as exc:  # permission denied, I/O error, ...
        raise ProjectError(str(path), "(file)", f"cannot read the file: "
                                                f"{os_reason(exc)}") from None
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
            raise ProjectError(str(path), "line 1", f"column name \"{name}\" appears twice"
                               + header_hint(header))
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
                           "columns; every row needs one value per column"
                           + _row_hint(header, rows[first]))
    cells = np.char.strip(np.array(rows, dtype=str).reshape(len(rows), len(header)))
    return header, cells, np.array(lines)


def _row_hint(header: list[str], row: list[str]) -> str:
    """Why a row may have the wrong width: another separator, or a quote left open."""
    if any("\n" in cell or "\r" in cell for cell in row):
        return " (a quote \" opened on this line is never closed)"
    return header_hint(header)


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
    huge = np.argwhere(beyond_float32(numbers))
    if huge.size:
        row, col = huge[0]
        raise ProjectError(str(path), _where(lines, row, names[col]),
                           f"\"{cells[row, col]}\" is too large for 32-bit floats (at most "
                           f"±{FLOAT32_MAX:.3g}); rescale the column")
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
            # Numbers with a "nan" or "inf" among them: a missing value, not a class "nan".
            row = int(np.flatnonzero(~np.isfinite(numbers))[0])
            raise ProjectError(str(path), _where(lines, row, target),
                               f"\"{y_text[row]}\" is not a finite number; the other targets "
                               "are numbers, so fill in this value or remove the row")
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
