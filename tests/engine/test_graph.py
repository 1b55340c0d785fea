"""Network graphs: ids, inputs, cycles, unused outputs, shapes, order, the Model and summaries."""
from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ProjectError
from engine.graph import assign_ids, build_model, plan_network
from engine.summary import human_bytes, human_count, summarize, summary_table
from engine.tensor import Tensor

FILE = "net.json"


def dense(units: int, activation: str = "linear", **extra) -> dict:
    return {"type": "dense", "units": units, "activation": activation, **extra}


def graph_error(layers, input_shape=(2,)) -> ProjectError:
    with pytest.raises(ProjectError) as info:
        build_model(layers, input_shape, 0, FILE)
    error = info.value
    assert str(error).startswith(f"{FILE}: {error.where}: ")
    return error


# --------------------------------------------------------------------------- ids and wiring
def test_ids_count_layers_of_each_type_in_file_order():
    layers = [dense(4), {"type": "dropout"}, dense(4, id="mine"), dense(2), {"type": "dropout"}]
    assert assign_ids(layers) == ["dense_1", "dropout_1", "mine", "dense_3", "dropout_2"]


def test_a_plain_list_is_a_chain():
    plan = plan_network([dense(4), dense(3), dense(1)], (2,), FILE)
    assert [p.inputs for p in plan.layers] == [("input",), ("dense_1",), ("dense_2",)]
    assert [p.output_shape for p in plan.layers] == [(4,), (3,), (1,)]
    assert plan.output_id == "dense_3" and plan.is_chain()


def test_branches_and_skip_connections_run_in_topological_order():
    # The file lists the merge before one of its inputs: order follows the data, not the file.
    layers = [
        dense(4, "relu", id="a"),
        {"type": "concat", "inputs": ["a", "b"], "id": "joined"},
        dense(3, "relu", id="b", inputs=["a"]),
        {"type": "add", "inputs": ["input", "skip"], "id": "residual"},
        dense(2, id="skip", inputs=["joined"]),
    ]
    # "residual" is listed before "skip" but must run after it; it is also the output because
    # the output is the last layer of the file... so put it last instead:
    layers = layers[:3] + [layers[4], layers[3]]
    plan = plan_network(layers, (2,), FILE)
    order = [p.layer_id for p in plan.layers]
    assert order == ["a", "b", "joined", "skip", "residual"]
    assert plan.by_id["joined"].output_shape == (7,)
    assert not plan.is_chain()
    model = build_model(layers, (2,), 3, FILE)
    x = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    out = model.forward(Tensor(x)).data
    a = np.maximum(x @ model.layers["a"].weight.data + model.layers["a"].bias.data, 0)
    b = np.maximum(a @ model.layers["b"].weight.data + model.layers["b"].bias.data, 0)
    skip = np.concatenate([a, b], 1) @ model.layers["skip"].weight.data \
        + model.layers["skip"].bias.data
    np.testing.assert_allclose(out, x + skip, rtol=1e-5, atol=1e-6)


def test_duplicate_ids():
    error = graph_error([dense(4, id="h"), dense(1, id="h")])
    assert error.where == "network.layers[1].id"
    assert error.what.startswith('duplicate id "h" (network.layers[0] has it too)')


def test_unknown_input_lists_known_ids():
    error = graph_error([dense(4), dense(1, inputs=["dense_7"])])
    assert error.where == "network.layers[1].inputs[0]"
    assert error.what == 'unknown input "dense_7"; known ids: input, dense_1, dense_2'


def test_cycle_is_named():
    error = graph_error([dense(4, id="a", inputs=["c"]), dense(4, id="b"), dense(4, id="c"),
                         dense(1, inputs=["c"])])
    assert error.where == "network.layers[0].inputs"
    assert "the inputs form a cycle: a -> b -> c -> a" in error.what
    error = graph_error([dense(4, id="self", inputs=["self"]), dense(1)])
    assert "cycle: self -> self" in error.what


def test_dangling_branch_is_an_error():
    error = graph_error([dense(4), dense(3, inputs=["input"]), dense(1)])
    assert error.where == "network.layers[0]"
    assert 'the output of "dense_1" is never used' in error.what
    assert '("dense_3") is the network output' in error.what


@pytest.mark.parametrize("layer, fragment", [
    ({"type": "add", "inputs": ["dense_1"]}, "an add layer takes at least 2 inputs, got 1"),
    (dense(1, inputs=["input", "dense_1"]), "a dense layer takes exactly 1 input, got 2"),
])
def test_input_counts(layer, fragment):
    error = graph_error([dense(2), layer])
    assert error.where == "network.layers[1].inputs" and error.what == fragment


def test_shape_errors_name_the_shapes():
    error = graph_error([dense(4, id="a"), dense(3, id="b", inputs=["a"]),
                         {"type": "add", "inputs": ["a", "b"]}])
    assert error.where == "network.layers[2]"
    assert error.what.startswith('add layer "add_1" got input shapes (4,), (3,): ')
    error = graph_error([{"type": "conv2d", "filters": 2, "kernel_size": 5}], (1, 3, 3))
    assert error.where == "network.layers[0]" and "(1, 3, 3)" in error.what
    error = graph_error([dense(4)], (1, 8, 8))
    assert "got input shape (1, 8, 8)" in error.what and "flatten" in error.what


def test_settings_are_validated_when_building_directly():
    error = graph_error([{"type": "dense", "units": -1}])
    assert error.where == "network.layers[0].units"
    error = graph_error([{"type": "dense", "units": 2, "colour": 1}])
    assert error.where == "network.layers[0].colour"
    error = graph_error([{"units": 2}])
    assert error.where == "network.layers[0].type"
    error = graph_error([])
    assert error.where == "network.layers"


