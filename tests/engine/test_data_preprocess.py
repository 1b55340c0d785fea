"""Feature transforms, the preprocessor (fit on train only, round trip) and the split."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.data import (FEATURE_NAMES, Preprocessor, apply_features, load_dataset,
                         make_dataset, split_indices)


def test_feature_transform_values():
    points = np.array([[1.0, 2.0], [-0.5, 3.0], [0.0, -np.pi / 2]])
    out = apply_features(points, list(FEATURE_NAMES))
    assert FEATURE_NAMES == ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
    expected = np.array([[1.0, 2.0, 1.0, 4.0, 2.0, np.sin(1.0), np.sin(2.0)],
                         [-0.5, 3.0, 0.25, 9.0, -1.5, np.sin(-0.5), np.sin(3.0)],
                         [0.0, -np.pi / 2, 0.0, np.pi ** 2 / 4, 0.0, 0.0, -1.0]])
    np.testing.assert_allclose(out, expected, atol=1e-15)
    np.testing.assert_array_equal(apply_features(points, ["x2", "x1"]), points[:, ::-1])
    assert apply_features(points.astype(np.float32), ["x1^2"]).dtype == np.float32
    with pytest.raises(ValueError, match="unknown feature 'x3'"):
        apply_features(points, ["x3"])
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        apply_features(np.zeros((3, 3)), ["x1"])


def test_2d_preprocessor_fits_on_training_split_only():
    data = load_dataset({"source": "spiral", "noise": 0.2,
                         "features": ["x1", "x2", "sin(x1)", "x1*x2"]}, seed=4)
    pre = Preprocessor.fit(data)
    assert pre.features == ["x1", "x2", "sin(x1)", "x1*x2"] and pre.input_shape == (4,)
    assert pre.mean.shape == (4,) and pre.mean.dtype == np.float32
    train = pre.transform(data.x_train)
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-5)
    raw_features = apply_features(data.x_train.astype(np.float64), pre.features)
    np.testing.assert_allclose(pre.mean, raw_features.mean(axis=0), rtol=1e-5, atol=1e-6)
    test = pre.transform(data.x_test)
    assert test.dtype == np.float32 and not np.allclose(test.mean(axis=0), 0, atol=1e-5)
    # An explicit feature list wins over the dataset's settings.
    assert Preprocessor.fit(data, ["x2^2"]).input_shape == (1,)
    assert pre.transform(data.x_test, dtype=np.float64).dtype == np.float64


def test_image_preprocessor_uses_one_scalar_per_channel():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(0, 1, (50, 1, 4, 4)), rng.uniform(5, 9, (50, 1, 4, 4))],
                       axis=1)
    x[:, 1, 0, 0] = 7.0  # a constant pixel must not get its own scale
    data = make_dataset(x, np.arange(50) % 2, task="classification", kind="image",
                        source="npz", test_fraction=0.2, rng=np.random.default_rng(0),
                        classes=["a", "b"])
    pre = Preprocessor.fit(data)
    assert pre.features is None and pre.input_shape == (2, 4, 4)
    assert pre.mean.shape == (2, 1, 1) and pre.std.shape == (2, 1, 1)
    np.testing.assert_allclose(pre.mean[:, 0, 0], data.x_train.mean(axis=(0, 2, 3)), rtol=1e-5)
    out = pre.transform(data.x_train)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, atol=1e-5)
    with pytest.raises(ValueError, match=r"expected samples of shape \(2, 4, 4\)"):
        pre.transform(np.zeros((3, 4, 4)))


def test_one_channel_images_may_omit_the_channel_axis():
    data = load_dataset({"source": "digits", "limit": 200}, seed=0)
    pre = Preprocessor.fit(data)
    np.testing.assert_array_equal(pre.transform(data.x_test[:, 0]), pre.transform(data.x_test))


def test_constant_feature_std_floor():
    x = np.stack([np.linspace(-1, 1, 40), np.full(40, 3.0)], axis=1)
    data = make_dataset(x, x[:, 0], task="regression", kind="vector", source="csv",
                        test_fraction=0.25, rng=np.random.default_rng(0))
    pre = Preprocessor.fit(data)
    assert pre.std[1] == 1.0 and pre.mean[1] == 3.0
    np.testing.assert_array_equal(pre.transform(data.x_test)[:, 1], 0.0)


@pytest.mark.parametrize("settings", [
    {"source": "circle", "features": ["x1^2", "x2^2", "sin(x2)"]},
    {"source": "digits", "limit": 300},
])
def test_preprocessor_round_trip_through_json_and_arrays(settings):
    data = load_dataset(settings, seed=2)
    pre = Preprocessor.fit(data)
    saved_json = json.loads(json.dumps(pre.to_json()))
    arrays = {name: np.array(value) for name, value in pre.to_arrays().items()}
    assert set(arrays) == {"mean", "std"} and all(a.dtype == np.float32 for a in arrays.values())
    again = Preprocessor.from_saved(saved_json, arrays)
    assert again.features == pre.features and again.input_shape == pre.input_shape
    assert again.raw_shape == pre.raw_shape and again.kind == pre.kind
    np.testing.assert_array_equal(again.transform(data.x_test), pre.transform(data.x_test))
    with pytest.raises(ValueError, match="missing"):
        Preprocessor.from_saved({"kind": "2d"}, arrays)
    with pytest.raises(ValueError, match="must have shape"):
        Preprocessor.from_saved(saved_json, {"mean": np.zeros(9), "std": np.ones(9)})


def test_vector_preprocessor_rejects_features():
    with pytest.raises(ValueError, match="2-D data only"):
        Preprocessor("vector", (3,), ["x1"], np.zeros(3), np.ones(3))


def test_split_is_deterministic_stratified_and_complete():
    labels = np.repeat([0, 1, 2], [60, 30, 10])
    train, test = split_indices(100, 0.3, np.random.default_rng(5), labels=labels)
    again_train, again_test = split_indices(100, 0.3, np.random.default_rng(5), labels=labels)
    np.testing.assert_array_equal(train, again_train)
    np.testing.assert_array_equal(test, again_test)
    assert len(test) == 30 and sorted(np.concatenate([train, test]).tolist()) == list(range(100))
    assert np.bincount(labels[test]).tolist() == [18, 9, 3]
    assert not np.array_equal(np.sort(train), train)  # shuffled, not in file order
    plain_train, plain_test = split_indices(10, 0.5, np.random.default_rng(0))
    assert len(plain_test) == 5 and set(plain_train).isdisjoint(plain_test)
    _, none = split_indices(10, 0.0, np.random.default_rng(0), labels=np.arange(10) % 2)
    assert len(none) == 0
    keep_one, _ = split_indices(3, 0.9, np.random.default_rng(0))
    assert len(keep_one) == 1
