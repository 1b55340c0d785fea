"""The activation functions by name: each builds its op on a Tensor and has a plain numpy twin.

Every entry has ``apply(x: Tensor) -> Tensor`` (recorded for backward), ``numpy(x) -> ndarray``
(forward only: probes and the numpy exporter) and ``init`` ("he" for ReLU-like functions,
"glorot" otherwise; see engine.init).
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from engine.ops import activation as ops
from engine.params import Param
from engine.registry import ACTIVATIONS
from engine.tensor import Op, Tensor


class Activation:
    """Base for activation entries."""

    type_name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    init: ClassVar[str] = "glorot"

    @staticmethod
    def apply(x: Tensor) -> Tensor:  # pragma: no cover - interface
        """Apply to a tensor, recording the op."""
        raise NotImplementedError

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        """Apply to a plain array."""
        raise NotImplementedError


class OpActivation(Activation):
    """Base of the entries that record one op of ``engine.ops.activation``."""

    op: ClassVar[type[Op]]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # ``apply`` is the op's own apply: layers bind it once at build time, so a training
        # step pays no wrapper call per activation.
        cls.apply = staticmethod(cls.op.apply)


@ACTIVATIONS.register("linear")
class Linear(Activation):
    """Identity: the output is the weighted sum itself."""

    @staticmethod
    def apply(x: Tensor) -> Tensor:
        """Return ``x`` unchanged (no op is recorded)."""
        return x

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:
        """Return ``x`` unchanged."""
        return x


@ACTIVATIONS.register("relu")
class ReLU(OpActivation):
    """max(x, 0)."""

    init = "he"
    op = ops.ReLU

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:
        """max(x, 0)."""
        return np.maximum(x, 0)


@ACTIVATIONS.register("leaky_relu")
class LeakyReLU(OpActivation):
    """x for x > 0, else 0.01 x."""

    init = "he"
    op = ops.LeakyReLU

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:
        """x for x > 0, else 0.01 x."""
        return np.where(x > 0, x, x * ops.LEAKY_SLOPE)


@ACTIVATIONS.register("elu")
class ELU(OpActivation):
    """x for x > 0, else exp(x) - 1."""

    init = "he"
    op = ops.ELU
    numpy = staticmethod(ops.elu_numpy)


@ACTIVATIONS.register("gelu")
class GELU(OpActivation):
    """Gaussian error linear unit (tanh approximation)."""

    init = "he"
    op = ops.GELU
    numpy = staticmethod(ops.gelu_numpy)


@ACTIVATIONS.register("tanh")
class Tanh(OpActivation):
    """Hyperbolic tangent, output in (-1, 1)."""

    op = ops.Tanh
    numpy = staticmethod(np.tanh)


@ACTIVATIONS.register("sigmoid")
class Sigmoid(OpActivation):
    """Logistic sigmoid, output in (0, 1)."""

    # binary_crossentropy recognises SigmoidOp outputs and differentiates the logits instead.
    op = ops.SigmoidOp
    numpy = staticmethod(ops.sigmoid_numpy)


@ACTIVATIONS.register("softmax")
class Softmax(OpActivation):
    """Softmax over the last axis: positive outputs that sum to 1."""

    # categorical_crossentropy recognises SoftmaxOp outputs and differentiates the logits instead.
    op = ops.SoftmaxOp

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:
        """exp(x) / sum(exp(x)) over the last axis, max-shifted."""
        return ops.stable_softmax(np.asarray(x))
