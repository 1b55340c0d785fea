"""The data panel: TF Playground controls, drawing points, images, file errors."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel

from app_fixtures import CIRCLE, make_window  # noqa: F401


def test_feature_toggles_noise_and_ratio_edit_the_data(make_window, qtbot):
    window = make_window(CIRCLE)
    panel = window.data_panel
    panel.findChild(QCheckBox, "feature_sin(x1)").setChecked(True)
    assert window.session.spec["data"]["features"] == ["x1", "x2", "sin(x1)"]
    panel.noise.setValue(30)
    panel.ratio.setValue(70)
    data = window.session.spec["data"]
    assert data["noise"] == 0.3 and data["test_fraction"] == 0.3
    panel.batch.setValue(25)
    assert window.session.spec["training"]["batch_size"] == 25
    seed = window.session.spec["seed"]
    panel.regenerate.click()
    assert window.session.spec["seed"] == seed + 1
    window.run_analysis()
    assert window.analysis.input_shape == (3,)


def test_blobs_with_four_classes_uses_the_class_palette(make_window, qtbot):
    window = make_window(CIRCLE)
    window.findChild(QComboBox, "dataSource").setCurrentText("blobs")
    window.properties  # the panel exists
    window.data_panel.extra.widgets["classes"].setValue(4)
    layers = [{"type": "dense", "units": 8, "activation": "relu"},
              {"type": "dense", "units": 4, "activation": "softmax"}]
    window.session.set_layers(layers, "softmax")
    training = dict(window.session.spec["training"], loss="categorical_crossentropy")
    window.session.set_training(training, "loss")
    window.run_analysis()
    assert window.analysis.error is None
    for _ in range(3):
        window.findChild(QAction, "actionStep").trigger()
    qtbot.waitUntil(lambda: window.views.boundary._grid is not None
                    and window.views.boundary._grid.shape == (100, 100, 4), timeout=5000)
    image = window.views.boundary.image.image
    assert image.ndim == 3 and image.shape[-1] == 3


def test_draw_your_own_points(make_window, qtbot):
    window = make_window(CIRCLE)
    window.findChild(QComboBox, "dataSource").setCurrentText("points")
    assert window.session.spec["data"]["source"] == "points"
    plot = window.data_panel.points_plot
    count = len(window.session.spec["data"]["points"])
    plot.add_point(1.0, 2.0, other=False)
    plot.add_point(-1.0, -2.0, other=True)
    points = window.session.spec["data"]["points"]
    assert len(points) == count + 2
    assert points[-2] == [1.0, 2.0, 1] and points[-1] == [-1.0, -2.0, 0]
    plot.erase_near(1.0, 2.0, final=True)
    assert [1.0, 2.0, 1] not in window.session.spec["data"]["points"]
    window.run_analysis()
    assert window.analysis.error is None


def test_missing_csv_file_is_shown_in_the_panel(make_window, qtbot, tmp_path):
    window = make_window(CIRCLE)
    window.session.set_data({"source": "csv", "path": str(tmp_path / "missing.csv"),
                             "target": "y"}, "csv")
    window.run_analysis()
    error = window.findChild(QLabel, "dataError")
    assert "missing.csv" in error.text()
    assert not window.findChild(QAction, "actionTrain").isEnabled()
    window.findChild(QAction, "actionUndo").trigger()
    window.run_analysis()
    assert error.text() == "" and window.findChild(QAction, "actionTrain").isEnabled()


def test_image_data_shows_samples_and_augmentation(make_window, qtbot):
    window = make_window(CIRCLE)
    window.findChild(QComboBox, "dataSource").setCurrentText("digits")
    layers = [{"type": "flatten"}, {"type": "dense", "units": 10, "activation": "softmax"}]
    window.session.set_layers(layers, "digits")
    training = dict(window.session.spec["training"], loss="categorical_crossentropy")
    window.session.set_training(training, "loss")
    window.run_analysis()
    assert window.analysis.error is None
    window.show()
    qtbot.waitUntil(lambda: window.data_panel.augmentation.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: not window.docks["Samples"].isHidden(), timeout=3000)
    assert not window.views.boundary.plot.isVisibleTo(window.views.boundary)
