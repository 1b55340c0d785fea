"""The stage view on real recorded steps: keyboard navigation, signals, the drawn numbers."""
import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine import catalog
from engine.project import parse_project, prepare
from engine.stepthrough import build_stages, capture_step
from engine.trainer import Trainer
from playground.stepthrough.stage_view import StageView

catalog.load_all()


def make_trainer(data: dict | None = None, layers: list | None = None,
                 loss: str = "binary_crossentropy") -> Trainer:
    """A small project: spiral and a 2-hidden-layer tanh net unless told otherwise."""
    raw = {"layerlab": 1, "name": "view", "seed": 3,
           "data": data or {"source": "spiral", "samples": 100},
           "network": {"layers": layers or [{"type": "dense", "units": 6, "activation": "tanh"},
                                            {"type": "dense", "units": 4, "activation": "relu"},
                                            {"type": "dense", "units": 1,
                                             "activation": "sigmoid"}]},
           "training": {"loss": loss, "batch_size": 12,
                        "optimizer": {"type": "adam", "learning_rate": 0.02}}}
    project = parse_project(raw)
    return Trainer(project, prepare(project))


@pytest.fixture
def view(qtbot):
    widget = StageView()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    return widget


def test_keys_walk_the_stages_and_highlight_their_layers(qtbot, view):
    trainer = make_trainer()
    stages = build_stages(capture_step(trainer))
    highlighted, batches = [], []
    view.layerHighlighted.connect(highlighted.append)
    view.batchShown.connect(batches.append)
    view.set_stages(stages)
    assert view.current_index == 0 and view.title.text() == stages[0].title
    np.testing.assert_array_equal(batches[0], stages[0].batch_indices)
    for key in (Qt.Key_Right, Qt.Key_PageDown, Qt.Key_Right):
        qtbot.keyClick(view, key)
    assert view.current_index == 3
    qtbot.keyClick(view, Qt.Key_Left)
    qtbot.keyClick(view, Qt.Key_PageUp)
    assert view.current_index == 1
    qtbot.keyClick(view, Qt.Key_End)
    assert view.current_index == len(stages) - 1
    qtbot.keyClick(view, Qt.Key_Right)                       # stays on the last stage
    assert view.current_index == len(stages) - 1 and not view.next_button.isEnabled()
    qtbot.keyClick(view, Qt.Key_Home)
    assert view.current_index == 0 and not view.previous_button.isEnabled()
    shown = [0, 1, 2, 3, 2, 1, len(stages) - 1, 0]
    assert highlighted == [stages[i].layer_id or "" for i in shown]
    assert view.position.text() == f"1 / {len(stages)}"


def test_each_stage_draws_the_engines_numbers(qtbot, view):
    stages = build_stages(capture_step(make_trainer()))
    view.set_stages(stages)
    for stage in stages:
        view.show_stage(stage.index)
        visible = [w for w in view.panels if w.isVisible()]
        assert len(visible) == len(stage.panels)
        for widget, panel in zip(visible, stage.panels):
            np.testing.assert_array_equal(widget.image_item.image, panel.image)
            x, y = widget.histogram_curve.getData()
            np.testing.assert_array_equal(y, panel.histogram[0])
            assert panel.name in widget.title.text()
        assert view.extra_plot.isVisible() == (stage.kind in ("batch", "loss"))
        if stage.kind == "loss":
            np.testing.assert_allclose(view.loss_bars.opts["height"], stage.per_sample)
        if stage.kind == "batch":
            points = np.column_stack(view.batch_points.getData())
            np.testing.assert_allclose(points, stage.points)


def test_a_new_step_keeps_the_stage_and_the_stage_list_jumps(qtbot, view):
    trainer = make_trainer()
    view.set_stages(build_stages(capture_step(trainer)))
    view.show_stage(5)
    kind, layer = view.current_stage.kind, view.current_stage.layer_id
    view.set_stages(build_stages(capture_step(trainer)))
    assert (view.current_stage.kind, view.current_stage.layer_id) == (kind, layer)
    assert "Step 2" in view.stages[0].caption
    view.stage_list.activated.emit(2)
    assert view.current_index == 2


def test_images_and_a_diverged_step(qtbot, view):
    trainer = make_trainer(data={"source": "digits", "limit": 120},
                           layers=[{"type": "conv2d", "filters": 3, "kernel_size": 3,
                                    "activation": "relu"},
                                   {"type": "flatten"},
                                   {"type": "dense", "units": 10, "activation": "softmax"}],
                           loss="categorical_crossentropy")
    stages = build_stages(capture_step(trainer))
    view.set_stages(stages)
    assert not view.extra_plot.isVisible()                  # images: no 2-D scatter
    assert view.panels[0].image_item.image.shape == stages[0].panels[0].image.shape
    view.set_stages([])
    assert "Nothing recorded" in view.title.text()
    assert not any(w.isVisible() for w in view.panels)
    qtbot.keyClick(view, Qt.Key_Right)                      # no stages: keys do nothing
    assert view.current_stage is None
