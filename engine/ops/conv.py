"""2-D convolution as im2col + one GEMM, and col2im for the input gradient.

Layout trick: the columns are built as ``(C, kh, kw, N, Ho, Wo)`` (plus a row of ones for the
bias) so one GEMM ``(F, C*kh*kw + 1) @ (C*kh*kw + 1, N*Ho*Wo)`` gives ``(F, N, Ho, Wo)``. The
op returns that as an ``(N, F, Ho, Wo)`` transposed view; elementwise ops and pools keep the
memory order, so the next convolution's im2col reads channel-major memory without a transpose
copy. The only Python loops run over the kh*kw kernel positions, each moving one strided
block. Each GEMM is one numpy call over column pieces (``matmul_columns``/``matmul_contract``)
sized for OpenBLAS's small-matrix kernel.
"""
from __future__ import annotations

import math

import numpy as np

from engine.tensor import Op, is_grad_enabled

# Without a graph the columns need not outlive the call, so large inference batches run in
# sub-batches whose column matrix stays under this many bytes (a 1024-image prediction batch
# would otherwise need hundreds of MB).
INFERENCE_COLUMN_BYTES = 64 * 1024 * 1024

# The GEMMs here are long and thin (a few dozen rows, tens of thousands of columns). Cut
# along the long axis into pieces of at most this many multiply-adds, OpenBLAS runs each piece
# in its small-matrix kernel (no packing, one thread): 1.5-4x faster than one big call on the
# 28x28 CNN, and no stall waiting for a second BLAS thread when the other core is busy. Its
# small-matrix path ends at 1e6 multiply-adds; this stays well under that.
SMALL_GEMM = 1 << 19
# Pieces narrower than this would mean thousands of calls: leave such GEMMs to BLAS whole.
MIN_PIECE = 128


def _piece(other: int) -> int:
    """Columns per GEMM piece when the rest of the product has ``other`` multiply-adds."""
    return SMALL_GEMM // max(other, 1)


def matmul_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for ``a`` (M, K) and a wide ``b`` (K, P), computed in column pieces."""
    (m, k), p = a.shape, b.shape[1]
    step = _piece(m * k)
    if step < MIN_PIECE or p < 2 * step:
        return a @ b
    out = np.empty((m, p), dtype=np.result_type(a, b))
    count = p // step
    whole = count * step
    # Splitting one axis is always a view, so these reshapes never copy (out must not).
    np.matmul(a, b[:, :whole].reshape(k, count, step).transpose(1, 0, 2),
              out=out[:, :whole].reshape(m, count, step).transpose(1, 0, 2))
    if whole < p:
        np.matmul(a, b[:, whole:], out=out[:, whole:])
    return out


def matmul_contract(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b.T`` for ``a`` (M, P), ``b`` (N, P) with long P, summed over pieces of P."""
    (m, p), n = a.shape, b.shape[0]
    step = _piece(m * n)
    if step < MIN_PIECE or p < 2 * step:
        return a @ b.T
    count = p // step
    whole = count * step
    pieces = np.matmul(a[:, :whole].reshape(m, count, step).transpose(1, 0, 2),
                       b[:, :whole].reshape(n, count, step).transpose(1, 2, 0))
    result = pieces.sum(axis=0)
    if whole < p:
        result += a[:, whole:] @ b[:, whole:].T
    return result


