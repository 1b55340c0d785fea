"""One way to find bundled files, from a checkout, an installed wheel or a PyInstaller bundle."""
from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder that holds presets, datasets, the schema and icons."""
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        candidate = Path(bundle_root) / "resources"
        if candidate.is_dir():
            return candidate
    import resources
    return Path(resources.__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. ``resource_path("presets", "spiral.json")``."""
    return resources_dir().joinpath(*parts)
