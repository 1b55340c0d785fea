"""Python's cyclic garbage collection, moved onto the GUI thread.

The collector runs on whichever thread happens to allocate when a threshold is crossed. In
the app that is often the training thread; if the cycle it frees holds a Qt widget (a closed
window, a dock, a menu), the widget's destructor then runs on that thread while the GUI thread
deletes its siblings, and the two deadlock on Qt's and Python's locks. So automatic collection
is switched off once the GUI exists and a timer on the GUI thread collects instead, generation
by generation with Python's own thresholds. Reference counting still frees everything that
is not in a cycle at once, on any thread.
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Slot

INTERVAL_MS = 100    # often enough that a training thread's cycles never pile up


class GuiThreadCollector(QObject):
    """Disables automatic collection and collects from a GUI-thread timer instead."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.collect)
        self.timer.start()
        parent.destroyed.connect(lambda *_: gc.enable())

    @Slot()
    def collect(self) -> int:
        """Collect the generations whose counts passed their thresholds; objects freed."""
        counts = gc.get_count()
        generation = -1
        for level in range(3):
            if counts[level] <= self.thresholds[level]:
                break
            generation = level
        return gc.collect(generation) if generation >= 0 else 0


def install_gui_collector() -> GuiThreadCollector | None:
    """Move collection onto the GUI thread of the running application (once per app)."""
    app = QCoreApplication.instance()
    if app is None:
        return None
    existing = app.findChild(GuiThreadCollector)
    if existing is not None:
        return existing
    return GuiThreadCollector(app)
