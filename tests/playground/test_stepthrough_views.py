"""Diagnostics plots, the neuron maths view and the weight editor, on real recorded steps."""
import numpy as np
import pytest
from test_stepthrough_stage_view import make_trainer

from engine.diagnostics import RULE_OF_THUMB, diagnose
from engine.neuron_math import explain_neuron
from engine.stepthrough import capture_step
from playground.stepthrough.diagnostics_view import DiagnosticsView
from playground.stepthrough.math_view import MathView
from playground.stepthrough.weight_edit import WeightEditor, edit_weight


def test_diagnostics_curves_follow_the_steps_and_mark_the_rule_of_thumb(qtbot):
    view = DiagnosticsView()
    qtbot.addWidget(view)
    trainer = make_trainer()
    results = []
    for _ in range(6):
        results.append(diagnose(capture_step(trainer)))
        view.add(results[-1])
    assert view.rule_line.value() == pytest.approx(np.log10(RULE_OF_THUMB))
    curves = view._curves[id(view.grad_plot)]
    assert list(curves) == ["dense_1", "dense_2", "dense_3"]
    # xData/yData are the values given (getData is the clipped, log-scaled display data).
    np.testing.assert_array_equal(curves["dense_2"].xData, [1, 2, 3, 4, 5, 6])
    np.testing.assert_allclose(curves["dense_2"].yData,
                               [r.layers["dense_2"].grad_norm for r in results])
    np.testing.assert_allclose(view._curves[id(view.ratio_plot)]["dense_1"].yData,
                               [r.layers["dense_1"].update_ratio for r in results])
    assert view.table.rowCount() == 3 and view.table.item(1, 0).text() == "dense_2"
    assert view.table.item(0, 3).text() == "—"               # tanh layer: no dead-relu number
    assert view.table.item(1, 3).text().endswith("%")
    assert "no warnings" in view.warnings.text()

    # Dead relu units produce a warning in the view.
    dict(trainer.model.named_parameters())["dense_2.bias"].data[...] = -50.0
    view.add(diagnose(capture_step(trainer)))
    assert "dead" in view.warnings.text() and "dense_2" in view.warnings.text()
    view.clear()
    assert view._curves[id(view.grad_plot)] == {} and view.table.rowCount() == 0
    assert len(view.grad_plot.getPlotItem().listDataItems()) == 0


def test_math_view_shows_the_chosen_neuron_and_follows_new_steps(qtbot):
    view = MathView()
    qtbot.addWidget(view)
    trainer = make_trainer()
    capture = capture_step(trainer)
    chosen = []
    view.neuronChosen.connect(lambda layer, unit: chosen.append((layer, unit)))
    view.set_capture(capture)
    assert [view.layer_box.itemText(i) for i in range(view.layer_box.count())] == [
        "dense_1", "dense_2", "dense_3"]
    assert view.unit_box.maximum() == 5 and view.sample_box.maximum() == 11
    view.set_neuron("dense_2", 3, sample=4)
    expected = explain_neuron(capture, "dense_2", 3, 4)
    assert view.math.preactivation == expected.preactivation
    assert view.math.delta == expected.delta
    assert f"{expected.output:.6g}" in view.text.toPlainText()
    assert "Neuron dense_2[3], sample 4" in view.text.toPlainText()
    assert chosen[-1] == ("dense_2", 3) and view.unit_box.maximum() == 3
    view.set_capture(capture_step(trainer))                  # the same neuron, new numbers
    assert (view.layer_box.currentText(), view.unit_box.value()) == ("dense_2", 3)
    assert view.math.weights[0] != expected.weights[0]


def test_weight_editor_writes_into_the_model_and_changes_predictions(qtbot):
    trainer = make_trainer()
    editor = WeightEditor(trainer.model, paused=False)
    qtbot.addWidget(editor)
    edited = []
    editor.weightEdited.connect(lambda name, index, value: edited.append((name, index, value)))
    points = trainer.x_train[:20]
    before = trainer.model.predict(points)
    editor.select("dense_3.weight", (2, 0))
    editor.value_box.setValue(4.5)
    assert not editor.apply() and "Pause training" in editor.status.text()
    editor.set_paused(True)
    assert editor.apply()
    assert edited == [("dense_3.weight", (2, 0), 4.5)]
    assert trainer.model.layers["dense_3"].weight.data[2, 0] == np.float32(4.5)
    # The parameter is a view into the optimizer's buffer: training continues from the edit.
    assert np.float32(4.5) in trainer.optimizer.flat
    assert np.abs(trainer.model.predict(points) - before).max() > 1e-3
    editor.select("dense_1.bias", (4,))
    assert not editor.index_boxes[1].isVisible() and editor.index() == (4,)
    editor.value_box.setValue(-0.25)
    editor.apply()
    assert trainer.model.layers["dense_1"].bias.data[4] == np.float32(-0.25)
    assert "→ -0.25" in editor.status.text()


def test_edit_weight_checks_its_arguments():
    trainer = make_trainer()
    assert edit_weight(trainer.model, "dense_1.weight", (0, 1), 2.0) != 2.0
    assert trainer.model.layers["dense_1"].weight.data[0, 1] == 2.0
    with pytest.raises(KeyError):
        edit_weight(trainer.model, "dense_9.weight", (0, 0), 1.0)
    with pytest.raises(ValueError, match="outside"):
        edit_weight(trainer.model, "dense_1.weight", (5, 0), 1.0)
    with pytest.raises(ValueError, match="finite"):
        edit_weight(trainer.model, "dense_1.weight", (0, 0), float("nan"))


def test_panel_shows_a_step_in_every_tab_and_forwards_signals(qtbot):
    from playground.stepthrough import StepThroughPanel
    panel = StepThroughPanel()
    qtbot.addWidget(panel)
    trainer = make_trainer()
    highlighted = []
    panel.layerHighlighted.connect(highlighted.append)
    capture = capture_step(trainer)
    with qtbot.waitSignal(panel.batchShown) as batch:
        panel.show_capture(capture)
    assert np.array_equal(batch.args[0], capture.record.batch_indices)
    assert panel.stage_view.current_stage.kind == "batch" and highlighted == [""]
    assert panel.math_view.math is not None and panel.math_view.math.layer_id == "dense_1"
    assert panel.diagnostics_view.latest.step == capture.record.step
    panel.stage_view.next_stage()
    assert highlighted[-1] == "dense_1"
    with qtbot.waitSignal(panel.neuronChosen) as chosen:
        panel.math_view.set_neuron("dense_3", 0)
    assert chosen.args == ["dense_3", 0]
    panel.clear()
    assert panel.stage_view.current_stage is None and panel.math_view.math is None
    assert panel.diagnostics_view.table.rowCount() == 0
    panel.show_capture(capture_step(trainer))                 # works again after a clear
    assert panel.math_view.layer_box.currentText() == "dense_1"
