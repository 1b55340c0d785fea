"""playground.report draws every kind of report as a real PNG without Qt."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from playground.report import ReportData, render_report, title_line

HISTORY = [{"epoch": e, "train_loss": 1 / e, "test_loss": 1.1 / e, "train_accuracy": 0.5 + e / 10,
            "test_accuracy": 0.5 + e / 11, "train_r2": e / 4, "test_r2": e / 5} for e in (1, 2, 3)]


def _data(task: str, kind: str, x: np.ndarray, y: np.ndarray, predict, classes=None) -> ReportData:
    final = {"train_loss": 0.3, "test_loss": 0.35}
    if task == "classification":
        final.update(train_accuracy=0.9, test_accuracy=0.875)
    else:
        final.update(train_r2=0.8, test_r2=0.75, train_accuracy=None, test_accuracy=None)
    return ReportData("Demo", task, kind, HISTORY, final, predict, x, y, x, y, classes)


def _binary(x: np.ndarray) -> np.ndarray:
    p = 1 / (1 + np.exp(-x[:, 0]))
    return np.stack([1 - p, p], axis=1)


def _is_png(blob: bytes) -> bool:
    return blob[:8] == b"\x89PNG\r\n\x1a\n" and len(blob) > 10_000


@pytest.mark.parametrize("case", ["binary", "multiclass", "regression2d", "image", "vector"])
def test_render_report_kinds(case: str) -> None:
    rng = np.random.default_rng(1)
    if case == "binary":
        x = rng.normal(size=(40, 2)).astype(np.float32)
        data = _data("classification", "2d", x, (x[:, 0] > 0).astype(np.int64), _binary)
    elif case == "multiclass":
        x = rng.normal(size=(40, 2)).astype(np.float32)
        probs = lambda v: np.eye(3)[(np.abs(v[:, 0]).astype(int)) % 3]  # noqa: E731
        data = _data("classification", "2d", x, rng.integers(0, 3, 40), probs, ["a", "b", "c"])
    elif case == "regression2d":
        x = rng.normal(size=(40, 2)).astype(np.float32)
        data = _data("regression", "2d", x, x[:, :1] + x[:, 1:], lambda v: v[:, :1] - v[:, 1:])
    elif case == "image":
        x = rng.random((30, 1, 8, 8)).astype(np.float32)
        probs = lambda v: np.eye(10)[np.arange(len(v)) % 10]  # noqa: E731
        data = _data("classification", "image", x, rng.integers(0, 10, 30), probs)
    else:
        x = rng.normal(size=(30, 5)).astype(np.float32)
        data = _data("regression", "vector", x, x[:, :1], lambda v: v[:, :1] * 0.9)
    assert _is_png(render_report(data))


def test_report_module_does_not_import_qt() -> None:
    import subprocess
    code = ("import sys, numpy as np; from playground.report import ReportData, render_report;"
            "print(any(m.startswith('PySide6') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_title_names_metrics_and_divergence() -> None:
    x = np.zeros((2, 2), np.float32)
    data = _data("classification", "2d", x, np.zeros(2, np.int64), _binary)
    assert "87.5%" in title_line(data)
    data.diverged = True
    assert "DIVERGED" in title_line(data)
    reg = _data("regression", "2d", x, np.zeros((2, 1)), lambda v: v[:, :1])
    assert "R² 0.75" in title_line(reg)
