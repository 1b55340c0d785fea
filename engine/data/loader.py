"""Entry points: validate a project's ``data`` object, load it, and list the sources."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from engine.data.dataset import Dataset
from engine.errors import ProjectError
from engine.params import validate_settings
from engine.registry import SOURCES


def validate_data_settings(data: Any, file: str | None = None, where: str = "data") -> dict:
    """Check a project's ``data`` object against its source's params; fill the defaults.

    Returns a new dict with ``source`` and every declared setting; idempotent, so validated
    settings pass again unchanged. Errors are ProjectError with paths like ``data.noise``.
    """
    if not isinstance(data, dict):
        raise ProjectError(file, where, "expected an object such as {\"source\": \"circle\"}")
    if "source" not in data:
        raise ProjectError(file, f"{where}.source", "missing; use one of: "
                                                    + ", ".join(SOURCES.names()))
    source_cls = SOURCES.get(data["source"], file, f"{where}.source")
    settings = validate_settings(source_cls.params, data, file, where, ignore=("source",))
    # Defaults are shared objects in the declarations; callers may edit what we return.
    settings = copy.deepcopy(settings)
    settings["source"] = source_cls.type_name
    if "features" in settings and not settings["features"]:
        raise ProjectError(file, f"{where}.features", "choose at least one input feature, "
                                                      "e.g. [\"x1\", \"x2\"]")
    return settings


def load_dataset(data_settings: dict, seed: int, base_dir: Path | str | None = None,
                 file: str | None = None) -> Dataset:
    """Validate ``data_settings`` and build the Dataset, split deterministically by ``seed``."""
    settings = validate_data_settings(data_settings, file)
    source_cls = SOURCES.get(settings["source"], file, "data.source")
    base = Path(base_dir) if base_dir is not None else None
    dataset = source_cls.load(settings, int(seed), base, file)
    check_dataset(dataset, file)
    return dataset


def _finite(values: np.ndarray) -> bool:
    """All values finite; min and max propagate NaN without allocating a mask."""
    if values.size == 0 or values.dtype.kind != "f":
        return True
    return bool(np.isfinite(values.min()) and np.isfinite(values.max()))


def check_dataset(dataset: Dataset, file: str | None) -> None:
    """What every source must deliver, checked once for all of them (a last line of defence).

    Samples with no values, or values that are not finite once stored as float32, would only
    surface later as a numpy error or a NaN loss; here they are a ProjectError at ``data``.
    """
    shape = dataset.sample_shape
    if 0 in shape:
        raise ProjectError(file, "data", f"the samples have shape {shape}: they hold no values")
    for name in ("x_train", "x_test"):
        if not _finite(getattr(dataset, name)):
            raise ProjectError(file, "data", "the samples contain NaN or infinite values (or "
                                             "values too large for 32-bit floats); fix or "
                                             "rescale the data")
    if dataset.task == "regression" and not (_finite(dataset.y_train)
                                             and _finite(dataset.y_test)):
        raise ProjectError(file, "data", "the regression targets contain NaN or infinite "
                                         "values (or values too large for 32-bit floats)")


def describe_sources() -> list[dict]:
    """Every registered source with its help, kind, task and declared params (for the CLI/GUI)."""
    described = []
    for name in SOURCES.names():
        source_cls = SOURCES.entries[name]
        params = []
        for param in source_cls.params:
            entry: dict[str, Any] = {"name": param.name, "kind": param.kind,
                                     "default": copy.deepcopy(param.default), "help": param.help,
                                     "required": param.required, "nullable": param.nullable}
            if param.minimum is not None:
                entry["minimum"] = param.minimum
            if param.maximum is not None:
                entry["maximum"] = param.maximum
            if param.choices:
                entry["choices"] = list(param.choices)
            params.append(entry)
        described.append({"name": name, "help": source_cls.help(), "kind": source_cls.kind,
                          "task": source_cls.task, "params": params})
    return described
