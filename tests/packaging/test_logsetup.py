"""The log file lands in the data folder, rotates, and records Qt warnings and crashes."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import qWarning

from playground import logsetup


@pytest.fixture
def clean_root():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    hooks = sys.excepthook
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    sys.excepthook = hooks


def test_setup_logging_writes_a_file(tmp_path: Path, clean_root) -> None:
    path = logsetup.setup_logging(tmp_path / "logs")
    assert path == tmp_path / "logs" / "layerlab.log"
    logging.getLogger("layerlab.test").warning("disk is full")
    qWarning("a Qt warning")
    # A second call must not add a second handler (each line would be written twice).
    assert logsetup.setup_logging(tmp_path / "logs") == path
    logging.getLogger("layerlab.test").error("second line")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "LayerLab" in text and "starting" in text
    assert "disk is full" in text and "a Qt warning" in text
    assert text.count("second line") == 1


def test_log_rotates(tmp_path: Path, clean_root, monkeypatch) -> None:
    monkeypatch.setattr(logsetup, "MAX_BYTES", 2_000)
    path = logsetup.setup_logging(tmp_path)
    for index in range(200):
        logging.getLogger("layerlab.test").warning("line %d %s", index, "x" * 40)
    assert path.stat().st_size <= 2_000
    assert (tmp_path / "layerlab.log.1").is_file()
    assert not (tmp_path / f"layerlab.log.{logsetup.BACKUP_COUNT + 1}").exists()


def test_default_folder_is_the_user_data_folder(monkeypatch) -> None:
    monkeypatch.delenv("LAYERLAB_LOG_DIR", raising=False)
    folder = logsetup.default_log_dir()
    assert folder.name == "logs" and "LayerLab" in folder.parts
    monkeypatch.setenv("LAYERLAB_LOG_DIR", "/somewhere/else")
    assert logsetup.default_log_dir() == Path("/somewhere/else")


def test_uncaught_exception_is_logged(tmp_path: Path) -> None:
    code = ("from playground.logsetup import setup_logging\n"
            "setup_logging()\n"
            "raise RuntimeError('boom for the log')\n")
    env = {**os.environ, "LAYERLAB_LOG_DIR": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 1 and "boom for the log" in result.stderr
    text = (tmp_path / "layerlab.log").read_text(encoding="utf-8")
    assert "uncaught exception" in text and "RuntimeError: boom for the log" in text
