"""A standalone activation layer (for applying a function after batchnorm, add or concat)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.layers.base import Layer, activation_flops, activation_param
from engine.registry import ACTIVATIONS, LAYERS
from engine.tensor import Tensor


@LAYERS.register("activation")
class Activation(Layer):
    """Activation: applies a function elementwise, with no weights."""

    params = (replace(activation_param(required=True), name="function"),)

    def build(self, rng: np.random.Generator) -> None:
        """Look up the function once."""
        self.activation = self.config["function"]
        self._apply_activation = ACTIVATIONS.entries[self.activation].apply

    def forward(self, x: Tensor) -> Tensor:
        """function(x); ``preactivation`` is the input."""
        self.preactivation = x
        return self._apply_activation(x)

    def flops(self) -> int:
        """One per value for a non-linear function."""
        return activation_flops(self.activation, self.output_shape)
