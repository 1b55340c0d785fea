"""Expensive views of a model, computed on the worker thread and handed over as copies.

A ``Snapshot`` holds plain arrays only (decision grid, neuron maps, weights, gradients,
evaluation), so the GUI thread can read it while the worker keeps training.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from engine.probes import class_probabilities, layer_outputs

FRAME = 6.0          # 2-D data lives in [-FRAME, FRAME]² (TF Playground's range)
GRID_SIZE = 100      # decision grid resolution
NEURON_GRID = 32     # neuron maps are small thumbnails
MARGIN = 1.05        # the plane reaches 5 % past the farthest point
# Live curves evaluate at most this many samples of each split (a random subset: the splits
# are shuffled), so large image sets still get a point every epoch or so within the budget.
LIVE_EVALUATION_LIMIT = 2000


@dataclass
class Snapshot:
    """A copy of what the views draw, at one step."""

    step: int
    epoch: int
    grid: np.ndarray | None = None              # (G, G, k) class probabilities / (G, G) values
    neuron_maps: dict[str, np.ndarray] = field(default_factory=dict)  # id → (units, g, g)
    weights: dict[str, np.ndarray] = field(default_factory=dict)      # param name → copy
    gradients: dict[str, np.ndarray] = field(default_factory=dict)    # param name → copy
    evaluation: dict | None = None
    seconds: float = 0.0                        # how long computing it took
    evaluation_seconds: float = 0.0             # the part of ``seconds`` spent evaluating
    frame: float = FRAME                        # the grid covers [-frame, frame]²


def data_frame(dataset) -> float:
    """Half-width of the square that holds every point: at least FRAME, rounded up to 0.5."""
    arrays = [a for a in (dataset.x_train, dataset.x_test) if a is not None and len(a)]
    if not arrays:
        return FRAME
    reach = max(float(np.abs(a[:, :2]).max()) for a in arrays) * MARGIN
    return max(FRAME, float(np.ceil(reach * 2) / 2))


def plane_points(size: int, frame: float = FRAME) -> np.ndarray:
    """Raw 2-D points of a size × size grid over [-frame, frame]², row-major from the bottom."""
    axis = np.linspace(-frame, frame, size, dtype=np.float32)
    x1, x2 = np.meshgrid(axis, axis)
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def dense_chain_ids(model) -> list[str]:
    """Hidden dense layers of a chain of dense (and shape-free) layers, or [] otherwise."""
    ids = []
    for layer_id, layer in model.layers.items():
        if layer.type_name not in ("dense", "dropout", "activation", "batchnorm"):
            return []
        if len(model.inputs_of[layer_id]) != 1:
            return []
        if layer.type_name == "dense" and layer_id != model.output_id:
            ids.append(layer_id)
    return ids


class SnapshotMaker:
    """Builds snapshots for one trainer; grids are precomputed once per data set."""

    def __init__(self, trainer) -> None:
        self.trainer = trainer
        dataset = trainer.dataset
        self.planar = dataset.kind == "2d"
        self.task = dataset.task
        self._grid_x = self._neuron_x = None
        self.frame = FRAME
        if self.planar:
            self.frame = data_frame(dataset)
            self._grid_x = trainer.preprocessor.transform(plane_points(GRID_SIZE, self.frame))
            self._neuron_x = trainer.preprocessor.transform(plane_points(NEURON_GRID))

    def make(self, evaluate: bool) -> Snapshot:
        """A snapshot of the trainer's current model (``evaluate`` adds loss/accuracy)."""
        start = time.perf_counter()
        trainer = self.trainer
        model = trainer.model
        snapshot = Snapshot(step=trainer.steps, epoch=trainer.epoch, frame=self.frame)
        if self.planar:
            outputs = layer_outputs(model, self._grid_x, [model.output_id])[model.output_id]
            snapshot.grid = self._grid_values(model, outputs)
            hidden = dense_chain_ids(model)
            if hidden:
                maps = layer_outputs(model, self._neuron_x, hidden)
                g = NEURON_GRID
                snapshot.neuron_maps = {k: v.T.reshape(-1, g, g).copy() for k, v in maps.items()}
        for name, param in model.named_parameters():
            snapshot.weights[name] = param.data.copy()
            if param.grad is not None:
                snapshot.gradients[name] = np.array(param.grad, copy=True)
        if evaluate:
            begin = time.perf_counter()
            snapshot.evaluation = dict(trainer.evaluate(LIVE_EVALUATION_LIMIT))
            snapshot.evaluation_seconds = time.perf_counter() - begin
        snapshot.seconds = time.perf_counter() - start
        return snapshot

    def _grid_values(self, model, outputs: np.ndarray) -> np.ndarray:
        g = GRID_SIZE
        if self.task == "classification":
            probabilities = class_probabilities(outputs.reshape(len(outputs), -1),
                                                model.last_activation)
            return probabilities.reshape(g, g, -1).astype(np.float32)
        return outputs.reshape(g, g, -1)[..., 0].astype(np.float32)
