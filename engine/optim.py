"""Optimizers over one flat buffer: SGD (momentum, Nesterov), RMSprop, Adam and AdamW.

Every optimizer copies its parameters into one contiguous 2-D buffer whose rows are the
parameters, their gradients and the optimizer's moment estimates; each ``p.data`` becomes a view
into the parameter row. ``step()`` is then a handful of in-place numpy calls over whole rows, no
matter how many layers the model has, and a snapshot of the whole training state is one memcpy.

All update rules follow ``torch.optim`` exactly (single parameter group, default options):

- sgd:     ``b = momentum·b + g``; ``g' = g + momentum·b`` if nesterov else ``b``;
           ``p -= lr·g'`` (plain ``p -= lr·g`` when momentum is 0).
- rmsprop: ``v = rho·v + (1-rho)·g²``; ``p -= lr·g / (√v + ε)`` (``rho`` is PyTorch's
           ``alpha``; Keras puts ε inside the square root, PyTorch outside, as here).
- adam:    ``m = β1·m + (1-β1)·g``; ``v = β2·v + (1-β2)·g²``;
           ``p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε)``.
- adamw:   ``p -= lr·weight_decay·p`` (decoupled, on every parameter like PyTorch), then adam.
"""
from __future__ import annotations

import math
from typing import ClassVar, Iterable

import numpy as np

from engine.errors import ProjectError
from engine.module import Parameter
from engine.params import Param, validate_settings
from engine.regularization import is_regularized
from engine.registry import OPTIMIZERS


def _learning_rate(default: float) -> Param:
    return Param("learning_rate", "float", default=default, minimum=0.0, exclusive_minimum=True,
                 maximum=10.0, log_scale=True, help="step size of each update")


EPSILON = Param("epsilon", "float", default=1e-8, minimum=0.0, exclusive_minimum=True,
                maximum=1.0, log_scale=True, help="added to the denominator for stability")


def _lerp_toward(average: np.ndarray, value: np.ndarray, weight: float,
                 scratch: np.ndarray) -> None:
    """``average += weight·(value - average)`` in place (PyTorch's lerp form of a moving average).

    ``value`` may be ``scratch`` itself (e.g. g² computed into it), so no temporary is needed.
    """
    np.subtract(value, average, out=scratch)
    scratch *= weight
    average += scratch


def _rms_step(numerator: np.ndarray, square_avg: np.ndarray, epsilon: float, step_size: float,
              delta: np.ndarray) -> None:
    """``delta = -step_size · numerator / (√square_avg + epsilon)``, written into ``delta``."""
    np.sqrt(square_avg, out=delta)
    delta += epsilon
    np.divide(numerator, delta, out=delta)
    delta *= -step_size


