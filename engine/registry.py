"""The registries: every layer, activation, loss, optimizer, regularizer and data source by name.

Modules register themselves on import; ``engine.catalog.load_all()`` imports them all.
"""
from __future__ import annotations

from engine.params import Registry

LAYERS = Registry("layer type")
ACTIVATIONS = Registry("activation")
LOSSES = Registry("loss")
OPTIMIZERS = Registry("optimizer")
REGULARIZERS = Registry("regularization")
SOURCES = Registry("data source")
