"""Panels after the review: tooltips everywhere, points source, palette grid, wrapped settings."""
from __future__ import annotations

from PySide6.QtWidgets import (QAbstractSlider, QAbstractSpinBox, QCheckBox, QComboBox, QLabel,
                               QPushButton, QWidget)

from playground.panels.data_panel import default_points
from playground.panels.palette import LayerPalette
from tests.playground.app_fixtures import CIRCLE, make_window  # noqa: F401 - fixture


def test_every_control_has_a_tooltip(make_window):
    window = make_window(CIRCLE)
    window.show()
    window.session.select(1)
    kinds = (QAbstractSlider, QAbstractSpinBox, QCheckBox, QComboBox, QPushButton)
    names = ("dataPanel", "trainingPanel", "propertyPanel", "boundaryPlot", "weightsView")
    missing = []
    for name in names:
        root = window.views.boundary if name == "boundaryPlot" else window.findChild(QWidget, name)
        for control in root.findChildren(QWidget):
            if isinstance(control, kinds) and control.isVisibleTo(root) and not (
                    control.toolTip() or control.parent().toolTip()):
                missing.append((name, type(control).__name__, control.objectName(),
                                getattr(control, "text", lambda: "")()))
    assert not missing
    for name in ("showTestData", "discretizeOutput", "dataSource", "histogramLayer"):
        assert window.findChild(QWidget, name).toolTip(), name
    for name in ("param_learning_rate", "param_epsilon"):
        rate = window.findChild(QWidget, name)
        assert rate.slider.toolTip() and rate.spin.toolTip(), name


def test_points_source_trains_on_enough_points_and_disables_noise(make_window):
    window = make_window(CIRCLE)
    panel = window.findChild(QWidget, "dataPanel")
    panel.findChild(QComboBox, "dataSource").setCurrentText("points")
    data = window.session.spec["data"]
    assert data["test_fraction"] == 0.0 and len(data["points"]) == len(default_points()) >= 16
    assert {p[2] for p in data["points"]} == {0, 1}
    assert not panel.noise.isEnabled() and not panel.regenerate.isEnabled()
    assert "Hand-placed" in panel.regenerate.toolTip()
    assert panel.ratio_label.text() == "100 : 0"
    panel.findChild(QComboBox, "dataSource").setCurrentText("circle")
    assert panel.noise.isEnabled() and panel.regenerate.isEnabled()


def test_palette_shows_every_type_without_scrolling(qtbot):
    from engine import catalog
    catalog.load_all()
    palette = LayerPalette()
    qtbot.addWidget(palette)
    palette.resize(300, 60)
    palette.show()
    qtbot.waitUntil(lambda: palette.height() >= palette.height_for(300))
    assert palette.count() == 11
    for i in range(palette.count()):
        rect = palette.visualItemRect(palette.item(i))
        assert palette.viewport().rect().contains(rect), palette.item(i).text()
        width = palette.fontMetrics().horizontalAdvance(palette.item(i).text())
        assert rect.width() >= width   # not elided
    assert palette.verticalScrollBar().maximum() == 0


def test_layer_settings_description_keeps_every_line(make_window, qtbot):
    window = make_window(CIRCLE)
    window.show()
    window.session.select(1)
    panel = window.findChild(QWidget, "propertyPanel")
    panel.resize(260, 90)           # a short, narrow dock
    title = panel.title
    qtbot.waitUntil(lambda: title.height() >= title.heightForWidth(title.width()))
    assert title.height() >= title.heightForWidth(title.width())
    window.session.select(-1)
    assert "Select a layer" in title.text()
    assert title.height() >= title.heightForWidth(title.width())


def test_dim_text_is_themed(make_window):
    window = make_window(CIRCLE)
    help_label = window.findChild(QWidget, "dataPanel").help
    assert isinstance(help_label, QLabel) and help_label.property("layerlabDim")
    from playground import theme
    assert theme.TEXT_DIM in help_label.styleSheet()
