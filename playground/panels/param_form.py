"""A form generated from declared ``Param``s: spin boxes with limits, log sliders, combos.

Adding a setting to a layer, optimizer or data source adds its widget here with no GUI code.
"""
from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QLineEdit, QSlider, QSpinBox, QWidget)

from engine.params import Param

SLIDER_STEPS = 1000


class LogSlider(QWidget):
    """A slider on a log scale paired with a spin box, for rates spanning decades."""

    valueChanged = Signal(float)

    def __init__(self, low: float, high: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.low, self.high = math.log10(low), math.log10(high)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(6)
        self.spin.setRange(low, high)
        self.spin.setSingleStep(low)
        self.spin.setMinimumWidth(90)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)
        self._quiet = False

    def value(self) -> float:
        """The current value."""
        return float(self.spin.value())

    def setToolTip(self, text: str) -> None:  # noqa: N802 - Qt naming
        """The tooltip on the slider and the spin box too (the mouse rests on those)."""
        super().setToolTip(text)
        self.slider.setToolTip(f"{text} (log scale: each notch multiplies)" if text else text)
        self.spin.setToolTip(text)

    def setValue(self, value: float) -> None:  # noqa: N802 - Qt naming
        """Show a value without emitting."""
        self._quiet = True
        self.spin.setValue(value)
        position = (math.log10(max(value, 10 ** self.low)) - self.low) / (self.high - self.low)
        self.slider.setValue(round(position * SLIDER_STEPS))
        self._quiet = False

    def _from_slider(self, position: int) -> None:
        if self._quiet:
            return
        value = 10 ** (self.low + (self.high - self.low) * position / SLIDER_STEPS)
        value = float(f"{value:.3g}")
        self._quiet = True
        self.spin.setValue(value)
        self._quiet = False
        self.valueChanged.emit(value)

    def _from_spin(self, value: float) -> None:
        if not self._quiet:
            self.setValue(value)
            self.valueChanged.emit(float(value))


class ParamForm(QWidget):
    """Edits a settings dict described by ``params``; emits ``changed(name, value)``."""

    changed = Signal(str, object)

    def __init__(self, params: tuple[Param, ...], values: dict,
                 skip: tuple[str, ...] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setLabelAlignment(Qt.AlignRight)
        self.widgets: dict[str, QWidget] = {}
        self._quiet = False
        for param in params:
            if param.name in skip:
                continue
            widget = self._make(param, values.get(param.name, param.default))
            if widget is None:
                continue
            widget.setToolTip(param.help)
            widget.setObjectName(f"param_{param.name}")
            self.widgets[param.name] = widget
            self.layout_.addRow(param.name.replace("_", " "), widget)

    def _make(self, param: Param, value: Any) -> QWidget | None:
        emit = lambda v, name=param.name: None if self._quiet else self.changed.emit(name, v)  # noqa: E731
        if param.kind == "int":
            widget = QSpinBox()
            widget.setRange(int(param.minimum) if param.minimum is not None else -10 ** 9,
                            int(param.maximum) if param.maximum is not None else 10 ** 9)
            if param.nullable or value is None:
                widget.setSpecialValueText("auto")
                widget.setMinimum(widget.minimum() - 1)
            widget.setValue(widget.minimum() if value is None else int(value))
            widget.valueChanged.connect(
                lambda v, w=widget, p=param: emit(None if (v == w.minimum() and
                                                           w.specialValueText()) else int(v)))
            return widget
        if param.kind == "float":
            if param.log_scale:
                high = param.maximum if param.maximum is not None else 10.0
                widget = LogSlider(1e-5, high)
                widget.setValue(float(value if value is not None else param.default or 1e-3))
                widget.valueChanged.connect(emit)
                return widget
            widget = QDoubleSpinBox()
            widget.setDecimals(4)
            low = param.minimum if param.minimum is not None else -1e9
            high = param.maximum if param.maximum is not None else 1e9
            widget.setRange(low, high)
            widget.setSingleStep(0.01 if high <= 1 else 0.1)
            widget.setValue(float(value or 0.0))
            widget.valueChanged.connect(lambda v: emit(float(v)))
            return widget
        if param.kind == "bool":
            widget = QCheckBox()
            widget.setChecked(bool(value))
            widget.toggled.connect(emit)
            return widget
        if param.kind == "choice":
            widget = QComboBox()
            if param.nullable:
                widget.addItem("auto", None)
            for choice in param.choices:
                widget.addItem(str(choice), choice)
            widget.setCurrentIndex(max(0, widget.findData(value)))
            widget.currentIndexChanged.connect(lambda i, w=widget: emit(w.itemData(i)))
            return widget
        if param.kind in ("str", "path", "shape"):
            widget = QLineEdit()
            if param.kind == "shape":
                widget.setText(", ".join(str(v) for v in (value or [])))
                widget.setPlaceholderText("e.g. 1, 8, 8")
                widget.editingFinished.connect(lambda w=widget: emit(_parse_shape(w.text())))
            else:
                widget.setText("" if value is None else str(value))
                widget.editingFinished.connect(lambda w=widget: emit(w.text() or None))
            return widget
        return None

    def set_values(self, values: dict) -> None:
        """Show new values without emitting ``changed`` (guards feedback loops)."""
        self._quiet = True
        try:
            for name, widget in self.widgets.items():
                value = values.get(name)
                if isinstance(widget, QSpinBox):
                    widget.setValue(widget.minimum() if value is None else int(value))
                elif isinstance(widget, LogSlider):
                    if value is not None:
                        widget.setValue(float(value))
                elif isinstance(widget, QDoubleSpinBox):
                    widget.setValue(float(value or 0.0))
                elif isinstance(widget, QCheckBox):
                    widget.setChecked(bool(value))
                elif isinstance(widget, QComboBox):
                    widget.setCurrentIndex(max(0, widget.findData(value)))
                elif isinstance(widget, QLineEdit) and not widget.hasFocus():
                    text = (", ".join(str(v) for v in value) if isinstance(value, list)
                            else "" if value is None else str(value))
                    widget.setText(text)
        finally:
            self._quiet = False


def _parse_shape(text: str) -> list[int] | str:
    """'1, 8, 8' → [1, 8, 8]; anything else is passed on for validation to report."""
    parts = [p for p in text.replace("×", ",").replace("x", ",").split(",") if p.strip()]
    try:
        return [int(p) for p in parts]
    except ValueError:
        return text
