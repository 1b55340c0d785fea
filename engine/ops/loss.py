"""Loss ops, each a scalar mean over the batch with its gradient written out.

The fused ones work from logits (numerically stable at any magnitude); the probability ones
clip to [EPS, 1 - EPS] like Keras and pass no gradient where the clip is active.
"""
from __future__ import annotations

import numpy as np

from engine.tensor import Op

EPS = 1e-7
HUBER_DELTA = 1.0


def _mean(values: np.ndarray) -> np.ndarray:
    """Mean as sum times a constant: ndarray.mean's Python wrapper costs more than the maths
    for the small batches of the 2-D playground."""
    return np.asarray(values.sum() * (1.0 / values.size), dtype=values.dtype)


class SoftmaxCrossEntropy(Op):
    """mean(-log softmax(logits)[label]) from ``(N, K)`` logits and integer labels ``(N,)``."""

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = labels

    def forward(self, logits: np.ndarray) -> np.ndarray:
        n = logits.shape[0]
        shifted = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=-1)
        rows = np.arange(n)
        log_prob = shifted[rows, self.labels] - np.log(total)
        exp /= total[:, None]
        self.probs, self.rows = exp, rows
        return _mean(-log_prob)

    def backward(self, grad: np.ndarray) -> tuple:
        n = self.probs.shape[0]
        out = self.probs.copy()
        out[self.rows, self.labels] -= 1.0
        out *= grad * (1.0 / n)
        return (out,)


class SigmoidBinaryCrossEntropy(Op):
    """mean BCE of sigmoid(logits) against 0/1 labels, as log(1 + e^z) - z*y."""

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = labels

    def forward(self, logits: np.ndarray) -> np.ndarray:
        y = self.labels.reshape(logits.shape).astype(logits.dtype, copy=False)
        self.y, self.logits = y, logits
        # logaddexp(0, z) = log(1 + e^z), evaluated stably in one ufunc.
        losses = np.logaddexp(0, logits)
        losses -= logits * y
        return _mean(losses)

    def backward(self, grad: np.ndarray) -> tuple:
        probs = np.tanh(self.logits * 0.5) * 0.5 + 0.5
        return ((probs - self.y) * (grad * (1.0 / self.y.size)),)


class ProbabilityBinaryCrossEntropy(Op):
    """mean BCE of probabilities (clipped) against 0/1 labels."""

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = labels

    def forward(self, probs: np.ndarray) -> np.ndarray:
        y = self.labels.reshape(probs.shape).astype(probs.dtype, copy=False)
        clipped = np.clip(probs, EPS, 1.0 - EPS)
        self.y, self.clipped, self.inside = y, clipped, clipped == probs
        losses = -(y * np.log(clipped) + (1.0 - y) * np.log1p(-clipped))
        return _mean(losses)

    def backward(self, grad: np.ndarray) -> tuple:
        p, y = self.clipped, self.y
        local = (p - y) / (p * (1.0 - p))
        return (local * self.inside * (grad * (1.0 / y.size)),)


class ProbabilityCrossEntropy(Op):
    """mean(-log p[label]) from ``(N, K)`` probabilities (clipped) and integer labels."""

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = labels

    def forward(self, probs: np.ndarray) -> np.ndarray:
        rows = np.arange(probs.shape[0])
        picked = probs[rows, self.labels]
        clipped = np.clip(picked, EPS, 1.0 - EPS)
        self.rows, self.clipped, self.inside = rows, clipped, clipped == picked
        self.shape, self.dtype = probs.shape, probs.dtype
        return _mean(-np.log(clipped))

    def backward(self, grad: np.ndarray) -> tuple:
        out = np.zeros(self.shape, dtype=self.dtype)
        out[self.rows, self.labels] = self.inside / self.clipped * (-grad / self.shape[0])
        return (out,)


class MeanSquaredError(Op):
    """mean((prediction - target)^2) over every element."""

    def __init__(self, target: np.ndarray) -> None:
        self.target = target

    def forward(self, prediction: np.ndarray) -> np.ndarray:
        self.diff = prediction - self.target.reshape(prediction.shape)
        return _mean(self.diff * self.diff)

    def backward(self, grad: np.ndarray) -> tuple:
        return (self.diff * (grad * (2.0 / self.diff.size)),)


class Huber(Op):
    """mean Huber loss (delta 1): quadratic within delta of the target, linear beyond."""

    def __init__(self, target: np.ndarray) -> None:
        self.target = target

    def forward(self, prediction: np.ndarray) -> np.ndarray:
        self.diff = prediction - self.target.reshape(prediction.shape)
        return _mean(huber_values(self.diff))

    def backward(self, grad: np.ndarray) -> tuple:
        slope = np.clip(self.diff, -HUBER_DELTA, HUBER_DELTA)
        return (slope * (grad * (1.0 / self.diff.size)),)


def huber_values(diff: np.ndarray) -> np.ndarray:
    """Elementwise Huber loss of prediction - target."""
    magnitude = np.abs(diff)
    return np.where(magnitude <= HUBER_DELTA, 0.5 * diff * diff,
                    HUBER_DELTA * (magnitude - 0.5 * HUBER_DELTA))

