"""Project files: reading, validation errors with their FILE: WHERE: WHAT shape, saving, prepare."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ProjectError
from engine.project import (
    Project,
    default_loss,
    load_project,
    parse_project,
    prepare,
    pretty_json,
    save_project,
)

FILE = "p.json"

SPIRAL = {
    "layerlab": 1,
    "name": "Spiral",
    "seed": 7,
    "data": {"source": "spiral", "samples": 500, "noise": 0.1, "test_fraction": 0.5,
             "features": ["x1", "x2", "sin(x1)", "sin(x2)"]},
    "network": {"layers": [
        {"type": "dense", "units": 8, "activation": "tanh"},
        {"type": "dense", "units": 8, "activation": "tanh"},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]},
    "training": {"loss": "binary_crossentropy",
                 "optimizer": {"type": "adam", "learning_rate": 0.01},
                 "batch_size": 10, "epochs": 200,
                 "regularization": {"type": "l2", "rate": 0.001}},
}


def spiral(**changes) -> dict:
    """The SPEC example with top-level sections replaced."""
    raw = copy.deepcopy(SPIRAL)
    raw.update(changes)
    return raw


def error_of(raw, file: str = FILE) -> ProjectError:
    with pytest.raises(ProjectError) as info:
        parse_project(raw, file)
    return info.value


def assert_error(raw, where: str, *fragments: str) -> ProjectError:
    error = error_of(raw)
    assert error.file == FILE
    assert error.where == where, str(error)
    text = str(error)
    assert text.startswith(f"{FILE}: {where}: "), text
    for fragment in fragments:
        assert fragment in error.what, text
    return error


# --------------------------------------------------------------------------- valid files
def test_spec_example_is_read_with_defaults_filled():
    project = parse_project(SPIRAL, FILE)
    assert project.name == "Spiral" and project.seed == 7
    assert project.data["source"] == "spiral"
    assert project.data["features"] == ["x1", "x2", "sin(x1)", "sin(x2)"]
    assert [layer["units"] for layer in project.network] == [8, 8, 1]
    assert project.training["optimizer"] == {"type": "adam", "learning_rate": 0.01,
                                             "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    assert project.training["regularization"] == {"type": "l2", "rate": 0.001}
    assert project.layer_ids() == ["dense_1", "dense_2", "dense_3"]


def test_minimal_file_gets_documented_defaults():
    raw = {"layerlab": 1, "data": {"source": "circle"},
           "network": {"layers": [{"type": "dense", "units": 1, "activation": "sigmoid"}]}}
    project = parse_project(raw, "folder/my_net.json")
    assert project.name == "my_net"
    assert project.seed == 0
    assert project.training["loss"] == "binary_crossentropy"
    assert project.training["batch_size"] == 32 and project.training["epochs"] == 100
    assert project.training["optimizer"]["type"] == "adam"
    assert project.training["regularization"] is None
    assert project.data["features"] == ["x1", "x2"]


@pytest.mark.parametrize("last, loss", [
    ({"type": "dense", "units": 1, "activation": "sigmoid"}, "binary_crossentropy"),
    ({"type": "dense", "units": 3, "activation": "softmax"}, "categorical_crossentropy"),
    ({"type": "activation", "function": "softmax"}, "categorical_crossentropy"),
    ({"type": "dense", "units": 1}, "mse"),
])
def test_default_loss_follows_the_last_layer(last, loss):
    assert default_loss([{"type": "dense", "units": 4}, last]) == loss


def test_regularization_none_means_no_penalty():
    for value in (None, {"type": "none"}, {"type": "none", "rate": 0.01}):
        raw = spiral()
        raw["training"]["regularization"] = value
        assert parse_project(raw, FILE).training["regularization"] is None


def test_round_trip_through_json_and_disk(tmp_path):
    project = parse_project(SPIRAL, FILE)
    again = parse_project(project.to_json(), FILE)
    assert again.to_json() == project.to_json()
    path = tmp_path / "spiral.json"
    save_project(project, path)
    text = path.read_text()
    assert text.endswith("\n")
    assert list(json.loads(text)) == ["layerlab", "name", "seed", "data", "network", "training"]
    # Layers fit on one line each, as in the SPEC example: the file stays easy to edit.
    assert '      {"type": "dense", "units": 8, "activation": "tanh"},' in text
    loaded = load_project(path)
    assert loaded.to_json() == project.to_json()
    assert loaded.path == path and loaded.base_dir == path.absolute().parent
    assert not list(tmp_path.glob(".*.tmp"))


def test_to_json_is_a_copy():
    project = parse_project(SPIRAL, FILE)
    exported = project.to_json()
    exported["network"]["layers"][0]["units"] = 99
    exported["data"]["features"].append("x1^2")
    assert project.network[0]["units"] == 8
    assert project.data["features"] == ["x1", "x2", "sin(x1)", "sin(x2)"]


def test_pretty_json_keeps_short_values_inline_and_long_ones_expanded():
    text = pretty_json({"a": [1, 2], "b": {"c": "x" * 120}})
    assert text == '{\n  "a": [1, 2],\n  "b": {\n    "c": "' + "x" * 120 + '"\n  }\n}'
    assert json.loads(text) == {"a": [1, 2], "b": {"c": "x" * 120}}


def test_ids_and_inputs_are_kept():
    raw = spiral(network={"layers": [
        {"type": "dense", "units": 8, "id": "hidden"},
        {"type": "dense", "units": 8, "inputs": ["hidden"]},
        {"type": "add", "inputs": ["hidden", "dense_2"]},
        {"type": "dense", "units": 1, "activation": "sigmoid"}]})
    project = parse_project(raw, FILE)
    assert project.network[0]["id"] == "hidden"
    assert project.network[2]["inputs"] == ["hidden", "dense_2"]
    assert project.layer_ids() == ["hidden", "dense_2", "add_1", "dense_3"]


# --------------------------------------------------------------------------- file errors
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.json"
    path.write_text(text)
    return path


def test_invalid_json_names_line_and_column(tmp_path):
    path = write(tmp_path, '{\n  "layerlab": 1,\n  "name": "x",,\n}')
    with pytest.raises(ProjectError) as info:
        load_project(path)
    assert str(info.value) == (f"{path}: line 3, column 15: invalid JSON: "
                               "Expecting property name enclosed in double quotes")


def test_duplicate_keys_and_nan_are_rejected(tmp_path):
    path = write(tmp_path, '{"layerlab": 1, "seed": 1, "seed": 2}')
    with pytest.raises(ProjectError, match='invalid JSON: the key "seed" appears twice'):
        load_project(path)
    path = write(tmp_path, '{"layerlab": 1, "seed": NaN}')
    with pytest.raises(ProjectError, match="NaN is not a JSON number"):
        load_project(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ProjectError) as info:
        load_project(tmp_path / "nope.json")
    assert str(info.value) == f"{tmp_path / 'nope.json'}: (file): file not found"
    with pytest.raises(ProjectError, match="is a folder"):
        load_project(tmp_path)


def test_newer_file_version():
    error = assert_error(spiral(layerlab=2), "layerlab")
    assert error.what == "this file needs a newer LayerLab (format 2; this version reads 1)"


@pytest.mark.parametrize("version, fragment", [("1", "expected the format version"),
                                               (0, "unknown format version 0")])
def test_bad_file_version(version, fragment):
    assert_error(spiral(layerlab=version), "layerlab", fragment)


def test_missing_version_and_sections():
    raw = spiral()
    del raw["layerlab"]
    assert_error(raw, "layerlab", '"layerlab": 1')
    raw = spiral()
    del raw["network"]
    assert_error(raw, "network", "missing")
    assert_error([1, 2], "(top level)", "expected a JSON object")


# --------------------------------------------------------------------------- field errors
def test_unknown_top_level_field_lists_the_allowed_ones():
    assert_error(spiral(colour="red"), "colour",
                 "unknown field; allowed fields: layerlab, name, seed, data, network, training")


def test_unknown_layer_type_lists_the_types():
    raw = spiral()
    raw["network"]["layers"][1]["type"] = "dense3d"
    assert_error(raw, "network.layers[1].type", 'unknown layer type "dense3d"', "dense",
                 "conv2d", "concat")


def test_unknown_layer_field_lists_the_allowed_ones():
    raw = spiral()
    raw["network"]["layers"][0]["neurons"] = 8
    assert_error(raw, "network.layers[0].neurons",
                 "unknown field; allowed fields: activation, id, inputs, type, units")


def test_wrong_type():
    raw = spiral()
    raw["network"]["layers"][0]["units"] = "eight"
    assert_error(raw, "network.layers[0].units", 'expected a whole number >= 1 and <= 65536, got "eight"')
    raw = spiral()
    raw["training"]["optimizer"]["learning_rate"] = "fast"
    assert_error(raw, "training.optimizer.learning_rate", "expected a number")
    raw = spiral(seed=True)
    assert_error(raw, "seed", "expected a whole number")


def test_out_of_range_values():
    raw = spiral()
    raw["network"]["layers"][0]["units"] = 0
    assert_error(raw, "network.layers[0].units", "0 is out of range; allowed: a value >= 1")
    raw = spiral()
    raw["training"]["batch_size"] = 0
    assert_error(raw, "training.batch_size", "out of range")
    raw = spiral()
    raw["data"]["noise"] = 7
    assert_error(raw, "data.noise", "out of range")


def test_missing_required_layer_setting():
    raw = spiral()
    del raw["network"]["layers"][0]["units"]
    assert_error(raw, "network.layers[0].units", "missing")


def test_bad_activation_choice():
    raw = spiral()
    raw["network"]["layers"][0]["activation"] = "swish"
    assert_error(raw, "network.layers[0].activation", '"swish" is not allowed; use one of:',
                 "relu", "softmax")


def test_data_errors():
    assert_error(spiral(data={"source": "mnist"}), "data.source",
                 'unknown data source "mnist"', "spiral", "idx")
    assert_error(spiral(data={"noise": 0.1}), "data.source", "missing")
    assert_error(spiral(data={"source": "digits", "features": ["x1"]}), "data.features",
                 "unknown field")


def test_training_errors():
    raw = spiral()
    raw["training"]["momentum"] = 0.9
    assert_error(raw, "training.momentum", "unknown field; allowed fields: loss, optimizer, "
                                           "batch_size, epochs, regularization")
    raw = spiral()
    raw["training"]["loss"] = "hinge"
    assert_error(raw, "training.loss", 'unknown loss "hinge"', "mse", "categorical_crossentropy")
    raw = spiral()
    raw["training"]["optimizer"] = {"type": "lbfgs"}
    assert_error(raw, "training.optimizer.type", 'unknown optimizer "lbfgs"', "adam", "sgd")
    raw = spiral()
    raw["training"]["optimizer"] = {"type": "sgd", "beta1": 0.9}
    assert_error(raw, "training.optimizer.beta1", "unknown field", "momentum")
    raw = spiral()
    raw["training"]["regularization"] = {"type": "l3", "rate": 0.1}
    assert_error(raw, "training.regularization.type", "use one of: none, l2, l1")
    raw = spiral()
    raw["training"]["regularization"] = {"type": "l2", "rate": -1}
    assert_error(raw, "training.regularization.rate", "out of range")


def test_layer_id_errors():
    raw = spiral()
    raw["network"]["layers"][0]["id"] = "my layer"
    assert_error(raw, "network.layers[0].id", "expected an id made of letters")
    raw = spiral()
    raw["network"]["layers"][0]["id"] = "input"
    assert_error(raw, "network.layers[0].id", '"input" names the network input')
    raw = spiral()
    raw["network"]["layers"][0]["id"] = "dense_2"
    assert_error(raw, "network.layers[1]", 'duplicate id "dense_2" (network.layers[0] has it')
    raw = spiral()
    raw["network"]["layers"][1]["inputs"] = []
    assert_error(raw, "network.layers[1].inputs", "non-empty list")


# --------------------------------------------------------------------------- prepare
def prepared_error(raw, **options) -> ProjectError:
    project = parse_project(raw, FILE)
    with pytest.raises(ProjectError) as info:
        prepare(project, **options)
    assert str(info.value).startswith(f"{FILE}: {info.value.where}: ")
    return info.value


def test_prepare_builds_everything():
    prepared = prepare(parse_project(SPIRAL, FILE))
    assert prepared.dataset.task == "classification"
    assert prepared.preprocessor.input_shape == (4,)
    assert prepared.model.input_shape == (4,) and prepared.model.output_shape == (1,)
    assert prepared.model.param_count() == 4 * 8 + 8 + 8 * 8 + 8 + 8 + 1
    assert type(prepared.loss).type_name == "binary_crossentropy"
    assert prepared.memory.parameter_bytes == prepared.model.param_count() * 4 * 4
    assert prepared.memory.activation_bytes == (8 + 8 + 1) * 10 * 4 * 3


def test_shape_mismatch_names_the_shapes_and_suggests_flatten():
    raw = spiral(data={"source": "digits"}, network={"layers": [
        {"type": "dense", "units": 10, "activation": "softmax"}]})
    raw["training"]["loss"] = "categorical_crossentropy"
    error = prepared_error(raw)
    assert error.where == "network.layers[0]"
    assert 'dense layer "dense_1" got input shape (1, 8, 8)' in error.what
    assert "flatten" in error.what


def test_unknown_and_cyclic_inputs():
    raw = spiral()
    raw["network"]["layers"][1]["inputs"] = ["hidden"]
    error = prepared_error(raw)
    assert error.where == "network.layers[1].inputs[0]"
    assert error.what == 'unknown input "hidden"; known ids: input, dense_1, dense_2, dense_3'
    raw = spiral()
    raw["network"]["layers"][0]["inputs"] = ["dense_2"]
    error = prepared_error(raw)
    assert error.where == "network.layers[0].inputs"
    assert "the inputs form a cycle: dense_1 -> dense_2 -> dense_1" in error.what


@pytest.mark.parametrize("source, last, loss, fragment", [
    ({"source": "spiral"}, {"type": "dense", "units": 1, "activation": "sigmoid"}, "mse",
     "regression loss"),
    ({"source": "blobs", "classes": 3}, {"type": "dense", "units": 3, "activation": "softmax"},
     "binary_crossentropy", "classes"),
    ({"source": "plane"}, {"type": "dense", "units": 1}, "categorical_crossentropy", ""),
    ({"source": "blobs", "classes": 3}, {"type": "dense", "units": 4, "activation": "softmax"},
     "categorical_crossentropy", ""),
])
def test_loss_that_does_not_fit_data_or_last_layer(source, last, loss, fragment):
    raw = spiral(data=source, network={"layers": [{"type": "dense", "units": 4}, last]})
    raw["training"]["loss"] = loss
    error = prepared_error(raw)
    assert error.where == "training.loss"
    assert fragment in error.what


def test_network_too_large_for_memory():
    raw = spiral()
    raw["network"]["layers"][0]["units"] = 2048
    raw["network"]["layers"][1]["units"] = 2048
    error = prepared_error(raw, memory_limit=16 * 1024 * 1024)
    assert "the network is too large for this computer" in error.what
    assert "16.0 MB of memory is available" in error.what
    assert "training.batch_size" in error.what
    # Activations alone can exceed the limit: refused before any weight is created.
    raw = spiral()
    raw["training"]["batch_size"] = 4096
    error = prepared_error(raw, memory_limit=100_000)
    assert error.where == "network" and "activations for batch_size 4096" in error.what


def test_relative_data_paths_resolve_against_the_project_folder(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    np.savez(tmp_path / "table.npz", x=x, y=(x[:, 0] > 0).astype(np.int64))
    raw = spiral(data={"source": "npz", "path": "table.npz", "x": "x", "y": "y"},
                 network={"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]})
    raw["training"]["loss"] = "categorical_crossentropy"
    path = tmp_path / "sub.json"
    path.write_text(json.dumps(raw))
    prepared = prepare(load_project(path))
    assert prepared.model.input_shape == (3,)


def test_project_without_path_has_no_file():
    project = Project("x", 0, {"source": "circle"}, [], {})
    assert project.file is None


# --------------------------------------------------------------------------- atomic writes
def test_atomic_write_replaces_and_keeps_the_mode(tmp_path):
    import os
    import stat

    from engine.fileio import atomic_write_bytes, atomic_write_text
    path = tmp_path / "f.txt"
    path.write_text("old")
    os.chmod(path, 0o640)
    atomic_write_text(path, "new ✓")
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.bin"
    atomic_write_bytes(fresh, b"\x00\x01")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt", "fresh.bin"]


def test_failed_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    import os

    from engine.fileio import atomic_write_text
    path = tmp_path / "p.json"
    path.write_text("old")

    def broken_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_available_memory_is_known_here():
    from engine.summary import available_memory
    memory = available_memory()
    assert memory is None or memory > 0
