"""Training settings: optimizer and its settings, loss, batch size, regularization, epochs."""
from __future__ import annotations

import copy

from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QVBoxLayout,
                               QWidget)

from engine.registry import LOSSES, OPTIMIZERS, REGULARIZERS
from playground.panels.param_form import ParamForm


class TrainingPanel(QWidget):
    """Edits ``spec["training"]``; the learning rate applies to a running trainer at once."""

    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.session = session
        self._quiet = False
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS.names())
        self.optimizer.setToolTip("How the weights move along the gradient")
        self.loss = QComboBox()
        self.loss.addItems(LOSSES.names())
        for i, name in enumerate(LOSSES.names()):
            self.loss.setItemData(i, _help(LOSSES.entries[name]), 3)  # 3 = ToolTipRole
        self.loss.setToolTip("What training minimises; the list shows each loss's use")
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 100_000)
        self.batch_size.setToolTip("Samples per mini-batch (one step)")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1_000_000)
        self.epochs.setToolTip("Train pauses after this many epochs; Train again continues")
        self.regularization = QComboBox()
        self.regularization.addItem("none")
        self.regularization.addItems(REGULARIZERS.names())
        self.regularization.setToolTip("Weight penalty added to the loss (l1 pushes weights to "
                                       "zero, l2 keeps them small); none turns it off")
        self.reg_rate = QDoubleSpinBox()
        self.reg_rate.setDecimals(5)
        self.reg_rate.setRange(0.0, 10.0)
        self.reg_rate.setSingleStep(0.0005)
        self.reg_rate.setToolTip("Strength of the weight penalty")
        form.addRow("optimizer", self.optimizer)
        self.optimizer_host = QVBoxLayout()
        form.addRow(self.optimizer_host)
        form.addRow("loss", self.loss)
        form.addRow("batch size", self.batch_size)
        form.addRow("epochs", self.epochs)
        form.addRow("regularization", self.regularization)
        form.addRow("rate", self.reg_rate)
        layout.addStretch(1)
        self.optimizer_form: ParamForm | None = None
        self.optimizer.currentTextChanged.connect(self._on_optimizer)
        self.loss.currentTextChanged.connect(lambda v: self._set(["loss"], v))
        self.batch_size.valueChanged.connect(lambda v: self._set(["batch_size"], v, "batch"))
        self.epochs.valueChanged.connect(lambda v: self._set(["epochs"], v, "epochs"))
        self.regularization.currentTextChanged.connect(self._on_regularization)
        self.reg_rate.valueChanged.connect(self._on_reg_rate)
        session.trainingChanged.connect(self.refresh)
        session.learningRateChanged.connect(lambda _: self.refresh())
        session.projectReplaced.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the session's training settings (without writing back)."""
        training = self.session.spec.get("training", {})
        optimizer = training.get("optimizer", {"type": "adam"})
        self._quiet = True
        try:
            if self.optimizer.currentText() != optimizer.get("type") or self.optimizer_form is None:
                self.optimizer.setCurrentText(optimizer.get("type", "adam"))
                self._build_optimizer_form(optimizer)
            else:
                self.optimizer_form.set_values(optimizer)
            self.loss.setCurrentText(training.get("loss", "mse"))
            self.batch_size.setValue(int(training.get("batch_size", 32)))
            self.epochs.setValue(int(training.get("epochs", 100)))
            regularization = training.get("regularization") or {}
            self.regularization.setCurrentText(regularization.get("type", "none"))
            self.reg_rate.setValue(float(regularization.get("rate", 0.001)))
            self.reg_rate.setEnabled(bool(regularization))
        finally:
            self._quiet = False

    def _build_optimizer_form(self, optimizer: dict) -> None:
        if self.optimizer_form is not None:
            self.optimizer_form.setParent(None)
            self.optimizer_form.deleteLater()
        cls = OPTIMIZERS.entries.get(optimizer.get("type"))
        if cls is None:
            self.optimizer_form = None
            return
        self.optimizer_form = ParamForm(cls.params, optimizer)
        self.optimizer_form.setObjectName("optimizerForm")
        self.optimizer_form.changed.connect(
            lambda name, value: self._set(["optimizer", name], value, f"optimizer.{name}"))
        self.optimizer_host.addWidget(self.optimizer_form)

    def _set(self, path: list[str], value, merge: str | None = None) -> None:
        if self._quiet:
            return
        training = copy.deepcopy(self.session.spec["training"])
        target = training
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value
        self.session.set_training(training, f"Change {path[-1].replace('_', ' ')}", merge)

    def _on_optimizer(self, name: str) -> None:
        if self._quiet:
            return
        old = self.session.spec["training"].get("optimizer", {})
        rate = old.get("learning_rate")
        cls = OPTIMIZERS.entries[name]
        new = {"type": name, **{p.name: p.default for p in cls.params}}
        if rate is not None:
            new["learning_rate"] = rate   # keep the rate the person chose
        training = copy.deepcopy(self.session.spec["training"])
        training["optimizer"] = new
        self.session.set_training(training, "Change optimizer")
        self._quiet = True
        self._build_optimizer_form(new)
        self._quiet = False

    def _on_regularization(self, name: str) -> None:
        if self._quiet:
            return
        training = copy.deepcopy(self.session.spec["training"])
        training["regularization"] = (None if name == "none"
                                      else {"type": name, "rate": self.reg_rate.value()})
        self.session.set_training(training, "Change regularization")

    def _on_reg_rate(self, value: float) -> None:
        if self._quiet or self.regularization.currentText() == "none":
            return
        self._set(["regularization", "rate"], float(value), "regularization.rate")


def _help(cls) -> str:
    return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
