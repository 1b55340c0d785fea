"""Fully connected layer: y = activation(x @ weight + bias)."""
from __future__ import annotations

import numpy as np

from engine import init
from engine.errors import ShapeError
from engine.layers.base import Layer, activation_flops, activation_param, show_shape
from engine.module import Parameter
from engine.ops.nn import Linear
from engine.params import Param
from engine.registry import ACTIVATIONS, LAYERS
from engine.tensor import Tensor


@LAYERS.register("dense")
class Dense(Layer):
    """Fully connected layer: every output unit sees every input feature."""

    params = (
        Param("units", "int", required=True, minimum=1, maximum=65536,
              help="number of output units (neurons)"),
        activation_param(),
    )

    @classmethod
    def infer_shape(cls, config: dict, input_shapes: list[tuple]) -> tuple:
        """``(units,)``; the input must be a 1-D feature vector."""
        config = cls.settings(config)
        (shape,) = cls.checked_input_shapes(input_shapes)
        if len(shape) != 1:
            raise ShapeError(
                f"dense takes a 1-D input (a feature vector), got shape {show_shape(shape)}; "
                f"add a `flatten` layer before it")
        return (int(config["units"]),)

    @classmethod
    def count_params(cls, config: dict, input_shapes: list[tuple]) -> int:
        """``in * units + units``, known before any weight exists (memory checks)."""
        units = int(cls.settings(config)["units"])
        return (int(input_shapes[0][0]) + 1) * units

    def build(self, rng: np.random.Generator) -> None:
        """He/Glorot-uniform weight ``(in, units)`` and zero bias."""
        fan_in, units = self.input_shapes[0][0], self.output_shape[0]
        self.activation = self.config["activation"]
        self.weight = Parameter(init.uniform_weight((fan_in, units), fan_in, units, self.activation,
                                                    rng, self.dtype))
        self.bias = Parameter(init.zeros((units,), self.dtype))
        self._apply_activation = ACTIVATIONS.entries[self.activation].apply

    def forward(self, x: Tensor) -> Tensor:
        """activation(x @ weight + bias)."""
        pre = Linear.apply(x, self.weight, self.bias)
        self.preactivation = pre
        return self._apply_activation(pre)

    def flops(self) -> int:
        """2 per multiply-add, 1 per bias add, 1 per activated output."""
        fan_in, units = self.input_shapes[0][0], self.output_shape[0]
        return 2 * fan_in * units + units + activation_flops(self.activation, self.output_shape)
