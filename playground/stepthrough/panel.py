"""The step-through dock in one widget: stages, neuron maths and diagnostics as tabs.

The main window adds one ``StepThroughPanel`` (the timeline goes under the boundary plot) and
connects three signals; everything it shows comes from ``show_capture`` and ``add_diagnostics``,
called from the GUI timer that drains the worker's buffer.
"""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QTabWidget, QWidget

from engine.diagnostics import Diagnostics, diagnose
from engine.stepthrough import Stage, StepCapture, build_stages
from playground.stepthrough.diagnostics_view import DiagnosticsView
from playground.stepthrough.math_view import MathView
from playground.stepthrough.stage_view import StageView


TAB_TIPS = ("One recorded training step, stage by stage: batch, forward, loss, backward, update",
            "One neuron's forward and backward maths with the recorded numbers",
            "Gradient norms, update/weight ratios, dead and saturated units over the steps")


class StepThroughPanel(QTabWidget):
    """Tabs "Step", "Neuron maths" and "Diagnostics" fed from recorded steps."""

    layerHighlighted = Signal(str)       # from the stage view: highlight this layer ("" = none)
    batchShown = Signal(object)          # training-set rows of the batch being shown
    neuronChosen = Signal(str, int)      # the neuron whose maths is shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepThroughPanel")
        self.stage_view = StageView()
        self.math_view = MathView()
        self.diagnostics_view = DiagnosticsView()
        self.addTab(self.stage_view, "Step")
        self.addTab(self.math_view, "Neuron maths")
        self.addTab(self.diagnostics_view, "Diagnostics")
        for index, tip in enumerate(TAB_TIPS):
            self.setTabToolTip(index, tip)
        self.stage_view.layerHighlighted.connect(self.layerHighlighted)
        self.stage_view.batchShown.connect(self.batchShown)
        self.math_view.neuronChosen.connect(self.neuronChosen)
        self.currentChanged.connect(self._tab_changed)
        self.capture: StepCapture | None = None

    def show_capture(self, capture: StepCapture, stages: list[Stage] | None = None,
                     diagnostics: Diagnostics | None = None) -> None:
        """Show a recorded step everywhere (stages and diagnostics are built if not given)."""
        self.capture = capture
        self.stage_view.set_stages(stages if stages is not None else build_stages(capture))
        self.math_view.set_capture(capture)
        if capture.recorded:
            self.add_diagnostics(diagnostics if diagnostics is not None else diagnose(capture))

    def add_diagnostics(self, diagnostics: Diagnostics) -> None:
        """Add one step to the diagnostics plots (also for steps recorded while running)."""
        self.diagnostics_view.add(diagnostics)

    def clear(self) -> None:
        """Forget the run (after a reset or when another project opens)."""
        self.capture = None
        self.stage_view.set_stages([])
        self.stage_view.title.setText("No step recorded yet")
        self.stage_view.caption.setText("Press Step to train one mini-batch and see it here.")
        self.math_view.clear()
        self.diagnostics_view.clear()

    @Slot(int)
    def _tab_changed(self, index: int) -> None:
        """Give the stage view the keyboard when its tab is shown (arrows walk the stages)."""
        if self.widget(index) is self.stage_view:
            self.stage_view.setFocus()
