"""The JSON Schema (draft 2020-12) of project files, generated from the registries.

Editors use ``resources/schema/project.schema.json`` for completion and checking; a test keeps
the committed file equal to what this module generates. Regenerate it with
``python -m engine.schema``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.graph import ID_REGEX, INPUT
from engine.params import Param
from engine.registry import LAYERS, LOSSES, OPTIMIZERS, REGULARIZERS, SOURCES

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:layerlab:project:1"
SCHEMA_FILE = ("schema", "project.schema.json")


def param_schema(param: Param) -> dict:
    """A declared parameter as a schema fragment (documents a null default too)."""
    schema = param.json_schema()
    if param.nullable and param.default is None:
        schema["default"] = None
    return schema


def _settings_schema(params: tuple[Param, ...], fixed: dict[str, Any], help_text: str) -> dict:
    """An object with ``fixed`` properties plus the declared params, nothing else allowed."""
    schema: dict[str, Any] = {"type": "object"}
    if help_text:
        schema["description"] = help_text
    schema["properties"] = dict(fixed)
    schema["properties"].update((p.name, param_schema(p)) for p in params)
    required = [p.name for p in params if p.required]
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def _help(cls: type) -> str:
    doc = (cls.__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else ""


def _tagged_union(key: str, entries: dict[str, type], prefix: str, defs: dict,
                  fixed: dict[str, Any], help_text: str) -> dict:
    """An object whose ``key`` picks one registry entry; each entry's settings in ``$defs``."""
    branches = []
    for name, cls in entries.items():
        defs[f"{prefix}.{name}"] = _settings_schema(cls.params, {key: {"const": name}, **fixed},
                                                    _help(cls))
        branches.append({"if": {"properties": {key: {"const": name}}, "required": [key]},
                         "then": {"$ref": f"#/$defs/{prefix}.{name}"}})
    return {
        "type": "object",
        "description": help_text,
        "properties": {key: {"enum": list(entries)}},
        "required": [key],
        "allOf": branches,
    }


def project_schema() -> dict:
    """The whole project format as a JSON Schema document."""
    from engine import catalog
    from engine.project import (AUGMENTATION_PARAMS, BATCH_SIZE, EPOCHS, FORMAT_VERSION,
                                LOSS_HELP, NAME, SEED)
    catalog.load_all()
    defs: dict[str, Any] = {}
    layer_fixed = {
        "id": {"type": "string", "pattern": f"^{ID_REGEX}$",
               "not": {"const": INPUT},
               "description": "the layer's name (default: <type>_<k>, k counting layers of "
                              "that type from 1)"},
        "inputs": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                   "description": 'ids of the layers feeding this one, or "input" (default: '
                                  "the previous layer)"},
    }
    defs["layer"] = _tagged_union("type", LAYERS.entries, "layer", defs, layer_fixed,
                                  "one layer: its type and settings")
    defs["data"] = _tagged_union("source", SOURCES.entries, "source", defs, {},
                                 "where the samples come from, and how they are split")
    defs["optimizer"] = _tagged_union("type", OPTIMIZERS.entries, "optimizer", defs, {},
                                      'the optimizer (default: {"type": "adam"})')
    regularizers = [name for name in REGULARIZERS.names() if name != "none"]
    regularization_branches = [{"if": {"properties": {"type": {"const": "none"}}},
                                "then": {"properties": {"type": {"const": "none"},
                                                        "rate": {"type": "number"}},
                                         "additionalProperties": False}}]
    for name in regularizers:
        cls = REGULARIZERS.entries[name]
        defs[f"regularization.{name}"] = _settings_schema(cls.params, {"type": {"const": name}},
                                                          _help(cls))
        regularization_branches.append({"if": {"properties": {"type": {"const": name}}},
                                        "then": {"$ref": f"#/$defs/regularization.{name}"}})
    regularization = {
        "description": "a weight penalty, or null for none (default: null)",
        "default": None,
        "anyOf": [
            {"type": "null"},
            {"type": "object", "properties": {"type": {"enum": ["none", *regularizers]}},
             "required": ["type"], "allOf": regularization_branches},
        ],
    }
    training = {
        "type": "object",
        "description": "how the network is trained (every field optional)",
        "properties": {
            "loss": {"enum": LOSSES.names(), "description": LOSS_HELP},
            "optimizer": {"$ref": "#/$defs/optimizer"},
            "batch_size": param_schema(BATCH_SIZE),
            "epochs": param_schema(EPOCHS),
            "regularization": regularization,
            "augmentation": {
                "description": "random shifts and rotations of training images, or null for "
                               "none (default: null)",
                "default": None,
                "anyOf": [{"type": "null"},
                          _settings_schema(AUGMENTATION_PARAMS, {}, "image augmentation")],
            },
        },
        "additionalProperties": False,
    }
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "LayerLab project",
        "description": "A LayerLab project file: data, network and training settings.",
        "type": "object",
        "properties": {
            "layerlab": {"const": FORMAT_VERSION, "description": "file format version"},
            "name": param_schema(NAME),
            "seed": param_schema(SEED),
            "data": {"$ref": "#/$defs/data"},
            "network": {
                "type": "object",
                "properties": {"layers": {"type": "array", "minItems": 1,
                                          "items": {"$ref": "#/$defs/layer"},
                                          "description": "the layers; the last one is the "
                                                         "network's output"}},
                "required": ["layers"],
                "additionalProperties": False,
            },
            "training": training,
        },
        "required": ["layerlab", "data", "network"],
        "additionalProperties": False,
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    """The schema exactly as the committed file holds it."""
    return json.dumps(project_schema(), indent=2, ensure_ascii=False) + "\n"


def schema_path() -> Path:
    """Where the bundled schema lives."""
    from engine.resources import resource_path
    return resource_path(*SCHEMA_FILE)


def write_schema(path: str | Path | None = None) -> Path:
    """Regenerate the schema file (default: the bundled one) and return its path."""
    from engine.fileio import atomic_write_text
    target = Path(path) if path is not None else schema_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, schema_text())
    return target


if __name__ == "__main__":
    print(write_schema())
