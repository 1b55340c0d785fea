"""The loss plot's log axis labels in-between ticks only where they do not touch."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QFontMetrics

from app_fixtures import shown


def shown_labels(axis, values):
    """(value, text) pairs the axis would draw."""
    texts = axis.logTickStrings(list(values), 1.0, 1.0)
    return [(v, t) for v, t in zip(values, texts) if t]


def test_short_axis_keeps_labels_apart(qtbot):
    from playground.views.loss_view import LogTicksAxis, LossView
    view = shown(qtbot, LossView(), 400, 300)
    view.loss_plot.setYRange(np.log10(0.02), np.log10(1.2), padding=0)
    axis = view.loss_plot.getAxis("left")
    assert isinstance(axis, LogTicksAxis)
    qtbot.waitUntil(lambda: axis.geometry().height() > 50)
    minors = np.log10([m * 10.0 ** e for e in (-2, -1) for m in range(2, 10)])
    values = [-1.0, 0.0] + list(minors)
    labelled = shown_labels(axis, values)
    pixels = axis.geometry().height() / (axis.range[1] - axis.range[0])
    gap = QFontMetrics(axis.style.get("tickFont") or axis.font()).height()
    positions = sorted(v for v, _ in labelled)
    assert np.diff(positions).min() * pixels >= gap            # no two labels touch
    assert {"0.1", "1"} <= {t for _, t in labelled}                # powers of ten always shown
    assert "0.05" in {t for _, t in labelled}                      # and 5× before 3×, 7×, ...
    assert len(labelled) < len(values)                             # something had to go


def test_tall_axis_labels_every_tick(qtbot):
    from playground.views.loss_view import LossView
    view = shown(qtbot, LossView(), 400, 1600)
    view.loss_plot.setYRange(np.log10(0.1), np.log10(1.0), padding=0)
    axis = view.loss_plot.getAxis("left")
    qtbot.waitUntil(lambda: axis.geometry().height() > 500)
    values = list(np.log10([0.2, 0.3, 0.5, 0.7]))
    assert len(shown_labels(axis, values)) == 4