class Optimizer:
    """Base: holds parameters, gradients and moments in one flat buffer; subclasses update it."""

    type_name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    state_names: ClassVar[tuple[str, ...]] = ()  # names of the moment rows, e.g. ("m", "v")

    def __init__(self, named_parameters: Iterable[tuple[str, Parameter]],
                 settings: dict | None = None, *, record_update: bool = False,
                 file: str | None = None, where: str = "training.optimizer") -> None:
        self.settings = validate_settings(self.params, dict(settings or {}), file, where,
                                          ignore=("type",))
        self.settings.pop("type", None)
        self._check(file, where)
        self.learning_rate = self.settings["learning_rate"]
        self.record_update = record_update
        self.step_count = 0

        unique: dict[int, tuple[str, Parameter]] = {}
        for name, p in named_parameters:
            unique.setdefault(id(p), (name, p))
        named = list(unique.values())
        self.names = [name for name, _ in named]
        # Regularized weights go first so a regularizer works on one contiguous slice.
        ordered = sorted(named, key=lambda item: not is_regularized(item[0]))
        dtypes = {p.data.dtype for _, p in ordered}
        wide = np.dtype(np.float64) in dtypes
        self.dtype = np.dtype(np.float64) if wide else np.dtype(np.float32)
        self.size = sum(p.data.size for _, p in ordered)
        rows = 3 + len(self.state_names)  # parameters, gradients, scratch, moments
        self.buffer = np.zeros((rows, self.size), dtype=self.dtype)
        self.flat = self.buffer[0]
        self.grad_flat = self.buffer[1]
        self._scratch = self.buffer[2]
        self._states = {state: self.buffer[3 + i] for i, state in enumerate(self.state_names)}
        self.weight_count = sum(p.data.size for name, p in ordered if is_regularized(name))
        # Views made once: the buffer is never reallocated (load_state copies into it), and the
        # Trainer reads them up to three times a step.
        self.weights = self.flat[:self.weight_count]
        self.weight_grads = self.grad_flat[:self.weight_count]

        self._parameters: list[Parameter] = []
        self._slices: dict[str, tuple[slice, tuple[int, ...]]] = {}
        self._zero_grads: list[np.ndarray] = []
        offset = 0
        for name, p in ordered:
            n = p.data.size
            span = slice(offset, offset + n)
            self.flat[span] = p.data.reshape(-1)
            p.data = self.flat[span].reshape(p.data.shape)
            self._parameters.append(p)
            self._slices[name] = (span, p.data.shape)
            self._zero_grads.append(np.zeros(n, dtype=self.dtype))
            offset += n
        self.last_update: dict[str, np.ndarray] = {}

    def _check(self, file: str | None, where: str) -> None:
        """Cross-field checks beyond each Param's own limits (subclasses extend)."""

    @property
    def learning_rate(self) -> float:
        """The step size the next update uses."""
        return self.settings["learning_rate"]

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        # Kept in ``settings`` only, so what step-through captures and shows is never stale.
        self.settings["learning_rate"] = float(value)

    def zero_grad(self) -> None:
        """Forget the gradients held by the parameters (backward accumulates into them)."""
        for p in self._parameters:
            p.grad = None

    def gather_grads(self) -> None:
        """Copy every ``p.grad`` into the flat gradient row (missing gradients count as 0)."""
        parts = [p.grad.reshape(-1) if p.grad is not None else zero
                 for p, zero in zip(self._parameters, self._zero_grads)]
        if parts:
            np.concatenate(parts, out=self.grad_flat, casting="same_kind")

    def step(self) -> None:
        """Read the parameters' gradients and update their values in place."""
        self.gather_grads()
        self.apply_update()

    def apply_update(self) -> None:
        """Update the parameters from the gradient row (already gathered)."""
        self.step_count += 1
        self._update(self.flat, self.grad_flat, self._scratch)
        if self.record_update:
            changes = self._scratch.copy()
            self.last_update = {name: changes[span].reshape(shape)
                                for name, (span, shape) in self._slices.items()}
        elif self.last_update:
            # An unrecorded step leaves no Δw: an older step's would be read as this one's.
            self.last_update = {}

    def _update(self, params: np.ndarray, grads: np.ndarray, delta: np.ndarray) -> None:
        """Apply one step in place; leave the applied change Δw in ``delta``."""
        raise NotImplementedError  # pragma: no cover - interface

    def state_for(self, name: str) -> dict[str, np.ndarray]:
        """Copies of the optimizer's moments for one parameter (e.g. Adam's ``m`` and ``v``)."""
        span, shape = self._slices[name]
        return {state: row[span].reshape(shape).copy() for state, row in self._states.items()}

    def grad_for(self, name: str) -> np.ndarray:
        """View of one parameter's gathered gradient (including any regularization)."""
        span, shape = self._slices[name]
        return self.grad_flat[span].reshape(shape)

    def save_state(self) -> tuple[np.ndarray, int]:
        """A copy of the whole training state (parameters, moments, step count)."""
        return self.buffer.copy(), self.step_count

    def load_state(self, state: tuple[np.ndarray, int]) -> None:
        """Put back a state from ``save_state`` (one memcpy, parameters stay views)."""
        buffer, step_count = state
        np.copyto(self.buffer, buffer)
        self.step_count = step_count

    def reset_state(self) -> None:
        """Forget moments and the step count (parameters unchanged)."""
        self.buffer[1:] = 0.0
        self.step_count = 0
        self.last_update = {}


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum, as torch.optim.SGD."""

    params = (
        _learning_rate(0.01),
        Param("momentum", "float", default=0.0, minimum=0.0, maximum=0.999,
              help="fraction of the previous step kept (0 = plain SGD)"),
        Param("nesterov", "bool", default=False, help="use Nesterov momentum (needs momentum > 0)"),
    )
    state_names = ("momentum_buffer",)

    def _check(self, file: str | None, where: str) -> None:
        if self.settings["nesterov"] and self.settings["momentum"] <= 0.0:
            raise ProjectError(file, f"{where}.nesterov", "Nesterov momentum needs a momentum "
                               "> 0; set momentum or turn nesterov off")

    def _update(self, params: np.ndarray, grads: np.ndarray, delta: np.ndarray) -> None:
        momentum = self.settings["momentum"]
        if momentum == 0.0:
            np.multiply(grads, -self.learning_rate, out=delta)
        else:
            buf = self._states["momentum_buffer"]
            buf *= momentum
            buf += grads
            if self.settings["nesterov"]:
                np.multiply(buf, momentum, out=delta)
                delta += grads
                delta *= -self.learning_rate
            else:
                np.multiply(buf, -self.learning_rate, out=delta)
        params += delta


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """RMSprop: divides by a running root-mean-square of gradients, as torch.optim.RMSprop."""

    params = (
        _learning_rate(0.001),
        Param("rho", "float", default=0.99, minimum=0.0, maximum=0.9999,
              help="decay of the squared-gradient average (PyTorch's alpha)"),
        EPSILON,
    )
    state_names = ("square_avg",)

    def _update(self, params: np.ndarray, grads: np.ndarray, delta: np.ndarray) -> None:
        square_avg = self._states["square_avg"]
        _lerp_toward(square_avg, np.multiply(grads, grads, out=delta), 1.0 - self.settings["rho"],
                     delta)
        _rms_step(grads, square_avg, self.settings["epsilon"], self.learning_rate, delta)
        params += delta


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Adam with bias correction, as torch.optim.Adam."""

    params = (
        _learning_rate(0.001),
        Param("beta1", "float", default=0.9, minimum=0.0, maximum=0.9999,
              help="decay of the gradient average (first moment)"),
        Param("beta2", "float", default=0.999, minimum=0.0, maximum=0.99999,
              help="decay of the squared-gradient average (second moment)"),
        EPSILON,
    )
    state_names = ("m", "v")

    def _decay(self, params: np.ndarray) -> None:
        """Hook for AdamW's decoupled weight decay (Adam does nothing)."""

    def _update(self, params: np.ndarray, grads: np.ndarray, delta: np.ndarray) -> None:
        beta1, beta2 = self.settings["beta1"], self.settings["beta2"]
        m, v = self._states["m"], self._states["v"]
        t = self.step_count
        _lerp_toward(m, grads, 1.0 - beta1, delta)
        _lerp_toward(v, np.multiply(grads, grads, out=delta), 1.0 - beta2, delta)
        # lr/c1 · m / (√v/√c2 + ε) = (lr·√c2/c1) · m / (√v + ε·√c2): one pass fewer.
        root_c2 = math.sqrt(1.0 - beta2 ** t)
        step_size = self.learning_rate * root_c2 / (1.0 - beta1 ** t)
        _rms_step(m, v, self.settings["epsilon"] * root_c2, step_size, delta)
        before = self._decay(params)
        params += delta
        if before is not None:
            delta += before


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (p -= lr·weight_decay·p first), as torch.optim.AdamW."""

    params = Adam.params + (
        Param("weight_decay", "float", default=0.01, minimum=0.0, maximum=1.0,
              help="fraction of each weight removed per step, scaled by the learning rate"),
    )

    def _decay(self, params: np.ndarray) -> np.ndarray | None:
        """Shrink every parameter; return the change when updates are recorded."""
        factor = self.learning_rate * self.settings["weight_decay"]
        if factor == 0.0:
            return None
        change = params * -factor if self.record_update else None
        params *= 1.0 - factor
        return change


def make_optimizer(named_parameters: Iterable[tuple[str, Parameter]], settings: dict,
                   *, record_update: bool = False, file: str | None = None,
                   where: str = "training.optimizer") -> Optimizer:
    """The optimizer a project's ``training.optimizer`` asks for (``type`` picks the class)."""
    cls = OPTIMIZERS.get(settings.get("type", "adam"), file, f"{where}.type")
    return cls(named_parameters, settings, record_update=record_update, file=file, where=where)
