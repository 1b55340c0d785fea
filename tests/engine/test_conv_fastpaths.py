"""Fast paths of the convolution and pooling ops agree with the general paths, with PyTorch and
with central differences (float64), and keep float32 and the channel-major memory order."""
from __future__ import annotations

import numpy as np
import pytest

from engine.ops import conv as conv_module
from engine.ops.conv import Conv2d, matmul_columns, matmul_contract
from engine.ops.pool import AvgPool2d, MaxPool2d
from engine.tensor import Tensor
from gradcheck import check_case, leaf


class GeneralMax(MaxPool2d):
    """MaxPool2d forced onto its general (any size) path."""

    def _pairs(self) -> bool:
        return False


class GeneralAvg(AvgPool2d):
    """AvgPool2d forced onto its general (any size) path."""

    def _pairs(self) -> bool:
        return False


def _channel_major(rng: np.random.Generator, shape: tuple, dtype, ties: bool = False) -> np.ndarray:
    """An (N, C, H, W) array stored (C, N, H, W), as conv outputs are."""
    n, c, h, w = shape
    if ties:
        data = rng.integers(0, 3, (c, n, h, w)).astype(dtype)  # many equal maxima
    else:
        data = rng.standard_normal((c, n, h, w)).astype(dtype)
    return data.transpose(1, 0, 2, 3)


def _run_pool(op, x: np.ndarray, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    op.needs_grad = (True,)
    out = op.forward(x)
    return out, op.backward(grad)[0]


POOL_SHAPES = [(3, 2, 8, 6), (2, 3, 7, 9), (4, 2, 11, 11), (1, 1, 2, 2), (2, 1, 3, 2)]


@pytest.mark.parametrize("shape", POOL_SHAPES)
@pytest.mark.parametrize("fast,general", [(MaxPool2d, GeneralMax), (AvgPool2d, GeneralAvg)])
@pytest.mark.parametrize("layout", ["channel_major", "contiguous"])
def test_pool_pairs_path_matches_general_path(shape, fast, general, layout) -> None:
    rng = np.random.default_rng(sum(shape))
    x = _channel_major(rng, shape, np.float64, ties=True)
    if layout == "contiguous":
        x = np.ascontiguousarray(x)
    quick, slow = fast(2, 2), general(2, 2)
    out_slow = slow.forward(x)
    grad = rng.standard_normal(out_slow.shape)
    out_fast, grad_fast = _run_pool(quick, x, grad)
    _, grad_slow = _run_pool(slow, x, grad)
    np.testing.assert_allclose(out_fast, out_slow, rtol=1e-14)
    np.testing.assert_allclose(grad_fast, grad_slow, rtol=1e-14)
    # Pixels outside every window (odd sizes) get exactly zero.
    ho, wo = out_fast.shape[2:]
    assert not grad_fast[:, :, 2 * ho:].any() and not grad_fast[:, :, :, 2 * wo:].any()


@pytest.mark.parametrize("kind", [MaxPool2d, AvgPool2d])
def test_pool_pairs_path_stays_float32_and_channel_major(kind) -> None:
    rng = np.random.default_rng(1)
    x = _channel_major(rng, (4, 3, 10, 10), np.float32)
    op = kind(2, 2)
    out = op.forward(x)
    grad = _channel_major(rng, out.shape, np.float32)
    _, grad_x = _run_pool(op, x, grad)
    assert out.dtype == grad_x.dtype == np.float32
    # Channel-major memory: the channel axis has the largest stride.
    assert out.strides[1] > out.strides[0] and grad_x.strides[1] > grad_x.strides[0]


@pytest.mark.parametrize("shape", [(2, 2, 6, 7), (1, 3, 5, 4)])
@pytest.mark.parametrize("kind", [MaxPool2d, AvgPool2d])
def test_pool_pairs_path_gradient_check(shape, kind) -> None:
    def build(rng, dtype):
        x = leaf(rng, shape, dtype)
        return (lambda: kind.apply(x, pool=2, stride=2)), [x]
    check_case(build)


@pytest.mark.parametrize("shape", [(3, 2, 8, 6), (2, 3, 7, 9), (2, 2, 11, 11)])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_pairs_path_matches_torch_with_ties(shape, kind) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = _channel_major(rng, shape, np.float64, ties=True)
    op = MaxPool2d(2, 2) if kind == "max" else AvgPool2d(2, 2)
    out = op.forward(x)
    grad = rng.standard_normal(out.shape)
    _, grad_x = _run_pool(op, x, grad)
    tx = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    function = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
    tout = function(tx, 2, 2)
    tout.backward(torch.tensor(grad))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad_x, tx.grad.numpy(), rtol=1e-12, atol=1e-15)


