"""Model files: round trips for every kind of data, and every way a file can be wrong."""
from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load, save

from engine.errors import ProjectError
from engine.modelfile import ModelParts, load_model, model_bytes, save_model
from engine.project import parse_project, prepare

SPIRAL = {
    "layerlab": 1, "name": "Spiral", "seed": 7,
    "data": {"source": "spiral", "samples": 200, "noise": 0.1,
             "features": ["x1", "x2", "sin(x1)", "sin(x2)"]},
    "network": {"layers": [{"type": "dense", "units": 8, "activation": "tanh"},
                           {"type": "batchnorm"},
                           {"type": "dense", "units": 1, "activation": "sigmoid"}]},
    "training": {"batch_size": 16},
}
BLOBS = {
    "layerlab": 1, "data": {"source": "blobs", "classes": 3, "samples": 150},
    "network": {"layers": [{"type": "dense", "units": 6, "activation": "relu", "id": "h"},
                           {"type": "dense", "units": 3, "activation": "softmax"}]},
}
PLANE = {
    "layerlab": 1, "data": {"source": "plane", "samples": 100},
    "network": {"layers": [{"type": "dense", "units": 4, "activation": "tanh"},
                           {"type": "dense", "units": 1}]},
}
DIGITS = {
    "layerlab": 1, "data": {"source": "digits", "test_fraction": 0.9},
    "network": {"layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3},
                           {"type": "maxpool2d"}, {"type": "flatten"},
                           {"type": "dense", "units": 10, "activation": "softmax"}]},
}


def saved_file(tmp_path: Path, raw: dict, name: str = "model.safetensors"):
    project = parse_project(raw, "project.json")
    prepared = prepare(project)
    path = tmp_path / name
    save_model(path, ModelParts.from_prepared(project, prepared))
    return path, project, prepared


