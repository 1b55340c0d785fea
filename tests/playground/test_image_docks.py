"""The image docks in the real main window: shown for image data, fed live from a replay model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QDockWidget

from app_fixtures import make_window  # noqa: F401
from playground.image_docks import CONFUSION_LIMIT, install_image_docks

PRESETS = Path(__file__).resolve().parents[2] / "resources" / "presets"
TITLES = ("Samples", "Filters", "Feature maps", "Confusion", "Draw")


def evaluated(window) -> int:
    """How many test samples the confusion matrix covers."""
    return min(len(window.trainer.x_test), CONFUSION_LIMIT)


def test_digits_cnn_docks_follow_training(make_window, qtbot):
    window = make_window(str(PRESETS / "digits_cnn.json"))
    docks = install_image_docks(window)
    assert install_image_docks(window) is docks   # installing twice adds nothing
    window.show()
    qtbot.waitExposed(window)
    for title in TITLES:
        assert window.docks[title] is docks.docks[title]
        assert not docks.docks[title].isHidden(), title
    assert window.findChild(QDockWidget, "dockFeaturemaps") is docks.docks["Feature maps"]
    assert len(window.tabifiedDockWidgets(docks.docks["Confusion"])) >= 4
    # The sample grid counts the whole training set; its selection is random, not the first.
    dataset = window.trainer.dataset
    counts = docks.samples.class_counts()
    assert counts.sum() == len(dataset.y_train)
    np.testing.assert_array_equal(counts, np.bincount(dataset.y_train, minlength=10))
    assert not np.array_equal(docks.samples.shown_indices,
                              np.arange(len(docks.samples.shown_indices)))
    docks.samples.set_class_filter(4)
    assert (dataset.y_train[docks.samples.shown_indices] == 4).all()
    # Untrained weights are probed at once: 32 filters in conv2d_1.
    qtbot.waitUntil(lambda: len(docks.filters.filters) == 32, timeout=5000)
    assert docks.filters.caption.text().startswith("conv2d_1: 32 filters of 3×3")
    untrained = docks.filters.filters.copy()

    window.actions["Step"].trigger()
    qtbot.waitUntil(lambda: window.trainer.steps == 1, timeout=5000)
    window.actions["Train"].trigger()
    qtbot.waitUntil(lambda: window.trainer.steps > 40, timeout=15000)
    window.actions["Train"].trigger()
    qtbot.waitUntil(lambda: not window.worker.is_running, timeout=5000)
    paused_at = window.trainer.steps
    qtbot.waitUntil(lambda: docks._probed_steps == window.trainer.steps
                    and docks.confusion.report is not None
                    and docks.confusion.report.matrix.sum() == evaluated(window)
                    and not docks.thread.busy, timeout=10000)
    qtbot.wait(300)   # the last probe reaches the views
    assert window.trainer.steps == paused_at
    report = docks.confusion.report
    assert report.matrix.shape == (10, 10)
    assert report.accuracy > 0.5
    assert docks.confusion.summary.text().startswith(f"{evaluated(window)} samples")
    assert not np.allclose(docks.filters.filters, untrained)   # the filters moved with training
    assert set(docks.feature_maps.maps) == {"conv2d_1", "conv2d_2"}
    assert docks.feature_maps.maps["conv2d_1"].shape == (32, 8, 8)
    # Views never hold the trained model: the pad has its own copy with the same weights.
    assert docks.pad.model is not None and docks.pad.model is not window.trainer.model
    assert docks.feature_maps.model is not window.trainer.model

    # Choosing another sample recomputes its maps on the probe thread.
    before = docks.feature_maps.maps["conv2d_1"].copy()
    docks.feature_maps.select_sample(5)
    qtbot.waitUntil(lambda: not np.array_equal(docks.feature_maps.maps["conv2d_1"], before),
                    timeout=5000)

    # Only the tab in front is probed: the others are merely moved off screen by Qt.
    window.docks["Neurons"].raise_()
    qtbot.waitUntil(lambda: docks._visible_views() == frozenset(), timeout=2000)
    window.docks["Confusion"].raise_()
    qtbot.waitUntil(lambda: docks._visible_views() == {"confusion"}, timeout=2000)

    thread = docks.thread
    window.close()
    assert not thread.alive


def test_new_network_without_conv_layers(make_window, qtbot):
    window = make_window(str(PRESETS / "digits_cnn.json"))
    docks = install_image_docks(window)
    qtbot.waitUntil(lambda: len(docks.filters.filters) == 32, timeout=5000)
    first = window.trainer
    window.session.set_layers([{"type": "flatten"},
                               {"type": "dense", "units": 10, "activation": "softmax"}], "mlp")
    window.run_analysis()
    assert window.trainer is not first and window.analysis.error is None
    qtbot.waitUntil(lambda: "no conv2d layer" in docks.filters.caption.text(), timeout=5000)
    assert docks.showing
    qtbot.waitUntil(lambda: docks.confusion.report is not None
                    and docks.confusion.report.matrix.sum() == evaluated(window),
                    timeout=5000)


def test_two_d_data_hides_the_image_docks(make_window, qtbot):
    window = make_window(str(PRESETS / "spiral.json"))
    docks = install_image_docks(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(300)
    assert not docks.showing
    for title in TITLES:
        assert docks.docks[title].isHidden(), title
    # The 2-D views keep their docks.
    assert not window.docks["Decision boundary"].isHidden()
    # Opening an image project shows them; going back to 2-D data hides them again.
    window.session.open_preset("digits_cnn")
    window.run_analysis()
    qtbot.waitUntil(lambda: docks.showing and not docks.docks["Confusion"].isHidden(),
                    timeout=5000)
    qtbot.waitUntil(lambda: len(docks.filters.filters) == 32, timeout=5000)
    # A decision boundary needs 2-D data: its dock gives its room to the image docks.
    assert window.docks["Decision boundary"].isHidden()
    window.session.open_preset("spiral")
    window.run_analysis()
    qtbot.waitUntil(lambda: not docks.showing, timeout=5000)
    assert all(docks.docks[title].isHidden() for title in TITLES)
    assert not window.docks["Decision boundary"].isHidden()
