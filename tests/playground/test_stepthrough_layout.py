"""Step-through presentation: tick choices, the maths table format, tooltips, small dock sizes."""
import math
import re

import numpy as np
import pytest
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox,
                               QSlider, QTabBar)
from test_stepthrough_stage_view import make_trainer

from engine.diagnostics import diagnose
from engine.neuron_math import explain_neuron
from engine.snapshots import SnapshotStore
from engine.stepthrough import capture_step
from playground.stepthrough import StepThroughPanel, TimelineView, WeightEditor
from playground.stepthrough.axes import LABEL_SPACING_PX, integer_ticks, log_ticks
from playground.stepthrough.math_html import gradient_table, number


def _labels(low: float, high: float, size: float) -> list[float]:
    return [10.0 ** v for v in log_ticks(low, high, size)[0]]


def test_log_ticks_fit_the_axis_and_never_label_every_multiple():
    # Under two decades on a short axis: a few 1-2-5 labels, not nine piled-up ones.
    assert _labels(np.log10(0.03), np.log10(0.4), 100) == pytest.approx([0.05, 0.1, 0.2])
    # Many decades on a short axis: decades, thinned to what fits (22 px per label).
    wide = _labels(-8, 2, 80)
    assert 2 <= len(wide) <= 3 and all(math.log10(v) == round(math.log10(v)) for v in wide)
    # Inside one multiple: plain linear steps, still at least two labels.
    narrow = _labels(np.log10(0.13), np.log10(0.19), 100)
    assert len(narrow) >= 2 and all(0.13 <= v <= 0.19 for v in narrow)
    labelled, minor = log_ticks(-3, -1, 300)
    assert not set(labelled) & set(minor)
    assert log_ticks(1.0, 1.0, 100) == ([], [])


def test_log_tick_labels_keep_their_distance_on_any_range():
    rng = np.random.default_rng(0)
    for low, span, size in zip(rng.uniform(-8, 2, 400), 10.0 ** rng.uniform(-2.5, 1, 400),
                               rng.uniform(40, 600, 400)):
        labelled = np.array(log_ticks(low, low + span, size)[0])
        assert len(labelled) >= 1
        if len(labelled) > 1:
            assert np.diff(labelled).min() * size / span >= LABEL_SPACING_PX - 1e-6
    # The review's case: 0.09 and 0.1 were drawn on top of each other.
    assert _labels(np.log10(0.085), np.log10(0.21), 90) == pytest.approx([0.1, 0.2])


def test_integer_ticks_drop_fractional_steps():
    levels = [(0.5, [1.0, 1.5, 2.0, 2.5]), (0.1, [1.1, 1.2])]
    assert integer_ticks(levels, 1.0, 2.6) == [(1.0, [1.0, 2.0])]
    assert integer_ticks([(1.0, [0.0, 1.0]), (0.5, [0.5])], 0, 1) == [(1.0, [0.0, 1.0])]


def test_diagnostics_axes_show_whole_steps_and_the_legend_sits_outside(qtbot):
    panel = StepThroughPanel()
    qtbot.addWidget(panel)
    trainer = make_trainer()
    for _ in range(3):
        panel.add_diagnostics(diagnose(capture_step(trainer)))
    view = panel.diagnostics_view
    bottom = view.grad_plot.getAxis("bottom")
    values = [v for _, level in bottom.tickValues(0.5, 3.5, 600) for v in level]
    assert values and all(v == int(v) for v in values)
    assert bottom.tickStrings([1.0, 2.0], 1.0, 1.0) == ["1", "2"]
    assert view.grad_plot.getPlotItem().legend is None        # no legend drawn over the curves
    legend = view.legend.text()
    assert all(layer in legend for layer in ("dense_1", "dense_2", "dense_3"))
    assert "1e-3" in legend
    assert view.grad_plot.getAxis("left").tickStrings([-3.0, -1.0], 1.0, 1.0) == ["0.001", "0.1"]


def test_histograms_have_a_count_axis(qtbot):
    panel = StepThroughPanel()
    qtbot.addWidget(panel)
    panel.show_capture(capture_step(make_trainer()))
    histogram = panel.stage_view.panels[0].histogram_plot
    axis = histogram.getAxis("left")
    assert axis.style["showValues"] and axis.labelText == "count"
    assert all(v == int(v) for _, level in axis.tickValues(0, 3.5, 80) for v in level)


def test_maths_table_numbers_have_four_digits_and_never_wrap():
    math_ = explain_neuron(capture_step(make_trainer()), "dense_2", 1, 0)
    table = gradient_table(math_)
    cells = re.findall(r"<td align='right' style='([^']*)'>([^<]*)</td>", table)
    numbers = [text for _, text in cells if text and text != "bias b"]
    assert numbers and all("nowrap" in style and "monospace" in style for style, _ in cells)
    for text in numbers:
        if re.fullmatch(r"-?[\d.]+(e[+-]\d+)?", text):
            assert len(re.sub(r"e.*|[-.]|^0+|(?<=\.)0+", "", text).lstrip("0")) <= 4, text
    assert number(0.0095779) == "0.009578" and number(-0.0) == "0"
    assert f"<td align='right' style='white-space: nowrap; font-family: monospace'>" \
           f"{number(math_.weights[0])}</td>" in table


def _controls(widget):
    """Buttons, combo boxes, spin boxes and sliders a person can use (not Qt's own parts)."""
    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QSlider)
    for child in (c for kind in kinds for c in widget.findChildren(kind)):
        parent, internal = child.parentWidget(), False
        while parent is not None:
            if isinstance(parent, (QTabBar, QAbstractItemView)):
                internal = True
            parent = parent.parentWidget()
        if not internal:
            yield child


def test_every_step_through_control_has_a_tooltip(qtbot):
    trainer = make_trainer()
    panel = StepThroughPanel()
    timeline = TimelineView(SnapshotStore())
    editor = WeightEditor(trainer.model)
    for widget in (panel, timeline, editor):
        qtbot.addWidget(widget)
    panel.show_capture(capture_step(trainer))
    missing = [f"{type(w).__name__} {w.objectName()!r} {getattr(w, 'text', lambda: '')()!r}"
               for top in (panel, timeline, editor) for w in _controls(top) if not w.toolTip()]
    assert missing == []
    assert sum(1 for top in (panel, timeline, editor) for _ in _controls(top)) >= 15
    assert all(panel.tabToolTip(i) for i in range(panel.count()))
    assert panel.findChild(QComboBox, "stageList").toolTip()


def test_the_dock_stays_small_after_steps(qtbot):
    panel = StepThroughPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    before = panel.minimumSizeHint()
    trainer = make_trainer()
    panel.show_capture(capture_step(trainer))
    for _ in range(len(panel.stage_view.stages)):
        panel.stage_view.next_stage()
        qtbot.wait(1)
        hint = panel.minimumSizeHint()
        assert hint.height() <= 230 and hint.width() <= 450, hint
    assert panel.minimumSizeHint().height() <= max(before.height(), 230)
    panel.resize(420, 240)                                  # a small laptop dock still works
    qtbot.wait(1)
    assert panel.height() == 240 and panel.width() == 420