def conv_geometry(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(output size, padding before, padding after) along one spatial axis.

    ``valid``: no padding, output floor((size - kernel) / stride) + 1 (0 if the kernel is
    larger than the input). ``same``: output ceil(size / stride), padded like TensorFlow/Keras
    (the odd extra pixel goes after).
    """
    if padding == "same":
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return out, total // 2, total - total // 2
    if padding != "valid":
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    out = (size - kernel) // stride + 1 if size >= kernel else 0
    return out, 0, 0


def _window(start: int, count: int, stride: int) -> slice:
    """The slice picking ``count`` positions from ``start`` every ``stride``."""
    return slice(start, start + stride * (count - 1) + 1, stride)


class Conv2d(Op):
    """Cross-correlation of ``(N, C, H, W)`` with weight ``(F, C, kh, kw)`` plus bias ``(F,)``.

    ``padding`` is ``(top, bottom, left, right)`` in pixels (see ``conv_geometry``).
    Stride 1 uses "wide rows": the padded image is flattened per channel, so every kernel
    offset is one contiguous slice of length ``Ho * Wp``; the ``Wp - Wo`` extra columns per
    row are computed and dropped. That turns im2col and col2im into kh*kw long copies instead
    of many short row copies, which is what dominates small convolutions.
    """

    def __init__(self, stride: int = 1, padding: tuple[int, int, int, int] = (0, 0, 0, 0)) -> None:
        self.stride = stride
        self.padding = tuple(padding)

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        if not is_grad_enabled():
            n, c, h, w = x.shape
            _, _, kh, kw = weight.shape
            per_sample = c * kh * kw * (h + self.padding[0] + self.padding[1] + 1) \
                * (w + self.padding[2] + self.padding[3]) * x.itemsize
            chunk = max(1, INFERENCE_COLUMN_BYTES // max(per_sample, 1))
            if n > chunk:
                return np.concatenate([self._forward(x[i:i + chunk], weight, bias)
                                       for i in range(0, n, chunk)])
        return self._forward(x, weight, bias)

    def _forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        n, c, h, w = x.shape
        f, _, kh, kw = weight.shape
        top, bottom, left, right = self.padding
        hp, wp = h + top + bottom, w + left + right
        s = self.stride
        ho, wo = (hp - kh) // s + 1, (wp - kw) // s + 1
        self.weight = weight
        self.geometry = (n, c, h, w, hp, wp, ho, wo)
        # Channel-major padded copy; one spare row lets the last wide slice run past the end.
        spare = 1 if s == 1 else 0
        padded = np.zeros((c, n, hp + spare, wp), dtype=x.dtype)
        padded[:, :, top:top + h, left:left + w] = x.transpose(1, 0, 2, 3)
        # One extra row of ones carries the bias through the GEMM, and its gradient comes back
        # as the last column of the weight gradient: no separate pass over the output for either.
        depth = c * kh * kw
        if s == 1:
            flat = padded.reshape(c, n, (hp + spare) * wp)  # explicit: n may be 0
            span = ho * wp
            cols = np.empty((depth + 1, n * span), dtype=x.dtype)
            blocks = cols[:depth].reshape(c, kh, kw, n, span)
            for i in range(kh):
                for j in range(kw):
                    start = i * wp + j
                    blocks[:, i, j] = flat[:, :, start:start + span]
            out_width = wp
        else:
            cols = np.empty((depth + 1, n * ho * wo), dtype=x.dtype)
            blocks = cols[:depth].reshape(c, kh, kw, n, ho, wo)
            for i in range(kh):
                rows = _window(i, ho, s)
                for j in range(kw):
                    blocks[:, i, j] = padded[:, :, rows, _window(j, wo, s)]
            out_width = wo
        cols[depth] = 1
        self.cols = cols
        weight_and_bias = np.concatenate([weight.reshape(f, depth), bias.reshape(f, 1)], axis=1)
        out = matmul_columns(weight_and_bias, cols)
        return out.reshape(f, n, ho, out_width)[..., :wo].transpose(1, 0, 2, 3)

    def backward(self, grad: np.ndarray) -> tuple:
        n, c, h, w, hp, wp, ho, wo = self.geometry
        weight = self.weight
        f, _, kh, kw = weight.shape
        s = self.stride
        if s == 1:
            # Zero gradient on the dropped wide columns keeps them out of every sum below.
            wide = np.zeros((f, n, ho, wp), dtype=grad.dtype)
            wide[..., :wo] = grad.transpose(1, 0, 2, 3)
            grad_cols = wide.reshape(f, n * ho * wp)
        else:
            grad_cols = np.ascontiguousarray(grad.transpose(1, 0, 2, 3)).reshape(f, n * ho * wo)
        grad_weight = grad_bias = None
        if self.needs_grad[1] or self.needs_grad[2]:
            # cols @ grad.T then transpose: OpenBLAS runs this orientation of the long-K
            # product faster than grad @ cols.T. The ones row gives the bias sum.
            both = matmul_contract(self.cols, grad_cols).T
            grad_weight = both[:, :-1].reshape(weight.shape)
            grad_bias = both[:, -1].copy()
        grad_x = None
        if self.needs_grad[0]:
            dcols = matmul_columns(weight.reshape(f, -1).T, grad_cols)
            spare = 1 if s == 1 else 0
            padded = np.zeros((c, n, hp + spare, wp), dtype=grad.dtype)
            if s == 1:
                flat = padded.reshape(c, n, (hp + spare) * wp)
                span = ho * wp
                dcols = dcols.reshape(c, kh, kw, n, span)
                for i in range(kh):
                    for j in range(kw):
                        start = i * wp + j
                        flat[:, :, start:start + span] += dcols[:, i, j]
            else:
                dcols = dcols.reshape(c, kh, kw, n, ho, wo)
                for i in range(kh):
                    rows = _window(i, ho, s)
                    for j in range(kw):
                        padded[:, :, rows, _window(j, wo, s)] += dcols[:, i, j]
            top, _, left, _ = self.padding
            grad_x = padded[:, :, top:top + h, left:left + w].transpose(1, 0, 2, 3)
        return grad_x, grad_weight, grad_bias
