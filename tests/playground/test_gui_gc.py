"""Cyclic garbage is collected on the GUI thread only, never on the training thread."""
from __future__ import annotations

import gc
import threading

from app_fixtures import CIRCLE, make_window  # noqa: F401


class _Cycle:
    """A reference cycle that records the thread its finaliser ran on."""

    freed_on: list[str] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        _Cycle.freed_on.append(threading.current_thread().name)


def test_window_moves_collection_to_the_gui_thread(make_window, qtbot):
    from playground.gui_gc import GuiThreadCollector, install_gui_collector
    window = make_window(CIRCLE)
    assert not gc.isenabled()
    collector = install_gui_collector()
    assert isinstance(collector, GuiThreadCollector)
    assert install_gui_collector() is collector    # one per application

    _Cycle.freed_on.clear()
    window.actions["Train"].trigger()
    # Garbage made on another thread, well past the generation-0 threshold: with automatic
    # collection it would be freed there, while that thread allocates.
    maker = threading.Thread(target=lambda: [_Cycle() for _ in range(2000)], name="maker")
    maker.start()
    maker.join()
    qtbot.waitUntil(lambda: window.trainer.steps > 200, timeout=10000)
    qtbot.waitUntil(lambda: len(_Cycle.freed_on) == 2000, timeout=5000)
    assert set(_Cycle.freed_on) == {threading.main_thread().name}
    window.actions["Train"].trigger()


def test_collect_frees_only_past_thresholds(make_window):
    from playground.gui_gc import install_gui_collector
    make_window(CIRCLE)
    collector = install_gui_collector()
    gc.collect()
    assert collector.collect() == 0    # nothing counted since the full collection
    _Cycle.freed_on.clear()
    for _ in range(collector.thresholds[0] + 50):
        _Cycle()
    assert collector.collect() >= collector.thresholds[0]
    assert len(_Cycle.freed_on) >= collector.thresholds[0]
