"""The property panel: the selected layer's settings, as a form generated from its Params."""
from __future__ import annotations

import copy

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFormLayout, QFrame, QLabel, QLineEdit, QScrollArea,
                               QVBoxLayout, QWidget)

from engine.registry import LAYERS
from playground import theme
from playground.panels.param_form import ParamForm


class PropertyPanel(QWidget):
    """Shows and edits one layer of the session (the selected one)."""

    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("propertyPanel")
        self.session = session
        self.form: ParamForm | None = None
        self._index = -1
        # The settings scroll inside the panel, so a short dock never squeezes the wrapped
        # description or the placeholder into fewer lines than they need.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        content = QWidget()
        self.scroll.setWidget(content)
        outer.addWidget(self.scroll)
        self._layout = QVBoxLayout(content)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self._layout.addWidget(self.title)
        self.id_edit = QLineEdit()
        self.id_edit.setPlaceholderText("automatic")
        self.id_edit.setToolTip("Optional id: names the layer's weights and lets other layers "
                                "take it as an input")
        self.id_edit.editingFinished.connect(self._on_id)
        id_row = QFormLayout()
        id_row.addRow("id", self.id_edit)
        self._layout.addLayout(id_row)
        self.form_host = QVBoxLayout()
        self._layout.addLayout(self.form_host)
        self._layout.addStretch(1)
        session.selectionChanged.connect(self._show)
        session.networkChanged.connect(self._refresh)
        session.projectReplaced.connect(lambda: self._show(session.selected))
        self._show(-1)

    def _show(self, index: int) -> None:
        self._index = index
        if self.form is not None:
            self.form.setParent(None)
            self.form.deleteLater()
            self.form = None
        layers = self.session.layers
        if not 0 <= index < len(layers):
            self.title.setText("<i>Select a layer on the canvas to edit its settings.</i>")
            self.id_edit.setEnabled(False)
            self.id_edit.clear()
            return
        layer = layers[index]
        cls = LAYERS.entries.get(layer.get("type"))
        doc = (cls.__doc__ or "").strip().splitlines()[0] if cls is not None and cls.__doc__ else ""
        self.title.setText(f"<b>{layer.get('type')}</b> (layer {index + 1})<br>"
                           f"<span style='color:{theme.TEXT_DIM}'>{doc}</span>")
        self.id_edit.setEnabled(True)
        self.id_edit.setText(layer.get("id", ""))
        if cls is not None and cls.params:
            self.form = ParamForm(cls.params, layer)
            self.form.changed.connect(self._on_change)
            self.form_host.addWidget(self.form)

    def _refresh(self) -> None:
        layers = self.session.layers
        if not 0 <= self._index < len(layers):
            self._show(-1)
            return
        if self.form is None or layers[self._index].get("type") not in self.title.text():
            self._show(self._index)
            return
        self.form.set_values(layers[self._index])
        if not self.id_edit.hasFocus():
            self.id_edit.setText(layers[self._index].get("id", ""))

    def _on_change(self, name: str, value) -> None:
        layers = copy.deepcopy(self.session.layers)
        if not 0 <= self._index < len(layers):
            return
        if value is None:
            layers[self._index].pop(name, None)
        else:
            layers[self._index][name] = value
        self.session.set_layers(layers, f"Change {name}")

    def _on_id(self) -> None:
        layers = copy.deepcopy(self.session.layers)
        if not 0 <= self._index < len(layers):
            return
        new_id = self.id_edit.text().strip()
        old_id = layers[self._index].get("id")
        if new_id == (old_id or ""):
            return
        if new_id:
            layers[self._index]["id"] = new_id
        else:
            layers[self._index].pop("id", None)
        if old_id and new_id:
            # Keep wiring intact when a referenced layer is renamed.
            for layer in layers:
                if "inputs" in layer:
                    layer["inputs"] = [new_id if n == old_id else n for n in layer["inputs"]]
        self.session.set_layers(layers, "Rename layer")
