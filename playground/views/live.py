"""Feeds the worker's drained records and snapshots into the views, once per frame."""
from __future__ import annotations

import time

from playground.snapshots import dense_chain_ids
from playground.views.boundary_view import BoundaryView
from playground.views.loss_view import LossView
from playground.views.neuron_view import NeuronView
from playground.views.weights_view import WeightsView


CURVE_INTERVAL = 0.15  # seconds between loss-curve redraws while training runs (~7 Hz)


class LiveViews:
    """Owns the four live views and the per-frame update (no training or Qt threads here)."""

    def __init__(self) -> None:
        self.loss = LossView()
        self.boundary = BoundaryView()
        self.neurons = NeuronView()
        self.weights = WeightsView()
        self.layer_order: list[str] = []
        self.output_id: str | None = None
        self.snapshot_times: list[float] = []   # GUI-side refresh times (benchmarks read them)
        self._last_curve = 0.0

    def set_trainer(self, trainer, dataset=None, keep_curves: bool = False) -> None:
        """A new network or data set: clear the curves and draw the data.

        Without a trainer (the network is invalid) the data is still drawn when given.
        ``keep_curves``: the trainer goes on from the previous one's weights and step count
        (training settings changed), so its curves continue the old ones.
        """
        dataset = trainer.dataset if trainer is not None else dataset
        if not keep_curves:
            self.loss.clear()
        self.weights.clear()
        self.boundary.set_data(dataset)
        if trainer is None:
            self.neurons.clear()
            return
        self.loss.set_task(dataset.task)
        model = trainer.model
        self.output_id = model.output_id
        self.layer_order = dense_chain_ids(model)
        planar = dataset.kind == "2d"
        if planar and (self.layer_order or len(model.layers) == 1):
            self.neurons.set_features(trainer.preprocessor.features)
            self.neurons.clear("Press Step or Train to see every neuron's output over the plane.")
        else:
            self.neurons.set_features(None)
            self.neurons.clear("The neuron view shows dense networks on 2-D data; this network "
                               "or data set has other layers or inputs (see Weights).")

    def reset_curves(self) -> None:
        """After a Reset: empty the curves, keep the data."""
        self.loss.clear()

    def apply(self, drained) -> None:
        """Draw what the worker published since the last frame."""
        self.loss.add_steps(drained.steps, drained.losses)
        for step, evaluation in drained.evaluations:
            self.loss.add_evaluation(step, evaluation)
        snapshot = drained.snapshot
        if snapshot is not None:
            self.boundary.update_grid(snapshot.grid, snapshot.frame)
            if self.neurons.feature_images:
                self.neurons.update_snapshot(snapshot, self.layer_order, self.output_id)
            self.weights.update_snapshot(snapshot)
            self.snapshot_times.append(time.perf_counter())
            del self.snapshot_times[:-500]
        # Views skip snapshots while behind another tab; a tab brought forward gets no show
        # event, so each frame lets them catch up (and draws rate-limited histograms).
        self.neurons.show_pending()
        self.weights.show_pending()
        # While training runs the curves redraw a few times a second: a loss plot repaint costs
        # more than most views, and a curve moving at 7 Hz reads as smooth. Single steps and
        # pauses show at once.
        now = time.perf_counter()
        if not drained.running or now - self._last_curve >= CURVE_INTERVAL:
            self._last_curve = now
            self.loss.refresh()