def rewrite(path: Path, tensors=None, metadata=None) -> Path:
    """Save a modified copy of a model file's tensors and/or metadata."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header_meta = json.loads(data[8:8 + length])["__metadata__"]
    arrays = load(data)
    if tensors is not None:
        arrays = tensors(arrays)
    if metadata is not None:
        header_meta = metadata(header_meta)
    out = path.with_name("changed.safetensors")
    out.write_bytes(save(arrays, metadata=header_meta))
    return out


def load_error(path: Path) -> ProjectError:
    with pytest.raises(ProjectError) as info:
        load_model(path)
    error = info.value
    assert error.file == str(path)
    assert str(error).startswith(f"{path}: {error.where}: ")
    return error


# --------------------------------------------------------------------------- round trips
def test_binary_classifier_round_trip_gives_two_probability_columns(tmp_path):
    path, project, prepared = saved_file(tmp_path, SPIRAL)
    # Move the batchnorm statistics away from their initial values so the buffers matter.
    prepared.model.layers["batchnorm_1"].running_mean.data[...] = 0.25
    save_model(path, ModelParts.from_prepared(project, prepared))
    saved = load_model(path)
    x_raw = prepared.dataset.x_test[:20]
    p = prepared.model.predict(prepared.preprocessor.transform(x_raw))[:, 0]
    probabilities = saved.predict(x_raw)
    assert probabilities.shape == (20, 2)
    np.testing.assert_allclose(probabilities[:, 1], p, rtol=1e-6)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(saved.predict_labels(x_raw), (p > 0.5).astype(int))
    np.testing.assert_array_equal(saved.model.layers["batchnorm_1"].running_mean.data, 0.25)
    assert saved.task == "classification" and saved.classes == prepared.dataset.classes
    assert saved.project.to_json() == project.to_json()
    assert saved.sample_shape == (2,) and saved.kind == "2d"
    assert saved.preprocessor.features == ["x1", "x2", "sin(x1)", "sin(x2)"]


def test_multiclass_round_trip(tmp_path):
    path, _, prepared = saved_file(tmp_path, BLOBS)
    saved = load_model(path)
    x_raw = prepared.dataset.x_train[:7]
    expected = prepared.model.predict(prepared.preprocessor.transform(x_raw))
    np.testing.assert_allclose(saved.predict(x_raw), expected, rtol=1e-6)
    assert saved.class_names() == prepared.dataset.classes
    assert saved.predict(x_raw[:0]).shape == (0, 3)


def test_regression_round_trip(tmp_path):
    path, _, prepared = saved_file(tmp_path, PLANE)
    saved = load_model(path)
    x_raw = prepared.dataset.x_test[:5]
    expected = prepared.model.predict(prepared.preprocessor.transform(x_raw))
    np.testing.assert_allclose(saved.predict(x_raw), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="classification"):
        saved.predict_labels(x_raw)


def test_image_round_trip_accepts_images_with_or_without_channel_axis(tmp_path):
    path, _, prepared = saved_file(tmp_path, DIGITS)
    saved = load_model(path)
    images = prepared.dataset.x_test[:4]
    expected = prepared.model.predict(prepared.preprocessor.transform(images))
    np.testing.assert_allclose(saved.predict(images), expected, rtol=1e-5)
    np.testing.assert_allclose(saved.predict(images[:, 0]), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="shape"):
        saved.predict(np.zeros((2, 3, 3), np.float32))


def test_logit_outputs_are_turned_into_probabilities():
    from engine.data.preprocess import Preprocessor
    from engine.graph import build_model
    from engine.modelfile import SavedModel
    identity = Preprocessor("vector", (2,), None, np.zeros(2), np.ones(2))
    x = np.array([[0.0, 0.0], [300.0, -300.0], [-300.0, 300.0]], np.float32)
    for units in (1, 3):
        model = build_model([{"type": "dense", "units": units}], (2,), 0)
        saved = SavedModel(model, None, identity, None, "classification")
        logits = model.predict(x)
        probabilities = saved.predict(x)
        assert np.all(np.isfinite(probabilities))
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
        if units == 1:
            np.testing.assert_allclose(probabilities[0, 1], 1 / (1 + np.exp(-logits[0, 0])),
                                       rtol=1e-6)
        else:
            expected = np.exp(logits[0]) / np.exp(logits[0]).sum()
            np.testing.assert_allclose(probabilities[0], expected, rtol=1e-5)
        assert saved.class_names() == [str(k) for k in range(max(units, 2))]


def test_float64_models_stay_float64(tmp_path):
    project = parse_project(PLANE, "p.json")
    prepared = prepare(project, dtype=np.float64)
    path = tmp_path / "m64.safetensors"
    save_model(path, ModelParts.from_prepared(project, prepared))
    saved = load_model(path)
    assert saved.model.dtype == np.float64
    assert all(p.data.dtype == np.float64 for p in saved.model.parameters())
    x_raw = prepared.dataset.x_test[:4]
    expected = prepared.model.predict(prepared.preprocessor.transform(x_raw, np.float64))
    result = saved.predict(x_raw)
    assert result.dtype == np.float64
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_trainer_can_be_saved_directly(tmp_path):
    from engine.trainer import Trainer
    project = parse_project(BLOBS, "project.json")
    trainer = Trainer(project)
    for _ in range(3):
        trainer.step()
    save_model(tmp_path / "t.safetensors", trainer)
    saved = load_model(tmp_path / "t.safetensors")
    for name, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(saved.model.state_dict()[name], value)


def test_file_layout_metadata_and_tensor_names(tmp_path):
    path, project, prepared = saved_file(tmp_path, SPIRAL)
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    info = json.loads(header["__metadata__"]["layerlab"])
    assert info["format"] == 1
    assert info["project"]["network"] == project.to_json()["network"]
    assert info["input_shape"] == [4] and info["sample_shape"] == [2]
    assert info["classes"] == prepared.dataset.classes and info["task"] == "classification"
    assert info["preprocess"]["features"] == ["x1", "x2", "sin(x1)", "sin(x2)"]
    assert set(load(data)) == {"dense_1.weight", "dense_1.bias", "batchnorm_1.gamma",
                               "batchnorm_1.beta", "batchnorm_1.running_mean",
                               "batchnorm_1.running_var", "dense_2.weight", "dense_2.bias",
                               "preprocess.mean", "preprocess.std"}
    np.testing.assert_array_equal(load(data)["preprocess.mean"], prepared.preprocessor.mean)


def test_saving_is_deterministic_and_replaces_the_old_file(tmp_path):
    project = parse_project(BLOBS, "p.json")
    parts = ModelParts.from_prepared(project, prepare(project))
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"old")
    save_model(path, parts)
    assert path.read_bytes() == model_bytes(parts)
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]
    with pytest.raises(TypeError):
        model_bytes(object())


# --------------------------------------------------------------------------- broken files
def test_missing_and_non_safetensors_files(tmp_path):
    assert load_error(tmp_path / "none.safetensors").what == "file not found"
    text = tmp_path / "text.safetensors"
    text.write_text('{"layerlab": 1}')
    assert "not a model file" in load_error(text).what
    short = tmp_path / "short.safetensors"
    short.write_bytes(b"abc")
    assert "too short" in load_error(short).what


def test_a_pickle_is_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(Exploit()))
    assert "not a model file" in load_error(path).what
    assert not marker.exists()


def test_truncated_file_is_corrupt(tmp_path):
    path, _, _ = saved_file(tmp_path, BLOBS)
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(path.read_bytes()[:-10])
    assert "corrupt safetensors data" in load_error(cut).what


def test_safetensors_without_layerlab_metadata(tmp_path):
    path = tmp_path / "plain.safetensors"
    path.write_bytes(save({"w": np.zeros(3, np.float32)}))
    error = load_error(path)
    assert error.where == "metadata" and '"layerlab" entry' in error.what


def test_bad_metadata(tmp_path):
    path, _, _ = saved_file(tmp_path, BLOBS)
    broken = rewrite(path, metadata=lambda meta: {"layerlab": "{not json"})
    assert load_error(broken).where == "metadata.layerlab"

    def newer(meta):
        info = json.loads(meta["layerlab"])
        info["format"] = 2
        return {"layerlab": json.dumps(info)}

    error = load_error(rewrite(path, metadata=newer))
    assert error.what == "this model file needs a newer LayerLab (format 2; this version reads 1)"

    def bad_layer(meta):
        info = json.loads(meta["layerlab"])
        info["project"]["network"]["layers"][0]["units"] = "six"
        return {"layerlab": json.dumps(info)}

    error = load_error(rewrite(path, metadata=bad_layer))
    assert error.where == "metadata.layerlab.project.network.layers[0].units"

    def no_task(meta):
        info = json.loads(meta["layerlab"])
        del info["task"]
        return {"layerlab": json.dumps(info)}

    assert load_error(rewrite(path, metadata=no_task)).where == "metadata.layerlab.task"

    def wrong_classes(meta):
        info = json.loads(meta["layerlab"])
        info["classes"] = ["a", "b", "c", "d", "e"]
        return {"layerlab": json.dumps(info)}

    error = load_error(rewrite(path, metadata=wrong_classes))
    assert error.what == "5 classes but the network has 3 outputs"


def test_missing_extra_wrong_shaped_and_non_finite_tensors(tmp_path):
    path, _, _ = saved_file(tmp_path, BLOBS)

    def without(name):
        return lambda arrays: {k: v for k, v in arrays.items() if k != name}

    error = load_error(rewrite(path, tensors=without("h.bias")))
    assert error.where == "tensors" and error.what == \
        "missing tensors the network needs: h.bias"
    error = load_error(rewrite(path, tensors=lambda a: {**a, "extra.weight": np.ones(2)}))
    assert error.what == "tensors the network does not have: extra.weight"
    error = load_error(rewrite(path, tensors=lambda a: {**a, "h.weight": np.ones((3, 6),
                                                                                 np.float32)}))
    assert error.where == "tensors.h.weight"
    assert error.what == "has shape (3, 6); the network needs (2, 6)"
    nan = {"h.bias": np.full(6, np.nan, np.float32)}
    assert "NaN" in load_error(rewrite(path, tensors=lambda a: {**a, **nan})).what
    ints = {"h.bias": np.zeros(6, np.int32)}
    assert "floating-point" in load_error(rewrite(path, tensors=lambda a: {**a, **ints})).what
    error = load_error(rewrite(path, tensors=without("preprocess.std")))
    assert error.where == "metadata.layerlab.preprocess"
