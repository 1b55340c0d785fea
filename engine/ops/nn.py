"""Layer-shaped ops: the fused dense product, dropout and the merges (add, concat)."""
from __future__ import annotations

import numpy as np

from engine.tensor import Op


class Linear(Op):
    """x @ weight + bias in one op (x is ``(N, in)``, weight ``(in, out)``, bias ``(out,)``)."""

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        self.x, self.weight = x, weight
        out = x @ weight
        out += bias
        return out

    def backward(self, grad: np.ndarray) -> tuple:
        needs_x, needs_w, needs_b = self.needs_grad
        return (grad @ self.weight.T if needs_x else None,
                self.x.T @ grad if needs_w else None,
                grad.sum(axis=0) if needs_b else None)


class Dropout(Op):
    """x * mask, where the mask already holds 0 or 1/(1-rate) (inverted dropout)."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x * self.mask

    def backward(self, grad: np.ndarray) -> tuple:
        return (grad * self.mask,)


def dropout_mask(shape: tuple, rate: float, rng: np.random.Generator, dtype) -> np.ndarray:
    """A fresh inverted-dropout mask: each entry 0 with probability ``rate``, else 1/(1-rate)."""
    keep = rng.random(shape, dtype=np.float32) >= rate
    return keep.astype(dtype) * (1.0 / (1.0 - rate))


class AddN(Op):
    """The elementwise sum of any number of same-shaped inputs."""

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        out = arrays[0] + arrays[1]
        for array in arrays[2:]:
            out += array
        return out

    def backward(self, grad: np.ndarray) -> tuple:
        # Each input gets its own array so no two leaves share a gradient buffer.
        return tuple(grad if i == 0 else grad.copy() for i in range(len(self.needs_grad)))


class Concat(Op):
    """Join inputs along ``axis`` (of the batched arrays)."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        self.splits = np.cumsum([a.shape[self.axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, grad: np.ndarray) -> tuple:
        return tuple(np.split(grad, self.splits, axis=self.axis))
