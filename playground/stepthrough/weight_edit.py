"""Edit one weight or bias by hand while training is paused (as TensorFlow Playground allows).

The value is written straight into the parameter (``param.data[index] = value``); the data is a
view into the optimizer's flat buffer, so the next step trains from the edited value. Only edit
while the worker is paused: the editor refuses otherwise.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget)

MAX_DIMENSIONS = 4
VALUE_LIMIT = 1e4


def edit_weight(model, name: str, index: tuple[int, ...], value: float) -> float:
    """Write ``value`` into parameter ``name`` at ``index``; return the previous value.

    Raises KeyError for an unknown parameter and ValueError for a bad index or value.
    """
    params = dict(model.named_parameters())
    if name not in params:
        raise KeyError(f"the model has no parameter {name!r}")
    data = params[name].data
    index = tuple(int(i) for i in index)
    if len(index) != data.ndim or any(not 0 <= i < n for i, n in zip(index, data.shape)):
        raise ValueError(f"{name} has shape {data.shape}; index {index} is outside it")
    if not math.isfinite(value):
        raise ValueError("a weight must be a finite number")
    previous = float(data[index])
    data[index] = value
    return previous


class WeightEditor(QDialog):
    """Choose a parameter, an element and a new value; Apply writes it into the model."""

    weightEdited = Signal(str, object, float)   # name, index tuple, new value

    def __init__(self, model, paused: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("weightEditor")
        self.setWindowTitle("Edit a weight")
        self.model = model
        self.paused = paused
        self.param_box = QComboBox()
        self.param_box.setObjectName("weightParam")
        self.param_box.setToolTip("The parameter (a layer's weight or bias array) to edit")
        self.index_boxes = [QSpinBox() for _ in range(MAX_DIMENSIONS)]
        index_row = QHBoxLayout()
        for axis, box in enumerate(self.index_boxes):
            box.setToolTip(f"Index along axis {axis} of the parameter, counted from 0 "
                           f"(for a dense weight: axis 0 is the input, axis 1 the unit)")
            index_row.addWidget(box)
            box.valueChanged.connect(self._show_current)
        index_row.addStretch(1)
        self.current_label = QLabel()
        self.current_label.setToolTip("The element's value in the model right now")
        self.value_box = QDoubleSpinBox()
        self.value_box.setRange(-VALUE_LIMIT, VALUE_LIMIT)
        self.value_box.setDecimals(6)
        self.value_box.setSingleStep(0.1)
        self.value_box.setObjectName("weightValue")
        self.value_box.setToolTip("The value Apply writes into the element")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setObjectName("weightApply")
        self.apply_button.setToolTip("Write the new value into the model (only while training "
                                     "is paused); the next step trains from it")
        self.apply_button.clicked.connect(self.apply)
        form = QFormLayout()
        form.addRow("Parameter", self.param_box)
        form.addRow("Element", index_row)
        form.addRow("Current value", self.current_label)
        form.addRow("New value", self.value_box)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.button(QDialogButtonBox.Close).setToolTip("Close the editor (applied edits stay)")
        buttons.addButton(self.apply_button, QDialogButtonBox.ApplyRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.param_box.currentTextChanged.connect(self._param_changed)
        self.set_model(model)
        self.set_paused(paused)

    def set_model(self, model) -> None:
        """Edit another model (e.g. after a reset built a new one)."""
        self.model = model
        current = self.param_box.currentText()
        self.param_box.blockSignals(True)
        self.param_box.clear()
        self.param_box.addItems([name for name, _ in model.named_parameters()])
        if current:
            self.param_box.setCurrentText(current)
        self.param_box.blockSignals(False)
        self._param_changed(self.param_box.currentText())

    def set_paused(self, paused: bool) -> None:
        """Allow edits only while training is paused."""
        self.paused = paused
        self.apply_button.setEnabled(paused)
        self.status.setText("" if paused else "Pause training to edit weights.")

    def select(self, name: str, index: tuple[int, ...]) -> None:
        """Point the editor at one element (e.g. a connection clicked on the canvas)."""
        self.param_box.setCurrentText(name)
        for box, value in zip(self.index_boxes, index):
            box.setValue(int(value))
        self._show_current()
        self.value_box.setValue(self.current_value())

    def index(self) -> tuple[int, ...]:
        """The chosen element's index."""
        ndim = self._data().ndim
        return tuple(box.value() for box in self.index_boxes[:ndim])

    def current_value(self) -> float:
        """The chosen element's value in the model now."""
        return float(self._data()[self.index()])

    def _data(self) -> np.ndarray:
        return dict(self.model.named_parameters())[self.param_box.currentText()].data

    @Slot(str)
    def _param_changed(self, name: str) -> None:
        if not name:
            return
        shape = self._data().shape
        for position, box in enumerate(self.index_boxes):
            visible = position < len(shape)
            box.setVisible(visible)
            if visible:
                box.blockSignals(True)
                box.setRange(0, shape[position] - 1)
                box.blockSignals(False)
        self._show_current()
        self.value_box.setValue(self.current_value())

    @Slot()
    def _show_current(self) -> None:
        if self.param_box.currentText():
            self.current_label.setText(f"{self.current_value():.6g}")

    @Slot()
    def apply(self) -> bool:
        """Write the new value (only while paused); emit ``weightEdited``; False if refused."""
        if not self.paused:
            self.status.setText("Pause training to edit weights.")
            return False
        name, index, value = self.param_box.currentText(), self.index(), self.value_box.value()
        previous = edit_weight(self.model, name, index, value)
        self.status.setText(f"{name}{list(index)}: {previous:.6g} → {value:.6g}")
        self._show_current()
        self.weightEdited.emit(name, index, value)
        return True
