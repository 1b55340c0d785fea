"""Colours and fonts shared by the canvas, panels and plots (one place to change the look)."""
from __future__ import annotations

import numpy as np

TEXT = "#222831"
TEXT_DIM = "#5b6470"
ERROR = "#d0342c"
NODE_FILL = "#ffffff"
NODE_ERROR_FILL = "#fdecea"
INPUT_FILL = "#eef3f8"
NODE_BORDER = "#8a96a3"
SELECTED = "#1f77d0"
EDGE = "#8a96a3"
PORT = "#dfe6ee"
CANVAS = "#f6f7f9"
GRID = "#e7eaee"

# TensorFlow Playground's diverging colours: orange (negative / class 0), grey, blue.
ORANGE = (245, 147, 34)
GREY = (232, 234, 235)
BLUE = (8, 119, 189)
# A distinct palette for more than two classes (Tableau 10, colour-blind friendly order).
CLASS_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                 (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
                 (188, 189, 34), (23, 190, 207)]

LOSS_TRAIN = (31, 119, 208)
LOSS_TEST = (240, 120, 30)
METRIC = (60, 160, 90)

_TYPE_COLOURS = {"dense": "#3b82c4", "conv2d": "#8e5cc2", "maxpool2d": "#4aa37a",
                 "avgpool2d": "#4aa37a", "flatten": "#9aa3ad", "reshape": "#9aa3ad",
                 "dropout": "#d08a2c", "batchnorm": "#c2a12c", "activation": "#d05a8a",
                 "add": "#2ca39a", "concat": "#2ca39a", "input": "#5b6470"}


def type_colour(type_name: str) -> str:
    """The accent colour of a layer type on the canvas."""
    return _TYPE_COLOURS.get(type_name, "#5b8db8")


def diverging_lut(size: int = 256) -> np.ndarray:
    """Orange → grey → blue lookup table (uint8, size × 3) for values in [-1, 1] or [0, 1]."""
    t = np.linspace(0.0, 1.0, size)[:, None]
    orange, grey, blue = (np.array(c, dtype=float) for c in (ORANGE, GREY, BLUE))
    lower = orange + (grey - orange) * np.clip(t * 2, 0, 1)
    upper = grey + (blue - grey) * np.clip(t * 2 - 1, 0, 1)
    return np.where(t < 0.5, lower, upper).astype(np.uint8)


def class_rgb(n_classes: int) -> np.ndarray:
    """RGB (n × 3, uint8) per class: orange/blue for two, the distinct palette above that."""
    if n_classes <= 2:
        return np.array([ORANGE, BLUE], dtype=np.uint8)
    return np.array([CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(n_classes)],
                    dtype=np.uint8)
