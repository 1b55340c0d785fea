"""Import every module that registers something, so the registries are complete."""
from __future__ import annotations

import importlib

_REGISTERING = ("engine.activations", "engine.layers", "engine.losses", "engine.optim",
                "engine.regularization", "engine.data")


def load_all() -> None:
    """Import the activation, layer, loss, optimizer, regularizer and data-source modules."""
    for name in _REGISTERING:
        importlib.import_module(name)
