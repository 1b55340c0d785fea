"""A small Tensor with reverse-mode autodiff, in the spirit of micrograd but over ndarrays.

A Tensor holds ``data`` (an ndarray), ``grad`` (an ndarray or None), and, when it was made by an
op while gradients are recorded, that op (which remembers its input tensors). ``backward()`` sorts
the graph topologically once and calls each op's backward once.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Iterator, Sequence

import numpy as np

DEFAULT_DTYPE = np.float32

_state = threading.local()


def is_grad_enabled() -> bool:
    """Whether new ops record themselves for backward on this thread."""
    return getattr(_state, "grad_enabled", True)


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Turn graph recording off inside the block (evaluation, probes, exporters)."""
    previous = is_grad_enabled()
    _state.grad_enabled = False
    try:
        yield
    finally:
        _state.grad_enabled = previous


class Tensor:
    """An ndarray plus what is needed to differentiate through it."""

    __slots__ = ("data", "grad", "requires_grad", "op", "name", "retains_grad")
    # numpy must defer to Tensor's reflected operators (ndarray - tensor gives a Tensor).
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False, name: str = "", dtype=None) -> None:
        if isinstance(data, np.ndarray) and (dtype is None or data.dtype == dtype):
            self.data = data
        elif dtype is None and isinstance(data, np.floating):
            self.data = np.asarray(data)
        else:
            self.data = np.asarray(data, dtype=dtype or DEFAULT_DTYPE)
        self.grad: np.ndarray | None = None
        self.requires_grad = requires_grad
        self.op: Op | None = None
        self.name = name
        self.retains_grad = False

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the underlying array."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """Dtype of the underlying array."""
        return self.data.dtype

    def numpy(self) -> np.ndarray:
        """The underlying array (not a copy)."""
        return self.data

    def retain_grad(self) -> "Tensor":
        """Keep this intermediate tensor's gradient after backward (for inspection)."""
        self.retains_grad = True
        return self

    def zero_grad(self) -> None:
        """Forget any accumulated gradient."""
        self.grad = None

    def __repr__(self) -> str:
        grad_state = "grad" if self.grad is not None else ("requires_grad" if self.requires_grad else "no grad")
        label = f" {self.name!r}" if self.name else ""
        return f"Tensor{label}(shape={self.data.shape}, dtype={self.data.dtype}, {grad_state})"

    def backward(self, grad: np.ndarray | None = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``grad`` that requires it."""
        if grad is None:
            if self.data.size != 1:
                raise ValueError("backward() without a gradient needs a scalar tensor")
            grad = np.ones_like(self.data)
        order = _topological_order(self)
        grads: dict[int, np.ndarray] = {id(self): np.asarray(grad, dtype=self.data.dtype)}
        for tensor in order:
            g = grads.pop(id(tensor), None)
            if g is None:
                continue
            op = tensor.op
            if op is None:
                if tensor.requires_grad:
                    tensor.grad = g if tensor.grad is None else tensor.grad + g
                continue
            for parent, parent_grad in zip(op.inputs, op.run_backward(g)):
                if parent_grad is None:
                    continue
                key = id(parent)
                if key in grads:
                    grads[key] = grads[key] + parent_grad
                else:
                    grads[key] = parent_grad
            if tensor.retains_grad:
                tensor.grad = g

    # Operator sugar keeps model code readable; each maps to one op in engine.ops.
    def __add__(self, other):
        from engine.ops import basic
        return basic.add(self, other)

    __radd__ = __add__

    def __sub__(self, other):
        from engine.ops import basic
        return basic.sub(self, other)

    def __rsub__(self, other):
        from engine.ops import basic
        return basic.sub(other, self)

    def __mul__(self, other):
        from engine.ops import basic
        return basic.mul(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        from engine.ops import basic
        return basic.div(self, other)

    def __rtruediv__(self, other):
        from engine.ops import basic
        return basic.div(other, self)

    def __neg__(self):
        from engine.ops import basic
        return basic.mul(self, -1.0)

    def __matmul__(self, other):
        from engine.ops import basic
        return basic.matmul(self, other)

    def __pow__(self, exponent: float):
        from engine.ops import basic
        return basic.power(self, exponent)

    def sum(self, axis=None, keepdims: bool = False):
        """Sum over ``axis``."""
        from engine.ops import basic
        return basic.sum_(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims: bool = False):
        """Mean over ``axis``."""
        from engine.ops import basic
        return basic.mean(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        """View with a new shape (batch dimension included)."""
        from engine.ops import basic
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return basic.reshape(self, shape)


def as_tensor(value, dtype=None) -> Tensor:
    """Wrap arrays and numbers as constant tensors; pass tensors through."""
    if isinstance(value, Tensor):
        return value
    if dtype is None and isinstance(value, (np.ndarray, np.floating)) and value.dtype.kind == "f":
        return Tensor(np.asarray(value))
    return Tensor(np.asarray(value, dtype=dtype or DEFAULT_DTYPE))


def _topological_order(root: Tensor) -> list[Tensor]:
    """Tensors reachable from ``root``, each after every tensor that uses it (root first)."""
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor.op is not None:
            for parent in tensor.op.inputs:
                if id(parent) not in visited and (parent.op is not None or parent.requires_grad):
                    stack.append((parent, False))
    order.reverse()
    return order


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing numpy broadcasting."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


class Op:
    """One differentiable operation: ``forward`` on arrays, ``backward`` to input gradients.

    Subclasses implement ``forward(*arrays) -> array`` (saving on ``self`` what backward needs)
    and ``backward(grad) -> tuple`` with one gradient (or None) per input. ``apply`` wraps
    tensors, records the graph when needed, and the base class undoes broadcasting and checks
    that each gradient has its input's shape.
    """

    inputs: tuple[Tensor, ...]
    needs_grad: tuple[bool, ...]

    def forward(self, *arrays: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        """Compute the output array."""
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> Sequence[np.ndarray | None]:  # pragma: no cover
        """Return one gradient per input (None where not needed)."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **options) -> Tensor:
        """Run the op on tensors (or arrays/numbers) and record it for backward."""
        op = cls(**options) if options else cls()
        # List comprehensions, not generators, and the flag read inline: this runs for every op
        # of every training step, and those small overheads add up to a few percent of a step.
        tensors = tuple([value if isinstance(value, Tensor) else as_tensor(value)
                         for value in inputs])
        out = Tensor(op.forward(*[t.data for t in tensors]))
        if getattr(_state, "grad_enabled", True):
            needs = tuple([t.requires_grad or t.op is not None for t in tensors])
            if True in needs:
                op.inputs = tensors
                op.needs_grad = needs
                out.op = op
                out.requires_grad = True
        return out

    def run_backward(self, grad: np.ndarray) -> list[np.ndarray | None]:
        """Call ``backward`` and make each gradient fit its input's shape."""
        raw = self.backward(grad)
        result: list[np.ndarray | None] = []
        for tensor, needed, g in zip(self.inputs, self.needs_grad, raw):
            if not needed or g is None:
                result.append(None)
                continue
            g = np.asarray(g)
            if g.shape != tensor.data.shape:
                try:
                    g = _unbroadcast(g, tensor.data.shape)
                except ValueError:
                    pass
            if g.shape != tensor.data.shape:
                raise ValueError(
                    f"{type(self).__name__}.backward gave a gradient of shape {g.shape} "
                    f"for an input of shape {tensor.data.shape}")
            result.append(g)
        return result
