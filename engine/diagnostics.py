"""Training health from one recorded step: gradient norms, update ratios, dead and saturated units.

``diagnose(capture)`` measures each layer of a ``StepCapture`` and words plain warnings:

- gradient norm: the L2 norm of all of a layer's parameter gradients (weights and biases);
- update/weight ratio: ‖Δθ‖ / ‖θ‖ with θ the parameters before the step. About 1e-3 is the usual
  rule of thumb (Karpathy's CS231n notes): much lower learns slowly, much higher is unstable;
- dead-ReLU fraction: units (features, or channels of a conv layer) of a relu layer that are
  zero for every sample of the batch, so no gradient reaches their weights;
- saturated fraction: tanh outputs with ``|a| > 0.97`` and sigmoid outputs outside
  ``[0.03, 0.97]``, where the activation's slope is nearly flat.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

RULE_OF_THUMB = 1e-3          # healthy update/weight ratio
VANISHING_RELATIVE = 1e-3     # a layer's gradient norm this far below the largest one
VANISHING_ABSOLUTE = 1e-7     # or this small outright
EXPLODING_NORM = 1e3          # gradient norm that is a warning by itself
EXPLODING_RATIO = 0.1         # an update that changes the weights by 10% in one step
SLOW_RATIO = 1e-5             # an update too small to matter
DEAD_WARNING = 0.5            # fraction of dead relu units worth a warning
SATURATED_WARNING = 0.5       # fraction of saturated tanh/sigmoid outputs worth a warning
TANH_SATURATION = 0.97
SIGMOID_SATURATION = 0.03


@dataclass
class LayerDiagnostics:
    """The health numbers of one layer for one step (None where they do not apply)."""

    layer_id: str
    activation: str | None
    grad_norm: float | None = None
    weight_norm: float | None = None
    update_norm: float | None = None
    update_ratio: float | None = None
    dead_fraction: float | None = None
    saturated_fraction: float | None = None


@dataclass
class Diagnostics:
    """Per-layer diagnostics of one step and the warnings they raise."""

    step: int
    layers: dict[str, LayerDiagnostics] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def series(self, name: str) -> dict[str, float]:
        """One measure (e.g. ``"grad_norm"``) for every layer that has it."""
        return {layer_id: getattr(layer, name) for layer_id, layer in self.layers.items()
                if getattr(layer, name) is not None}


def _norm(arrays: list[np.ndarray]) -> float:
    """L2 norm of several arrays taken together, in float64."""
    return float(np.sqrt(sum(float(np.dot(a.reshape(-1).astype(np.float64),
                                          a.reshape(-1).astype(np.float64))) for a in arrays)))


def dead_fraction(activations: np.ndarray) -> float:
    """Fraction of units (axis 1) that are zero (or below) for every sample and position."""
    values = np.asarray(activations)
    if values.ndim < 2 or values.shape[0] == 0:
        return 0.0
    alive = np.moveaxis(values, 1, 0).reshape(values.shape[1], -1) > 0
    return float(1.0 - alive.any(axis=1).mean())


def saturated_fraction(activations: np.ndarray, activation: str) -> float:
    """Fraction of tanh or sigmoid outputs in the flat tails of the function."""
    values = np.asarray(activations)
    if values.size == 0:
        return 0.0
    if activation == "tanh":
        return float(np.mean(np.abs(values) > TANH_SATURATION))
    if activation == "sigmoid":
        return float(np.mean((values < SIGMOID_SATURATION) | (values > 1 - SIGMOID_SATURATION)))
    raise ValueError(f"saturation is measured for tanh and sigmoid, not {activation}")


def diagnose(capture) -> Diagnostics:
    """Measure every layer of a recorded step (a ``StepCapture``) and word the warnings."""
    record = capture.record
    result = Diagnostics(record.step)
    if not capture.recorded:
        return result
    for info in capture.layers:
        layer = LayerDiagnostics(info.layer_id, info.activation)
        if info.param_names:
            layer.grad_norm = _norm([record.param_grads[name] for name in info.param_names])
            layer.weight_norm = _norm([capture.weights_before[name] for name in info.param_names])
            layer.update_norm = _norm([record.updates[name] for name in info.param_names])
            if layer.weight_norm > 0:
                layer.update_ratio = layer.update_norm / layer.weight_norm
        output = record.activations.get(info.layer_id)
        if output is not None and info.activation == "relu":
            layer.dead_fraction = dead_fraction(output)
        if output is not None and info.activation in ("tanh", "sigmoid") \
                and info.layer_id != capture.output_id:
            # A confident output unit is the goal, not a problem: only hidden layers count.
            layer.saturated_fraction = saturated_fraction(output, info.activation)
        result.layers[info.layer_id] = layer
    result.warnings = warnings_for(result)
    return result


def warnings_for(diagnostics: Diagnostics) -> list[str]:
    """Plain-language warnings about vanishing or exploding gradients, dead or saturated units."""
    found: list[str] = []
    norms = diagnostics.series("grad_norm")
    finite = {key: value for key, value in norms.items() if np.isfinite(value)}
    largest_id = max(finite, key=finite.get) if finite else None
    largest = finite.get(largest_id, 0.0) if largest_id else 0.0
    for layer_id, layer in diagnostics.layers.items():
        norm = layer.grad_norm
        if norm is not None and not np.isfinite(norm):
            found.append(f"{layer_id}: the gradients are not finite numbers. Training has "
                         f"diverged; lower the learning rate and reset.")
            continue
        if norm is not None and norm > EXPLODING_NORM:
            found.append(f"{layer_id}: exploding gradients (norm {norm:.3g}). Lower the learning "
                         f"rate, or add batchnorm between layers.")
        elif layer.update_ratio is not None and layer.update_ratio > EXPLODING_RATIO:
            found.append(f"{layer_id}: one step changed the weights by {layer.update_ratio:.0%} "
                         f"(about 0.1% is healthy). Training may be unstable; lower the "
                         f"learning rate.")
        if norm is not None and largest > 0 and layer_id != largest_id and (
                norm < VANISHING_RELATIVE * largest):
            found.append(f"{layer_id}: vanishing gradients: they are {norm / largest:.1e} times "
                         f"those of {largest_id}, so this layer barely learns. Try relu instead "
                         f"of tanh/sigmoid, batchnorm, or fewer layers.")
        elif norm is not None and norm < VANISHING_ABSOLUTE:
            found.append(f"{layer_id}: the gradients have vanished (norm {norm:.1e}); its "
                         f"weights no longer change.")
        elif layer.update_ratio is not None and 0 < layer.update_ratio < SLOW_RATIO:
            found.append(f"{layer_id}: updates are tiny ({layer.update_ratio:.1e} of the "
                         f"weights per step); a larger learning rate would learn faster.")
        if layer.dead_fraction is not None and layer.dead_fraction >= DEAD_WARNING:
            found.append(f"{layer_id}: {layer.dead_fraction:.0%} of the relu units are dead "
                         f"(zero for the whole batch, so they stop learning). Lower the "
                         f"learning rate or use leaky_relu.")
        if layer.saturated_fraction is not None and layer.saturated_fraction >= SATURATED_WARNING:
            found.append(f"{layer_id}: {layer.saturated_fraction:.0%} of the {layer.activation} "
                         f"outputs are saturated (flat part of the curve, tiny gradients). "
                         f"Standardise the inputs, lower the learning rate or use relu.")
    return found
