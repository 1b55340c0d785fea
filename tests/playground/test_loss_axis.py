"""The loss plot's log axis (the shared axes.LogAxis) labels ticks that never touch."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QFontMetrics

from app_fixtures import shown


def labelled_ticks(axis, low: float, high: float):
    """(log value, text) of the labelled ticks the axis picks for ``low..high``."""
    levels = axis.tickValues(np.log10(low), np.log10(high), axis.geometry().height())
    values = levels[0][1]
    return list(zip(values, axis.tickStrings(values, 1.0, 1.0)))


def test_short_axis_keeps_labels_apart(qtbot):
    from playground.stepthrough.axes import LogAxis
    from playground.views.loss_view import LossView
    view = shown(qtbot, LossView(), 400, 300)
    axis = view.loss_plot.getAxis("left")
    assert isinstance(axis, LogAxis)
    qtbot.waitUntil(lambda: axis.geometry().height() > 50)
    labelled = labelled_ticks(axis, 0.02, 1.2)
    pixels = axis.geometry().height() / (np.log10(1.2) - np.log10(0.02))
    gap = QFontMetrics(axis.style.get("tickFont") or axis.font()).height()
    positions = sorted(v for v, _ in labelled)
    assert np.diff(positions).min() * pixels >= gap            # no two labels touch
    assert {"0.1", "1"} <= {t for _, t in labelled}              # powers of ten shown
    assert len(labelled) < 16                                   # not every 2…9 multiple


def test_narrow_range_still_gets_labels_apart(qtbot):
    from playground.views.loss_view import LossView
    view = shown(qtbot, LossView(), 400, 300)
    axis = view.loss_plot.getAxis("left")
    qtbot.waitUntil(lambda: axis.geometry().height() > 50)
    labelled = labelled_ticks(axis, 0.04, 0.09)     # less than a decade (the spiral's range)
    assert len(labelled) >= 2
    pixels = axis.geometry().height() / (np.log10(0.09) - np.log10(0.04))
    gap = QFontMetrics(axis.style.get("tickFont") or axis.font()).height()
    assert np.diff(sorted(v for v, _ in labelled)).min() * pixels >= gap


def test_tall_axis_labels_one_two_five(qtbot):
    from playground.views.loss_view import LossView
    view = shown(qtbot, LossView(), 400, 1600)
    axis = view.loss_plot.getAxis("left")
    qtbot.waitUntil(lambda: axis.geometry().height() > 500)
    texts = {t for _, t in labelled_ticks(axis, 0.1, 1.0)}
    assert {"0.2", "0.5"} <= texts
