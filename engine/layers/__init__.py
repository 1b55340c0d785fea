"""Layer types; importing this package registers every one of them in ``LAYERS``.

Import order is registration order, which is the order the palette and docs list them in.
"""
from engine import activations as _activations  # noqa: F401  (activation choices first)
from engine.layers import dense  # noqa: F401
from engine.layers import conv  # noqa: F401
from engine.layers import pool  # noqa: F401
from engine.layers import shape  # noqa: F401
from engine.layers import regularize  # noqa: F401
from engine.layers import activation  # noqa: F401
from engine.layers import merge  # noqa: F401
from engine.layers.base import Layer

__all__ = ["Layer"]
