"""A rotating log file in the user's data folder, so problems can be diagnosed after the fact.

Linux: ``~/.local/share/LayerLab/LayerLab/logs/layerlab.log``; Windows:
``%LOCALAPPDATA%/LayerLab/LayerLab/logs``; macOS: ``~/Library/Application Support/LayerLab/
LayerLab/logs`` (Qt's AppLocalDataLocation). ``LAYERLAB_LOG_DIR`` overrides the folder.
"""
from __future__ import annotations

import logging
import os
import platform
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QStandardPaths, QtMsgType, qInstallMessageHandler

from engine import __version__
from playground.appinfo import set_identity_names

LOG_FILE_NAME = "layerlab.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 3
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
_HANDLER_NAME = "layerlab-file"

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def default_log_dir() -> Path:
    """The folder for log files: ``LAYERLAB_LOG_DIR`` or the app's local data folder + logs."""
    override = os.environ.get("LAYERLAB_LOG_DIR")
    if override:
        return Path(override)
    # QStandardPaths appends organisation and application names, so set them first.
    set_identity_names()
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    if not base:
        base = str(Path.home() / ".layerlab")
    return Path(base) / "logs"


def setup_logging(log_dir: Path | None = None, level: int = logging.INFO) -> Path:
    """Send log records (ours, Qt's, uncaught exceptions) to a rotating file; return its path.

    Safe to call twice: the file handler is installed once. Keeps 1 MB per file and three old
    files. If the folder cannot be created the log goes to a temporary folder instead, because
    a read-only home must not stop the app from starting.
    """
    folder = Path(log_dir) if log_dir is not None else default_log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        import tempfile
        folder = Path(tempfile.gettempdir()) / "layerlab-logs"
        folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE_NAME
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            if Path(getattr(handler, "baseFilename", "")) == path.resolve():
                return path
            root.removeHandler(handler)
            handler.close()
    handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT,
                                  encoding="utf-8", delay=False)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    _install_exception_hooks()
    qInstallMessageHandler(_qt_message_handler)
    logging.getLogger("layerlab").info(
        "LayerLab %s starting: Python %s, %s, Qt platform %s", __version__,
        platform.python_version(), platform.platform(), os.environ.get("QT_QPA_PLATFORM", "default"))
    return path


def _qt_message_handler(kind: QtMsgType, context: object, message: str) -> None:
    """Route Qt's warnings into the log file (they otherwise vanish in a windowed app)."""
    logging.getLogger("qt").log(_QT_LEVELS.get(kind, logging.WARNING), message)


def _log_uncaught(kind: type[BaseException], value: BaseException,
                  traceback: TracebackType | None) -> None:
    """Log an uncaught exception with its traceback, then let Python report it as usual."""
    if not issubclass(kind, KeyboardInterrupt):
        logging.getLogger("layerlab").critical("uncaught exception",
                                               exc_info=(kind, value, traceback))
    sys.__excepthook__(kind, value, traceback)


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    """Log an exception that ended a worker thread."""
    logging.getLogger("layerlab").critical(
        "uncaught exception in thread %s", getattr(args.thread, "name", "?"),
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
    threading.__excepthook__(args)


def _install_exception_hooks() -> None:
    """Hook uncaught exceptions in the main and worker threads, leaving others' hooks alone."""
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _log_uncaught
    if threading.excepthook is threading.__excepthook__:
        threading.excepthook = _log_thread_exception
