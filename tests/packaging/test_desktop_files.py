"""Linux desktop integration: .desktop entry, AppStream metainfo, icon install script."""
from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from engine import __version__
from playground.appinfo import DESKTOP_FILE_NAME

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "resources" / "desktop" / f"{DESKTOP_FILE_NAME}.desktop"
METAINFO = ROOT / "resources" / "desktop" / f"{DESKTOP_FILE_NAME}.metainfo.xml"


def _entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_launches_the_app() -> None:
    entry = _entry()
    assert entry["Type"] == "Application" and entry["Name"] == "LayerLab"
    assert entry["Exec"].split()[0] == "layerlab"
    assert entry["Icon"] == DESKTOP_FILE_NAME
    assert entry["Terminal"] == "false"


def test_metainfo_matches_the_desktop_entry() -> None:
    root = ElementTree.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == DESKTOP_FILE_NAME
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("project_license") == "MIT"
    assert __version__ in [release.get("version") for release in root.iter("release")]


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-utils not installed")
def test_desktop_file_validates() -> None:
    result = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_metainfo_validates() -> None:
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("install") is None,
                    reason="needs bash and coreutils")
def test_install_script_puts_entry_and_icons_in_place(tmp_path: Path) -> None:
    result = subprocess.run(["bash", str(ROOT / "packaging" / "install_desktop_entry.sh"),
                             str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    share = tmp_path / "share"
    assert (share / "applications" / DESKTOP.name).read_bytes() == DESKTOP.read_bytes()
    assert (share / "metainfo" / METAINFO.name).is_file()
    assert (share / "icons/hicolor/scalable/apps" / f"{DESKTOP_FILE_NAME}.svg").is_file()
    for size in (16, 48, 256, 512):
        assert (share / f"icons/hicolor/{size}x{size}/apps/{DESKTOP_FILE_NAME}.png").is_file()
