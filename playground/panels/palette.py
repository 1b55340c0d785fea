"""The layer palette, generated from the LAYERS registry: double-click appends, drag drops."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QColor, QDrag
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from engine.registry import LAYERS
from playground import theme
from playground.editor.network_editor import MIME_LAYER


class LayerPalette(QListWidget):
    """Every registered layer type with its help text as tooltip."""

    layerActivated = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("layerPalette")
        self.setDragEnabled(True)
        self.setSelectionMode(QListWidget.SingleSelection)
        self.setSpacing(1)
        for name, cls in LAYERS.entries.items():
            help_text = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else name
            item = QListWidgetItem(f"■  {name}")
            item.setData(Qt.UserRole, name)
            item.setForeground(QColor(theme.TEXT))
            item.setData(Qt.DecorationRole, None)
            item.setToolTip(f"<b>{name}</b><br>{help_text}<br><i>Double-click to add after the "
                            "selected layer, or drag onto the canvas.</i>")
            item.setData(Qt.ForegroundRole, QColor(theme.type_colour(name)))
            self.addItem(item)
        self.itemDoubleClicked.connect(
            lambda item: self.layerActivated.emit(item.data(Qt.UserRole)))

    def startDrag(self, actions) -> None:  # noqa: N802 - Qt's name
        """Drag the layer type as our own MIME type."""
        item = self.currentItem()
        if item is None:
            return
        mime = QMimeData()
        mime.setData(MIME_LAYER, item.data(Qt.UserRole).encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.exec(Qt.CopyAction)
