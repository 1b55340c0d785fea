"""Damaged and hostile model files, NaN inputs, and batchnorm on one-sample batches."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from engine.errors import ProjectError
from engine.modelfile import load_model, model_bytes, model_from_bytes
from engine.ops.norm import BatchNorm
from engine.project import parse_project, prepare
from engine.tensor import Tensor
from engine.trainer import Trainer

PROJECT = {"layerlab": 1, "name": "t", "seed": 1,
           "data": {"source": "circle", "samples": 40},
           "network": {"layers": [{"type": "dense", "units": 3, "activation": "tanh"},
                                  {"type": "dense", "units": 1, "activation": "sigmoid"}]},
           "training": {"batch_size": 8}}


@pytest.fixture(scope="module")
def saved() -> tuple[dict, bytes]:
    """A trained model's safetensors header (parsed) and data section."""
    data = model_bytes(Trainer(parse_project(PROJECT)))
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length]), data[8 + length:]


def rebuild(header: dict, body: bytes) -> bytes:
    """Safetensors bytes from a header dict and a data section."""
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def with_metadata(saved, **changes) -> bytes:
    """The saved model with keys of its ``layerlab`` metadata replaced."""
    header, body = saved
    info = json.loads(header["__metadata__"]["layerlab"])
    info.update(changes)
    header = dict(header, __metadata__={"layerlab": json.dumps(info)})
    return rebuild(header, body)


def test_untouched_file_loads(saved):
    model = model_from_bytes(rebuild(*saved), "m.safetensors")
    assert model.predict(np.zeros((2, 2), np.float32)).shape == (2, 2)


@pytest.mark.parametrize("changes, where", [
    ({"input_names": 5}, "metadata.layerlab.input_names"),
    ({"target_names": [1, 2]}, "metadata.layerlab.target_names"),
    ({"output_shape": 5}, "metadata.layerlab.output_shape"),
    ({"preprocess": None}, "metadata.layerlab.preprocess"),
    ({"preprocess": [1]}, "metadata.layerlab.preprocess"),
])
def test_metadata_of_the_wrong_type(saved, changes, where):
    with pytest.raises(ProjectError) as caught:
        model_from_bytes(with_metadata(saved, **changes), "m.safetensors")
    assert caught.value.where == where and caught.value.file == "m.safetensors"


def test_missing_sample_shape_falls_back_to_the_preprocessor(saved):
    header, body = saved
    info = json.loads(header["__metadata__"]["layerlab"])
    del info["sample_shape"]
    data = rebuild(dict(header, __metadata__={"layerlab": json.dumps(info)}), body)
    assert model_from_bytes(data).sample_shape == (2,)


def test_deeply_nested_metadata(saved):
    header, body = saved
    header = dict(header, __metadata__={"layerlab": "[" * 100_000 + "]" * 100_000})
    with pytest.raises(ProjectError, match="metadata.layerlab: invalid JSON: nested too deeply"):
        model_from_bytes(rebuild(header, body))


@pytest.mark.parametrize("content", [b"", b"\x01", b"\xff" * 8 + b"{}", b"not a model file!"])
def test_files_that_are_not_safetensors(tmp_path, content):
    path = tmp_path / "m.safetensors"
    path.write_bytes(content)
    with pytest.raises(ProjectError, match=r"m\.safetensors: \(file\): not a model file"):
        load_model(path)


def test_nan_inputs_are_named_by_sample(saved):
    model = model_from_bytes(rebuild(*saved))
    x = np.zeros((4, 2), np.float32)
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"sample 2 \(counting from 0\) contains NaN"):
        model.predict(x)
    x[2, 1] = np.inf
    with pytest.raises(ValueError, match="sample 2"):
        model.predict(x)


# --------------------------------------------------------------- batchnorm and tiny batches
BN_LAYERS = [{"type": "dense", "units": 3}, {"type": "batchnorm"},
             {"type": "dense", "units": 1, "activation": "sigmoid"}]


def test_batch_size_one_with_batchnorm_is_refused():
    raw = dict(PROJECT, network={"layers": BN_LAYERS}, training={"batch_size": 1})
    with pytest.raises(ProjectError) as caught:
        prepare(parse_project(raw))
    assert caught.value.where == "training.batch_size"
    assert 'batchnorm layer "batchnorm_1" needs at least 2 samples' in caught.value.what


def test_batch_size_one_with_batchnorm_on_images_is_fine():
    """Over a 2x2 map a single image still gives four values per channel (as in PyTorch)."""
    raw = {"layerlab": 1, "data": {"source": "digits", "limit": 20},
           "network": {"layers": [{"type": "maxpool2d", "pool_size": 4}, {"type": "batchnorm"},
                                  {"type": "flatten"},
                                  {"type": "dense", "units": 10, "activation": "softmax"}]},
           "training": {"batch_size": 1}}
    trainer = Trainer(parse_project(raw))
    assert np.isfinite(trainer.step().loss)


