"""Graphics items of the network canvas: layer nodes with ports, and shape-labelled edges."""
from __future__ import annotations

import html

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem,
                               QGraphicsSimpleTextItem, QStyleOptionGraphicsItem, QWidget)

from playground import theme

NODE_WIDTH = 178.0
NODE_HEIGHT = 66.0
PORT_RADIUS = 6.0


class PortItem(QGraphicsEllipseItem):
    """A connection point: ``output`` ports start drags, ``input`` ports receive them."""

    def __init__(self, node: "NodeItem", kind: str) -> None:
        r = PORT_RADIUS
        super().__init__(-r, -r, 2 * r, 2 * r, node)
        self.node = node
        self.kind = kind
        self.setBrush(QBrush(QColor(theme.PORT)))
        self.setPen(QPen(QColor(theme.NODE_BORDER), 1.2))
        self.setCursor(Qt.CrossCursor if kind == "output" else Qt.ArrowCursor)
        self.setToolTip("Drag to another layer's input to connect" if kind == "output"
                        else "Input")
        x = NODE_WIDTH if kind == "output" else 0.0
        self.setPos(x, NODE_HEIGHT / 2)

    def scene_centre(self) -> QPointF:
        """Where edges attach, in scene coordinates."""
        return self.mapToScene(QPointF(0, 0))


ROUTE_CLEARANCE = 22.0   # how far above the highest skipped node a routed edge runs
ROUTE_SAMPLES = 24       # points checked along an edge for nodes in the way


def arc_path(start: QPointF, end: QPointF, top: float, rise: float = 40.0,
             fall: float = 40.0) -> QPainterPath:
    """Up from ``start``, along ``top``, and down into ``end`` with rounded corners.

    The climb takes at most ``rise`` pixels to the right of ``start`` and the descent at most
    ``fall`` before ``end``: the gaps before the first and after the last skipped node.
    """
    path = QPainterPath(start)
    up, down = max(4.0, rise), max(4.0, fall)
    path.cubicTo(QPointF(start.x() + up / 2, start.y()), QPointF(start.x() + up / 2, top),
                 QPointF(start.x() + up, top))
    path.lineTo(QPointF(end.x() - down, top))
    path.cubicTo(QPointF(end.x() - down / 2, top), QPointF(end.x() - down / 2, end.y()), end)
    return path


def elide(painter: QPainter, text: str, width: float) -> str:
    """``text`` shortened with a trailing "…" to fit ``width`` in the painter's font."""
    return QFontMetricsF(painter.font()).elidedText(text, Qt.ElideRight, width)


class NodeItem(QGraphicsItem):
    """One layer (or the model input): id, type, key settings, parameter count."""

    def __init__(self, index: int, title: str, subtitle: str, detail: str,
                 error: str | None = None, is_input: bool = False) -> None:
        super().__init__()
        self.index = index
        self.title = title
        self.subtitle = subtitle
        self.detail = detail
        self.error = error
        self.is_input = is_input
        self.setFlag(QGraphicsItem.ItemIsSelectable, not is_input)
        self.setFlag(QGraphicsItem.ItemIsMovable, True)
        self.setFlag(QGraphicsItem.ItemSendsGeometryChanges, True)
        self.setAcceptHoverEvents(True)
        self.input_port = None if is_input else PortItem(self, "input")
        self.output_port = PortItem(self, "output")
        self.edges: list[EdgeItem] = []
        if error:
            self.setToolTip(f"<b>{html.escape(title)}</b> cannot work:<br>{html.escape(error)}")
        else:
            self.setToolTip(f"<b>{title}</b><br>{subtitle}<br>{detail}")

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        """Node box plus room for the selection outline."""
        return QRectF(-3, -3, NODE_WIDTH + 6, NODE_HEIGHT + 6)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        """Rounded box with a coloured header stripe; error nodes in the error colour."""
        painter.setRenderHint(QPainter.Antialiasing)
        rect = QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT)
        fill = QColor(theme.NODE_ERROR_FILL if self.error else
                      theme.INPUT_FILL if self.is_input else theme.NODE_FILL)
        border = QColor(theme.ERROR if self.error else
                        theme.SELECTED if self.isSelected() else theme.NODE_BORDER)
        painter.setPen(QPen(border, 2.6 if self.isSelected() or self.error else 1.2))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 7, 7)
        stripe = QColor(theme.ERROR if self.error else theme.type_colour(self.subtitle))
        painter.setPen(Qt.NoPen)
        painter.setBrush(stripe)
        painter.drawRoundedRect(QRectF(0, 0, 6, NODE_HEIGHT), 3, 3)
        painter.setPen(QColor(theme.TEXT))
        bold = QFont(painter.font())
        bold.setBold(True)
        bold.setPointSizeF(9.5)
        painter.setFont(bold)
        painter.drawText(QRectF(14, 5, NODE_WIDTH - 20, 18), Qt.AlignLeft | Qt.AlignVCenter,
                         elide(painter, self.title, NODE_WIDTH - 20))
        small = QFont(painter.font())
        small.setBold(False)
        small.setPointSizeF(8.5)
        painter.setFont(small)
        painter.setPen(QColor(theme.TEXT_DIM))
        painter.drawText(QRectF(14, 23, NODE_WIDTH - 20, 18), Qt.AlignLeft | Qt.AlignVCenter,
                         elide(painter, self.subtitle, NODE_WIDTH - 20))
        painter.setPen(QColor(theme.ERROR if self.error else theme.TEXT_DIM))
        # Long texts end in "…"; the tooltip carries the whole error.
        painter.drawText(QRectF(14, 41, NODE_WIDTH - 20, 18), Qt.AlignLeft | Qt.AlignVCenter,
                         elide(painter, self.node_text(), NODE_WIDTH - 20))

    def node_text(self) -> str:
        """The third line: the error (with a warning sign) or the parameter count and shape."""
        return "⚠ " + self.error if self.error else self.detail

    def itemChange(self, change, value):  # noqa: N802 - Qt's name
        """Keep edges attached while the node is dragged."""
        if change == QGraphicsItem.ItemPositionHasChanged and self.scene() is not None:
            # Every edge, not only this node's: a moved node may now block (or free) others.
            for item in self.scene().items():
                if isinstance(item, EdgeItem):
                    item.update_path()
        return super().itemChange(change, value)


