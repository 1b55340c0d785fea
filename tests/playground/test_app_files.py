"""Shortcuts, recent files, remembered layout, unsaved-changes prompt."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar

from app_fixtures import CIRCLE, make_window, step_count  # noqa: F401


def test_training_shortcuts(make_window, qtbot):
    window = make_window(CIRCLE)
    actions = {name: window.findChild(QAction, f"action{name}") for name in
               ("Train", "Step", "Reset", "Open", "Save", "Export")}
    assert actions["Train"].shortcut() == QKeySequence("Space")
    assert QKeySequence("S") in actions["Step"].shortcuts()
    assert QKeySequence(Qt.Key_Right) in actions["Step"].shortcuts()
    assert actions["Reset"].shortcut() == QKeySequence("R")
    # The actions live in the window's toolbar and menus, so the keys work window-wide.
    toolbar = window.findChild(QToolBar, "mainToolBar")
    assert {actions["Step"], actions["Train"], actions["Reset"]} <= set(toolbar.actions())


def test_recent_files_and_layout_are_remembered(make_window, qtbot, tmp_path):
    window = make_window(CIRCLE)
    path = tmp_path / "remember.json"
    window.session.save(path)
    assert window.files.open_path(path)
    assert window.settings.recent_files()[0] == str(path.resolve())
    window.files._fill_recent()
    assert any(a.text() == "remember.json" for a in window.files.recent_menu.actions())
    window.docks["Loss"].hide()
    window.close()
    again = make_window(CIRCLE)
    assert again.settings.recent_files()[0] == str(path.resolve())
    assert again.docks["Loss"].isHidden()


def test_bad_project_file_shows_an_error_and_keeps_the_project(make_window, qtbot, tmp_path,
                                                               monkeypatch):
    window = make_window(CIRCLE)
    shown = []
    monkeypatch.setattr(window.files, "_error", lambda title, error: shown.append(str(error)))
    bad = tmp_path / "bad.json"
    bad.write_text('{"layerlab": 1, "data": {"source": "nope"}, "network": {"layers": []}}')
    before = dict(window.session.spec)
    assert not window.files.open_path(bad)
    assert shown and "nope" in shown[0]
    assert window.session.spec == before


def test_unsaved_changes_prompt_guards_new_and_close(make_window, qtbot, monkeypatch):
    from playground.actions import FileActions
    window = make_window(CIRCLE)
    window.session.select(0)
    window.editor.append_layer("dropout")
    assert window.session.dirty and window.isWindowModified()
    answers = []
    monkeypatch.setattr(window.files, "confirm_discard",
                        lambda: answers.append("asked") or False)
    window.files.new()
    assert answers == ["asked"] and len(window.session.layers) == 4
    assert not window.close()
    assert window.worker.alive or window.trainer is not None
    monkeypatch.setattr(window.files, "confirm_discard", lambda: True)
    assert isinstance(window.files, FileActions)


def test_start_page_opens_a_preset(make_window, qtbot):
    from engine.resources import resource_path
    window = make_window()
    window.show_start_page()
    assert window.central_stack.currentWidget() is not window.editor
    page = window.central_stack.currentWidget()
    page.presetChosen.emit(str(resource_path("presets", "xor.json")))
    assert window.central_stack.currentWidget() is window.editor
    assert window.session.spec["data"]["source"] == "xor"
    assert window.session.path is None      # a preset opens as a new, unsaved project
