"""Max and average pooling layers over ``(C, H, W)`` images (no padding)."""
from __future__ import annotations

from typing import ClassVar

from engine.errors import ShapeError
from engine.layers.base import Layer, show_shape
from engine.layers.conv import require_image
from engine.ops.pool import AvgPool2d as AvgPoolOp
from engine.ops.pool import MaxPool2d as MaxPoolOp
from engine.ops.pool import pool_output_size
from engine.params import Param
from engine.registry import LAYERS
from engine.tensor import Tensor, Op


class _Pool(Layer):
    """Shared settings and shape rules of the pooling layers."""

    params = (
        Param("pool_size", "int", default=2, minimum=1, maximum=16,
              help="height and width of each window"),
        Param("stride", "int", default=None, minimum=1, maximum=16, nullable=True,
              help="step between windows (null: the pool size, so windows do not overlap)"),
    )
    op: ClassVar[type[Op]]

    @classmethod
    def infer_shape(cls, config: dict, input_shapes: list[tuple]) -> tuple:
        """``(C, Ho, Wo)`` with Ho = floor((H - pool) / stride) + 1."""
        config = cls.settings(config)
        (shape,) = cls.checked_input_shapes(input_shapes)
        require_image(cls.type_name, shape)
        pool = int(config["pool_size"])
        stride = int(config.get("stride") or pool)
        channels, h, w = shape
        if h < pool or w < pool:
            raise ShapeError(
                f"{cls.type_name} pool_size {pool} does not fit the input of shape "
                f"{show_shape(shape)}; use a pool_size of at most {min(h, w)}")
        return (channels, pool_output_size(h, pool, stride), pool_output_size(w, pool, stride))

    def build(self, rng) -> None:
        """Fix pool size and stride."""
        self.pool = int(self.config["pool_size"])
        self.stride = int(self.config.get("stride") or self.pool)

    def forward(self, x: Tensor) -> Tensor:
        """Pool each window."""
        return self.op.apply(x, pool=self.pool, stride=self.stride)

    def flops(self) -> int:
        """One comparison or addition per window element."""
        channels, ho, wo = self.output_shape
        return channels * ho * wo * self.pool * self.pool


@LAYERS.register("maxpool2d")
class MaxPool2d(_Pool):
    """Max pooling: keeps the largest value in each window."""

    op = MaxPoolOp


@LAYERS.register("avgpool2d")
class AvgPool2d(_Pool):
    """Average pooling: the mean of each window."""

    op = AvgPoolOp