class EdgeItem(QGraphicsPathItem):
    """A tensor flowing from one node's output to another's input, labelled with its shape."""

    def __init__(self, source: NodeItem, target: NodeItem, source_id: str, label: str) -> None:
        super().__init__()
        self.source = source
        self.target = target
        self.source_id = source_id
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.ItemIsSelectable, True)
        self.setPen(QPen(QColor(theme.EDGE), 2.0))
        self.label = QGraphicsSimpleTextItem(label, self)
        self.label.setBrush(QBrush(QColor(theme.TEXT_DIM)))
        font = QFont()
        font.setPointSizeF(8.0)
        self.label.setFont(font)
        self.setToolTip(f"{source_id} → {target.title}: shape {label or 'unknown'}"
                        "<br>Select and press Delete to disconnect")
        source.edges.append(self)
        target.edges.append(self)
        self.update_path()

    def update_path(self) -> None:
        """A smooth curve between the two ports; over the top of any node it would cross."""
        start = self.source.output_port.scene_centre()
        end = self.target.input_port.scene_centre()
        path = QPainterPath(start)
        dx = max(40.0, abs(end.x() - start.x()) / 2)
        path.cubicTo(start + QPointF(dx, 0), end - QPointF(dx, 0), end)
        blocking = self.blocking_nodes(path)
        if blocking:
            boxes = [node.sceneBoundingRect() for node in blocking]
            top = min(box.top() for box in boxes) - ROUTE_CLEARANCE
            rise = min(60.0, min(box.left() for box in boxes) - start.x() - 2)
            fall = min(60.0, end.x() - max(box.right() for box in boxes) - 2)
            path = arc_path(start, end, top, rise, fall)
        self.setPath(path)
        middle = path.pointAtPercent(0.5)
        rect = self.label.boundingRect()
        self.label.setPos(middle.x() - rect.width() / 2, middle.y() - rect.height() - 2)

    def blocking_nodes(self, path: QPainterPath) -> list[NodeItem]:
        """Other nodes that ``path`` runs through (sampled along the curve)."""
        scene = self.scene()
        if scene is None:
            return []
        # Only nodes near the curve's box can block it (the scene's spatial index finds them);
        # a drag reroutes every edge per move, so a scan of the whole scene would add up.
        near = [item for item in scene.items(path.boundingRect().adjusted(-4, -4, 4, 4))
                if isinstance(item, NodeItem) and item is not self.source
                and item is not self.target]
        if not near:
            return []
        points = [path.pointAtPercent(i / ROUTE_SAMPLES) for i in range(1, ROUTE_SAMPLES)]
        blocking = []
        for item in near:
            box = item.sceneBoundingRect().adjusted(-4, -4, 4, 4)
            if any(box.contains(point) for point in points):
                blocking.append(item)
        return blocking

    def itemChange(self, change, value):  # noqa: N802 - Qt's name
        """Route again once in a scene: the nodes to avoid are known only there."""
        result = super().itemChange(change, value)
        if change == QGraphicsItem.ItemSceneHasChanged and self.scene() is not None:
            self.update_path()
        return result

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """Highlight when selected."""
        pen = QPen(QColor(theme.SELECTED if self.isSelected() else theme.EDGE),
                   3.0 if self.isSelected() else 2.0)
        self.setPen(pen)
        super().paint(painter, option, widget)

    def shape(self) -> QPainterPath:
        """A wider hit area so thin curves are easy to click."""
        from PySide6.QtGui import QPainterPathStroker
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())
