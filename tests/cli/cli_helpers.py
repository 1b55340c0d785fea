"""Shared pieces of the CLI tests: tiny projects and a subprocess runner."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TINY_2D = {
    "layerlab": 1, "name": "Tiny circle", "seed": 3,
    "data": {"source": "circle", "samples": 120, "noise": 0.05, "test_fraction": 0.5,
             "features": ["x1", "x2", "x1^2", "x2^2"]},
    "network": {"layers": [{"type": "dense", "units": 6, "activation": "tanh"},
                           {"type": "dense", "units": 1, "activation": "sigmoid"}]},
    "training": {"optimizer": {"type": "adam", "learning_rate": 0.05}, "batch_size": 10,
                 "epochs": 2},
}
TINY_DIGITS = {
    "layerlab": 1, "name": "Tiny digits", "seed": 1,
    "data": {"source": "digits", "limit": 300},
    "network": {"layers": [{"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same",
                            "activation": "relu"},
                           {"type": "maxpool2d", "pool_size": 2, "stride": 2},
                           {"type": "flatten"},
                           {"type": "dense", "units": 10, "activation": "softmax"}]},
    "training": {"optimizer": {"type": "adam", "learning_rate": 0.01}, "batch_size": 32,
                 "epochs": 2},
}
TINY_REGRESSION = {
    "layerlab": 1, "name": "Tiny plane", "seed": 2,
    "data": {"source": "plane", "samples": 80},
    "network": {"layers": [{"type": "dense", "units": 4, "activation": "tanh"},
                           {"type": "dense", "units": 1, "activation": "linear"}]},
    "training": {"loss": "mse", "optimizer": {"type": "adam", "learning_rate": 0.01},
                 "batch_size": 8, "epochs": 1},
}
ERROR_LINE = r"^layerlab: error: .+: .+: .+$"


def layerlab(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m playground ARGS`` and capture its output."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("LAYERLAB_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "playground", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120)


def write_project(folder: Path, name: str, project: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(project), encoding="utf-8")
    return path


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}
