"""Shared fixtures for the main-window tests (imported by the test_app_*.py files)."""
from __future__ import annotations

import copy

import pytest

CIRCLE = {
    "layerlab": 1, "name": "Circle test", "seed": 3,
    "data": {"source": "circle", "samples": 200, "noise": 0.1, "test_fraction": 0.5},
    "network": {"layers": [{"type": "dense", "units": 4, "activation": "tanh"},
                           {"type": "dense", "units": 2, "activation": "tanh"},
                           {"type": "dense", "units": 1, "activation": "sigmoid"}]},
    "training": {"loss": "binary_crossentropy",
                 "optimizer": {"type": "adam", "learning_rate": 0.03},
                 "batch_size": 10, "epochs": 100000},
}

DIVERGING = {
    "layerlab": 1, "name": "Diverges",
    "data": {"source": "plane", "samples": 200},
    "network": {"layers": [{"type": "dense", "units": 16, "activation": "relu"},
                           {"type": "dense", "units": 1}]},
    "training": {"loss": "mse", "optimizer": {"type": "sgd", "learning_rate": 10.0},
                 "batch_size": 10, "epochs": 1000},
}


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    """Build main windows on a throw-away settings file; closes them (and workers) after."""
    monkeypatch.setenv("LAYERLAB_SETTINGS", str(tmp_path / "settings.ini"))
    from playground.app import create_main_window
    windows = []

    def make(project=None):
        window = create_main_window(copy.deepcopy(project) if isinstance(project, dict)
                                    else project)
        window.files.confirm_discard = lambda: True   # no modal prompts in tests
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        assert not window.worker.alive


def loss_points(window) -> int:
    """Points given to lossPlot's first data item (``getData`` is the downsampled display)."""
    import pyqtgraph as pg
    plot = window.findChild(pg.PlotWidget, "lossPlot")
    x = plot.getPlotItem().listDataItems()[0].xData
    return 0 if x is None else len(x)


def step_count(window) -> int:
    """The number in the stepCounter label."""
    from PySide6.QtWidgets import QLabel
    text = window.findChild(QLabel, "stepCounter").text()
    return int("".join(ch for ch in text if ch.isdigit()) or 0)


def shown(qtbot, widget, width: int, height: int):
    """A widget added to qtbot, sized, shown and exposed (views lay out only when shown)."""
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
