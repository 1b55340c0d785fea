"""Review findings through the real window: reset race, kept weights, Pause text, loss view."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel

from playground.worker import next_evaluation_step
from app_fixtures import CIRCLE, DIVERGING, loss_points, make_window, step_count  # noqa: F401


def test_reset_while_training_drops_every_earlier_record(make_window, qtbot):
    window = make_window(CIRCLE)
    train, reset = window.actions["Train"], window.actions["Reset"]
    for _ in range(2):
        train.trigger()
        qtbot.waitUntil(lambda: step_count(window) > 100, timeout=10000)
        reset.trigger()
        qtbot.wait(300)
        assert step_count(window) == 0
        assert loss_points(window) == 0
        assert window.views.loss.test.size <= 1     # at most the fresh weights' evaluation
    window.actions["Step"].trigger()
    window.actions["Step"].trigger()
    qtbot.waitUntil(lambda: step_count(window) == 2, timeout=3000)
    qtbot.waitUntil(lambda: loss_points(window) == 2, timeout=3000)
    x, _ = window.views.loss.train.view()
    assert list(x) == [1.0, 2.0]


def test_training_only_edit_keeps_the_weights(make_window, qtbot):
    window = make_window(CIRCLE)
    for _ in range(30):
        window.actions["Step"].trigger()
    qtbot.waitUntil(lambda: step_count(window) == 30, timeout=5000)
    trained = window.worker.call(lambda t: t.model.state_dict())
    training = dict(window.session.spec["training"], batch_size=20, epochs=50)
    window.session.set_training(training, "batch size")
    qtbot.waitUntil(lambda: window.trainer is not None
                    and window.trainer.project.training["batch_size"] == 20, timeout=3000)
    kept = window.worker.call(lambda t: t.model.state_dict())
    assert all(np.array_equal(trained[k], kept[k]) for k in trained)
    assert "with the trained weights" in window.statusBar().currentMessage()
    # The step count and the curve go on from step 30.
    assert window.trainer.steps == 30 and step_count(window) == 30
    assert loss_points(window) == 30
    window.actions["Step"].trigger()
    qtbot.waitUntil(lambda: step_count(window) == 31, timeout=3000)
    qtbot.waitUntil(lambda: loss_points(window) == 31, timeout=3000)
    x, _ = window.views.loss.train.view()
    assert list(x[-2:]) == [30.0, 31.0]
    # A network edit after that starts from fresh weights again.
    layers = [dict(layer) for layer in window.session.layers]
    layers[0]["units"] = 5
    window.session.set_layers(layers, "units")
    qtbot.waitUntil(lambda: window.trainer is not None
                    and window.trainer.model.state_dict()["dense_1.weight"].shape
                    != trained["dense_1.weight"].shape
                    if "dense_1.weight" in trained else window.trainer is not None,
                    timeout=3000)


def test_training_edit_while_running_keeps_running(make_window, qtbot):
    window = make_window(CIRCLE)
    window.actions["Train"].trigger()
    qtbot.waitUntil(lambda: step_count(window) > 50, timeout=5000)
    training = dict(window.session.spec["training"], batch_size=20)
    window.session.set_training(training, "batch size")
    qtbot.waitUntil(lambda: window.trainer is not None
                    and window.trainer.project.training["batch_size"] == 20, timeout=3000)
    continued_from = window.trainer.steps
    assert continued_from > 50
    qtbot.waitUntil(lambda: window.trainer.steps > continued_from + 20, timeout=5000)
    assert window.actions["Train"].isChecked() and window.worker.is_running
    window.actions["Train"].trigger()


def test_train_action_reads_pause_while_running(make_window, qtbot):
    window = make_window(CIRCLE)
    train = window.actions["Train"]
    assert train.text() == "Train" and not train.icon().isNull()
    train.trigger()
    assert train.text() == "Pause"
    assert "Pause" in train.toolTip()
    qtbot.waitUntil(lambda: step_count(window) > 10, timeout=5000)
    train.trigger()
    assert train.text() == "Train"


def test_digits_samples_count_the_whole_training_set(make_window, qtbot):
    from engine.resources import resource_path
    window = make_window(str(resource_path("presets", "digits_mlp.json")))
    qtbot.waitUntil(lambda: window.findChild(QLabel, "sampleCounts") is not None, timeout=10000)
    dataset = window.analyzer.last_dataset
    counts = window.findChild(QLabel, "sampleCounts").text()
    real = np.bincount(dataset.y_train, minlength=len(dataset.classes))
    assert all(f"{name}: {count}" in counts for name, count in zip(dataset.classes, real))
    assert ": 0 " not in counts + " "
    grid = window.image_docks.samples      # the Samples dock's grid holds the counts
    assert window.findChild(QLabel, "sampleCounts").parent() is grid
    assert not np.array_equal(grid.order[:48], np.arange(48))      # a random selection


def test_evaluations_are_dense_by_step_count(make_window, qtbot):
    assert [next_evaluation_step(s, 20) for s in (0, 5, 50, 300, 5000)] == [1, 6, 55, 320, 5020]
    window = make_window(CIRCLE)
    window.actions["Train"].trigger()
    qtbot.waitUntil(lambda: step_count(window) > 400, timeout=8000)
    window.actions["Train"].trigger()
    qtbot.wait(200)
    x, _ = window.views.loss.test.view()
    assert len(x) >= 25
    assert (x < 50).sum() >= 5           # the early learning phase is sampled closely
    # Evaluations keep within a time budget, so one slowed by a busy machine delays the next;
    # typically they stay a couple of epochs (10 steps) apart and never drift far.
    assert np.median(np.diff(x)) <= 30
    assert np.diff(x).max() <= 400


def test_divergence_stays_readable_on_a_log_axis(make_window, qtbot):
    window = make_window(DIVERGING)
    window.actions["Train"].trigger()
    qtbot.waitUntil(lambda: "diverged" in window.banner.text(), timeout=5000)
    qtbot.wait(300)
    plot = window.findChild(pg.PlotWidget, "lossPlot")
    assert plot.getPlotItem().ctrl.logYCheck.isChecked()
    low, high = plot.getPlotItem().viewRange()[1]
    assert high - low >= 1 and high < 60                 # decades, not "x1e+27"
    metric = window.findChild(pg.PlotWidget, "metricPlot")
    label = metric.getPlotItem().getAxis("left").labelText
    scores = window.views.loss.test_score.view()[1]
    if np.nanmin(scores) < -1:
        assert "clipped" in label
        assert "R²" in window.findChild(QLabel, "lossSummary").text()   # real values named


def test_opened_model_shows_its_evaluation(make_window, qtbot, tmp_path):
    from engine.modelfile import save_model
    window = make_window(CIRCLE)
    for _ in range(40):
        window.actions["Step"].trigger()
    qtbot.waitUntil(lambda: step_count(window) == 40, timeout=5000)
    path = tmp_path / "model.safetensors"
    window.run_on_trainer(lambda trainer: save_model(path, trainer))
    other = make_window(CIRCLE)
    assert other.findChild(QLabel, "lossSummary").text().startswith("No training yet")
    assert other.files.open_path(path)
    summary = other.findChild(QLabel, "lossSummary")
    qtbot.waitUntil(lambda: "test accuracy" in summary.text(), timeout=5000)
    assert "loaded weights" in summary.text()
    assert step_count(other) == 0 and loss_points(other) == 0
    assert other.views.loss.test.size == 1
    assert other.views.loss.test_curve.opts["symbol"] == "o"     # one point is still visible


def test_timeline_replays_stored_steps_into_the_views(make_window, qtbot):
    window = make_window(CIRCLE)
    for _ in range(40):
        window.actions["Step"].trigger()
    qtbot.waitUntil(lambda: step_count(window) == 40, timeout=5000)
    qtbot.waitUntil(lambda: 40 in window.timeline.steps, timeout=3000)
    assert 0 in window.timeline.steps
    trained = window.worker.call(lambda t: t.model.state_dict())
    before = np.array(window.views.boundary.image.image, copy=True) \
        if hasattr(window.views.boundary, "image") else None
    chosen = []
    window.timeline.stepChosen.connect(lambda step, state: chosen.append(step))
    window.timeline.set_step(0)
    qtbot.waitUntil(lambda: chosen and chosen[-1] == 0, timeout=3000)
    assert "Replaying step 0" in window.statusBar().currentMessage()
    after = window.worker.call(lambda t: t.model.state_dict())
    assert all(np.array_equal(trained[k], after[k]) for k in trained)   # trained model untouched
    if before is not None:
        assert not np.array_equal(before, window.views.boundary.image.image)
