"""Weight initialisation: He uniform for ReLU-like activations, Glorot uniform otherwise.

- He (Kaiming) uniform, for relu, leaky_relu, elu and gelu: U(-a, a) with a = sqrt(6 / fan_in),
  which keeps the activations' variance steady through layers that zero about half their input.
- Glorot (Xavier) uniform, for linear, tanh, sigmoid, softmax and layers without activation:
  U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).
- Biases start at zero. For a dense layer fan_in/fan_out are its input/output sizes; for a
  convolution they are in_channels * kh * kw and filters * kh * kw.
"""
from __future__ import annotations

import math

import numpy as np

SCHEMES = ("he", "glorot")


def init_limit(scheme: str, fan_in: int, fan_out: int) -> float:
    """Half-width of the uniform range for ``scheme``."""
    if scheme == "he":
        return math.sqrt(6.0 / max(fan_in, 1))
    if scheme == "glorot":
        return math.sqrt(6.0 / max(fan_in + fan_out, 1))
    raise ValueError(f"unknown init scheme {scheme!r}; use one of {', '.join(SCHEMES)}")


def scheme_for(activation: str | None) -> str:
    """The init scheme an activation asks for (Glorot when there is none)."""
    if activation is None:
        return "glorot"
    from engine.registry import ACTIVATIONS
    entry = ACTIVATIONS.entries.get(activation)
    return entry.init if entry is not None else "glorot"


def uniform_weight(shape: tuple[int, ...], fan_in: int, fan_out: int, activation: str | None,
                   rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """A weight array drawn from the scheme that suits ``activation``."""
    limit = init_limit(scheme_for(activation), fan_in, fan_out)
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def zeros(shape: tuple[int, ...], dtype=np.float32) -> np.ndarray:
    """A zero bias."""
    return np.zeros(shape, dtype=dtype)
