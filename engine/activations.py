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
from engine.tensor import Tensor


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
class ReLU(Activation):
    """max(x, 0)."""

    init = "he"

    @staticmethod
    def apply(x: Tensor) -> Tensor:
        """ReLU op."""
        return ops.ReLU.apply(x)

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:
        """max(x, 0)."""
        return np.maximum(x, 0)


@ACTIVATIONS.register("leaky_relu")
class LeakyReLU(Activation):
    """x for x > 0, else 0.01 x."""

    init = "he"

    @staticmethod
    def apply(x: Tensor) -> Tensor:
        """Leaky ReLU op."""
        return ops.LeakyReLU.apply(x)

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:
        """x for x > 0, else 0.01 x."""
        return np.where(x > 0, x, x * ops.LEAKY_SLOPE)


@ACTIVATIONS.register("elu")
class ELU(Activation):
    """x for x > 0, else exp(x) - 1."""

    init = "he"

    @staticmethod
    def apply(x: Tensor) -> Tensor:
        """ELU op."""
        return ops.ELU.apply(x)

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:
        """x for x > 0, else exp(x) - 1."""
        return ops.elu_numpy(x)


@ACTIVATIONS.register("gelu")
class GELU(Activation):
    """Gaussian error linear unit (tanh approximation)."""

    init = "he"

    @staticmethod
    def apply(x: Tensor) -> Tensor:
        """GELU op."""
        return ops.GELU.apply(x)

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:
        """GELU, tanh approximation."""
        return ops.gelu_numpy(x)


@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    """Hyperbolic tangent, output in (-1, 1)."""

    @staticmethod
    def apply(x: Tensor) -> Tensor:
        """Tanh op."""
        return ops.Tanh.apply(x)

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:
        """tanh(x)."""
        return np.tanh(x)


@ACTIVATIONS.register("sigmoid")
class Sigmoid(Activation):
    """Logistic sigmoid, output in (0, 1)."""

    @staticmethod
    def apply(x: Tensor) -> Tensor:
        """SigmoidOp (binary_crossentropy recognises it and uses the logits)."""
        return ops.SigmoidOp.apply(x)

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:
        """1 / (1 + exp(-x)), overflow-free."""
        return ops.sigmoid_numpy(x)


@ACTIVATIONS.register("softmax")
class Softmax(Activation):
    """Softmax over the last axis: positive outputs that sum to 1."""

    @staticmethod
    def apply(x: Tensor) -> Tensor:
        """SoftmaxOp (categorical_crossentropy recognises it and uses the logits)."""
        return ops.SoftmaxOp.apply(x)

    @staticmethod
    def numpy(x: np.ndarray) -> np.ndarray:
        """exp(x) / sum(exp(x)) over the last axis, max-shifted."""
        return ops.stable_softmax(np.asarray(x))
