"""Weight penalties: L1 and L2 on dense/conv ``weight`` parameters only.

Formulas (``w`` runs over every element of every regularized weight):

- ``l2``: penalty ``rate * 0.5 * sum(w**2)``, gradient ``rate * w`` (TensorFlow Playground's
  convention; the ½ makes the gradient exactly ``rate * w``).
- ``l1``: penalty ``rate * sum(|w|)``, gradient ``rate * sign(w)`` (0 at exactly 0).

Biases, batchnorm ``gamma``/``beta`` and anything else not named ``weight`` are left alone, as
Keras' ``kernel_regularizer`` does. The penalty is added to the training loss the Trainer reports.
"""
from __future__ import annotations

from typing import ClassVar, Iterable

import numpy as np

from engine.module import Parameter
from engine.params import Param, validate_settings
from engine.registry import REGULARIZERS

RATE = Param("rate", "float", default=0.001, minimum=0.0, maximum=10.0,
             help="strength of the penalty added to the loss")


def is_regularized(name: str) -> bool:
    """Whether a parameter (by dotted name) is a weight that regularization applies to."""
    return name.rsplit(".", 1)[-1] == "weight"


class Regularizer:
    """Base: a penalty on weights and its gradient, on named parameters or a flat weight array."""

    type_name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = (RATE,)

    def __init__(self, settings: dict | None = None, file: str | None = None,
                 where: str = "training.regularization") -> None:
        checked = validate_settings(self.params, dict(settings or {}), file, where,
                                    ignore=("type",))
        self.rate = float(checked["rate"])

    def penalty_flat(self, weights: np.ndarray) -> float:  # pragma: no cover - interface
        """The penalty of a 1-D array holding every regularized weight."""
        raise NotImplementedError

    def add_gradient_flat(self, weights: np.ndarray, grads: np.ndarray) -> None:  # pragma: no cover
        """Add the penalty's gradient into ``grads`` (same shape as ``weights``) in place."""
        raise NotImplementedError

    def penalty(self, named_parameters: Iterable[tuple[str, Parameter]]) -> float:
        """The penalty over the weights among ``named_parameters``."""
        return float(sum(self.penalty_flat(p.data.ravel())
                         for name, p in named_parameters if is_regularized(name)))

    def add_gradient(self, named_parameters: Iterable[tuple[str, Parameter]]) -> None:
        """Add the penalty's gradient to ``p.grad`` of every weight (creating it if missing)."""
        for name, p in named_parameters:
            if not is_regularized(name):
                continue
            if p.grad is None:
                p.grad = np.zeros_like(p.data)
            else:
                # backward may hand out arrays shared with other tensors: never add in place.
                p.grad = p.grad.copy()
            self.add_gradient_flat(p.data.reshape(-1), p.grad.reshape(-1))


@REGULARIZERS.register("l2")
class L2(Regularizer):
    """L2 weight decay: adds rate·½·Σw² to the loss (gradient rate·w)."""

    def penalty_flat(self, weights: np.ndarray) -> float:
        """rate · ½ · Σw²."""
        return 0.5 * self.rate * float(np.dot(weights, weights))

    def add_gradient_flat(self, weights: np.ndarray, grads: np.ndarray) -> None:
        """grads += rate · w."""
        grads += self.rate * weights


@REGULARIZERS.register("l1")
class L1(Regularizer):
    """L1 sparsity penalty: adds rate·Σ|w| to the loss (gradient rate·sign(w))."""

    def penalty_flat(self, weights: np.ndarray) -> float:
        """rate · Σ|w|."""
        return self.rate * float(np.abs(weights).sum())

    def add_gradient_flat(self, weights: np.ndarray, grads: np.ndarray) -> None:
        """grads += rate · sign(w)."""
        grads += self.rate * np.sign(weights)


def make_regularizer(settings: dict | None, file: str | None = None,
                     where: str = "training.regularization") -> Regularizer | None:
    """The regularizer a project's ``training.regularization`` asks for, or None."""
    if not settings:
        return None
    kind = settings.get("type")
    if kind in (None, "none"):
        return None
    cls = REGULARIZERS.get(kind, file, f"{where}.type")
    regularizer = cls(settings, file, where)
    # A zero rate changes nothing, so skip the work entirely.
    return regularizer if regularizer.rate > 0.0 else None
