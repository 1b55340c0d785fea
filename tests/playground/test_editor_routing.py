"""Canvas edges route around nodes they skip; node texts elide with the full text on hover."""
from __future__ import annotations

from PySide6.QtGui import QFont, QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

from playground.editor.items import NODE_WIDTH, EdgeItem, NodeItem, elide
from tests.playground.app_fixtures import make_window  # noqa: F401 - fixture


def _row(scene: QGraphicsScene, count: int) -> list[NodeItem]:
    nodes = []
    for i in range(count):
        node = NodeItem(i, f"n{i}", "dense  4 units", "20 params")
        scene.addItem(node)
        node.setPos(i * (NODE_WIDTH + 60), 0)
        nodes.append(node)
    return nodes


def _samples(edge: EdgeItem) -> list:
    path = edge.path()
    return [path.pointAtPercent(i / 100) for i in range(101)]


def test_skip_edge_arcs_over_the_nodes_it_skips(qtbot):
    scene = QGraphicsScene()
    a, b, c, d = _row(scene, 4)
    skip = EdgeItem(a, d, "n0", "(4,)")
    scene.addItem(skip)
    for middle in (b, c):
        box = middle.sceneBoundingRect()
        assert not any(box.contains(p) for p in _samples(skip))
    assert min(p.y() for p in _samples(skip)) < b.sceneBoundingRect().top()
    # Neighbours stay a plain curve at port height.
    near = EdgeItem(a, b, "n0", "(4,)")
    scene.addItem(near)
    assert min(p.y() for p in _samples(near)) >= a.sceneBoundingRect().top()
    # Moving the skipped node out of the way straightens the edge again.
    b.setPos(b.x(), 400)
    c.setPos(c.x(), 400)
    assert min(p.y() for p in _samples(skip)) >= a.sceneBoundingRect().top()


def test_residual_preset_skip_edge_avoids_blocks(make_window):
    window = make_window("resources/presets/residual.json")
    scene = window.findChild(QGraphicsView, "networkEditor").scene()
    nodes = [i for i in scene.items() if isinstance(i, NodeItem)]
    edges = [i for i in scene.items() if isinstance(i, EdgeItem)]
    for edge in edges:
        others = [n for n in nodes if n is not edge.source and n is not edge.target]
        for node in others:
            box = node.sceneBoundingRect()
            assert not any(box.contains(p) for p in _samples(edge)), (edge.source_id, node.title)


def test_long_error_is_elided_and_whole_in_tooltip(qtbot):
    error = 'dense layer "dense_1" got an input of shape (1, 8, 8); add a flatten layer first'
    node = NodeItem(0, "dense_1", "dense  4 units", "", error)
    image = QImage(NODE_WIDTH + 10, 80, QImage.Format_ARGB32)
    painter = QPainter(image)
    font = QFont(painter.font())
    font.setPointSizeF(8.5)
    painter.setFont(font)
    short = elide(painter, node.node_text(), NODE_WIDTH - 20)
    node.paint(painter, None)
    painter.end()
    assert short.endswith("…") and len(short) < len(node.node_text())
    assert "add a flatten layer first" in node.toolTip()
    assert "&quot;dense_1&quot;" in node.toolTip() or '"dense_1"' in node.toolTip()

