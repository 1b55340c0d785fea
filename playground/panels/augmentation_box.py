"""The data panel's image augmentation switch: random shifts and small rotations while training.

It edits ``training.augmentation`` (the engine applies it to training batches only, never to
evaluation), so it is undoable like every other edit and is saved with the project.
"""
from __future__ import annotations

import copy

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QSpinBox

from engine.project import AUGMENTATION_PARAMS

DEFAULTS = {param.name: param.default for param in AUGMENTATION_PARAMS}
LIMITS = {param.name: (param.minimum, param.maximum) for param in AUGMENTATION_PARAMS}
TIP = ("Each training batch is shifted by up to a few pixels and rotated by a few degrees, "
       "a fresh random draw every step, so the network learns that a digit moved or tilted is "
       "still the same digit. Test samples are never changed. Slower per step; usually fewer "
       "mistakes on new handwriting.")


class AugmentationBox(QGroupBox):
    """A checkable group: on writes ``training.augmentation``, off removes it."""

    def __init__(self, session, parent=None) -> None:
        super().__init__("Augment training images", parent)
        self.setObjectName("augmentationBox")
        self.setCheckable(True)
        self.setToolTip(TIP)
        self.session = session
        self._quiet = False
        self.shift = QSpinBox()
        self.shift.setObjectName("augmentShift")
        self.shift.setRange(*LIMITS["max_shift"])
        self.shift.setSuffix(" px")
        self.shift.setToolTip("Largest random shift, in pixels (each direction)")
        self.degrees = QDoubleSpinBox()
        self.degrees.setObjectName("augmentDegrees")
        self.degrees.setRange(*LIMITS["max_degrees"])
        self.degrees.setDecimals(1)
        self.degrees.setSingleStep(1.0)
        self.degrees.setSuffix(" °")
        self.degrees.setToolTip("Largest random rotation, in degrees (either way)")
        form = QFormLayout(self)
        form.addRow("shift up to", self.shift)
        form.addRow("rotate up to", self.degrees)
        # Switching is an undo step of its own; turning a spin box merges into one edit.
        self.toggled.connect(lambda: self._write(None))
        self.shift.valueChanged.connect(lambda: self._write("augmentation"))
        self.degrees.valueChanged.connect(lambda: self._write("augmentation"))
        session.trainingChanged.connect(self.refresh)
        session.projectReplaced.connect(self.refresh)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Show the session's augmentation settings without writing back."""
        settings = self.session.spec["training"].get("augmentation")
        shown = {**DEFAULTS, **(settings or {})}
        self._quiet = True
        try:
            self.setChecked(bool(settings))
            self.shift.setValue(int(shown["max_shift"]))
            self.degrees.setValue(float(shown["max_degrees"]))
        finally:
            self._quiet = False

    def _write(self, merge: str | None) -> None:
        if self._quiet:
            return
        training = copy.deepcopy(self.session.spec["training"])
        if self.isChecked():
            training["augmentation"] = {"max_shift": self.shift.value(),
                                        "max_degrees": round(self.degrees.value(), 1)}
            text = "Augment training images"
        else:
            training.pop("augmentation", None)
            text = "Stop augmenting training images"
        if training != self.session.spec["training"]:
            self.session.set_training(training, text, merge)
