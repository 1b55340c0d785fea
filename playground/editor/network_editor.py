"""The node canvas: shows the session's network, and turns mouse and key input into edits."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsScene, QGraphicsView

from engine.graph import format_shape
from engine.registry import LAYERS
from playground import theme
from playground.editor import edits
from playground.editor.analysis import Analysis
from playground.editor.items import NODE_HEIGHT, NODE_WIDTH, EdgeItem, NodeItem, PortItem

MIME_LAYER = "application/x-layerlab-layer"
COLUMN_GAP = 250.0
ROW_GAP = 100.0
MIN_FIT_SCALE = 0.6


class NetworkEditor(QGraphicsView):
    """QGraphicsView node editor over ``session.layers``; every change goes through the session."""

    message = Signal(str)

    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("networkEditor")
        self.session = session
        self.analysis = Analysis()
        self.positions: dict[str, QPointF] = {}
        self.nodes: dict[int, NodeItem] = {}
        self._drag_line: QGraphicsLineItem | None = None
        self._drag_source: NodeItem | None = None
        self._syncing = False
        self._user_zoomed = False
        self._layout_key: tuple = ()
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setBackgroundBrush(QColor(theme.CANVAS))
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setAcceptDrops(True)
        self.scene().selectionChanged.connect(self._on_scene_selection)
        session.selectionChanged.connect(self._on_session_selection)
        for keys, slot in ((QKeySequence.Delete, self.delete_selected),
                           ("Backspace", self.delete_selected),
                           ("Ctrl+D", self.duplicate_selected),
                           ("Alt+Left", lambda: self.move_selected(-1)),
                           ("Alt+Right", lambda: self.move_selected(1)),
                           ("Ctrl+L", self.auto_layout),
                           (QKeySequence.ZoomIn, lambda: self.zoom(1.2)),
                           (QKeySequence.ZoomOut, lambda: self.zoom(1 / 1.2)),
                           ("Ctrl+0", self.fit)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.setToolTip("")
        self.setMinimumSize(300, 180)

    # ------------------------------------------------------------------ drawing
    def set_analysis(self, analysis: Analysis) -> None:
        """Redraw the network with fresh shapes and errors."""
        self.analysis = analysis
        self._rebuild()

    def _rebuild(self) -> None:
        self._syncing = True
        scene = self.scene()
        layout_key = tuple((info.layer_id, info.inputs) for info in self.analysis.nodes)
        if layout_key != self._layout_key:
            # Layers were added, removed or rewired: lay out afresh so nodes never overlap.
            self.positions.clear()
            self._layout_key = layout_key
        else:
            for node in self.nodes.values():
                self.positions[node.title] = node.pos()
        scene.clear()
        self.nodes = {}
        layers = self.session.layers
        shape = format_shape(self.analysis.input_shape) if self.analysis.input_shape else "?"
        input_node = NodeItem(-1, "input", "input", f"shape {shape}", is_input=True)
        scene.addItem(input_node)
        self.nodes[-1] = input_node
        by_id = {"input": input_node}
        for info in self.analysis.nodes:
            if info.index >= len(layers):
                continue
            layer = layers[info.index]
            cls = LAYERS.entries.get(layer.get("type"))
            settings = _key_settings(layer, cls)
            params = f"{info.params:,} params" if info.params is not None else "params ?"
            out = f"→ {format_shape(info.output_shape)}" if info.output_shape else ""
            node = NodeItem(info.index, info.layer_id, f"{layer.get('type')}  {settings}".strip(),
                            f"{params}   {out}", info.error)
            scene.addItem(node)
            self.nodes[info.index] = node
            by_id[info.layer_id] = node
        shapes = {"input": self.analysis.input_shape}
        shapes.update({info.layer_id: info.output_shape for info in self.analysis.nodes})
        for info in self.analysis.nodes:
            target = self.nodes.get(info.index)
            for source_id in info.inputs:
                source = by_id.get(source_id)
                if source is not None and target is not None:
                    shape_of = shapes.get(source_id)
                    scene.addItem(EdgeItem(source, target, source_id,
                                           format_shape(shape_of) if shape_of else ""))
        self._place()
        if not self._user_zoomed:
            self.fit()
        if 0 <= self.session.selected < len(layers) and self.session.selected in self.nodes:
            self.nodes[self.session.selected].setSelected(True)
        self._syncing = False

    def _place(self) -> None:
        """Known positions stay; new nodes go by depth (column) and branch (row)."""
        depth: dict[int, int] = {-1: 0}
        index_of = {node.title: i for i, node in self.nodes.items()}
        for info in self.analysis.nodes:
            parents = [depth.get(index_of.get(name, -1), 0) for name in info.inputs] or [0]
            depth[info.index] = max(parents) + 1
        rows: dict[int, int] = {}
        for index in sorted(self.nodes):
            column = depth.get(index, 0)
            row = rows.get(column, 0)
            rows[column] = row + 1
            node = self.nodes[index]
            key = node.title
            node.setPos(self.positions.get(key, QPointF(column * COLUMN_GAP, row * ROW_GAP)))
        for item in self.scene().items():
            if isinstance(item, EdgeItem):
                item.update_path()
        rect = self.scene().itemsBoundingRect().adjusted(-60, -60, 60, 60)
        self.scene().setSceneRect(rect)

    def auto_layout(self) -> None:
        """Forget hand-placed positions and lay the graph out again."""
        self.positions.clear()
        for node in self.nodes.values():
            node.setPos(QPointF(-10_000, -10_000))
        self._place()
        self._user_zoomed = False
        self.fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Keep the whole network in view until the person zooms by hand."""
        super().resizeEvent(event)
        if not self._user_zoomed:
            self.fit()

    def zoom(self, factor: float) -> None:
        """Zoom around the mouse, within sane limits."""
        self._user_zoomed = True
        current = self.transform().m11()
        if 0.2 <= current * factor <= 4.0:
            self.scale(factor, factor)

    def fit(self) -> None:
        """Show the whole network, between 60% (still legible; scroll for more) and 100%."""
        bounds = self.scene().itemsBoundingRect()
        self.fitInView(bounds.adjusted(-30, -30, 30, 30), Qt.KeepAspectRatio)
        scale = self.transform().m11()
        if scale > 1.0 or scale < MIN_FIT_SCALE:
            self.resetTransform()
            if scale < MIN_FIT_SCALE:
                self.scale(MIN_FIT_SCALE, MIN_FIT_SCALE)
                self.centerOn(bounds.left() + self.viewport().width() / (2 * MIN_FIT_SCALE),
                              bounds.center().y())
            else:
                self.centerOn(bounds.center())

    # ------------------------------------------------------------------ edits
    def append_layer(self, type_name: str, after: int | None = None) -> None:
        """Insert a new layer of ``type_name`` after the selected (or given) layer."""
        cls = LAYERS.entries[type_name]
        index = self.session.selected if after is None else after
        if index < 0:
            index = len(self.session.layers) - 1
        layers, position = edits.insert_after(self.session.layers, index,
                                              edits.default_layer(cls))
        self.session.set_layers(layers, f"Add {type_name}", select=position)

    def delete_selected(self) -> None:
        """Delete the selected layers or disconnect the selected edges."""
        selected = self.scene().selectedItems()
        edges = [item for item in selected if isinstance(item, EdgeItem)]
        nodes = sorted((item.index for item in selected
                        if isinstance(item, NodeItem) and item.index >= 0), reverse=True)
        layers = self.session.layers
        if edges and not nodes:
            for edge in edges:
                layers = edits.disconnect(layers, edge.source_id, edge.target.index)
            self.session.set_layers(layers, "Disconnect")
            return
        if not nodes:
            return
        for index in nodes:
            layers = edits.delete(layers, index)
        self.session.set_layers(layers, "Delete layer" if len(nodes) == 1 else "Delete layers",
                                select=min(nodes[-1], len(layers) - 1))

    def duplicate_selected(self) -> None:
        """Duplicate the selected layer right after it."""
        index = self.session.selected
        if index >= 0:
            layers, position = edits.duplicate(self.session.layers, index)
            self.session.set_layers(layers, "Duplicate layer", select=position)

    def move_selected(self, offset: int) -> None:
        """Move the selected layer earlier (-1) or later (+1) in the network."""
        index = self.session.selected
        if index >= 0:
            layers, position = edits.move(self.session.layers, index, offset)
            if layers != self.session.layers:
                self.session.set_layers(layers, "Reorder layers", select=position)

    def connect_layers(self, source: int, target: int) -> None:
        """Feed ``source`` (-1: the input) into ``target``."""
        if source == target or target < 0:
            return
        self.session.set_layers(edits.connect(self.session.layers, source, target), "Connect")

    # ------------------------------------------------------------------ selection sync
    def _on_scene_selection(self) -> None:
        if self._syncing:
            return
        nodes = [item for item in self.scene().selectedItems()
                 if isinstance(item, NodeItem) and item.index >= 0]
        self._syncing = True
        self.session.select(nodes[0].index if len(nodes) == 1 else -1)
        self._syncing = False

    def _on_session_selection(self, index: int) -> None:
        if self._syncing:
            return
        self._syncing = True
        self.scene().clearSelection()
        if index in self.nodes:
            self.nodes[index].setSelected(True)
        self._syncing = False

    # ------------------------------------------------------------------ mouse
    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Wheel zooms; the canvas pans with scroll bars or a middle-button drag."""
        self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Start a connection drag on an output port; middle button pans."""
        if event.button() == Qt.MiddleButton:
            self.setDragMode(QGraphicsView.ScrollHandDrag)
            fake = type(event)(event.type(), event.position(), event.globalPosition(),
                               Qt.LeftButton, Qt.LeftButton, event.modifiers())
            super().mousePressEvent(fake)
            return
        item = self.itemAt(event.position().toPoint())
        if isinstance(item, PortItem) and item.kind == "output" and event.button() == Qt.LeftButton:
            self._drag_source = item.node
            start = item.scene_centre()
            self._drag_line = self.scene().addLine(start.x(), start.y(), start.x(), start.y(),
                                                   QPen(QColor(theme.SELECTED), 2, Qt.DashLine))
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Follow the mouse with the pending connection."""
        if self._drag_line is not None:
            line = self._drag_line.line()
            end = self.mapToScene(event.position().toPoint())
            self._drag_line.setLine(line.x1(), line.y1(), end.x(), end.y())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Finish a connection on the node under the mouse; keep dragged positions."""
        if self.dragMode() == QGraphicsView.ScrollHandDrag:
            super().mouseReleaseEvent(event)
            self.setDragMode(QGraphicsView.RubberBandDrag)
            return
        if self._drag_line is not None:
            self.scene().removeItem(self._drag_line)
            self._drag_line = None
            target = self._node_at(event.position().toPoint())
            source = self._drag_source
            self._drag_source = None
            if target is not None and source is not None and not target.is_input:
                self.connect_layers(source.index, target.index)
            return
        super().mouseReleaseEvent(event)
        for node in self.nodes.values():
            self.positions[node.title] = node.pos()

    def _node_at(self, point) -> NodeItem | None:
        for item in self.items(point):
            while item is not None and not isinstance(item, NodeItem):
                item = item.parentItem()
            if isinstance(item, NodeItem):
                return item
        return None

    # ------------------------------------------------------------------ drops from the palette
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Accept layer types dragged from the palette."""
        if event.mimeData().hasFormat(MIME_LAYER):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Keep accepting while over the canvas."""
        if event.mimeData().hasFormat(MIME_LAYER):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Dropped on a node: insert after it; on empty canvas: append at the end."""
        type_name = bytes(event.mimeData().data(MIME_LAYER)).decode()
        if type_name not in LAYERS.entries:
            return
        node = self._node_at(event.position().toPoint())
        after = node.index if node is not None else len(self.session.layers) - 1
        self.append_layer(type_name, after=after)
        event.acceptProposedAction()


def _key_settings(layer: dict, cls) -> str:
    """The two or three settings worth reading on the node itself."""
    if cls is None:
        return ""
    parts = []
    for param in cls.params[:3]:
        value = layer.get(param.name, param.default)
        if value is None:
            continue
        if param.name == "activation" and value == "linear":
            continue
        if param.name in ("units", "filters"):
            parts.append(f"{value} {param.name}")
        elif param.name == "kernel_size":
            parts.append(f"{value}×{value}")
        elif isinstance(value, list):
            parts.append("×".join(str(v) for v in value))
        else:
            parts.append(str(value))
    return " · ".join(parts)