# ---- GEMM pieces ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [4096 * 3, 4096 * 3 + 517, 300])
def test_matmul_pieces_match_one_gemm(dtype, p: int) -> None:
    rng = np.random.default_rng(p)
    a = rng.standard_normal((16, 73)).astype(dtype)
    b = rng.standard_normal((73, p)).astype(dtype)
    g = rng.standard_normal((16, p)).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    out = matmul_columns(a, b)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, a @ b, rtol=tol, atol=tol)
    # A transposed (Fortran-order) left factor, as conv's input gradient passes it.
    np.testing.assert_allclose(matmul_columns(a.T.copy().T, b), a @ b, rtol=tol, atol=tol)
    contracted = matmul_contract(b, g)
    assert contracted.dtype == dtype
    np.testing.assert_allclose(contracted, b @ g.T, rtol=tol, atol=tol * p ** 0.5)


def _tiny_pieces(monkeypatch) -> None:
    """Make the small convolutions in these tests take the GEMM-in-pieces path."""
    monkeypatch.setattr(conv_module, "SMALL_GEMM", 256)
    monkeypatch.setattr(conv_module, "MIN_PIECE", 2)


CONV_CASES = [((3, 2, 7, 6), 3, 3, 1, (1, 1, 1, 1)), ((2, 3, 9, 8), 4, 3, 2, (0, 1, 0, 1)),
              ((3, 1, 8, 8), 2, 2, 1, (0, 0, 0, 0))]


def _conv_run(x: np.ndarray, w: np.ndarray, b: np.ndarray, grad: np.ndarray, stride: int,
              padding: tuple) -> list[np.ndarray]:
    op = Conv2d(stride, padding)
    op.needs_grad = (True, True, True)
    out = op.forward(x, w, b)
    return [out, *op.backward(grad)]


@pytest.mark.parametrize("shape,filters,kernel,stride,padding", CONV_CASES)
def test_conv_in_gemm_pieces_matches_one_gemm(monkeypatch, shape, filters, kernel, stride,
                                              padding) -> None:
    rng = np.random.default_rng(filters)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((filters, shape[1], kernel, kernel))
    b = rng.standard_normal(filters)
    whole_out = Conv2d(stride, padding).forward(x, w, b)
    grad = rng.standard_normal(whole_out.shape)
    whole = _conv_run(x, w, b, grad, stride, padding)
    _tiny_pieces(monkeypatch)
    pieces = _conv_run(x, w, b, grad, stride, padding)
    for ours, reference in zip(pieces, whole):
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,filters,kernel,stride,padding", CONV_CASES)
def test_conv_in_gemm_pieces_gradient_check(monkeypatch, shape, filters, kernel, stride,
                                            padding) -> None:
    _tiny_pieces(monkeypatch)

    def build(rng, dtype):
        x = leaf(rng, shape, dtype)
        w = leaf(rng, (filters, shape[1], kernel, kernel), dtype)
        b = leaf(rng, (filters,), dtype)
        return (lambda: Conv2d.apply(x, w, b, stride=stride, padding=padding)), [x, w, b]
    check_case(build)


def test_conv_in_gemm_pieces_matches_torch_float32(monkeypatch) -> None:
    torch = pytest.importorskip("torch")
    _tiny_pieces(monkeypatch)
    rng = np.random.default_rng(3)
    x = _channel_major(rng, (5, 4, 10, 9), np.float32)
    w = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    out = Conv2d(1, (0, 0, 0, 0)).forward(x, w, b)
    grad = rng.standard_normal(out.shape).astype(np.float32)
    ours = _conv_run(x, w, b, grad, 1, (0, 0, 0, 0))
    assert all(array.dtype == np.float32 for array in ours)
    tx, tw, tb = (torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in (x, w, b))
    tout = torch.nn.functional.conv2d(tx, tw, tb)
    tout.backward(torch.tensor(grad))
    for array, reference in zip(ours, [tout, tx.grad, tw.grad, tb.grad]):
        np.testing.assert_allclose(array, reference.detach().numpy(), rtol=1e-4, atol=1e-3)


def test_conv_layer_output_keeps_float32(monkeypatch) -> None:
    _tiny_pieces(monkeypatch)
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((3, 2, 8, 8)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, dtype=np.float32), requires_grad=True)
    out = Conv2d.apply(x, w, b, stride=1, padding=(0, 0, 0, 0))
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert out.dtype == x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
