"""Merge layers for branches and skip connections: add and concat."""
from __future__ import annotations

from engine.errors import ShapeError
from engine.layers.base import Layer, element_count, show_shape
from engine.ops.nn import AddN, Concat as ConcatOp
from engine.registry import LAYERS
from engine.tensor import Tensor


def _list_shapes(shapes: list[tuple]) -> str:
    return ", ".join(show_shape(tuple(s)) for s in shapes)


class Merge(Layer):
    """Base of the layers that join two or more branches."""

    min_inputs = 2
    max_inputs = None


@LAYERS.register("add")
class Add(Merge):
    """Add: the elementwise sum of two or more inputs of the same shape (skip connections)."""

    @classmethod
    def infer_shape(cls, config: dict, input_shapes: list[tuple]) -> tuple:
        """The common shape; every input must have it."""
        shapes = cls.checked_input_shapes(input_shapes)
        if any(s != shapes[0] for s in shapes):
            raise ShapeError(
                f"add needs inputs of the same shape, got {_list_shapes(shapes)}; use `concat` "
                f"to join different sizes, or change a layer so the shapes match")
        return shapes[0]

    def forward(self, *inputs: Tensor) -> Tensor:
        """Sum of the inputs."""
        return AddN.apply(*inputs)

    def flops(self) -> int:
        """One addition per value per extra input."""
        return (len(self.input_shapes) - 1) * element_count(self.output_shape)


@LAYERS.register("concat")
class Concat(Merge):
    """Concat: joins inputs along the features (1-D) or the channels (images of equal size)."""

    @classmethod
    def infer_shape(cls, config: dict, input_shapes: list[tuple]) -> tuple:
        """Feature counts (1-D) or channel counts (3-D, equal height and width) add up."""
        shapes = cls.checked_input_shapes(input_shapes)
        ranks = {len(s) for s in shapes}
        if ranks == {1}:
            return (sum(s[0] for s in shapes),)
        if ranks == {3} and len({s[1:] for s in shapes}) == 1:
            return (sum(s[0] for s in shapes),) + shapes[0][1:]
        if ranks == {3}:
            raise ShapeError(
                f"concat joins images along channels, so their height and width must match; got "
                f"{_list_shapes(shapes)}")
        raise ShapeError(
            f"concat needs all 1-D inputs or all (channels, height, width) images, got "
            f"{_list_shapes(shapes)}; add a `flatten` layer to the image inputs")

    def forward(self, *inputs: Tensor) -> Tensor:
        """Join along axis 1 of the batch (features or channels)."""
        return ConcatOp.apply(*inputs, axis=1)
