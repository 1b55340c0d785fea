"""2-D convolution layer over ``(C, H, W)`` images."""
from __future__ import annotations

import numpy as np

from engine import init
from engine.errors import ShapeError
from engine.layers.base import Layer, activation_flops, activation_param, show_shape
from engine.module import Parameter
from engine.ops.conv import Conv2d as Conv2dOp
from engine.ops.conv import conv_geometry
from engine.params import Param
from engine.registry import ACTIVATIONS, LAYERS
from engine.tensor import Tensor


def require_image(type_name: str, shape: tuple) -> None:
    """Raise ShapeError unless ``shape`` is ``(channels, height, width)``."""
    if len(shape) != 3:
        hint = ""
        if len(shape) == 1:
            side = int(round(shape[0] ** 0.5))
            if side * side == shape[0]:
                hint = f" (e.g. shape [1, {side}, {side}])"
        raise ShapeError(
            f"{type_name} takes an image (channels, height, width), got shape {show_shape(shape)}; "
            f"add a `reshape` layer before it{hint}")


@LAYERS.register("conv2d")
class Conv2d(Layer):
    """2-D convolution: learned filters slide over the image, one output channel each."""

    params = (
        Param("filters", "int", required=True, minimum=1, maximum=4096,
              help="number of filters (output channels)"),
        Param("kernel_size", "int", default=3, minimum=1, maximum=15,
              help="height and width of each filter"),
        Param("stride", "int", default=1, minimum=1, maximum=8,
              help="step between filter positions"),
        Param("padding", "choice", default="valid", choices=("valid", "same"),
              help="valid: no padding (output shrinks); "
                   "same: zero-pad so output = ceil(input / stride)"),
        activation_param(),
    )

    @classmethod
    def infer_shape(cls, config: dict, input_shapes: list[tuple]) -> tuple:
        """``(filters, Ho, Wo)``; valid padding needs the kernel to fit the input."""
        config = cls.settings(config)
        (shape,) = cls.checked_input_shapes(input_shapes)
        require_image("conv2d", shape)
        k, stride, padding = int(config["kernel_size"]), int(config["stride"]), config["padding"]
        _, h, w = shape
        if padding == "valid" and (h < k or w < k):
            raise ShapeError(
                f"conv2d kernel_size {k} does not fit the input of shape {show_shape(shape)}; "
                f"use a kernel_size of at most {min(h, w)} or padding \"same\"")
        ho, _, _ = conv_geometry(h, k, stride, padding)
        wo, _, _ = conv_geometry(w, k, stride, padding)
        return (int(config["filters"]), ho, wo)

    @classmethod
    def count_params(cls, config: dict, input_shapes: list[tuple]) -> int:
        """``filters * (channels * k * k + 1)``, known before any weight exists."""
        config = cls.settings(config)
        k = int(config["kernel_size"])
        return int(config["filters"]) * (int(input_shapes[0][0]) * k * k + 1)

    def build(self, rng: np.random.Generator) -> None:
        """Weight ``(filters, in_channels, k, k)`` (He/Glorot uniform) and zero bias."""
        channels, h, w = self.input_shapes[0]
        filters, k = self.output_shape[0], int(self.config["kernel_size"])
        self.activation = self.config["activation"]
        self.stride = int(self.config["stride"])
        _, top, bottom = conv_geometry(h, k, self.stride, self.config["padding"])
        _, left, right = conv_geometry(w, k, self.stride, self.config["padding"])
        self.pads = (top, bottom, left, right)
        self.weight = Parameter(init.uniform_weight(
            (filters, channels, k, k), channels * k * k, filters * k * k, self.activation, rng,
            self.dtype))
        self.bias = Parameter(init.zeros((filters,), self.dtype))
        self._apply_activation = ACTIVATIONS.entries[self.activation].apply

    def forward(self, x: Tensor) -> Tensor:
        """activation(conv(x, weight) + bias)."""
        pre = Conv2dOp.apply(x, self.weight, self.bias, stride=self.stride, padding=self.pads)
        self.preactivation = pre
        return self._apply_activation(pre)

    def flops(self) -> int:
        """2 per multiply-add, 1 per bias add, 1 per activated output."""
        channels = self.input_shapes[0][0]
        filters, ho, wo = self.output_shape
        k = int(self.config["kernel_size"])
        outputs = filters * ho * wo
        activated = activation_flops(self.activation, self.output_shape)
        return 2 * channels * k * k * outputs + outputs + activated