def test_short_last_batch_of_one_uses_running_statistics():
    """33 training samples in batches of 32: the epoch's second batch holds one sample."""
    raw = dict(PROJECT, data={"source": "circle", "samples": 33, "test_fraction": 0},
               network={"layers": BN_LAYERS}, training={"batch_size": 32})
    trainer = Trainer(parse_project(raw))
    trainer.step()
    layer = trainer.model.layers["batchnorm_1"]
    stats = layer.running_mean.data.copy(), layer.running_var.data.copy()
    record = trainer.step()
    assert record.batch_size == 1 and np.isfinite(record.loss) and not trainer.diverged
    np.testing.assert_array_equal(layer.running_mean.data, stats[0])
    np.testing.assert_array_equal(layer.running_var.data, stats[1])
    assert all(np.all(np.isfinite(p.data)) for p in trainer.model.parameters())


def test_batchnorm_op_single_value_matches_evaluation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    mean, var = rng.normal(size=4), rng.random(4) + 0.5
    inputs = [Tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    out = BatchNorm.apply(*inputs, running_mean=mean.copy(), running_var=var.copy(),
                          training=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * gamma + beta
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(inputs[0].grad[0], gamma / np.sqrt(var + 1e-5), rtol=1e-12)


def test_planned_parameter_counts_equal_built_ones():
    """count_params (used before allocating) agrees with the weights each layer creates."""
    from engine import catalog
    from engine.graph import build_model, plan_network
    from engine.registry import LAYERS

    catalog.load_all()
    layers = [{"type": "conv2d", "id": "c", "filters": 3, "kernel_size": 3, "padding": "same"},
              {"type": "batchnorm", "id": "b"},
              {"type": "conv2d", "id": "d", "filters": 3, "kernel_size": 2, "stride": 2,
               "inputs": ["input"]},
              {"type": "maxpool2d", "pool_size": 2, "inputs": ["b"]},
              {"type": "add", "inputs": ["maxpool2d_1", "d"]},
              {"type": "concat", "inputs": ["add_1", "d"]}, {"type": "avgpool2d", "pool_size": 2},
              {"type": "dropout"}, {"type": "flatten"}, {"type": "reshape", "shape": [4, 6]},
              {"type": "flatten"}, {"type": "dense", "units": 5}, {"type": "batchnorm"},
              {"type": "activation", "function": "relu"},
              {"type": "dense", "units": 2, "activation": "softmax"}]
    assert {layer["type"] for layer in layers} == set(LAYERS.names())
    plan = plan_network(layers, (1, 8, 8))
    model = build_model(layers, (1, 8, 8), seed=0)
    assert plan.known_param_count() == model.param_count() == 198
    for layer_plan in plan.layers:
        built = sum(p.data.size for p in model.layers[layer_plan.layer_id].parameters())
        assert layer_plan.cls.count_params(layer_plan.config,
                                           list(layer_plan.input_shapes)) == built


def test_model_file_whose_network_outgrows_its_tensors(saved):
    header, body = saved
    info = json.loads(header["__metadata__"]["layerlab"])
    for layer in info["project"]["network"]["layers"]:
        if layer.get("type") == "dense":
            layer["units"] = 65536  # the largest allowed: billions of weights in all
    data = rebuild(dict(header, __metadata__={"layerlab": json.dumps(info)}), body)
    with pytest.raises(ProjectError) as caught:
        model_from_bytes(data, "m.safetensors")
    assert caught.value.where == "tensors" and "the network needs" in caught.value.what


@pytest.mark.parametrize("changes", [{"output_shape": ["a"]}, {"output_shape": [[1]]}])
def test_output_shape_entries_that_are_not_numbers(saved, changes):
    with pytest.raises(ProjectError, match="metadata.layerlab.output_shape: expected a list"):
        model_from_bytes(with_metadata(saved, **changes))


@pytest.mark.parametrize("raw_shape", [[], None, [0], ["a"]])
def test_preprocess_raw_shape_damaged(saved, raw_shape):
    header, body = saved
    info = json.loads(header["__metadata__"]["layerlab"])
    info["preprocess"]["raw_shape"] = raw_shape
    data = rebuild(dict(header, __metadata__={"layerlab": json.dumps(info)}), body)
    with pytest.raises(ProjectError, match="metadata.layerlab.preprocess"):
        model_from_bytes(data)


def test_unicode_names_survive_the_model_file(tmp_path):
    rows = "\n".join(f"{i},{i % 3},{['猫', '🐶'][i % 2]}" for i in range(20))
    (tmp_path / "pets.csv").write_text("α,β b,ÿ\n" + rows + "\n", encoding="utf-8")
    project = parse_project({"layerlab": 1, "name": "Haustiere – ü 🐾",
                             "data": {"source": "csv", "path": "pets.csv", "target": "ÿ"},
                             "network": {"layers": [{"type": "dense", "units": 1,
                                                     "activation": "sigmoid"}]}},
                            str(tmp_path / "p.json"), tmp_path)
    trainer = Trainer(project)
    trainer.step()
    saved = model_from_bytes(model_bytes(trainer))
    assert saved.class_names() == ["猫", "🐶"]
    assert saved.input_names == ["α", "β b"]
    assert saved.project.name == "Haustiere – ü 🐾"
