"""Max and average pooling over ``(N, C, H, W)``, looping only over the pool's positions."""
from __future__ import annotations

import numpy as np

from engine.tensor import Op


def pool_output_size(size: int, pool: int, stride: int) -> int:
    """Output length along one axis (no padding; 0 when the pool does not fit)."""
    return (size - pool) // stride + 1 if size >= pool else 0


def _window(start: int, count: int, stride: int) -> slice:
    return slice(start, start + stride * (count - 1) + 1, stride)


class MaxPool2d(Op):
    """Maximum over each ``pool`` x ``pool`` window; the gradient goes to the first maximum.

    The common 2x2 / stride 2 pool runs a small tournament (left vs right in each row, then top
    vs bottom) whose three comparison masks make backward four masked multiplies. Other sizes
    take a chain of ``np.maximum`` over the offsets and find the winning offset in backward by
    comparing each offset with the output in scan order. Both follow PyTorch's tie rule.
    """

    def __init__(self, pool: int, stride: int) -> None:
        self.pool, self.stride = pool, stride

    def forward(self, x: np.ndarray) -> np.ndarray:
        k, s = self.pool, self.stride
        ho, wo = pool_output_size(x.shape[2], k, s), pool_output_size(x.shape[3], k, s)
        self.x, self.out_hw = x, (ho, wo)
        if k == 2 and s == 2:
            return self._forward_pairs(x, ho, wo)
        best = None
        for i in range(k):
            rows = _window(i, ho, s)
            for j in range(k):
                window = x[:, :, rows, _window(j, wo, s)]
                if best is None:
                    # order="K" keeps a channel-major input channel-major (see ops.conv).
                    best = np.copy(window, order="K")
                else:
                    np.maximum(best, window, out=best)
        self.out = best
        return best

    def _forward_pairs(self, x: np.ndarray, ho: int, wo: int) -> np.ndarray:
        """2x2 / stride 2: remember which side won each comparison (strict >: first wins)."""
        top_row, bottom_row = _window(0, ho, 2), _window(1, ho, 2)
        left, right = _window(0, wo, 2), _window(1, wo, 2)
        a, b = x[:, :, top_row, left], x[:, :, top_row, right]
        c, d = x[:, :, bottom_row, left], x[:, :, bottom_row, right]
        self.right_wins_top, self.right_wins_bottom = b > a, d > c
        top, bottom = np.maximum(a, b), np.maximum(c, d)
        self.bottom_wins = bottom > top
        self.out = np.maximum(top, bottom, out=top)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple:
        k, s = self.pool, self.stride
        ho, wo = self.out_hw
        x, out = self.x, self.out
        # Same memory order as the saved output, so the passes below stream through memory.
        grad = _like(out, grad)
        overlapping = s < k
        covered = not overlapping and x.shape[2] == ho * k and x.shape[3] == wo * k
        # Windows that tile x exactly write every element, so no zero fill is needed.
        allocate = np.empty_like if covered else np.zeros_like
        grad_x = allocate(x, dtype=grad.dtype)
        if k == 2 and s == 2:
            top_grad = grad * ~self.bottom_wins
            bottom_grad = grad * self.bottom_wins
            for row, row_grad, right_wins in ((0, top_grad, self.right_wins_top),
                                              (1, bottom_grad, self.right_wins_bottom)):
                rows = _window(row, ho, 2)
                np.multiply(row_grad, ~right_wins, out=grad_x[:, :, rows, _window(0, wo, 2)])
                np.multiply(row_grad, right_wins, out=grad_x[:, :, rows, _window(1, wo, 2)])
            return (grad_x,)
        unclaimed = np.empty(out.shape, dtype=bool)
        hit = np.empty(out.shape, dtype=bool)
        offsets = [(i, j) for i in range(k) for j in range(k)]
        for number, (i, j) in enumerate(offsets):
            rows, cols = _window(i, ho, s), _window(j, wo, s)
            if number == len(offsets) - 1:
                # The maximum is here when no earlier offset held it (everything, for 1x1).
                hit = unclaimed if number else np.ones(out.shape, dtype=bool)
            else:
                np.equal(x[:, :, rows, cols], out, out=hit)
                if number == 0:
                    np.logical_not(hit, out=unclaimed)
                else:
                    hit &= unclaimed  # an earlier offset already took this window's maximum
                    unclaimed ^= hit
            if overlapping:
                grad_x[:, :, rows, cols] += grad * hit
            else:
                np.multiply(grad, hit, out=grad_x[:, :, rows, cols])
        return (grad_x,)


def _like(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` laid out in memory like ``reference`` (no copy when it already is)."""
    if values.strides == reference.strides:
        return values
    result = np.empty_like(reference, dtype=values.dtype)
    result[...] = values
    return result


class AvgPool2d(Op):
    """Mean over each ``pool`` x ``pool`` window."""

    def __init__(self, pool: int, stride: int) -> None:
        self.pool, self.stride = pool, stride

    def forward(self, x: np.ndarray) -> np.ndarray:
        k, s = self.pool, self.stride
        ho, wo = pool_output_size(x.shape[2], k, s), pool_output_size(x.shape[3], k, s)
        self.like, self.out_hw = x, (ho, wo)
        total = None
        for i in range(k):
            rows = _window(i, ho, s)
            for j in range(k):
                window = x[:, :, rows, _window(j, wo, s)]
                if total is None:
                    total = np.copy(window, order="K")
                else:
                    total += window
        total *= 1.0 / (k * k)
        return total

    def backward(self, grad: np.ndarray) -> tuple:
        k, s = self.pool, self.stride
        ho, wo = self.out_hw
        share = grad * (1.0 / (k * k))
        grad_x = np.zeros_like(self.like, dtype=grad.dtype)
        for i in range(k):
            rows = _window(i, ho, s)
            for j in range(k):
                grad_x[:, :, rows, _window(j, wo, s)] += share
        return (grad_x,)
