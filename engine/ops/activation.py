"""Elementwise activation ops and the last-axis softmax.

Constants are Python floats so float32 inputs stay float32. ``SigmoidOp`` and ``SoftmaxOp``
are recognised by the losses, which then work from ``op.inputs[0]`` (the logits) instead.
"""
from __future__ import annotations

import math

import numpy as np

from engine.tensor import Op

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0
_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715


class ReLU(Op):
    """max(x, 0)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.positive = x > 0
        return np.maximum(x, 0)

    def backward(self, grad: np.ndarray) -> tuple:
        return (grad * self.positive,)


class LeakyReLU(Op):
    """x for x > 0, 0.01 x otherwise."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.positive = x > 0
        return np.where(self.positive, x, x * LEAKY_SLOPE)

    def backward(self, grad: np.ndarray) -> tuple:
        return (np.where(self.positive, grad, grad * LEAKY_SLOPE),)


class ELU(Op):
    """x for x > 0, exp(x) - 1 otherwise (alpha 1)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.positive = x > 0
        # expm1 only of the non-positive part, so large inputs cannot overflow.
        self.negative_part = np.expm1(np.minimum(x, 0)) * ELU_ALPHA
        return np.where(self.positive, x, self.negative_part)

    def backward(self, grad: np.ndarray) -> tuple:
        return (np.where(self.positive, grad, grad * (self.negative_part + ELU_ALPHA)),)


class GELU(Op):
    """GELU, tanh approximation (PyTorch's ``approximate="tanh"``)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        self.t = np.tanh(_GELU_C * (x + _GELU_K * x * x * x))
        return 0.5 * x * (1.0 + self.t)

    def backward(self, grad: np.ndarray) -> tuple:
        x, t = self.x, self.t
        inner = _GELU_C * (1.0 + 3.0 * _GELU_K * x * x)
        return (grad * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * inner),)


class Tanh(Op):
    """Hyperbolic tangent."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple:
        out = self.out
        return (grad * (1.0 - out * out),)


class SigmoidOp(Op):
    """Logistic sigmoid, computed as 0.5 tanh(x/2) + 0.5 so it never overflows."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.tanh(x * 0.5)
        out *= 0.5
        out += 0.5
        self.out = out
        return out

    def backward(self, grad: np.ndarray) -> tuple:
        out = self.out
        return (grad * (out * (1.0 - out)),)


def stable_softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis with the max subtracted first."""
    shifted = x - x.max(axis=-1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=-1, keepdims=True)
    return shifted


class SoftmaxOp(Op):
    """Softmax over the last axis."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = stable_softmax(x)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple:
        out = self.out
        return (out * (grad - (grad * out).sum(axis=-1, keepdims=True)),)


def sigmoid_numpy(x: np.ndarray) -> np.ndarray:
    """Plain forward sigmoid (no graph)."""
    return np.tanh(x * 0.5) * 0.5 + 0.5


def gelu_numpy(x: np.ndarray) -> np.ndarray:
    """Plain forward GELU, tanh approximation."""
    return 0.5 * x * (1.0 + np.tanh(_GELU_C * (x + _GELU_K * x * x * x)))


def elu_numpy(x: np.ndarray) -> np.ndarray:
    """Plain forward ELU."""
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)) * ELU_ALPHA)
