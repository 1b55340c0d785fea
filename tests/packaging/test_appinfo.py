"""The app names itself, ties itself to its desktop file, carries its icon and themes."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from engine import __version__
from playground import appinfo


@pytest.fixture
def restore_look(qapp: QApplication):
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    yield qapp
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setProperty("layerlabThemeMode", None)


def test_identity_is_set(qapp: QApplication) -> None:
    appinfo.apply_app_identity(qapp)
    assert qapp.applicationName() == "LayerLab"
    assert qapp.organizationName() == "LayerLab"
    assert qapp.applicationVersion() == __version__
    assert qapp.desktopFileName() == "io.github.layerlab.LayerLab"
    icon = qapp.windowIcon()
    assert not icon.isNull()
    # Every rendered size is offered, so Qt never has to scale a small icon from a big one.
    assert {size.width() for size in icon.availableSizes()} >= set(appinfo.ICON_SIZES)


def test_icon_files_exist_for_every_platform() -> None:
    assert appinfo.icon_file().read_text(encoding="utf-8").lstrip().startswith("<?xml")
    for size in appinfo.ICON_SIZES:
        assert appinfo.icon_file(size).stat().st_size > 0
    icons = appinfo.icon_file().parent
    assert (icons / "layerlab.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (icons / "layerlab.icns").read_bytes()[:4] == b"icns"


def test_dark_and_light_themes_switch_the_palette(restore_look: QApplication) -> None:
    app = restore_look
    assert appinfo.apply_theme(app, "dark") == "dark"
    assert app.style().name().lower() == "fusion"
    window = app.palette().color(QPalette.ColorRole.Window)
    text = app.palette().color(QPalette.ColorRole.WindowText)
    assert window.lightness() < 80 < text.lightness()
    assert appinfo.current_theme(app) == "dark"
    assert appinfo.apply_theme(app, "light") == "light"
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 150


def test_system_theme_follows_the_style_hint(restore_look: QApplication) -> None:
    app = restore_look
    expected = "dark" if appinfo.system_prefers_dark(app) else "light"
    assert appinfo.apply_theme(app, "system") == expected
    appinfo.follow_system_theme(app)
    appinfo.follow_system_theme(app)
    assert app.property("layerlabFollowsSystem") is True
    with pytest.raises(ValueError, match="system, light, dark"):
        appinfo.apply_theme(app, "purple")


def test_high_dpi_policy_is_pass_through_before_the_app_starts(tmp_path) -> None:
    import subprocess
    import sys
    code = ("from playground.appinfo import configure_before_qapplication\n"
            "configure_before_qapplication()\n"
            "from PySide6.QtGui import QGuiApplication\n"
            "from PySide6.QtCore import Qt\n"
            "app = QGuiApplication([])\n"
            "p = QGuiApplication.highDpiScaleFactorRoundingPolicy()\n"
            "print(p == Qt.HighDpiScaleFactorRoundingPolicy.PassThrough, app.applicationName())\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env={**__import__("os").environ,
                                             "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "LayerLab"]
