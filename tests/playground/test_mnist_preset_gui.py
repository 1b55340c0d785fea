"""Opening the MNIST preset in the app: files found, asked for with the IDX dialog, or missing.

(Named ``_gui`` because tests/engine/test_mnist_preset.py holds the engine side and the test
folders are not packages: two modules with one name would clash at collection.)
"""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from engine.resources import resource_path
from playground.images.idx_import_dialog import IdxImportDialog
from playground.session import locate_idx_files, missing_idx_files
from playground.start_page import StartPage, describe_preset, load_presets
from tests.engine.test_mnist_preset import (IMAGES, LABELS, MNIST_PRESET,
                                            write_synthetic_mnist)
from tests.playground.app_fixtures import CIRCLE, make_window  # noqa: F401 - fixture


class FakeExec:
    """Stands in for the modal ``exec``: records each dialog, picks files or cancels."""

    def __init__(self, images: Path | None) -> None:
        self.images = images
        self.dialogs: list[IdxImportDialog] = []

    def __call__(self, dialog: IdxImportDialog) -> int:
        self.dialogs.append(dialog)
        if self.images is None:
            return 0
        dialog.set_files(self.images)
        return 1


@pytest.fixture
def empty_cwd(tmp_path: Path, monkeypatch) -> Path:
    """A current folder without MNIST files in it."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def open_from_menu(window) -> None:
    window.findChild(QAction, "preset_mnist_lenet").trigger()
    window.run_analysis()


def test_missing_files_open_the_import_dialog_and_the_project_uses_the_choice(
        make_window, tmp_path, empty_cwd, monkeypatch):
    images, labels = write_synthetic_mnist(tmp_path / "downloads")
    fake = FakeExec(images)
    monkeypatch.setattr(IdxImportDialog, "exec", lambda dialog: fake(dialog))
    window = make_window(CIRCLE)
    open_from_menu(window)
    assert len(fake.dialogs) == 1
    dialog = fake.dialogs[0]
    reason = dialog.findChild(QLabel, "idxReason").text()
    assert "“MNIST LeNet” trains on the MNIST files" in reason
    assert f"{IMAGES} and {LABELS} were not found" in reason
    assert (dialog.limit_spin.value(), dialog.test_spin.value()) == (10000, 0.2)
    data = window.session.spec["data"]
    assert (data["images"], data["labels"]) == (str(images.resolve()), str(labels.resolve()))
    assert data["limit"] == 10000 and data["test_fraction"] == 0.2
    assert window.session.undo_stack.undoText() == "Use the chosen IDX files"
    assert window.analysis.error is None and window.trainer is not None
    assert window.trainer.dataset.n_train == 160
    assert window.data_panel.error.text() == ""
    # The next time the files are found in the folder they were chosen from: no dialog.
    open_from_menu(window)
    assert len(fake.dialogs) == 1
    assert window.session.spec["data"]["images"] == str(images.resolve())
    assert not window.session.dirty and window.analysis.error is None


def test_cancelling_keeps_the_project_open_with_the_data_panel_message(
        make_window, empty_cwd, monkeypatch):
    fake = FakeExec(None)
    monkeypatch.setattr(IdxImportDialog, "exec", lambda dialog: fake(dialog))
    window = make_window(CIRCLE)
    open_from_menu(window)
    assert len(fake.dialogs) == 1
    assert window.session.spec["name"] == "MNIST LeNet"
    assert window.session.spec["data"]["images"] == IMAGES
    assert window.analysis.error.startswith(f"data.images: file not found: "
                                            f"{empty_cwd / IMAGES}")
    assert window.trainer is None
    assert not window.findChild(QAction, "actionTrain").isEnabled()
    shown = window.data_panel.error.text()
    assert "MNIST is not bundled with LayerLab" in shown
    assert "https://yann.lecun.com/exdb/mnist/" in shown
    assert shown.startswith("Press “Open data file…” to choose the files. data.images: file "
                            "not found")
    assert window.data_panel.error.toolTip() == shown
    assert "No data files chosen" in window.statusBar().currentMessage()


def test_gallery_finds_files_in_the_current_folder_without_asking(
        make_window, tmp_path, monkeypatch):
    images, _ = write_synthetic_mnist(tmp_path / "here", count=60)
    monkeypatch.chdir(tmp_path / "here")
    fake = FakeExec(None)
    monkeypatch.setattr(IdxImportDialog, "exec", lambda dialog: fake(dialog))
    window = make_window(CIRCLE)
    window.show_start_page()
    page = window.central_stack.currentWidget()
    assert isinstance(page, StartPage)
    page.presetChosen.emit(str(MNIST_PRESET))
    assert fake.dialogs == []
    assert window.central_stack.currentWidget() is window.editor
    # Stored absolute, so the project still finds them once saved somewhere else.
    assert window.session.spec["data"]["images"] == str(images.resolve())
    window.run_analysis()
    assert window.analysis.error is None and window.trainer.dataset.n_test == 12


def test_gallery_card_says_the_files_are_needed(qtbot):
    info = next(p for p in load_presets() if p.path.name == "mnist_lenet.json")
    assert info.description.startswith("MNIST files needed · conv 6 → maxpool")
    page = StartPage()
    qtbot.addWidget(page)
    card = next(c for c in page.cards if c.info.path == info.path)
    assert "MNIST files needed" in card.caption.text()
    assert f"Needs the MNIST files {IMAGES} and {LABELS}, which are not bundled" \
        in card.toolTip()
    assert describe_preset({"data": {"source": "idx", "images": "a.idx", "labels": "b.idx"},
                            "network": {"layers": []}}).startswith("IDX files needed")


def test_locating_and_missing_files(tmp_path, monkeypatch):
    data = {"source": "idx", "images": IMAGES, "labels": LABELS, "limit": 5}
    monkeypatch.chdir(tmp_path)
    assert missing_idx_files(data, None) == [IMAGES, LABELS]
    assert locate_idx_files(data, [tmp_path]) is None
    write_synthetic_mnist(tmp_path / "sub", count=20)
    assert missing_idx_files(data, tmp_path / "sub") == []
    located = locate_idx_files(data, [tmp_path, tmp_path / "sub"])
    assert located == {**data, "images": str(tmp_path / "sub" / IMAGES),
                       "labels": str(tmp_path / "sub" / LABELS)}
    nested = {**data, "images": f"sub/{IMAGES}", "labels": f"sub/{LABELS}"}
    assert locate_idx_files(nested, [tmp_path]) == located
    assert missing_idx_files({"source": "circle"}, None) == []
    assert locate_idx_files({"source": "circle"}, [tmp_path]) is None


def test_bundled_preset_path_opens_in_the_session(tmp_path, monkeypatch, qtbot):
    from playground.session import Session
    monkeypatch.chdir(tmp_path)
    session = Session()
    assert session.open_preset("mnist_lenet") == [IMAGES, LABELS]
    assert session.path is None and not session.dirty
    assert session.open_preset(resource_path("presets", "xor.json")) == []
    assert session.spec["data"]["source"] == "xor"


def test_open_data_file_after_cancelling_keeps_the_preset_sampling(
        make_window, tmp_path, empty_cwd, monkeypatch):
    cancel = FakeExec(None)
    monkeypatch.setattr(IdxImportDialog, "exec", lambda dialog: cancel(dialog))
    window = make_window(CIRCLE)
    open_from_menu(window)
    images, _ = write_synthetic_mnist(tmp_path / "later", count=100)
    pick = FakeExec(images)
    monkeypatch.setattr(IdxImportDialog, "exec", lambda dialog: pick(dialog))
    window.data_panel.open_file.click()
    assert (pick.dialogs[0].limit_spin.value(), pick.dialogs[0].test_spin.value()) == (10000, 0.2)
    window.run_analysis()
    assert window.analysis.error is None and window.data_panel.error.text() == ""
    assert window.trainer.dataset.n_test == 20
