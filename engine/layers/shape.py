"""Layers that only rearrange elements: flatten and reshape."""
from __future__ import annotations

from engine.errors import ShapeError
from engine.layers.base import Layer, element_count, show_shape
from engine.ops import basic
from engine.params import Param
from engine.registry import LAYERS
from engine.tensor import Tensor


@LAYERS.register("flatten")
class Flatten(Layer):
    """Flatten: turns each sample into a 1-D feature vector (e.g. before dense)."""

    @classmethod
    def infer_shape(cls, config: dict, input_shapes: list[tuple]) -> tuple:
        """``(product of the input shape,)``."""
        (shape,) = cls.checked_input_shapes(input_shapes)
        return (element_count(shape),)

    def forward(self, x: Tensor) -> Tensor:
        """Reshape each sample to 1-D."""
        return basic.reshape(x, (x.shape[0],) + self.output_shape)


@LAYERS.register("reshape")
class Reshape(Layer):
    """Reshape: gives each sample a new shape with the same number of elements."""

    params = (
        Param("shape", "shape", required=True,
              help="new per-sample shape, e.g. [1, 8, 8] to treat 64 features as an 8x8 image"),
    )

    @classmethod
    def infer_shape(cls, config: dict, input_shapes: list[tuple]) -> tuple:
        """The requested shape, when its element count matches the input's."""
        config = cls.settings(config)
        (source,) = cls.checked_input_shapes(input_shapes)
        target = tuple(int(n) for n in config["shape"])
        if element_count(source) != element_count(target):
            raise ShapeError(
                f"reshape cannot turn shape {show_shape(source)} ({element_count(source)} values) "
                f"into {show_shape(target)} ({element_count(target)} values); the shapes must "
                f"hold the same number of values")
        return target

    def forward(self, x: Tensor) -> Tensor:
        """Reshape each sample."""
        return basic.reshape(x, (x.shape[0],) + self.output_shape)
