"""Layers that regularise or normalise training: dropout and batch normalisation."""
from __future__ import annotations

import numpy as np

from engine.errors import ShapeError
from engine.layers.base import Layer, element_count, show_shape
from engine.module import Buffer, Parameter
from engine.ops.nn import Dropout as DropoutOp
from engine.ops.nn import dropout_mask
from engine.ops.norm import BatchNorm as BatchNormOp
from engine.params import Param
from engine.registry import LAYERS
from engine.tensor import Tensor


@LAYERS.register("dropout")
class Dropout(Layer):
    """Dropout: while training, zeroes each value with probability `rate` and scales the rest."""

    params = (
        Param("rate", "float", default=0.5, minimum=0.0, maximum=0.99,
              help="fraction of values dropped while training (0 to 0.99)"),
    )

    def build(self, rng: np.random.Generator) -> None:
        """Draw this layer's own random stream from the model's generator."""
        self.rate = float(self.config["rate"])
        self.rng = np.random.default_rng(rng.integers(2**63))
        self.mask: np.ndarray | None = None

    def forward(self, x: Tensor) -> Tensor:
        """Inverted dropout in training (kept values scaled by 1/(1-rate)); identity in eval."""
        if not self.training or self.rate == 0.0:
            self.mask = None
            return x
        self.mask = dropout_mask(x.shape, self.rate, self.rng, x.dtype)
        return DropoutOp.apply(x, mask=self.mask)

    def flops(self) -> int:
        """One multiply per value (training)."""
        return element_count(self.output_shape)


@LAYERS.register("batchnorm")
class BatchNorm(Layer):
    """Batch normalisation: standardises each feature/channel over the batch, then scales and shifts."""

    @classmethod
    def infer_shape(cls, config: dict, input_shapes: list[tuple]) -> tuple:
        """Unchanged; the input must be 1-D features or a (C, H, W) image."""
        (shape,) = cls.checked_input_shapes(input_shapes)
        if len(shape) not in (1, 3):
            raise ShapeError(
                f"batchnorm takes 1-D features or a (channels, height, width) image, got shape "
                f"{show_shape(shape)}; add a `flatten` or `reshape` layer before it")
        return shape

    @classmethod
    def count_params(cls, config: dict, input_shapes: list[tuple]) -> int:
        """gamma and beta: two per feature or channel (the running statistics are buffers)."""
        return 2 * int(input_shapes[0][0])

    def build(self, rng: np.random.Generator) -> None:
        """gamma = 1, beta = 0, running mean 0 and variance 1 (per feature or channel)."""
        width = self.input_shapes[0][0]
        self.gamma = Parameter(np.ones(width, dtype=self.dtype))
        self.beta = Parameter(np.zeros(width, dtype=self.dtype))
        self.running_mean = Buffer(np.zeros(width, dtype=self.dtype))
        self.running_var = Buffer(np.ones(width, dtype=self.dtype))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise with batch statistics (training) or running statistics (evaluation)."""
        return BatchNormOp.apply(x, self.gamma, self.beta, running_mean=self.running_mean.data,
                                 running_var=self.running_var.data, training=self.training)

    def flops(self) -> int:
        """A scale and a shift per value once the statistics are folded in."""
        return 2 * element_count(self.output_shape)
