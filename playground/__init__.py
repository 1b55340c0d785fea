"""LayerLab's desktop app and command line (PySide6 GUI in app.py, ``layerlab`` in cli.py)."""

from engine import __version__

__all__ = ["__version__"]
