"""Decision boundary extent and neuron view layout (review items 10, 11, 15)."""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from playground.snapshots import FRAME, Snapshot
from playground.snapshots import data_frame
from playground.views.boundary_view import BoundaryView
from playground.views.neuron_view import TITLE_HEIGHT, NeuronView, tile_layout


class FakeData:
    """The few fields the boundary view reads from a Dataset."""

    def __init__(self, reach: float) -> None:
        rng = np.random.default_rng(0)
        self.kind, self.task, self.n_classes = "2d", "classification", 4
        self.x_train = rng.uniform(-reach, reach, (50, 2)).astype(np.float32)
        self.x_train[0] = (reach, -reach)
        self.x_test = self.x_train[:5].copy()
        self.y_train = rng.integers(0, 4, 50)
        self.y_test = self.y_train[:5]


def test_boundary_range_covers_data_and_is_exact(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    view.resize(500, 300)       # wide dock: the plot stays square, no empty strip at the right
    view.show()
    view.set_data(FakeData(7.5))
    assert data_frame(FakeData(7.5)) >= 7.5 * 1.05
    assert data_frame(FakeData(1.0)) == FRAME
    (x0, x1), (y0, y1) = view.plot.getPlotItem().viewRange()
    assert np.isclose(x0, -view.frame) and np.isclose(x1, view.frame)
    assert np.isclose(y0, -view.frame) and np.isclose(y1, view.frame)
    assert abs(view.plot.width() - view.plot.height()) <= 1
    # A grid over the data frame fills the view exactly.
    view.update_grid(np.full((10, 10, 4), 0.25, np.float32), frame=view.frame)
    rect = view.image.mapRectToParent(view.image.boundingRect())
    assert np.isclose(rect.left(), -view.frame) and np.isclose(rect.width(), 2 * view.frame)


def test_boundary_toggles_have_tooltips(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    assert view.show_test.toolTip() and view.discretize.toolTip()


def _snapshot(units: int, classes: int) -> Snapshot:
    g = 32
    maps = {"h": np.random.default_rng(1).normal(size=(units, g, g)).astype(np.float32)}
    grid = np.random.default_rng(2).dirichlet(np.ones(classes), (g, g)).astype(np.float32)
    weights = {"h.weight": np.ones((2, units), np.float32),
               "out.weight": np.ones((units, classes), np.float32)}
    return Snapshot(step=1, epoch=0, grid=grid, neuron_maps=maps, weights=weights)


def test_softmax_output_is_one_tile_per_class(qtbot):
    view = NeuronView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.set_features(["x1", "x2"])
    view.update_snapshot(_snapshot(8, 4), ["h"], "out")
    name, tiles = view.columns[-1]
    assert name == "out" and len(tiles) == 4
    # Class 2's tile is tinted with class 2's colour (green), not orange/blue.
    from playground import theme
    colour = theme.class_rgb(4)[2]
    full = NeuronView.output_tiles(view, np.eye(4, dtype=np.float32)[np.full((4, 4), 2)])[0][2]
    c = full.pixelColor(1, 1)
    assert (c.red(), c.green(), c.blue()) == tuple(int(v) for v in colour)
    # Two classes stay one orange/blue tile.
    view.update_snapshot(_snapshot(8, 2), ["h"], "out")
    assert len(view.columns[-1][1]) == 1


def test_tiles_stay_below_the_titles_in_a_short_dock(qtbot):
    view = NeuronView()
    qtbot.addWidget(view)
    view.resize(500, 230)       # 16 neurons in 230 px used to start above the top edge
    view.show()
    view.set_features(["x1", "x2"])
    view.update_snapshot(_snapshot(16, 2), ["h"], "out")
    view.grab()                 # paints, records the tile rectangles
    tops = [rect.top() for rect, _, _ in view._neurons]
    bottoms = [rect.bottom() for rect, _, _ in view._neurons]
    assert min(tops) >= TITLE_HEIGHT and max(bottoms) <= view.height()
    size, pitch, _ = tile_layout(3, 16, 500, 230)
    assert pitch >= size


def test_empty_state_says_why_training_is_disabled(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    layout = QVBoxLayout(host)
    banner = QLabel("data.path: choose a CSV file")
    banner.setObjectName("trainingBlocked")
    view = NeuronView()
    layout.addWidget(banner)
    layout.addWidget(view)
    host.show()
    view.clear()                 # no trainer: the live views pass no message
    message = view.empty_message()
    assert "disabled" in message and "choose a CSV file" in message
    assert "Press Step or Train to see" not in message
    view.clear("Press Step or Train to see every neuron's output over the plane.")
    assert view.empty_message().startswith("Press Step")
