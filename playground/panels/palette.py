"""The layer palette, generated from the LAYERS registry: double-click appends, drag drops."""
from __future__ import annotations

import math

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QColor, QDrag
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem

from engine.registry import LAYERS
from playground import theme
from playground.editor.network_editor import MIME_LAYER


CELL_HEIGHT = 20   # one palette entry; entries flow left to right in a compact grid


class LayerPalette(QListWidget):
    """Every registered layer type with its help text as tooltip, as a compact grid.

    The types flow left to right and wrap, and the palette asks for the height all rows
    need at its width, so every type shows without scrolling in a narrow dock.
    """

    layerActivated = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("layerPalette")
        self.setDragEnabled(True)
        self.setSelectionMode(QListWidget.SingleSelection)
        self.setSpacing(0)
        self.setFlow(QListView.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.Adjust)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
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
        widest = max(self.fontMetrics().horizontalAdvance(self.item(i).text())
                     for i in range(self.count())) if self.count() else 60
        self.cell_width = widest + 14
        self.setGridSize(QSize(self.cell_width, CELL_HEIGHT))
        self.itemDoubleClicked.connect(
            lambda item: self.layerActivated.emit(item.data(Qt.UserRole)))

    def rows_at(self, width: int) -> int:
        """Rows of the grid when the palette is ``width`` pixels wide."""
        inner = max(width - 2 * self.frameWidth() - 4, self.cell_width)
        return math.ceil(self.count() / max(1, inner // self.cell_width))

    def height_for(self, width: int) -> int:
        """Height that shows every type at ``width`` (no vertical scrolling)."""
        return self.rows_at(width) * CELL_HEIGHT + 2 * self.frameWidth() + 4

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Three columns' width and the height of all rows."""
        width = 3 * self.cell_width + 2 * self.frameWidth() + 4
        return QSize(width, self.height_for(width))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Keep room for every row at the new width (more rows when narrower)."""
        super().resizeEvent(event)
        needed = self.height_for(self.width())
        if self.minimumHeight() != needed:
            self.setMinimumHeight(needed)

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
