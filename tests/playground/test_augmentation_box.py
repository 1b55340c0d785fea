"""The augmentation switch edits training.augmentation, undoably, and the trainer uses it."""
from __future__ import annotations

from app_fixtures import make_window  # noqa: F401


def test_box_writes_and_removes_augmentation(qtbot):
    from playground.panels.augmentation_box import AugmentationBox
    from playground.session import Session
    session = Session()
    session.open_preset("digits_cnn")
    box = AugmentationBox(session)
    qtbot.addWidget(box)
    assert not box.isChecked()
    assert not session.spec["training"].get("augmentation")

    box.setChecked(True)
    assert session.spec["training"]["augmentation"] == {"max_shift": 2, "max_degrees": 10.0}
    box.shift.setValue(3)
    box.degrees.setValue(7.5)
    assert session.spec["training"]["augmentation"] == {"max_shift": 3, "max_degrees": 7.5}
    box.setChecked(False)
    assert not session.spec["training"].get("augmentation")

    session.undo_stack.undo()    # back to augmenting with the last values
    assert session.spec["training"]["augmentation"] == {"max_shift": 3, "max_degrees": 7.5}
    assert box.isChecked() and box.shift.value() == 3 and box.degrees.value() == 7.5
    assert box.shift.maximum() == 8 and box.degrees.maximum() == 45.0


def test_checked_box_reaches_the_trainer(make_window, qtbot):
    from pathlib import Path
    window = make_window(str(Path(__file__).resolve().parents[2] / "resources" / "presets"
                             / "digits_cnn.json"))
    window.show()
    qtbot.waitExposed(window)
    box = window.data_panel.augmentation
    qtbot.waitUntil(lambda: window.trainer is not None and box.isVisible(), timeout=5000)
    assert window.trainer.batch_transform is None
    box.setChecked(True)
    qtbot.waitUntil(lambda: window.trainer is not None
                    and window.trainer.batch_transform is not None, timeout=5000)
    # A 2-D data set hides the switch (there is nothing to shift or rotate).
    window.session.open_preset("spiral")
    window.run_analysis()
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=5000)
