"""Colours and fonts shared by the canvas, panels and plots (one place to change the look)."""
from __future__ import annotations

import numpy as np

TEXT = "#222831"
TEXT_DIM = "#5b6470"
ERROR = "#d0342c"
NODE_FILL = "#ffffff"
NODE_ERROR_FILL = "#fdecea"
INPUT_FILL = "#eef3f8"
NODE_BORDER = "#8a96a3"
SELECTED = "#1f77d0"
EDGE = "#8a96a3"
PORT = "#dfe6ee"
CANVAS = "#f6f7f9"
GRID = "#e7eaee"

# TensorFlow Playground's diverging colours: orange (negative / class 0), grey, blue.
ORANGE = (245, 147, 34)
GREY = (232, 234, 235)
BLUE = (8, 119, 189)
# A distinct palette for more than two classes (Tableau 10, colour-blind friendly order).
CLASS_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                 (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
                 (188, 189, 34), (23, 190, 207)]

LOSS_TRAIN = (31, 119, 208)
LOSS_TEST = (240, 120, 30)
METRIC = (60, 160, 90)

_TYPE_COLOURS = {"dense": "#3b82c4", "conv2d": "#8e5cc2", "maxpool2d": "#4aa37a",
                 "avgpool2d": "#4aa37a", "flatten": "#9aa3ad", "reshape": "#9aa3ad",
                 "dropout": "#d08a2c", "batchnorm": "#c2a12c", "activation": "#d05a8a",
                 "add": "#2ca39a", "concat": "#2ca39a", "input": "#5b6470"}


def type_colour(type_name: str) -> str:
    """The accent colour of a layer type on the canvas."""
    return _TYPE_COLOURS.get(type_name, "#5b8db8")


def diverging_lut(size: int = 256) -> np.ndarray:
    """Orange → grey → blue lookup table (uint8, size × 3) for values in [-1, 1] or [0, 1]."""
    t = np.linspace(0.0, 1.0, size)[:, None]
    orange, grey, blue = (np.array(c, dtype=float) for c in (ORANGE, GREY, BLUE))
    lower = orange + (grey - orange) * np.clip(t * 2, 0, 1)
    upper = grey + (blue - grey) * np.clip(t * 2 - 1, 0, 1)
    return np.where(t < 0.5, lower, upper).astype(np.uint8)


def class_rgb(n_classes: int) -> np.ndarray:
    """RGB (n × 3, uint8) per class: orange/blue for two, the distinct palette above that."""
    if n_classes <= 2:
        return np.array([ORANGE, BLUE], dtype=np.uint8)
    return np.array([CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(n_classes)],
                    dtype=np.uint8)


# --- light / dark schemes -------------------------------------------------------------------
# The canvas, neuron view and labels read the module colours above at paint time, so switching
# scheme rebinds them and repaints; plots are restyled explicitly (pyqtgraph caches pens).
_LIGHT = {"TEXT": TEXT, "TEXT_DIM": TEXT_DIM, "NODE_FILL": NODE_FILL,
          "NODE_ERROR_FILL": NODE_ERROR_FILL, "INPUT_FILL": INPUT_FILL,
          "NODE_BORDER": NODE_BORDER, "EDGE": EDGE, "PORT": PORT, "CANVAS": CANVAS,
          "GRID": GRID, "PLOT_BACKGROUND": "#ffffff", "PLOT_FOREGROUND": "#5b6470"}
_DARK = {"TEXT": "#e2e4e8", "TEXT_DIM": "#a7b0bb", "NODE_FILL": "#2d3036",
         "NODE_ERROR_FILL": "#4a2a2a", "INPUT_FILL": "#26313d", "NODE_BORDER": "#7d8894",
         "EDGE": "#7d8894", "PORT": "#3a3f47", "CANVAS": "#1e2024", "GRID": "#2a2d32",
         "PLOT_BACKGROUND": "#1e2024", "PLOT_FOREGROUND": "#a7b0bb"}
PLOT_BACKGROUND = "#ffffff"
PLOT_FOREGROUND = "#5b6470"
SCHEME = "light"
THEME_LABELS = {"system": "&System", "light": "&Light", "dark": "&Dark"}
SETTINGS_KEY = "view/theme"


