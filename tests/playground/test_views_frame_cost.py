"""Frame cost of the live views: what they skip or reduce must not change what is shown."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

from app_fixtures import shown
from playground import theme
from playground.snapshots import Snapshot
from playground.views import weights_view
from playground.views.loss_view import BATCH_ALPHA, GrowingSeries, LossView, faint_colour
from playground.views.neuron_view import NeuronView, to_qimage
from playground.views.onscreen import on_screen
from playground.views.weights_view import WeightsView


def _tabbed(qtbot, front, back) -> QMainWindow:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QLabel("centre"))
    docks = []
    for name, widget in (("front", front), ("back", back)):
        dock = QDockWidget(name, window)
        dock.setWidget(widget)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        docks.append(dock)
    window.tabifyDockWidget(docks[0], docks[1])
    window.resize(900, 700)
    window.show()
    docks[0].raise_()
    qtbot.waitExposed(window)
    return window


def _snapshot(step: int, scale: float = 1.0) -> Snapshot:
    rng = np.random.default_rng(step)
    maps = {"h": np.tanh(scale * rng.normal(size=(4, 32, 32))).astype(np.float32)}
    return Snapshot(step=step, epoch=0,
                    grid=rng.uniform(0, 1, (100, 100, 2)).astype(np.float32),
                    neuron_maps=maps,
                    weights={"h.weight": rng.normal(size=(2, 4)).astype(np.float32),
                             "out.weight": rng.normal(size=(4, 1)).astype(np.float32)},
                    gradients={"h.weight": rng.normal(size=(2, 4)).astype(np.float32)})


def test_series_revision_counts_changes():
    series = GrowingSeries(8, max_points=16)
    start = series.revision
    series.extend([], [])
    assert series.revision == start                     # nothing added: nothing to redraw
    series.extend(np.arange(20), np.ones(20))           # thinned past max_points
    assert series.revision == start + 1
    series.clear()
    assert series.revision == start + 2


def test_refresh_sets_only_changed_curves(qtbot, monkeypatch):
    view = LossView()
    qtbot.addWidget(view)
    view.add_steps(np.arange(1, 11), np.linspace(1, 0.1, 10))
    view.add_evaluation(10, {"train_loss": 0.2, "test_loss": 0.3, "train_accuracy": 0.8,
                             "test_accuracy": 0.7})
    view.refresh()
    calls = []
    for curve in view.curves():
        original = curve.setData
        monkeypatch.setattr(curve, "setData", lambda *a, _o=original, _c=curve, **k:
                            (calls.append(_c), _o(*a, **k)))
    view.add_steps(np.arange(11, 21), np.linspace(0.1, 0.05, 10))
    view.refresh()
    assert calls == [view.train_curve]                   # evaluation curves untouched
    assert len(view.train_curve.xData) == 20
    calls.clear()
    view.add_evaluation(20, {"train_loss": 0.1, "test_loss": 0.2, "train_accuracy": 0.9,
                             "test_accuracy": 0.8})
    view.refresh()
    assert view.train_curve not in calls and len(calls) == 4


def test_batch_curve_is_downsampled_but_keeps_its_noise_band(qtbot):
    view = shown(qtbot, LossView(), 520, 400)
    rng = np.random.default_rng(0)
    steps = np.arange(1, 4001)
    losses = np.exp(rng.normal(-3, 1.2, steps.size))
    view.add_steps(steps, losses)
    view.refresh()
    shown_x, shown_y = view.train_curve.getData()
    assert len(view.train_curve.xData) == steps.size    # every point is kept
    pixels = view.loss_plot.getPlotItem().getViewBox().width()
    assert len(shown_x) <= 3 * pixels < steps.size       # about a min/max pair per pixel
    # The band's extremes survive (display values are log10: the axis is logarithmic).
    assert shown_y.max() >= np.log10(np.quantile(losses, 0.999))
    assert shown_y.min() <= np.log10(np.quantile(losses, 0.001))


def test_batch_pen_is_opaque_and_follows_the_background(qtbot, monkeypatch):
    view = LossView()
    qtbot.addWidget(view)
    colour = view.train_curve.opts["pen"].color()
    assert colour.alpha() == 255
    assert (colour.red(), colour.green(), colour.blue()) == \
        faint_colour(theme.LOSS_TRAIN, BATCH_ALPHA, (255, 255, 255))
    monkeypatch.setattr(theme, "PLOT_BACKGROUND", "#1e2024")
    view.refresh()
    dark = view.train_curve.opts["pen"].color()
    assert (dark.red(), dark.green(), dark.blue()) == \
        faint_colour(theme.LOSS_TRAIN, BATCH_ALPHA, (0x1E, 0x20, 0x24))
    assert dark.lightness() < 100


def test_faint_colour_is_the_alpha_blend():
    assert faint_colour((31, 119, 208), 255, (255, 255, 255)) == (31, 119, 208)
    assert faint_colour((31, 119, 208), 0, (255, 255, 255)) == (255, 255, 255)
    assert faint_colour((0, 0, 0), 70, (255, 255, 255)) == (185, 185, 185)


def test_tab_behind_another_is_not_on_screen(qtbot):
    front, back = QLabel("front"), QLabel("back")
    window = _tabbed(qtbot, front, back)
    assert window.isVisible()
    assert back.isVisible()                      # Qt calls it visible ...
    assert on_screen(front) and not on_screen(back)   # ... but none of it can be seen


def test_neuron_view_behind_a_tab_waits_then_catches_up(qtbot):
    view = NeuronView()
    view.set_features(["x1", "x2"])
    window = _tabbed(qtbot, QLabel("front"), view)
    assert window.isVisible()
    view.update_snapshot(_snapshot(1), ["h"], "out")
    assert view.columns == [] and view._pending is not None
    view.parentWidget().raise_()                 # its dock comes to the front
    qtbot.waitUntil(lambda: on_screen(view), timeout=2000)
    view.show_pending()
    assert [len(images) for _, images in view.columns] == [2, 4, 1]
    assert view._pending is None


def test_neuron_tiles_reuse_their_buffers_and_match_to_qimage(qtbot):
    view = shown(qtbot, NeuronView(), 600, 400)
    view.set_features(["x1", "x2"])
    first = _snapshot(1)
    view.update_snapshot(first, ["h"], "out")
    images = view.columns[1][1]
    maps = first.neuron_maps["h"]
    scaled = maps / np.maximum(np.abs(maps).max(axis=(1, 2), keepdims=True), 1.0)
    expected = to_qimage(scaled[2], view.lut)
    assert images[2].pixel(5, 7) == expected.pixel(5, 7)
    assert images[2].pixel(31, 0) == expected.pixel(31, 0)   # x2 points up in both
    view.update_snapshot(_snapshot(2, scale=3.0), ["h"], "out")
    again = view.columns[1][1]
    assert [id(i) for i in again] == [id(i) for i in images]  # same QImages, new pixels
    second = _snapshot(2, scale=3.0).neuron_maps["h"]
    scaled = second / np.maximum(np.abs(second).max(axis=(1, 2), keepdims=True), 1.0)
    assert again[0].pixel(3, 3) == to_qimage(scaled[0], view.lut).pixel(3, 3)


def test_weight_histograms_are_rate_limited_but_end_on_the_newest(qtbot, monkeypatch):
    clock = {"now": 100.0}
    monkeypatch.setattr(weights_view.time, "perf_counter", lambda: clock["now"])
    view = WeightsView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    qtbot.waitExposed(view)
    view.update_snapshot(_snapshot(1))
    drawn = view.weight_curve.yData.copy()
    newest = _snapshot(2, scale=5.0)
    newest.weights["h.weight"] *= 40
    clock["now"] += 0.05
    view.update_snapshot(newest)
    np.testing.assert_array_equal(view.weight_curve.yData, drawn)   # held back
    view.show_pending()
    np.testing.assert_array_equal(view.weight_curve.yData, drawn)   # still too soon
    clock["now"] += weights_view.HISTOGRAM_INTERVAL
    view.show_pending()
    values = np.concatenate([newest.weights[n].ravel() for n in view._names])
    counts, edges = np.histogram(values, bins=weights_view.HISTOGRAM_BINS)
    np.testing.assert_array_equal(view.weight_curve.yData, counts)
    np.testing.assert_allclose(view.weight_curve.xData, edges)
    assert not view._histograms_due


def test_weights_behind_a_tab_are_drawn_when_brought_forward(qtbot):
    view = WeightsView()
    window = _tabbed(qtbot, QLabel("front"), view)
    assert window.isVisible()
    view.update_snapshot(_snapshot(1))
    assert view.images == {} and view._pending is not None
    view.parentWidget().raise_()                 # its dock comes to the front
    qtbot.waitUntil(lambda: on_screen(view), timeout=2000)
    view.show_pending()
    assert set(view.images) == {"h.weight", "out.weight"}
    assert isinstance(view.images["h.weight"], pg.ImageItem)
    view.shutdown()
