"""Step-through training views: stages of one step, diagnostics, neuron maths, replay timeline."""
from playground.stepthrough.diagnostics_view import DiagnosticsView
from playground.stepthrough.math_view import MathView
from playground.stepthrough.panel import StepThroughPanel
from playground.stepthrough.stage_view import StageView
from playground.stepthrough.timeline import TimelineView
from playground.stepthrough.weight_edit import WeightEditor, edit_weight

__all__ = ["DiagnosticsView", "MathView", "StageView", "StepThroughPanel", "TimelineView",
           "WeightEditor", "edit_weight"]