def use_scheme(scheme: str) -> None:
    """Switch the module colours to the ``light`` or ``dark`` set."""
    global SCHEME
    SCHEME = "dark" if scheme == "dark" else "light"
    globals().update(_DARK if SCHEME == "dark" else _LIGHT)


def palette_scheme(app) -> str:
    """``dark`` when the application's window colour is dark, else ``light``."""
    return "dark" if app.palette().window().color().lightness() < 128 else "light"


def dim_style() -> str:
    """Style sheet of secondary (description) text in the current scheme."""
    return f"color: {TEXT_DIM};"


def mark_dim(label) -> None:
    """Give a label the secondary-text colour, kept in step with the scheme by ``restyle``."""
    label.setProperty("layerlabDim", True)
    label.setStyleSheet(dim_style())


def restyle(root) -> None:
    """Bring plots, the canvas, dim labels and custom-painted views of ``root`` to the scheme."""
    import pyqtgraph as pg
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QGraphicsView, QWidget

    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        if widget.property("layerlabDim"):
            widget.setStyleSheet(dim_style())
        if isinstance(widget, pg.GraphicsView):
            widget.setBackground(PLOT_BACKGROUND)
            items = widget.scene().items() if widget.scene() is not None else []
            for item in items:
                if isinstance(item, pg.AxisItem):
                    item.setPen(PLOT_FOREGROUND)
                    item.setTextPen(PLOT_FOREGROUND)
                elif isinstance(item, pg.LabelItem):
                    item.setText(item.text, color=PLOT_FOREGROUND)
        elif isinstance(widget, QGraphicsView) and widget.objectName() == "networkEditor":
            widget.setBackgroundBrush(QColor(CANVAS))
            if widget.scene() is not None:
                widget.scene().update()
        widget.update()


def saved_mode() -> str:
    """The theme mode the person chose last (``system`` when never chosen)."""
    from playground.settings import open_settings
    mode = str(open_settings().value(SETTINGS_KEY, "system"))
    return mode if mode in THEME_LABELS else "system"


def set_theme(mode: str, save: bool = True) -> str:
    """Apply ``mode`` to the app and every open window; return the scheme used."""
    from PySide6.QtWidgets import QApplication

    from playground import appinfo
    from playground.settings import open_settings
    app = QApplication.instance()
    scheme = appinfo.apply_theme(app, mode)
    use_scheme(scheme)
    for window in app.topLevelWidgets():
        restyle(window)
    if save:
        open_settings().setValue(SETTINGS_KEY, mode)
    return scheme


def install_theme(app) -> None:
    """Apply the saved theme at start-up and follow the desktop while the mode is ``system``."""
    from playground import appinfo
    set_theme(saved_mode(), save=False)
    appinfo.follow_system_theme(app)
    if not app.property("layerlabRestyles"):
        # appinfo re-applies the palette on a desktop switch; this repaints our own colours.
        def on_change(_scheme) -> None:
            if app.property("layerlabThemeMode") in (None, "system"):
                set_theme("system", save=False)
        app.styleHints().colorSchemeChanged.connect(on_change)
        app.setProperty("layerlabRestyles", True)


def add_theme_menu(window, menu=None):
    """Add a Theme submenu (System/Light/Dark, exclusive) to ``menu`` or the window's View menu."""
    from PySide6.QtGui import QAction, QActionGroup
    from PySide6.QtWidgets import QApplication

    if menu is None:
        menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
        views = [m for m in menus if m.title().replace("&", "") == "View"]
        menu = views[0] if views else window.menuBar().addMenu("&View")
        menu.addSeparator()
    submenu = menu.addMenu("&Theme")
    submenu.setObjectName("themeMenu")
    group = QActionGroup(submenu)
    group.setExclusive(True)
    current = QApplication.instance().property("layerlabThemeMode") or "system"
    for mode, label in THEME_LABELS.items():
        action = QAction(label, submenu, checkable=True)
        action.setObjectName(f"actionTheme{mode.capitalize()}")
        action.setToolTip({"system": "Follow the desktop's light or dark colour scheme",
                           "light": "Light colours whatever the desktop uses",
                           "dark": "Dark colours whatever the desktop uses"}[mode])
        action.setChecked(mode == current)
        action.triggered.connect(lambda _=False, m=mode: set_theme(m))
        group.addAction(action)
        submenu.addAction(action)
    return submenu
