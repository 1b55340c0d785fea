"""Generated and bundled data sources: shapes, ranges, determinism, balance, Playground rules."""
from __future__ import annotations

import numpy as np
import pytest

from engine.data import describe_sources, load_dataset, validate_data_settings
from engine.data.playground2d import CircleSource, SpiralSource, XorSource
from engine.data.regression2d import GAUSSIAN_BUMPS, MultiGaussSource, PlaneSource
from engine.errors import ProjectError
from engine.registry import SOURCES

CLASSIFY_2D = ["circle", "xor", "gaussian", "spiral", "moons", "blobs"]
REGRESS_2D = ["plane", "multigauss"]
SPEC_SOURCES = ["circle", "xor", "gaussian", "spiral", "moons", "blobs", "plane", "multigauss",
                "points", "digits", "idx", "csv", "npz"]


def test_every_spec_source_is_registered_with_help_kind_and_params():
    assert set(SPEC_SOURCES) <= set(SOURCES.names())
    described = {entry["name"]: entry for entry in describe_sources()}
    for name in SPEC_SOURCES:
        entry = described[name]
        assert entry["help"] and entry["kind"] in ("2d", "image", "vector")
        names = [p["name"] for p in entry["params"]]
        assert "test_fraction" in names
        assert ("features" in names) == (entry["kind"] == "2d")
    assert described["blobs"]["params"][-1] == {
        "name": "classes", "kind": "int", "default": 3, "help": "number of classes (clouds)",
        "required": False, "nullable": False, "minimum": 2, "maximum": 6}
    test_fraction = {p["name"]: p for p in described["circle"]["params"]}["test_fraction"]
    assert test_fraction["default"] == 0.5
    assert {p["name"]: p for p in described["digits"]["params"]}["test_fraction"]["default"] == 0.2


@pytest.mark.parametrize("name", CLASSIFY_2D)
def test_2d_classification_shapes_ranges_balance(name):
    data = load_dataset({"source": name, "samples": 400, "noise": 0.1}, seed=3)
    assert data.kind == "2d" and data.task == "classification"
    assert data.x_train.shape == (200, 2) and data.x_test.shape == (200, 2)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.input_names == ["x1", "x2"]
    assert np.abs(data.x_all()).max() <= 6.0 + 3 * 0.1 * 3 + 2.5  # within the Playground frame
    counts = np.bincount(data.y_all(), minlength=data.n_classes)
    assert len(counts) == data.n_classes and counts.min() > 0
    # Stratified split: each class's share of the test set matches its share overall.
    test_counts = np.bincount(data.y_test, minlength=data.n_classes)
    assert np.all(np.abs(test_counts - counts / 2) <= 1)


@pytest.mark.parametrize("name", CLASSIFY_2D + REGRESS_2D)
def test_2d_sets_are_deterministic_per_seed(name):
    first = load_dataset({"source": name, "samples": 100, "noise": 0.2}, seed=11)
    again = load_dataset({"source": name, "samples": 100, "noise": 0.2}, seed=11)
    other = load_dataset({"source": name, "samples": 100, "noise": 0.2}, seed=12)
    np.testing.assert_array_equal(first.x_train, again.x_train)
    np.testing.assert_array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.x_train, other.x_train)


@pytest.mark.parametrize("name", REGRESS_2D)
def test_2d_regression_targets(name):
    data = load_dataset({"source": name}, seed=0)
    assert data.task == "regression" and data.n_targets == 1 and data.classes is None
    assert data.n_train + data.n_test == 1200  # the Playground's regression sample count
    assert data.y_train.shape == (600, 1) and data.y_train.dtype == np.float32
    assert np.abs(data.x_all()).max() <= 6.0
    assert np.abs(data.y_all()).max() <= (1.2 if name == "plane" else 1.0)


