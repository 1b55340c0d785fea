"""Help menu dialogs: shortcuts table, guided tour paging, About box contents."""
from __future__ import annotations

import importlib.util

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from engine import __version__
from playground.help_dialogs import (SHORTCUTS, TOUR_PAGES, AboutDialog, GuidedTour,
                                     ShortcutsDialog, about_html)


def test_shortcuts_dialog_lists_every_shortcut(qtbot) -> None:
    dialog = ShortcutsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    table = dialog.table
    assert table.rowCount() == len(SHORTCUTS)
    keys = [table.item(row, 0).text() for row in range(table.rowCount())]
    for expected in ("Space", "R", "Ctrl+O", "Ctrl+S", "Ctrl+Shift+S", "Ctrl+Z",
                     "Delete or Backspace", "Ctrl+D", "Ctrl+0"):
        assert expected in keys
    assert table.item(0, 1).text() == "Start or pause training"


def test_tour_pages_advance_back_and_finish(qtbot) -> None:
    tour = GuidedTour()
    qtbot.addWidget(tour)
    tour.show()
    assert tour.index == 0 and not tour.back_button.isEnabled()
    seen = []
    tour.pageShown.connect(lambda index, name: seen.append((index, name)))
    for expected in range(1, len(TOUR_PAGES)):
        qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
        assert tour.index == expected
        assert tour.progress.text() == f"{expected + 1} of {len(TOUR_PAGES)}"
    assert [name for _, name in seen] == [page[1] for page in TOUR_PAGES[1:]]
    assert "layerPalette" in [name for _, name in seen]
    assert tour.next_button.text() == "Finish"
    qtbot.mouseClick(tour.back_button, Qt.MouseButton.LeftButton)
    assert tour.index == len(TOUR_PAGES) - 2 and tour.next_button.text() == "Next"
    qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(tour.finished, timeout=2_000):
        qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
    assert not tour.isVisible()


def test_about_box_names_version_and_licences(qtbot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    text = dialog.text.toPlainText()
    assert __version__ in text
    for expected in ("MIT licence", "CC BY 4.0", "LGPL", "pyqtgraph: MIT", "NumPy: BSD"):
        assert expected in text
    assert "UCI" in about_html()


@pytest.mark.skipif(importlib.util.find_spec("playground.app") is None,
                    reason="main window not present")
def test_tour_and_shortcuts_match_the_main_window(qtbot) -> None:
    from playground.app import create_main_window
    window = create_main_window()
    qtbot.addWidget(window)
    for _title, target, _body in TOUR_PAGES:
        if target:
            assert window.findChild(QWidget, target) is not None, target
    documented = dict(SHORTCUTS)
    window_keys = {QKeySequence(sequence).toString()
                   for action in window.findChildren(QAction)
                   for sequence in action.shortcuts()}
    # Every window-wide action shortcut the window defines is in the table.
    for keys in ("Space", "R", "Ctrl+O", "Ctrl+S", "Ctrl+Shift+S", "Ctrl+E", "Ctrl+Z"):
        assert keys in window_keys
        assert any(keys in entry.split(" or ") for entry in documented), keys