# --------------------------------------------------------------------------- the model
def test_weights_are_seeded_per_layer():
    first = build_model([dense(4, id="a"), dense(1, id="b")], (2,), 5)
    again = build_model([dense(4, id="a"), dense(1, id="b")], (2,), 5)
    other_seed = build_model([dense(4, id="a"), dense(1, id="b")], (2,), 6)
    inserted = build_model([dense(4, id="a"), {"type": "dropout"}, dense(1, id="b")], (2,), 5)
    for name, value in first.state_dict().items():
        np.testing.assert_array_equal(value, again.state_dict()[name])
        np.testing.assert_array_equal(value, inserted.state_dict()[name])
    assert not np.array_equal(first.layers["a"].weight.data, other_seed.layers["a"].weight.data)


def test_parameter_names_key_by_layer_id():
    model = build_model([dense(4, id="hidden"), {"type": "batchnorm"}, dense(1)], (3,), 0)
    names = [name for name, _ in model.named_parameters()]
    assert names == ["hidden.weight", "hidden.bias", "batchnorm_1.gamma", "batchnorm_1.beta",
                     "dense_2.weight", "dense_2.bias"]
    assert [name for name, _ in model.named_buffers()] == ["batchnorm_1.running_mean",
                                                          "batchnorm_1.running_var"]
    assert model.param_count() == 3 * 4 + 4 + 4 + 4 + 4 + 1
    assert model.buffer_count() == 8


def test_forward_records_layer_outputs_with_gradients():
    model = build_model([dense(4, "tanh"), dense(1, "sigmoid")], (2,), 0)
    x = np.ones((3, 2), np.float32)
    out = model.forward(x, record=True)
    assert set(model.recorded) == {"input", "dense_1", "dense_2"}
    assert model.recorded["dense_2"] is out
    out.sum().backward()
    assert model.recorded["dense_1"].grad.shape == (3, 4)
    assert model.layers["dense_1"].weight.grad.shape == (2, 4)
    model.forward(x)
    assert model.recorded == {}


def test_forward_rejects_a_wrong_sample_shape():
    model = build_model([dense(1)], (2,), 0)
    with pytest.raises(ValueError, match=r"samples of shape \(2,\)"):
        model.forward(np.ones((4, 3), np.float32))


def test_predict_is_batched_in_eval_mode_and_restores_the_mode():
    model = build_model([dense(16, "relu"), {"type": "dropout", "rate": 0.5}, dense(2)], (3,), 1)
    x = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    assert model.training
    whole = model.predict(x)
    in_pieces = model.predict(x, batch_size=3)
    np.testing.assert_allclose(whole, in_pieces, rtol=1e-6)
    np.testing.assert_array_equal(whole, model.predict(x))  # no dropout: deterministic
    assert model.training
    model.eval()
    model.predict(x)
    assert not model.training
    assert model.predict(x[:0]).shape == (0, 2)


def test_float64_models():
    model = build_model([dense(3, "tanh"), dense(1)], (2,), 0, dtype=np.float64)
    assert all(p.data.dtype == np.float64 for p in model.parameters())
    assert model.predict(np.ones((2, 2))).dtype == np.float64


def test_flops_and_last_activation():
    model = build_model([dense(8, "relu"), dense(3, "softmax")], (4,), 0)
    assert model.flops() == sum(layer.flops() for layer in model.layers.values())
    assert model.flops() >= 2 * (4 * 8 + 8 * 3)
    assert model.last_activation == "softmax"
    model = build_model([dense(3), {"type": "activation", "function": "sigmoid"}], (4,), 0)
    assert model.last_activation == "sigmoid"


# --------------------------------------------------------------------------- summaries
def test_summary_table_for_a_chain():
    model = build_model([{"type": "conv2d", "filters": 4, "kernel_size": 3},
                         {"type": "maxpool2d"}, {"type": "flatten"}, dense(10, "softmax")],
                        (1, 8, 8), 0)
    table = summary_table(model)
    lines = table.splitlines()
    assert lines[1].split() == ["Layer", "(id)", "Type", "Output", "shape", "Params"]
    rows = {line.split()[0]: line for line in lines if line[:1].isalpha()}
    assert rows["conv2d_1"].split()[-4:] == ["(4,", "6,", "6)", "40"]
    assert rows["flatten_1"].split()[-2:] == ["(36,)", "0"]
    assert rows["dense_1"].endswith("370")
    assert "Inputs" not in table
    assert f"Trainable params: {40 + 370:,}" in table
    assert f"FLOPs per sample: {model.flops():,}" in table


def test_summary_table_for_a_graph_shows_inputs():
    model = build_model([dense(4, id="a"), dense(4, id="b"),
                         {"type": "add", "inputs": ["a", "b"]}], (2,), 0)
    table = summary_table(model, title="demo")
    assert table.splitlines()[0] == "demo"
    assert "Inputs" in table
    add_row = next(line for line in table.splitlines() if line.startswith("add_1"))
    assert "a, b" in add_row
    info = summarize(model).to_dict()
    assert [row["id"] for row in info["layers"]] == ["input", "a", "b", "add_1"]
    assert info["trainable_params"] == 12 + 20
    assert info["activation_bytes_per_sample"] == (4 + 4 + 4) * 4


def test_human_numbers():
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KB"
    assert human_bytes(3 * 1024 ** 3) == "3.0 GB"
    assert human_count(999) == "999"
    assert human_count(1_234_567) == "1.23 M"
