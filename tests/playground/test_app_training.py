"""Training through the real window: step, train/pause, divergence, errors, soak, closing."""
from __future__ import annotations

import time

from PySide6.QtGui import QAction

from playground.views.loss_view import MAX_POINTS
from app_fixtures import CIRCLE, DIVERGING, loss_points, make_window, step_count  # noqa: F401


def action(window, name: str) -> QAction:
    """A QAction by its automation name."""
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


def test_step_five_times_gives_five_loss_points(make_window, qtbot):
    window = make_window(CIRCLE)
    step = action(window, "actionStep")
    assert step.isEnabled()
    for _ in range(5):
        step.trigger()
    qtbot.waitUntil(lambda: loss_points(window) == 5, timeout=5000)
    qtbot.waitUntil(lambda: step_count(window) == 5, timeout=2000)
    assert "5" in window.findChild(type(window.step_counter), "stepCounter").text()
    assert not action(window, "actionTrain").isChecked()


def test_train_then_pause_stops_counting(make_window, qtbot):
    window = make_window(CIRCLE)
    train = action(window, "actionTrain")
    train.trigger()
    assert train.isChecked()
    qtbot.waitUntil(lambda: step_count(window) > 50, timeout=5000)
    train.trigger()
    assert not train.isChecked()
    qtbot.waitUntil(lambda: not window.worker.is_running, timeout=2000)
    qtbot.wait(100)
    paused_at = step_count(window)
    qtbot.wait(300)
    assert step_count(window) == paused_at
    # Every step is recorded; long runs keep every stride-th (bounded by MAX_POINTS).
    series = window.views.loss.train
    assert loss_points(window) == series.size <= MAX_POINTS
    assert paused_at - series.stride < series.view()[0][-1] <= paused_at
    if paused_at <= MAX_POINTS:
        assert loss_points(window) == paused_at


def test_reset_clears_curves_and_counter(make_window, qtbot):
    window = make_window(CIRCLE)
    for _ in range(3):
        action(window, "actionStep").trigger()
    qtbot.waitUntil(lambda: loss_points(window) == 3, timeout=5000)
    action(window, "actionReset").trigger()
    qtbot.waitUntil(lambda: loss_points(window) == 0 and step_count(window) == 0, timeout=3000)


def test_learning_rate_change_applies_while_running(make_window, qtbot):
    window = make_window(CIRCLE)
    action(window, "actionTrain").trigger()
    qtbot.waitUntil(lambda: step_count(window) > 20, timeout=5000)
    training = dict(window.session.spec["training"])
    training["optimizer"] = {**training["optimizer"], "learning_rate": 0.005}
    window.session.set_training(training, "rate")
    assert window.worker.is_running or window.actions["Train"].isChecked()
    qtbot.waitUntil(lambda: window.worker.call(lambda t: t.learning_rate) == 0.005,
                    timeout=3000)
    assert window.worker.is_running


def test_divergence_pauses_with_a_message(make_window, qtbot):
    window = make_window(DIVERGING)
    action(window, "actionTrain").trigger()
    qtbot.waitUntil(lambda: "diverged" in window.banner.text(), timeout=5000)
    assert "learning rate" in window.banner.text()
    assert not window.worker.is_running
    qtbot.waitUntil(lambda: not action(window, "actionTrain").isChecked(), timeout=2000)
    weights = window.worker.call(lambda t: [p.data.copy() for p in t.model.parameters()])
    assert all(abs(w).max() < float("inf") for w in weights)


def test_worker_error_shows_message_and_app_stays_usable(make_window, qtbot):
    window = make_window(CIRCLE)

    def break_trainer(trainer):
        def fail(record=False):
            raise RuntimeError("simulated failure")
        trainer.step = fail
    action(window, "actionStep").trigger()
    qtbot.waitUntil(lambda: step_count(window) == 1, timeout=5000)
    window.worker.call(break_trainer)
    with qtbot.waitSignal(window.worker.failed, timeout=5000):
        action(window, "actionStep").trigger()
    qtbot.waitUntil(lambda: "simulated failure" in window.banner.text(), timeout=3000)
    # A fresh trainer is built after the failure: stepping works again.
    qtbot.waitUntil(lambda: action(window, "actionStep").isEnabled(), timeout=3000)
    qtbot.wait(300)
    action(window, "actionStep").trigger()
    qtbot.waitUntil(lambda: step_count(window) == 1 and loss_points(window) == 1, timeout=5000)


def test_soak_training_for_five_seconds(make_window, qtbot):
    window = make_window(CIRCLE)
    window.show()
    action(window, "actionTrain").trigger()
    end = time.monotonic() + 5.0
    seen = 0
    while time.monotonic() < end:
        qtbot.wait(100)
        seen = max(seen, step_count(window))
    assert seen > 500
    assert window.worker.alive
    assert loss_points(window) > 100


def test_closing_while_training_stops_the_worker(make_window, qtbot):
    window = make_window(CIRCLE)
    window.show()
    action(window, "actionTrain").trigger()
    qtbot.waitUntil(lambda: step_count(window) > 10, timeout=5000)
    thread = window.worker._thread
    assert window.close()
    assert not window.worker.alive
    assert thread is not None and not thread.is_alive()


def test_single_step_fills_the_step_through_panel(make_window, qtbot):
    window = make_window(CIRCLE)
    action(window, "actionStep").trigger()
    qtbot.waitUntil(lambda: step_count(window) == 1, timeout=5000)
    stage_view = window.step_through.stage_view
    qtbot.waitUntil(lambda: len(getattr(stage_view, "stages", []) or []) > 0, timeout=5000)


def test_views_update_after_steps(make_window, qtbot):
    window = make_window(CIRCLE)
    window.show()
    window.docks["Neurons"].raise_()
    for _ in range(3):
        action(window, "actionStep").trigger()
    neurons = window.views.neurons
    qtbot.waitUntil(lambda: len(neurons.columns) == 4, timeout=5000)
    # features (2), dense_1 (4), dense_2 (2), output (1): every neuron drawn with its values.
    assert [len(images) for _, images in neurons.columns] == [2, 4, 2, 1]
    neurons.repaint()
    assert len(neurons._neurons) == 9
    shapes = [values.shape for _, _, values in neurons._neurons]
    assert shapes == [(32, 32)] * 8 + [(100, 100)]     # the output is the decision grid
    boundary = window.views.boundary
    assert boundary._grid is not None and boundary._grid.shape == (100, 100, 2)
    assert boundary.image.image is not None
    window.docks["Weights"].raise_()
    qtbot.waitUntil(lambda: set(window.views.weights.images) ==
                    {"dense_1.weight", "dense_2.weight", "dense_3.weight"}, timeout=3000)
