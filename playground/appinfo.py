"""Who the app is (name, organisation, desktop file, icon) and how it looks (theme, high DPI)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from engine import __version__
from engine.resources import resource_path

APP_NAME = "LayerLab"
ORGANIZATION_NAME = "LayerLab"
ORGANIZATION_DOMAIN = "layerlab.github.io"
# Reverse-DNS id shared by the .desktop file, the AppStream metainfo and Wayland's app_id, so
# the compositor matches the running window to its launcher entry and icon.
DESKTOP_FILE_NAME = "io.github.layerlab.LayerLab"
VERSION = __version__
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
THEME_MODES = ("system", "light", "dark")


def icon_file(size: int | None = None) -> Path:
    """Path of the icon: the rendered PNG of ``size`` pixels, or the SVG source when None."""
    if size is None:
        return resource_path("icons", "layerlab.svg")
    return resource_path("icons", f"layerlab-{size}.png")


def app_icon() -> QIcon:
    """The application icon with every rendered size, so small sizes use the simplified mark."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = icon_file(size)
        if path.is_file():
            icon.addFile(str(path))
    return icon


def set_identity_names() -> None:
    """Set name, organisation and version; works before a QApplication exists (for paths)."""
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(ORGANIZATION_NAME)
    QCoreApplication.setOrganizationDomain(ORGANIZATION_DOMAIN)
    QCoreApplication.setApplicationVersion(VERSION)


def apply_app_identity(app: QGuiApplication) -> None:
    """Name the running app, tie it to its desktop file and give every window the icon."""
    set_identity_names()
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(app_icon())


def configure_before_qapplication() -> None:
    """High-DPI settings that Qt reads only before the QApplication is created.

    Qt 6 scales by the screen's device pixel ratio already; PassThrough keeps fractional
    factors such as 1.25 or 1.5 instead of rounding them, so text and plots are neither blurred
    nor shrunk on laptops with fractional scaling.
    """
    if QCoreApplication.instance() is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    set_identity_names()


def system_prefers_dark(app: QGuiApplication) -> bool:
    """True when the desktop asks for a dark colour scheme (Qt 6.5+ style hints)."""
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    """A Fusion dark palette with the app's blue for selections and links."""
    palette = QPalette()
    window, base, text = QColor(45, 47, 52), QColor(30, 32, 36), QColor(226, 228, 232)
    accent, disabled = QColor(8, 119, 189), QColor(128, 130, 136)
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: window,
        QPalette.ColorRole.ToolTipBase: QColor(60, 63, 70), QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: disabled, QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: window, QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 90, 90), QPalette.ColorRole.Link: accent,
        QPalette.ColorRole.Highlight: accent,
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Light: QColor(70, 73, 80), QPalette.ColorRole.Midlight: QColor(58, 60, 66),
        QPalette.ColorRole.Mid: QColor(40, 42, 46), QPalette.ColorRole.Dark: QColor(22, 23, 26),
        QPalette.ColorRole.Shadow: QColor(0, 0, 0),
    }
    for role, color in roles.items():
        palette.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def apply_theme(app: QApplication, mode: str = "system") -> str:
    """Apply ``mode`` (``system``, ``light`` or ``dark``); return the scheme used, light or dark.

    ``system`` follows the desktop's colour scheme. Dark uses Fusion with a dark palette,
    because the native styles of Windows and some Linux desktops ignore a custom palette;
    light restores the style's own palette. Qt 6.8+ also gets the colour scheme request, so
    native dialogs and title bars match.
    """
    if mode not in THEME_MODES:
        raise ValueError(f"theme must be one of {', '.join(THEME_MODES)}, got {mode!r}")
    dark = system_prefers_dark(app) if mode == "system" else mode == "dark"
    hints = app.styleHints()
    if hasattr(hints, "setColorScheme"):
        requested = {"system": Qt.ColorScheme.Unknown, "light": Qt.ColorScheme.Light,
                     "dark": Qt.ColorScheme.Dark}[mode]
        hints.setColorScheme(requested)
    if dark:
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    else:
        style = app.style()
        app.setPalette(style.standardPalette() if style is not None else QPalette())
    app.setProperty("layerlabTheme", "dark" if dark else "light")
    app.setProperty("layerlabThemeMode", mode)
    return "dark" if dark else "light"


def current_theme(app: QApplication) -> str:
    """The scheme last applied by :func:`apply_theme` (``light`` before any call)."""
    return str(app.property("layerlabTheme") or "light")


def follow_system_theme(app: QApplication) -> None:
    """Re-apply the theme when the desktop switches light/dark, unless the person chose one."""
    def on_change(_scheme: Qt.ColorScheme) -> None:
        if app.property("layerlabThemeMode") in (None, "system"):
            apply_theme(app, "system")
    # Connected once per application; a second call would apply the theme twice per change.
    if not app.property("layerlabFollowsSystem"):
        app.styleHints().colorSchemeChanged.connect(on_change)
        app.setProperty("layerlabFollowsSystem", True)
