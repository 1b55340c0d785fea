"""Render the README and docs screenshots offscreen, mid-training.

    QT_QPA_PLATFORM=offscreen python docs/screenshots/make_screenshots.py [OUT_DIR]
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LAYERLAB_SETTINGS", os.path.join(tempfile.gettempdir(), "ll-shots.ini"))


def run_for(seconds: float) -> None:
    """Let the real event loop run (training and drawing) for a while."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def shoot(preset: str, out: Path, name: str, seconds: float = 2.5, tab: str | None = None,
          edit=None) -> None:
    """Open a preset, train it for a while, grab the window."""
    from engine.resources import resource_path
    from playground.app import create_main_window
    spec = json.loads(resource_path("presets", f"{preset}.json").read_text())
    spec["training"]["epochs"] = 100000
    window = create_main_window(spec)
    window.files.confirm_discard = lambda: True
    window.resize(1600, 1000)
    window.show()
    if edit is not None:
        edit(window)
        window.run_analysis()
    if tab:
        run_for(0.3)    # the image docks appear once the data is loaded
        window.docks[tab].raise_()
    if seconds:
        window.actions["Train"].trigger()
        run_for(seconds)
        window.actions["Train"].trigger()
    run_for(0.3)
    window.grab().save(str(out / f"{name}.png"))
    window.close()


def main() -> int:
    """Write every screenshot."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent)
    out.mkdir(parents=True, exist_ok=True)
    shoot("spiral", out, "main_window", seconds=4.0)
    shoot("circle", out, "weights_view", seconds=1.5, tab="Weights")
    shoot("blobs", out, "blobs_multiclass", seconds=2.0)
    shoot("digits_cnn", out, "digits_cnn", seconds=3.0, tab="Weights")
    for tab, name in (("Confusion", "app_confusion"), ("Feature maps", "app_feature_maps"),
                      ("Filters", "app_filters"), ("Samples", "app_samples"),
                      ("Draw", "app_draw")):
        shoot("digits_cnn", out, name, seconds=4.0, tab=tab)

    def break_it(window):
        window.session.select(0)
        window.editor.append_layer("conv2d", after=0)
    shoot("circle", out, "invalid_network", seconds=0, edit=break_it)
    print(f"screenshots written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
