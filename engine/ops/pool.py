"""Max and average pooling over ``(N, C, H, W)``, looping only over the pool's positions.

The common 2x2 / stride 2 pool takes a fast path: pairwise ops over the whole array (first
between the even and odd columns, then between the even and odd rows) instead of one op per
window offset, and a backward that needs no argmax and no zero fill.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from engine.tensor import Op


def pool_output_size(size: int, pool: int, stride: int) -> int:
    """Output length along one axis (no padding; 0 when the pool does not fit)."""
    return (size - pool) // stride + 1 if size >= pool else 0


def _window(start: int, count: int, stride: int) -> slice:
    return slice(start, start + stride * (count - 1) + 1, stride)


def _like(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` with its axes in the same memory order as ``reference`` (copied if not).

    Only the order matters for streaming through memory; a view into a larger buffer (the
    input gradient of the next convolution is one) is used as it is.
    """
    if values.strides == reference.strides or _axis_order(values) == _axis_order(reference):
        return values
    result = np.empty_like(reference, dtype=values.dtype)
    result[...] = values
    return result


def _axis_order(a: np.ndarray) -> tuple[int, ...]:
    """Axes from the largest stride to the smallest, ignoring axes of length 1."""
    return tuple(sorted((axis for axis in range(a.ndim) if a.shape[axis] > 1),
                        key=lambda axis: -abs(a.strides[axis])))


class _Pool2d(Op):
    """Geometry shared by the pools: output size, window offsets, fast path, input gradient."""

    def __init__(self, pool: int, stride: int) -> None:
        self.pool, self.stride = pool, stride

    def _begin(self, x: np.ndarray) -> tuple[int, int]:
        """Remember the input and return the output size (ho, wo)."""
        k, s = self.pool, self.stride
        ho, wo = pool_output_size(x.shape[2], k, s), pool_output_size(x.shape[3], k, s)
        self.x, self.out_hw = x, (ho, wo)
        return ho, wo

    def _pairs(self) -> bool:
        """Whether the 2x2 / stride 2 fast path applies (and has at least one window)."""
        return self.pool == 2 and self.stride == 2 and min(self.out_hw) > 0

    def _offsets(self) -> Iterator[tuple[slice, slice]]:
        """(rows, cols) slices of the input for each window offset, in scan order."""
        (ho, wo), k, s = self.out_hw, self.pool, self.stride
        for i in range(k):
            for j in range(k):
                yield _window(i, ho, s), _window(j, wo, s)

    def _grad_input(self, dtype: np.dtype, accumulate: bool = False) -> np.ndarray:
        """An input-gradient array laid out like the input (see ops.conv on memory order).

        Zeros, unless the caller assigns (not ``accumulate``) and the windows tile the input
        exactly (stride = pool, no leftover rows or columns), so every pixel gets written
        once. One fill is cheaper than clearing thin leftover strips.
        """
        (ho, wo), k, s = self.out_hw, self.pool, self.stride
        height, width = self.x.shape[2:]
        if not accumulate and s == k and height == ho * k and width == wo * k:
            return np.empty_like(self.x, dtype=dtype)
        return np.zeros_like(self.x, dtype=dtype)


class MaxPool2d(_Pool2d):
    """Maximum over each ``pool`` x ``pool`` window; the gradient goes to the first maximum.

    2x2 / stride 2: the maximum of each horizontal pair, then of the two rows; the two strict
    ``>`` masks (right beats left, bottom row beats top row) pick PyTorch's first maximum in
    scan order, and backward is two multiplies and two subtractions. Other sizes take a chain
    of ``np.maximum`` over the offsets and find the winning offset in backward by comparing
    each offset with the output in scan order.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        ho, wo = self._begin(x)
        if self._pairs():
            # Strided (every other column) ufunc loops run several times slower than
            # contiguous ones, so the two column phases are copied out once and every
            # comparison after that streams through contiguous memory.
            rows = slice(0, 2 * ho)
            left = np.copy(x[:, :, rows, 0:2 * wo:2], order="K")
            right = np.copy(x[:, :, rows, 1:2 * wo:2], order="K")
            self.right_wins = right > left
            pairs = np.maximum(left, right, out=left)
            top, bottom = pairs[:, :, 0::2], pairs[:, :, 1::2]
            self.bottom_wins = bottom > top
            self.out = np.maximum(top, bottom)
            return self.out
        best = None
        for rows, cols in self._offsets():
            window = x[:, :, rows, cols]
            if best is None:
                best = np.copy(window, order="K")
            else:
                np.maximum(best, window, out=best)
        self.out = best
        return best

    def backward(self, grad: np.ndarray) -> tuple:
        out = self.out
        # Same memory order as the saved output, so the passes below stream through memory.
        grad = _like(out, grad)
        if self._pairs():
            ho, wo = self.out_hw
            grad_x = self._grad_input(grad.dtype)
            pair_grad = np.empty_like(self.right_wins, dtype=grad.dtype)
            # g*1 and g - g*1 are exact, so each subtraction hands the rest to the loser.
            np.multiply(grad, self.bottom_wins, out=pair_grad[:, :, 1::2])
            np.subtract(grad, pair_grad[:, :, 1::2], out=pair_grad[:, :, 0::2])
            right = pair_grad * self.right_wins
            rows = slice(0, 2 * ho)
            grad_x[:, :, rows, 1:2 * wo:2] = right
            np.subtract(pair_grad, right, out=grad_x[:, :, rows, 0:2 * wo:2])
            return (grad_x,)
        k, s, x = self.pool, self.stride, self.x
        overlapping = s < k
        grad_x = self._grad_input(grad.dtype, accumulate=overlapping)
        unclaimed = np.empty(out.shape, dtype=bool)
        hit = np.empty(out.shape, dtype=bool)
        last = k * k - 1
        for number, (rows, cols) in enumerate(self._offsets()):
            if number == last:
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


class AvgPool2d(_Pool2d):
    """Mean over each ``pool`` x ``pool`` window."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        ho, wo = self._begin(x)
        scale = 1.0 / (self.pool * self.pool)
        if self._pairs():
            rows = slice(0, 2 * ho)
            pairs = np.add(x[:, :, rows, 0:2 * wo:2], x[:, :, rows, 1:2 * wo:2])
            total = np.add(pairs[:, :, 0::2], pairs[:, :, 1::2])
            total *= scale
            return total
        total = None
        for rows, cols in self._offsets():
            window = x[:, :, rows, cols]
            if total is None:
                total = np.copy(window, order="K")
            else:
                total += window
        total *= scale
        return total

    def backward(self, grad: np.ndarray) -> tuple:
        share = grad * (1.0 / (self.pool * self.pool))
        if self._pairs():
            ho, wo = self.out_hw
            grad_x = self._grad_input(grad.dtype)
            # Rows first into a contiguous half-width array, then the two column phases: a
            # single broadcast into the 6-D view would run inner loops of two elements.
            half = np.empty_like(self.x[:, :, :2 * ho, :wo], dtype=share.dtype)
            half[:, :, 0::2] = share
            half[:, :, 1::2] = share
            grad_x[:, :, :2 * ho, 0:2 * wo:2] = half
            grad_x[:, :, :2 * ho, 1:2 * wo:2] = half
            return (grad_x,)
        grad_x = self._grad_input(grad.dtype, accumulate=True)
        for rows, cols in self._offsets():
            grad_x[:, :, rows, cols] += share
        return (grad_x,)
