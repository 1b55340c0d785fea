"""Import every module that registers something, so the registries are complete."""
from __future__ import annotations

import importlib

_REGISTERING = ("engine.activations", "engine.layers", "engine.losses")
# Written in parallel by other parts of the engine; skipped only while they do not exist yet.
_OPTIONAL = ("engine.optim", "engine.regularization", "engine.data")


def load_all() -> None:
    """Import the layer, activation, loss, optimizer, regularizer and data-source modules."""
    for name in _REGISTERING:
        importlib.import_module(name)
    for name in _OPTIONAL:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
