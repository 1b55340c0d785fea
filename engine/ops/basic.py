"""Arithmetic, reductions and reshapes: the ops behind Tensor's operator sugar.

Python numbers never become tensors here: they stay weak scalars inside one ``Affine`` /
``ScalarDiv`` / ``Power`` op, so a float32 tensor times ``0.5`` stays float32 and no
constant array is allocated.
"""
from __future__ import annotations

from numbers import Number
from typing import Sequence

import numpy as np

from engine.tensor import Op, Tensor


def _array(value) -> np.ndarray:
    """numpy returns scalars for 0-d results; keep them arrays so their dtype survives."""
    return value if type(value) is np.ndarray else np.asarray(value)


def _is_number(value) -> bool:
    return isinstance(value, Number) and not isinstance(value, np.ndarray)


class Add(Op):
    """a + b with broadcasting."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _array(a + b)

    def backward(self, grad: np.ndarray) -> tuple:
        # Two leaves must not share one gradient array: in-place updates to one would hit both.
        second = grad.copy() if self.needs_grad[0] and self.needs_grad[1] else grad
        return grad, second


class Sub(Op):
    """a - b with broadcasting."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _array(a - b)

    def backward(self, grad: np.ndarray) -> tuple:
        return grad, (-grad if self.needs_grad[1] else None)


class Mul(Op):
    """a * b with broadcasting."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return _array(a * b)

    def backward(self, grad: np.ndarray) -> tuple:
        return (grad * self.b if self.needs_grad[0] else None,
                grad * self.a if self.needs_grad[1] else None)


class Div(Op):
    """a / b with broadcasting."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return _array(a / b)

    def backward(self, grad: np.ndarray) -> tuple:
        grad_a = grad / self.b
        grad_b = -grad_a * self.a / self.b if self.needs_grad[1] else None
        return grad_a, grad_b


class Affine(Op):
    """x * scale + shift with Python-number constants (weak scalars: dtype is kept)."""

    def __init__(self, scale: float = 1.0, shift: float = 0.0) -> None:
        self.scale, self.shift = scale, shift

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = x * self.scale if self.scale != 1.0 else x.copy()
        if self.shift != 0.0:
            out += self.shift
        return _array(out)

    def backward(self, grad: np.ndarray) -> tuple:
        return (grad * self.scale if self.scale != 1.0 else grad,)


class ScalarDiv(Op):
    """number / x."""

    def __init__(self, numerator: float) -> None:
        self.numerator = numerator

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        self.out = _array(self.numerator / x)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple:
        return (-grad * self.out / self.x,)


class Power(Op):
    """x ** exponent for a constant exponent."""

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        if self.exponent == 2:
            return x * x
        return _array(x ** self.exponent)

    def backward(self, grad: np.ndarray) -> tuple:
        if self.exponent == 2:
            return (grad * (2 * self.x),)
        return (grad * (self.exponent * self.x ** (self.exponent - 1)),)


class MatMul(Op):
    """a @ b for 2-D matrices or stacks of them (batch axes broadcast)."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError(f"matmul needs arrays of at least 2 dimensions, "
                             f"got {a.shape} and {b.shape}")
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad: np.ndarray) -> tuple:
        grad_a = grad @ np.swapaxes(self.b, -1, -2) if self.needs_grad[0] else None
        grad_b = np.swapaxes(self.a, -1, -2) @ grad if self.needs_grad[1] else None
        return grad_a, grad_b


def _axis_option(axis):
    """numpy wants an int or a tuple of ints; accept any sequence."""
    return axis if axis is None or isinstance(axis, int) else tuple(axis)


def _expand_reduced(grad: np.ndarray, shape: tuple, axis, keepdims: bool) -> np.ndarray:
    """Put reduced axes back as size 1 so ``grad`` broadcasts against ``shape``."""
    if axis is not None and not keepdims:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        grad = np.expand_dims(grad, tuple(a % len(shape) for a in axes))
    elif axis is None and not keepdims:
        grad = grad.reshape((1,) * len(shape))
    return grad


class Sum(Op):
    """Sum over ``axis`` (all axes when None)."""

    def __init__(self, axis=None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = _axis_option(axis), keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        return _array(x.sum(axis=self.axis, keepdims=self.keepdims))

    def backward(self, grad: np.ndarray) -> tuple:
        grad = _expand_reduced(grad, self.shape, self.axis, self.keepdims)
        out = np.empty(self.shape, dtype=grad.dtype)
        out[...] = grad
        return (out,)


class Mean(Op):
    """Mean over ``axis`` (all axes when None)."""

    def __init__(self, axis=None, keepdims: bool = False) -> None:
        self.axis, self.keepdims = _axis_option(axis), keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.shape = x.shape
        out = _array(x.mean(axis=self.axis, keepdims=self.keepdims))
        self.count = x.size // max(out.size, 1) if x.size else 1
        return out

    def backward(self, grad: np.ndarray) -> tuple:
        grad = _expand_reduced(grad, self.shape, self.axis, self.keepdims)
        out = np.empty(self.shape, dtype=grad.dtype)
        out[...] = grad
        out *= 1.0 / self.count
        return (out,)


class Reshape(Op):
    """A new shape with the same elements (batch axis included)."""

    def __init__(self, shape: tuple) -> None:
        self.shape = tuple(shape)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.input_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, grad: np.ndarray) -> tuple:
        return (grad.reshape(self.input_shape),)


class Transpose(Op):
    """Permute axes (reverse them when ``axes`` is None)."""

    def __init__(self, axes: Sequence[int] | None = None) -> None:
        self.axes = tuple(axes) if axes is not None else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.axes is not None:
            self.axes = tuple(axis % x.ndim for axis in self.axes)  # argsort needs them >= 0
        return np.transpose(x, self.axes)

    def backward(self, grad: np.ndarray) -> tuple:
        if self.axes is None:
            return (np.transpose(grad),)
        return (np.transpose(grad, np.argsort(self.axes)),)


class Exp(Op):
    """Elementwise e ** x."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = _array(np.exp(x))
        return self.out

    def backward(self, grad: np.ndarray) -> tuple:
        return (grad * self.out,)


