"""The Layer base class: declared settings, shape inference, parameters, forward, FLOPs."""
from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from engine import activations as _activations  # noqa: F401  (fills ACTIVATIONS first)
from engine.errors import ShapeError
from engine.module import Module
from engine.params import Param
from engine.registry import ACTIVATIONS
from engine.tensor import Tensor


def show_shape(shape: tuple[int, ...]) -> str:
    """A per-sample shape as people read it: ``(1, 28, 28)``, ``(64,)``."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def activation_param(default: str = "linear", required: bool = False) -> Param:
    """The ``activation`` setting shared by dense and conv2d (choices from ACTIVATIONS)."""
    return Param("activation", "choice", default=None if required else default,
                 choices=tuple(ACTIVATIONS.names()), required=required,
                 help="function applied to the output: " + ", ".join(ACTIVATIONS.names()))


class Layer(Module):
    """One node of a network: settings in, shape inferred, parameters built, forward defined.

    Subclasses declare ``params`` and implement ``infer_shape`` (a classmethod that raises
    ShapeError naming the shapes and what to do), ``build`` (create Parameters/Buffers; called
    once by ``__init__``) and ``forward``. Shapes are per sample; forward sees batches.
    """

    type_name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1

    def __init__(self, layer_id: str, config: dict, input_shapes: list[tuple[int, ...]],
                 rng: np.random.Generator, dtype=np.float32) -> None:
        self.id = layer_id
        self.config = self.settings(config)
        self.input_shapes = [tuple(shape) for shape in input_shapes]
        self.dtype = np.dtype(dtype)
        self.output_shape: tuple[int, ...] = tuple(self.infer_shape(self.config, self.input_shapes))
        self.activation: str | None = None
        self.preactivation: Tensor | None = None
        self.build(rng)

    @classmethod
    def settings(cls, config: dict) -> dict:
        """Declared settings from ``config`` with defaults filled (extra keys are ignored)."""
        result = {}
        for param in cls.params:
            value = config.get(param.name, param.default)
            if value is None and param.required:
                raise ValueError(f"{cls.type_name}: the setting {param.name!r} is required")
            result[param.name] = value
        return result

    @classmethod
    def check_input_count(cls, input_shapes: list[tuple]) -> None:
        """Raise ShapeError when the number of inputs is outside [min_inputs, max_inputs]."""
        count = len(input_shapes)
        if count < cls.min_inputs or (cls.max_inputs is not None and count > cls.max_inputs):
            if cls.max_inputs is None:
                wanted = f"at least {cls.min_inputs} inputs"
            elif cls.min_inputs == cls.max_inputs:
                wanted = f"exactly {cls.min_inputs} input" + ("s" if cls.min_inputs != 1 else "")
            else:
                wanted = f"{cls.min_inputs} to {cls.max_inputs} inputs"
            raise ShapeError(f"{cls.type_name} takes {wanted}, got {count}")

    @classmethod
    def checked_input_shapes(cls, input_shapes: list[tuple]) -> list[tuple[int, ...]]:
        """The inputs' shapes as tuples, after checking how many there are."""
        cls.check_input_count(input_shapes)
        return [tuple(shape) for shape in input_shapes]

    @classmethod
    def infer_shape(cls, config: dict, input_shapes: list[tuple]) -> tuple:
        """Per-sample output shape for these settings and inputs (default: unchanged)."""
        (shape,) = cls.checked_input_shapes(input_shapes)
        return shape

    @classmethod
    def count_params(cls, config: dict, input_shapes: list[tuple]) -> int:
        """Trainable parameters these settings create, before building (none by default).

        Layers with weights override this, so memory checks and damaged model files are
        caught before anything is allocated.
        """
        return 0

    def build(self, rng: np.random.Generator) -> None:
        """Create parameters and buffers (none by default)."""

    def forward(self, *inputs: Tensor) -> Tensor:  # pragma: no cover - interface
        """Compute the batch output (obeys ``self.training``)."""
        raise NotImplementedError

    def __call__(self, *inputs: Tensor) -> Tensor:
        return self.forward(*inputs)

    def flops(self) -> int:
        """Floating-point operations per sample (a multiply-add counts 2)."""
        return 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r}, output_shape={self.output_shape})"


def element_count(shape: tuple[int, ...]) -> int:
    """Number of elements in a per-sample shape."""
    # math.prod on Python ints: numpy's int64 product wraps silently on absurd shapes.
    return math.prod(int(n) for n in shape)


def activation_flops(activation: str | None, shape: tuple[int, ...]) -> int:
    """One FLOP per output element for a non-linear activation, none for linear."""
    return 0 if activation in (None, "linear") else element_count(shape)
