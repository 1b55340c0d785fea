"""The project JSON Schema: generated from the registries, committed up to date, and in
agreement with the validator that LayerLab itself runs."""
from __future__ import annotations

import copy
import json

import pytest

from engine.errors import ProjectError
from engine.project import load_project, parse_project
from engine.registry import LAYERS, LOSSES, OPTIMIZERS, SOURCES
from engine.resources import resource_path
from engine.schema import project_schema, schema_path, schema_text, write_schema

PRESETS = sorted(resource_path("presets").glob("*.json"))

VALID = [
    {"layerlab": 1, "data": {"source": "circle"},
     "network": {"layers": [{"type": "dense", "units": 1, "activation": "sigmoid"}]}},
    {"layerlab": 1, "name": "graph", "seed": 3,
     "data": {"source": "spiral", "noise": 0.2, "features": ["x1", "x2", "x1*x2"]},
     "network": {"layers": [
         {"type": "dense", "units": 8, "activation": "relu", "id": "a"},
         {"type": "dense", "units": 8, "activation": "relu", "inputs": ["a"]},
         {"type": "add", "inputs": ["a", "dense_2"]},
         {"type": "dense", "units": 1, "activation": "sigmoid"}]},
     "training": {"loss": "binary_crossentropy", "batch_size": 8, "epochs": 3,
                  "optimizer": {"type": "sgd", "learning_rate": 0.1, "momentum": 0.9},
                  "regularization": {"type": "none"}}},
    {"layerlab": 1, "data": {"source": "digits", "test_fraction": 0.2},
     "network": {"layers": [
         {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same",
          "activation": "relu"},
         {"type": "maxpool2d", "pool_size": 2}, {"type": "batchnorm"}, {"type": "flatten"},
         {"type": "dropout", "rate": 0.25},
         {"type": "dense", "units": 10, "activation": "softmax"}]},
     "training": {"optimizer": {"type": "adamw", "weight_decay": 0.01},
                  "regularization": {"type": "l1", "rate": 0.0001}}},
    {"layerlab": 1, "data": {"source": "points", "points": [[0, 0, 0], [1, 1, 1]]},
     "network": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
     "training": {"regularization": None}},
]


def invalid_cases() -> list[tuple[str, dict]]:
    base = VALID[1]
    cases = []

    def case(label, change):
        raw = copy.deepcopy(base)
        change(raw)
        cases.append((label, raw))

    case("unknown top-level field", lambda r: r.update(colour="red"))
    case("newer version", lambda r: r.update(layerlab=2))
    case("unknown layer type", lambda r: r["network"]["layers"][0].update(type="dense3d"))
    case("unknown layer field", lambda r: r["network"]["layers"][0].update(neurons=3))
    case("wrong type", lambda r: r["network"]["layers"][0].update(units="eight"))
    case("out of range", lambda r: r["network"]["layers"][0].update(units=0))
    case("bad id", lambda r: r["network"]["layers"][0].update(id="two words"))
    case("id named input", lambda r: r["network"]["layers"][0].update(id="input"))
    case("unknown source", lambda r: r["data"].update(source="mnist"))
    case("field of another source", lambda r: r["data"].update(classes=3))
    case("bad feature", lambda r: r["data"].update(features=["x3"]))
    case("unknown loss", lambda r: r["training"].update(loss="hinge"))
    case("unknown optimizer field", lambda r: r["training"]["optimizer"].update(beta1=0.9))
    case("unknown regularizer", lambda r: r["training"].update(regularization={"type": "l3"}))
    case("negative rate", lambda r: r["training"].update(
        regularization={"type": "l2", "rate": -1}))
    case("no layers", lambda r: r["network"].update(layers=[]))
    return cases


def test_committed_schema_is_up_to_date():
    assert schema_path().read_text(encoding="utf-8") == schema_text(), (
        "resources/schema/project.schema.json is stale; run: python -m engine.schema")


def test_schema_covers_every_registry_entry():
    schema = project_schema()
    defs = schema["$defs"]
    for prefix, registry in (("layer", LAYERS), ("source", SOURCES),
                             ("optimizer", OPTIMIZERS)):
        for name in registry.names():
            assert f"{prefix}.{name}" in defs
    assert schema["properties"]["training"]["properties"]["loss"]["enum"] == LOSSES.names()
    assert defs["layer.dense"]["required"] == ["units"]
    assert defs["layer.dense"]["properties"]["units"]["minimum"] == 1


def test_write_schema_to_another_place(tmp_path):
    target = write_schema(tmp_path / "out" / "schema.json")
    assert json.loads(target.read_text()) == project_schema()


# ----------------------------------------------------------------- validation (jsonschema)
@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("raw", VALID)
def test_valid_projects_pass_both_checks(validator, raw):
    assert list(validator.iter_errors(raw)) == []
    parse_project(raw, "p.json")


@pytest.mark.parametrize("label, raw", invalid_cases(), ids=[c[0] for c in invalid_cases()])
def test_invalid_projects_fail_both_checks(validator, label, raw):
    assert list(validator.iter_errors(raw)), label
    with pytest.raises(ProjectError):
        parse_project(raw, "p.json")


def test_saved_projects_validate(validator):
    for raw in VALID:
        assert list(validator.iter_errors(parse_project(raw, "p.json").to_json())) == []


@pytest.mark.parametrize("preset", PRESETS, ids=[p.name for p in PRESETS])
def test_presets_validate_and_load(validator, preset):
    raw = json.loads(preset.read_text(encoding="utf-8"))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(raw)]
    assert errors == []
    load_project(preset)