class Log(Op):
    """Elementwise natural logarithm."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return _array(np.log(x))

    def backward(self, grad: np.ndarray) -> tuple:
        return (grad / self.x,)


class Maximum(Op):
    """Elementwise maximum of two tensors; ties send the gradient to the first."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.first_wins = a >= b
        return _array(np.maximum(a, b))

    def backward(self, grad: np.ndarray) -> tuple:
        zero = np.zeros((), dtype=grad.dtype)
        return (np.where(self.first_wins, grad, zero) if self.needs_grad[0] else None,
                np.where(self.first_wins, zero, grad) if self.needs_grad[1] else None)


def _constants_like(a, b) -> tuple:
    """Wrap a plain ndarray operand as a constant in the tensor operand's dtype, so a float64
    model keeps its constants exact and a float32 one is not upcast by a float64 array."""
    if isinstance(a, Tensor) and isinstance(b, np.ndarray):
        b = Tensor(b.astype(a.dtype, copy=False))
    elif isinstance(b, Tensor) and isinstance(a, np.ndarray):
        a = Tensor(a.astype(b.dtype, copy=False))
    return a, b


def add(a, b) -> Tensor:
    """a + b; a Python number stays a weak scalar."""
    if _is_number(b):
        return Affine.apply(a, shift=float(b))
    if _is_number(a):
        return Affine.apply(b, shift=float(a))
    return Add.apply(*_constants_like(a, b))


def sub(a, b) -> Tensor:
    """a - b; a Python number stays a weak scalar."""
    if _is_number(b):
        return Affine.apply(a, shift=-float(b))
    if _is_number(a):
        return Affine.apply(b, scale=-1.0, shift=float(a))
    return Sub.apply(*_constants_like(a, b))


def mul(a, b) -> Tensor:
    """a * b; a Python number stays a weak scalar."""
    if _is_number(b):
        return Affine.apply(a, scale=float(b))
    if _is_number(a):
        return Affine.apply(b, scale=float(a))
    return Mul.apply(*_constants_like(a, b))


def div(a, b) -> Tensor:
    """a / b; a Python number stays a weak scalar."""
    if _is_number(b):
        return Affine.apply(a, scale=1.0 / float(b))
    if _is_number(a):
        return ScalarDiv.apply(b, numerator=float(a))
    return Div.apply(*_constants_like(a, b))


def power(a, exponent: float) -> Tensor:
    """a ** exponent for a constant number exponent."""
    if not _is_number(exponent):
        raise TypeError("power() takes a constant number as exponent")
    return Power.apply(a, exponent=float(exponent))


def matmul(a, b) -> Tensor:
    """Matrix product a @ b."""
    return MatMul.apply(*_constants_like(a, b))


def sum_(a, axis=None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis``."""
    return Sum.apply(a, axis=axis, keepdims=keepdims)


def mean(a, axis=None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis``."""
    return Mean.apply(a, axis=axis, keepdims=keepdims)


def reshape(a, shape: Sequence[int]) -> Tensor:
    """Reshape (the batch axis is part of ``shape``)."""
    return Reshape.apply(a, shape=tuple(shape))


def transpose(a, axes: Sequence[int] | None = None) -> Tensor:
    """Permute axes."""
    return Transpose.apply(a, axes=axes)


def exp(a) -> Tensor:
    """Elementwise exponential."""
    return Exp.apply(a)


def log(a) -> Tensor:
    """Elementwise natural logarithm."""
    return Log.apply(a)


def maximum(a, b) -> Tensor:
    """Elementwise maximum of two tensors (a number becomes a constant of a's dtype)."""
    if _is_number(b):
        b = np.asarray(b, dtype=a.dtype if isinstance(a, Tensor) else np.float32)
    return Maximum.apply(*_constants_like(a, b))
