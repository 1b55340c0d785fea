"""Tensor and autodiff basics: broadcasting, accumulation, no_grad, retain_grad, repr, dtypes."""
from __future__ import annotations

import numpy as np
import pytest

from engine.ops import basic
from engine.tensor import Tensor, no_grad


def test_broadcast_gradient_is_summed_back() -> None:
    a = Tensor(np.ones((4, 3), np.float32), requires_grad=True)
    b = Tensor(np.array([1.0, 2.0, 3.0], np.float32), requires_grad=True)
    c = Tensor(np.full((4, 1), 2.0, np.float32), requires_grad=True)
    ((a + b) * c).sum().backward()
    np.testing.assert_array_equal(b.grad, [8.0, 8.0, 8.0])  # 4 rows, each scaled by c = 2
    np.testing.assert_array_equal(c.grad, np.full((4, 1), 9.0))  # row sums of a + b
    np.testing.assert_array_equal(a.grad, np.full((4, 3), 2.0))
    assert b.grad.shape == (3,) and c.grad.shape == (4, 1)


def test_tensor_used_twice_accumulates() -> None:
    x = Tensor(np.array([3.0]), requires_grad=True)
    y = x * x + x * 2.0  # x feeds three uses
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [2 * 3.0 + 2.0])


def test_leaf_gradient_accumulates_across_backward_calls() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None


def test_no_grad_records_nothing() -> None:
    x = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        y = (x * 2.0).sum()
    assert y.op is None and not y.requires_grad
    z = (x * 2.0).sum()
    assert z.op is not None and z.requires_grad


def test_retain_grad_keeps_intermediate_gradient() -> None:
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    hidden = (x * 3.0).retain_grad()
    other = x * 4.0
    (hidden * hidden).sum().backward()
    np.testing.assert_allclose(hidden.grad, 2 * hidden.data)
    assert other.grad is None


def test_repr_shows_shape_dtype_and_grad_state() -> None:
    x = Tensor(np.zeros((2, 3), np.float32), requires_grad=True, name="w")
    text = repr(x)
    assert "(2, 3)" in text and "float32" in text and "requires_grad" in text and "'w'" in text
    x.sum().backward()
    assert "grad" in repr(x) and "requires_grad" not in repr(x)
    assert "no grad" in repr(Tensor(np.zeros(1)))


def test_constants_get_no_gradient() -> None:
    x = Tensor(np.ones(2), requires_grad=True)
    constant = Tensor(np.ones(2))
    (x * constant).sum().backward()
    assert constant.grad is None and x.grad is not None


@pytest.mark.parametrize("expression", [
    lambda x: x * 0.5, lambda x: 0.5 * x, lambda x: x + 1, lambda x: 1 - x, lambda x: x / 3,
    lambda x: 2 / x, lambda x: x ** 2, lambda x: -x, lambda x: x * np.float64(0.5),
    lambda x: basic.maximum(x, 0.0), lambda x: x.mean(), lambda x: x.sum(axis=0),
])
def test_python_and_numpy_scalars_keep_float32(expression) -> None:
    x = Tensor(np.full((2, 2), 2.0, np.float32), requires_grad=True)
    out = expression(x)
    assert out.dtype == np.float32
    out.backward(np.ones(out.shape, np.float32))
    assert x.grad.dtype == np.float32


def test_scalar_results_keep_float64() -> None:
    a = Tensor(np.array(1.5), requires_grad=True)
    b = Tensor(np.array(2.5), requires_grad=True)
    total = a * b + a.sum()
    assert total.dtype == np.float64 and total.shape == ()
    total.backward()
    np.testing.assert_allclose([a.grad, b.grad], [3.5, 1.5])


def test_two_leaves_never_share_a_gradient_array() -> None:
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).backward(np.ones(3))
    a.grad += 1.0  # e.g. a regulariser adding to one weight's gradient in place
    np.testing.assert_array_equal(b.grad, np.ones(3))


def test_backward_needs_scalar_or_gradient() -> None:
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="scalar"):
        (x * 2.0).backward()


def test_backward_shape_mismatch_is_an_error() -> None:
    from engine.tensor import Op

    class Broken(Op):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            return (np.ones(7),)

    x = Tensor(np.ones(3), requires_grad=True)
    # (Op.run_backward means to name the op here, but _unbroadcast's reshape fails first.)
    with pytest.raises(ValueError):
        Broken.apply(x).backward(np.ones(3))


def test_deep_chain_does_not_recurse() -> None:
    x = Tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_reductions_accept_axis_lists_and_transpose_negative_axes() -> None:
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    total = x.sum(axis=[0, 2])
    np.testing.assert_array_equal(total.data, np.arange(24.0).reshape(2, 3, 4).sum(axis=(0, 2)))
    (total.sum() + x.mean(axis=[1]).sum() + basic.transpose(x, (-1, 0, 1)).sum()).backward()
    np.testing.assert_allclose(x.grad, np.full((2, 3, 4), 2.0 + 1.0 / 3.0))


def test_array_constants_take_the_tensor_dtype() -> None:
    x64 = Tensor(np.full(3, 1.0), requires_grad=True)
    exact = np.full(3, 0.1)  # not representable in float32
    np.testing.assert_array_equal((x64 * exact).data, np.full(3, 0.1))
    x32 = Tensor(np.ones(3, np.float32), requires_grad=True)
    # (ndarray on the left is numpy's business: Tensor would need __array_ufunc__ = None.)
    for out in (x32 + exact, x32 - exact, x32 * exact, x32 / exact, basic.maximum(x32, exact)):
        assert out.dtype == np.float32
    out = Tensor(np.ones((2, 3), np.float32), requires_grad=True) @ np.ones((3, 2))
    assert out.dtype == np.float32


def test_ndarray_on_the_left_defers_to_tensor():
    """ndarray - Tensor is a Tensor (not an object array) and keeps the gradient path."""
    import numpy as np
    from engine.tensor import Tensor
    t = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    out = np.full(3, 2.0, dtype=np.float32) - t
    assert isinstance(out, Tensor)
    out.sum().backward()
    assert np.allclose(t.grad, -1.0)


def test_wrong_gradient_shape_names_the_op():
    """A backward that returns an unfixable shape is reported with the op's name."""
    import numpy as np
    import pytest
    from engine.tensor import Op, Tensor

    class Broken(Op):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            return (np.ones((7, 5)),)

    t = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="Broken.backward"):
        Broken.apply(t).sum().backward()