def test_plane_target_without_noise_is_scaled_sum():
    points, targets = PlaneSource.generate(300, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(targets, points.sum(axis=1) / 10.0)


def test_multigauss_picks_the_strongest_bump():
    rng = np.random.default_rng(0)
    points, targets = MultiGaussSource.generate(500, 0.0, rng)
    centres = GAUSSIAN_BUMPS[:, :2]
    np.testing.assert_allclose(MultiGaussSource.generate(6, 0.0, _FixedPoints(centres))[1],
                               GAUSSIAN_BUMPS[:, 2])
    # Far from every centre (distance >= 2) the target is 0.
    far = np.min(np.hypot(*(points[:, None, :] - centres).transpose(2, 0, 1)), axis=1) >= 2
    assert far.any() and np.all(targets[far] == 0)


class _FixedPoints:
    """A stand-in generator whose uniform draws return given points, then zeros (no noise)."""

    def __init__(self, points: np.ndarray) -> None:
        self.calls = [points]

    def uniform(self, low, high, size):
        return self.calls.pop(0) if self.calls else np.zeros(size)


def test_circle_labels_follow_radius_without_noise():
    points, labels = CircleSource.generate(401, 0.0, np.random.default_rng(1))
    radius = np.hypot(points[:, 0], points[:, 1])
    np.testing.assert_array_equal(labels, (radius < 2.5).astype(int))
    assert labels.sum() == 201  # the odd point goes to the first (positive) class
    assert radius[labels == 1].max() <= 2.5 and radius[labels == 0].min() >= 3.5


def test_circle_noise_flips_labels_but_keeps_points():
    points, labels = CircleSource.generate(2000, 0.5, np.random.default_rng(1))
    inside = np.hypot(points[:, 0], points[:, 1]) < 2.5
    mismatch = np.mean(inside != labels.astype(bool))
    assert 0.05 < mismatch < 0.6
    assert np.hypot(points[:, 0], points[:, 1]).max() <= 5.0


def test_xor_padding_and_labels():
    points, labels = XorSource.generate(1000, 0.0, np.random.default_rng(2))
    assert np.abs(points).min() >= 0.3 and np.abs(points).max() <= 5.3
    np.testing.assert_array_equal(labels, (points[:, 0] * points[:, 1] >= 0).astype(int))


def test_gaussian_variance_follows_noise_scale():
    quiet = load_dataset({"source": "gaussian", "samples": 4000}, seed=0)
    loud = load_dataset({"source": "gaussian", "samples": 4000, "noise": 0.5}, seed=0)
    for data, variance in ((quiet, 0.5), (loud, 4.0)):
        positives = data.x_all()[data.y_all() == 1]
        np.testing.assert_allclose(positives.mean(axis=0), [2, 2], atol=0.15)
        np.testing.assert_allclose(positives.var(axis=0), [variance] * 2, rtol=0.12)


def test_spiral_arms_without_noise():
    points, labels = SpiralSource.generate(200, 0.0, np.random.default_rng(0))
    radius = np.hypot(points[:, 0], points[:, 1])
    np.testing.assert_allclose(radius[:100], np.arange(100) / 100 * 5, atol=1e-12)
    np.testing.assert_allclose(points[100:], -points[:100], atol=1e-12)  # the other arm: +pi
    np.testing.assert_array_equal(labels, np.repeat([1, 0], 100))


def test_moons_and_blobs():
    moons = load_dataset({"source": "moons", "samples": 300}, seed=0)
    top = moons.x_all()[moons.y_all() == 0]
    bottom = moons.x_all()[moons.y_all() == 1]
    assert top[:, 1].mean() > bottom[:, 1].mean()
    assert np.abs(moons.x_all()).max() <= 4.5 + 1e-6
    blobs = load_dataset({"source": "blobs", "samples": 600, "classes": 5, "noise": 0.0},
                         seed=0)
    assert blobs.classes == ["0", "1", "2", "3", "4"]
    counts = np.bincount(blobs.y_all())
    np.testing.assert_array_equal(counts, [120] * 5)
    centre = blobs.x_all()[blobs.y_all() == 0].mean(axis=0)
    np.testing.assert_allclose(centre, [0, 4], atol=0.25)


def test_points_source():
    pts = [[0, 0, 0], [1, 1, 1], [2, 2, 1], [3, 1, 0], [-1, -2, 2], [-2, -1, 2]]
    data = load_dataset({"source": "points", "points": pts}, seed=0)
    assert data.classes == ["0", "1", "2"] and data.n_train + data.n_test == 6
    assert sorted(map(tuple, data.x_all().tolist())) == sorted((p[0], p[1]) for p in pts)
    assert np.bincount(data.y_test).tolist() == [1, 1, 1]
    one_class = load_dataset({"source": "points", "points": [[0, 0, 0], [1, 1, 0]],
                              "test_fraction": 0.0}, seed=0)
    assert one_class.classes == ["0", "1"] and one_class.n_test == 0
    with pytest.raises(ProjectError, match="at least 2 points"):
        load_dataset({"source": "points", "points": [[0, 0, 1]]}, seed=0)
    with pytest.raises(ProjectError, match=r"data\.points\[1\]\[2\].*too large"):
        load_dataset({"source": "points", "points": [[0, 0, 1], [1, 1, 12]]}, seed=0)
    with pytest.raises(ProjectError, match=r"data\.points: missing"):
        load_dataset({"source": "points"}, seed=0)


def test_digits_bundled_set():
    data = load_dataset({"source": "digits"}, seed=0)
    assert data.kind == "image" and data.classes == [str(k) for k in range(10)]
    assert data.n_train + data.n_test == 1797
    assert data.n_test == round(1797 * 0.2)
    assert data.sample_shape == (1, 8, 8) and data.x_train.dtype == np.float32
    values = data.x_all()
    assert values.min() == 0.0 and values.max() == 1.0
    np.testing.assert_array_equal(np.unique(values * 16), np.arange(17))  # 0-16 scaled by 1/16
    np.testing.assert_array_equal(np.bincount(data.y_all()),
                                  [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    assert len(data.input_names) == 64 and data.input_names[9] == "px_1_1"
    limited = load_dataset({"source": "digits", "limit": 100}, seed=0)
    assert limited.n_train + limited.n_test == 100


def test_validation_messages_name_the_place():
    with pytest.raises(ProjectError, match=r"data\.noise: 2 is out of range"):
        validate_data_settings({"source": "circle", "noise": 2}, "p.json")
    with pytest.raises(ProjectError, match=r"data\.features\[1\]: \"x3\" is not allowed"):
        validate_data_settings({"source": "circle", "features": ["x1", "x3"]}, "p.json")
    with pytest.raises(ProjectError, match=r"data\.features: choose at least one"):
        validate_data_settings({"source": "circle", "features": []}, "p.json")
    with pytest.raises(ProjectError, match=r"data\.features: unknown field"):
        validate_data_settings({"source": "digits", "features": ["x1"]}, "p.json")
    with pytest.raises(ProjectError, match=r"data\.source: unknown data source \"wave\""):
        validate_data_settings({"source": "wave"}, "p.json")
    with pytest.raises(ProjectError, match=r"data\.source: missing"):
        validate_data_settings({}, "p.json")
    settings = validate_data_settings({"source": "spiral"})
    assert settings == {"source": "spiral", "samples": 500, "noise": 0.0, "test_fraction": 0.5,
                        "features": ["x1", "x2"]}
    settings["features"].append("x1^2")  # a caller editing its copy must not change defaults
    assert validate_data_settings({"source": "spiral"})["features"] == ["x1", "x2"]
    assert validate_data_settings(settings) == settings


def test_describe_sources_is_plain_json_in_listing_order():
    import json
    described = describe_sources()
    assert json.loads(json.dumps(described)) == described
    assert [entry["name"] for entry in described][:len(SPEC_SOURCES)] == SPEC_SOURCES
    tasks = {entry["name"]: entry["task"] for entry in described}
    assert tasks["plane"] == "regression" and tasks["csv"] is None
