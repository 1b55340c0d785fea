"""Light/Dark/System theme: the menu, the palette and our own painted colours follow it."""
from __future__ import annotations

import pytest
import pyqtgraph as pg
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QGraphicsView, QLabel

from playground import theme
from tests.playground.app_fixtures import CIRCLE, make_window  # noqa: F401 - fixture


@pytest.fixture
def light_after():
    """Every test leaves the shared application light, as it found it."""
    yield
    theme.set_theme("light", save=False)


def _lightness(colour) -> int:
    return colour.lightness()


def test_theme_menu_switches_palette_canvas_plots_and_text(make_window, qtbot, light_after):
    window = make_window(CIRCLE)
    window.show()
    menu = window.findChild(type(window.menuBar().actions()[0].menu()), "themeMenu")
    assert menu is not None
    names = {a.objectName() for a in menu.actions()}
    assert names == {"actionThemeSystem", "actionThemeLight", "actionThemeDark"}
    assert all(a.toolTip() for a in menu.actions())

    window.findChild(QAction, "actionThemeDark").trigger()
    app = QApplication.instance()
    assert app.palette().window().color().lightness() < 100
    assert theme.SCHEME == "dark"
    canvas = window.findChild(QGraphicsView, "networkEditor")
    assert canvas.backgroundBrush().color().lightness() < 100
    for name in ("boundaryPlot", "lossPlot"):
        plot = window.findChild(pg.PlotWidget, name)
        assert plot.backgroundBrush().color().lightness() < 100, name
    neurons = window.findChild(type(window.views.neurons), "neuronView")
    image = neurons.grab().toImage()
    assert image.pixelColor(3, 3).lightness() < 100
    # Description text is light on dark, and the id placeholder is readable on its base.
    dim = [label for label in window.findChildren(QLabel) if label.property("layerlabDim")]
    assert dim and all(theme.TEXT_DIM in label.styleSheet() for label in dim)
    assert QColor_lightness(theme.TEXT_DIM) > 140
    palette = app.palette()
    assert abs(palette.placeholderText().color().lightness()
               - palette.base().color().lightness()) > 60

    window.findChild(QAction, "actionThemeLight").trigger()
    assert app.palette().window().color().lightness() > 150
    assert window.findChild(pg.PlotWidget, "boundaryPlot").backgroundBrush().color() \
        .lightness() > 200
    assert window.findChild(QAction, "actionThemeLight").isChecked()


def QColor_lightness(name: str) -> int:  # noqa: N802 - reads like the Qt call it wraps
    """Lightness of a colour name."""
    from PySide6.QtGui import QColor
    return QColor(name).lightness()


def test_theme_choice_is_saved_and_restored(make_window, light_after, tmp_path):
    window = make_window(CIRCLE)
    window.findChild(QAction, "actionThemeDark").trigger()
    assert theme.saved_mode() == "dark"
    theme.set_theme(theme.saved_mode(), save=False)
    assert theme.SCHEME == "dark"


def test_palette_scheme_reads_the_palette(qtbot, light_after):
    app = QApplication.instance()
    theme.set_theme("dark", save=False)
    assert theme.palette_scheme(app) == "dark"
    theme.set_theme("light", save=False)
    assert theme.palette_scheme(app) == "light"
