"""Remembered things: window layout, recent files, last folders (QSettings)."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 8


def open_settings() -> QSettings:
    """The app's QSettings; ``LAYERLAB_SETTINGS`` names an INI file instead (tests, portable)."""
    path = os.environ.get("LAYERLAB_SETTINGS")
    if path:
        return QSettings(path, QSettings.IniFormat)
    return QSettings("LayerLab", "LayerLab")


class AppSettings:
    """Typed access to the few values the window keeps between runs."""

    def __init__(self) -> None:
        self.store = open_settings()

    def recent_files(self) -> list[str]:
        """Most recent first; files that vanished are dropped."""
        value = self.store.value("recentFiles", []) or []
        if isinstance(value, str):
            value = [value]
        return [v for v in value if Path(v).exists()][:MAX_RECENT]

    def add_recent(self, path: str | Path) -> None:
        """Put a file at the top of the recent list."""
        path = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != path]
        self.store.setValue("recentFiles", [path, *files][:MAX_RECENT])

    def folder(self, kind: str) -> str:
        """The folder last used for ``kind`` (projects, models, data)."""
        return str(self.store.value(f"folders/{kind}", str(Path.home())))

    def set_folder(self, kind: str, path: str | Path) -> None:
        """Remember the folder of a chosen file."""
        folder = Path(path)
        self.store.setValue(f"folders/{kind}", str(folder if folder.is_dir() else folder.parent))

    def window_state(self) -> tuple[object, object]:
        """Saved (geometry, dock state) or Nones."""
        return self.store.value("window/geometry"), self.store.value("window/state")

    def save_window(self, geometry, state) -> None:
        """Remember the window's geometry and dock layout."""
        self.store.setValue("window/geometry", geometry)
        self.store.setValue("window/state", state)
        self.store.sync()
