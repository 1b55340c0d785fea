"""Checks ``prepare`` runs once data and network are known: what no single section can see.

Each returns quietly or raises a ProjectError (or returns a hint) that names the setting to
change, so the problem surfaces before training instead of as a NaN or a numpy error.
"""
from __future__ import annotations

import math
from typing import Any

from engine.errors import ProjectError


def check_batchnorm_batches(plan: Any, batch: int, file: str | None) -> None:
    """Batchnorm needs two or more values per channel in a batch to compute its statistics."""
    for layer in plan.layers:
        if layer.type_name != "batchnorm":
            continue
        per_sample = math.prod(layer.input_shapes[0][1:])  # H*W for images, 1 for features
        if batch * per_sample < 2:
            raise ProjectError(file, "training.batch_size", f"batchnorm layer "
                               f"\"{layer.layer_id}\" needs at least 2 samples per batch to "
                               f"compute batch statistics, but batches hold {batch}; use "
                               "batch_size 2 or more (or remove the batchnorm layer)")


def task_hint(data: dict, dataset: Any) -> str:
    """When a table's task was guessed from its values, say so and how to choose it."""
    if "task" not in data or data.get("task") is not None:
        return ""
    return (f" (the data was read as {dataset.task} from the target's values; set data.task "
            "to \"classification\" or \"regression\" to choose)")
