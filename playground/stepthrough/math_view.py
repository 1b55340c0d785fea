"""The maths of one dense neuron with the live numbers of the last recorded step."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QSpinBox, QTextBrowser,
                               QVBoxLayout, QWidget)

from engine.neuron_math import NeuronMath, dense_layer_ids, explain_neuron
from engine.stepthrough import StepCapture
from playground.stepthrough.math_html import neuron_html


class MathView(QWidget):
    """Pick a dense layer, a unit and a sample; read its forward, backward and update maths."""

    neuronChosen = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mathView")
        self.capture: StepCapture | None = None
        self.math: NeuronMath | None = None
        self.layer_box = QComboBox()
        self.layer_box.setObjectName("mathLayer")
        self.layer_box.setToolTip("The dense layer whose neuron is explained")
        self.unit_box = QSpinBox()
        self.unit_box.setObjectName("mathUnit")
        self.unit_box.setToolTip("Which neuron (unit) of the layer, counted from 0; clicking a "
                                 "neuron on the network canvas also chooses it")
        self.sample_box = QSpinBox()
        self.sample_box.setObjectName("mathSample")
        self.sample_box.setToolTip("Which sample of the mini-batch the forward and backward "
                                   "numbers are for, counted from 0")
        self.text = QTextBrowser()
        self.text.setObjectName("mathText")
        self.text.setOpenLinks(False)
        self.text.setToolTip("The neuron's forward formula, its backpropagated gradient, each "
                             "weight's gradient and update, and the optimizer's rule, with the "
                             "numbers of the last recorded step")
        choices = QHBoxLayout()
        for label, widget in (("Layer", self.layer_box), ("Neuron", self.unit_box),
                              ("Sample", self.sample_box)):
            choices.addWidget(QLabel(label))
            choices.addWidget(widget)
        choices.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(choices)
        layout.addWidget(self.text, 1)
        self.layer_box.currentTextChanged.connect(self._layer_changed)
        self.unit_box.valueChanged.connect(self._refresh)
        self.sample_box.valueChanged.connect(self._refresh)
        self.text.setHtml("<i>Step once to see a neuron's maths with its numbers.</i>")

    def set_capture(self, capture: StepCapture) -> None:
        """Show the same neuron for a newly recorded step (or the first dense layer's first)."""
        self.capture = capture
        layers = dense_layer_ids(capture) if capture.recorded else []
        current = self.layer_box.currentText()
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.addItems(layers)
        if current in layers:
            self.layer_box.setCurrentText(current)
        self.layer_box.blockSignals(False)
        self._set_limits()
        self._refresh()

    def clear(self) -> None:
        """Forget the step (after a reset); the next capture starts at the first dense layer."""
        self.capture = None
        self.math = None
        self.layer_box.clear()
        self.text.setHtml("<i>Step once to see a neuron's maths with its numbers.</i>")

    def set_neuron(self, layer_id: str, unit: int, sample: int | None = None) -> None:
        """Choose a neuron (e.g. clicked on the network canvas)."""
        self.layer_box.setCurrentText(layer_id)
        self.unit_box.setValue(unit)
        if sample is not None:
            self.sample_box.setValue(sample)
        self._refresh()

    @Slot(str)
    def _layer_changed(self, _layer_id: str) -> None:
        self._set_limits()
        self._refresh()

    def _set_limits(self) -> None:
        """Bound the unit and sample choosers by the layer's width and the batch size."""
        layer_id = self.layer_box.currentText()
        if self.capture is None or not layer_id:
            return
        units = self.capture.layer(layer_id).output_shape[0]
        for box, top in ((self.unit_box, units - 1),
                         (self.sample_box, self.capture.record.batch_size - 1)):
            box.blockSignals(True)
            box.setRange(0, max(0, top))
            box.blockSignals(False)

    @Slot()
    def _refresh(self) -> None:
        layer_id = self.layer_box.currentText()
        if self.capture is None or not self.capture.recorded:
            self.math = None
            self.text.setHtml("<i>Nothing recorded for this step.</i>")
            return
        if not layer_id:
            self.math = None
            self.text.setHtml("<i>The network has no dense layer to explain.</i>")
            return
        self.math = explain_neuron(self.capture, layer_id, self.unit_box.value(),
                                   self.sample_box.value())
        self.text.setHtml(neuron_html(self.math))
        self.neuronChosen.emit(layer_id, self.unit_box.value())
