"""A network built from a checked plan: runs its layers in order, records outputs on request."""
from __future__ import annotations

import numpy as np

from engine.graph import INPUT, NetworkPlan
from engine.module import Module
from engine.tensor import Tensor, no_grad


class Model(Module):
    """Layers in topological order plus the wiring between them (see ``engine.graph``)."""

    def __init__(self, plan: NetworkPlan, layers: dict, dtype=np.float32) -> None:
        # Only ``layers`` may hold Modules: Module.named_parameters walks every attribute, and a
        # second reference to a layer would list its parameters twice.
        self.layers = {layer_plan.layer_id: layers[layer_plan.layer_id]
                       for layer_plan in plan.layers}
        self.plan = plan
        self.inputs_of = {p.layer_id: list(p.inputs) for p in plan.layers}
        self.output_id = plan.output_id
        self.input_shape = plan.input_shape
        self.output_shape = plan.output_shape
        self.dtype = np.dtype(dtype)
        self.recorded: dict[str, Tensor] = {}
        self.training = True

    def forward(self, x, record: bool = False) -> Tensor:
        """Run a batch ``(N, *input_shape)``; with ``record`` keep every layer's output.

        Recorded outputs (``self.recorded``, layer id → Tensor, plus ``"input"``) retain their
        gradients after ``backward`` so step-through views can show them.
        """
        if not isinstance(x, Tensor):
            x = Tensor(np.asarray(x, dtype=self.dtype))
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"the network takes samples of shape {self.input_shape}, "
                             f"got a batch of shape {tuple(x.shape)}")
        values: dict[str, Tensor] = {INPUT: x}
        self.recorded = {INPUT: x} if record else {}
        for layer_id, layer in self.layers.items():
            out = layer.forward(*(values[name] for name in self.inputs_of[layer_id]))
            if record:
                out.retain_grad()
                self.recorded[layer_id] = out
            values[layer_id] = out
        return values[self.output_id]

    __call__ = forward

    def predict(self, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Outputs for a preprocessed batch, in evaluation mode and without gradients."""
        x = np.asarray(x, dtype=self.dtype)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                if len(x) == 0:
                    return np.zeros((0, *self.output_shape), dtype=self.dtype)
                parts = [self.forward(x[start:start + batch_size]).data
                         for start in range(0, len(x), batch_size)]
        finally:
            self.train(was_training)
        return np.concatenate(parts, axis=0)

    def param_count(self) -> int:
        """Number of trainable numbers."""
        return int(sum(p.data.size for _, p in self.named_parameters()))

    def buffer_count(self) -> int:
        """Number of saved non-trainable numbers (batchnorm running statistics)."""
        return int(sum(b.data.size for _, b in self.named_buffers()))

    def flops(self) -> int:
        """Floating-point operations for one sample's forward pass (a multiply-add counts 2)."""
        return int(sum(layer.flops() for layer in self.layers.values()))

    @property
    def last_activation(self) -> str | None:
        """The activation applied by the output layer (``None`` when it has none)."""
        return layer_activation(self.layers[self.output_id])

    @property
    def output_layer(self):
        """The layer whose output is the network's output."""
        return self.layers[self.output_id]

    def __repr__(self) -> str:
        return (f"Model({len(self.layers)} layers, input {self.input_shape}, "
                f"output {self.output_shape}, {self.param_count()} params)")


def layer_activation(layer) -> str | None:
    """A layer's activation name: its ``activation`` setting, or an activation layer's function."""
    name = getattr(layer, "activation", None)
    if name is None and getattr(layer, "type_name", None) == "activation":
        name = getattr(layer, "function", None)
    return name
