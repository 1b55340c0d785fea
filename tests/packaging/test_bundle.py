"""Start-up in a subprocess, and (slow) the PyInstaller bundle builds and answers --version."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import __version__

ROOT = Path(__file__).resolve().parents[2]
HAS_MAIN_WINDOW = importlib.util.find_spec("playground.app") is not None


@pytest.mark.skipif(not HAS_MAIN_WINDOW, reason="playground.app (main window) not present yet")
def test_launcher_opens_the_main_window_offscreen(tmp_path: Path) -> None:
    env = {**os.environ, "LAYERLAB_BUNDLE_SELFTEST": "1", "QT_QPA_PLATFORM": "offscreen",
           "LAYERLAB_LOG_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "launcher.py")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "visible=True" in result.stdout
    assert "layerPalette=True" in result.stdout and "lossPlot=True" in result.stdout


def test_launcher_runs_the_command_line() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "launcher.py"),
                             "--version"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"layerlab {__version__}"


@pytest.mark.slow
def test_bundle_builds_and_answers_version(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller")
    env = {**os.environ,
           # Build in the running venv: it already has every dependency, so no network.
           "LAYERLAB_BUILD_VENV": sys.prefix,
           "LAYERLAB_DIST_DIR": str(tmp_path / "dist"),
           "LAYERLAB_WORK_DIR": str(tmp_path / "work"),
           "LAYERLAB_LOG_DIR": str(tmp_path / "logs")}
    command = ["bash", str(ROOT / "packaging" / "build_bundle.sh")]
    if not HAS_MAIN_WINDOW:
        command.append("--skip-window")
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"layerlab {__version__}" in result.stdout
    binary = tmp_path / "dist" / "layerlab" / ("layerlab.exe" if os.name == "nt" else "layerlab")
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             timeout=120)
    assert version.returncode == 0 and version.stdout.strip() == f"layerlab {__version__}"
    if HAS_MAIN_WINDOW:
        assert "visible=True" in result.stdout
