"""Entry point of the desktop bundle: the ``layerlab`` command line, plus a bundle self-test.

PyInstaller needs a script, not a ``module:function`` entry point, so this runs
``playground.cli:main``. With ``LAYERLAB_BUNDLE_SELFTEST=1`` in the environment it instead
builds the main window, shows it, lets the event loop settle and prints what it found: the
build script and tests use that to prove the bundle can really open its window (offscreen).
"""
from __future__ import annotations

import multiprocessing
import os
import sys


def self_test() -> int:
    """Open the main window once, report its title and key widgets, and quit."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from playground.appinfo import apply_app_identity, configure_before_qapplication

    configure_before_qapplication()
    app = QApplication(sys.argv[:1])
    apply_app_identity(app)
    try:
        from playground.app import create_main_window
    except ImportError as error:
        print(f"selftest: cannot build the main window: {error}", file=sys.stderr)
        return 1

    window = create_main_window()
    window.show()
    found = {}

    def inspect() -> None:
        from PySide6.QtWidgets import QWidget
        found["visible"] = window.isVisible()
        for name in ("layerPalette", "networkEditor", "lossPlot"):
            found[name] = window.findChild(QWidget, name) is not None
        app.quit()

    # Two turns of the loop: the first lays the window out, the second runs once it is idle.
    QTimer.singleShot(0, lambda: QTimer.singleShot(0, inspect))
    app.exec()
    print(f"selftest window={window.windowTitle()!r} "
          + " ".join(f"{name}={ok}" for name, ok in found.items()))
    window.close()
    return 0 if found and all(found.values()) else 1


def main() -> int:
    """Run the self-test when asked, else the ``layerlab`` command line."""
    # Frozen Windows/macOS builds re-run this script for multiprocessing children.
    multiprocessing.freeze_support()
    # A windowed build on Windows has no console: print() would fail on a None stream.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
    if os.environ.get("LAYERLAB_BUNDLE_SELFTEST") == "1":
        return self_test()
    from playground.cli import main as cli_main
    return int(cli_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
