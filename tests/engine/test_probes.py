"""Probes on real tiny conv networks: filters, feature maps, confusion reports."""
from __future__ import annotations

import numpy as np
import pytest

from engine.graph import build_model
from engine.probes import (class_probabilities, confusion_report, conv_layer_ids,
                           evaluate_confusion, feature_maps, filter_images, filter_weights,
                           first_conv_id, image_probe, layer_outputs, symmetric_scale,
                           tile_images)
from engine.project import parse_project
from engine.trainer import Trainer

CNN = [
    {"type": "conv2d", "filters": 6, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "maxpool2d", "pool_size": 2},
    {"type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"},
    {"type": "flatten"},
    {"type": "dense", "units": 10, "activation": "softmax"},
]


@pytest.fixture(scope="module")
def trained() -> Trainer:
    """A digits CNN trained for two epochs (about half a second)."""
    project = parse_project({"layerlab": 1, "seed": 3, "data": {"source": "digits"},
                             "network": {"layers": CNN},
                             "training": {"optimizer": {"type": "adam", "learning_rate": 0.01},
                                          "batch_size": 32}})
    trainer = Trainer(project)
    trainer.fit(2)
    return trainer


def test_conv_ids_and_filters_follow_the_first_layer(trained: Trainer) -> None:
    model = trained.model
    assert conv_layer_ids(model) == ["conv2d_1", "conv2d_2"]
    assert first_conv_id(model) == "conv2d_1"
    weights = filter_weights(model)
    np.testing.assert_array_equal(weights, model.layers["conv2d_1"].weight.data)
    weights[...] = 0  # a copy: the model keeps its weights
    assert np.abs(model.layers["conv2d_1"].weight.data).max() > 0
    images = filter_images(model)
    assert images.shape == (6, 3, 3)
    assert np.allclose(np.abs(images).reshape(6, -1).max(axis=1), 1.0)
    second = filter_images(model, "conv2d_2")
    expected = symmetric_scale(model.layers["conv2d_2"].weight.data.mean(axis=1))
    np.testing.assert_allclose(second, expected, rtol=1e-6)


def test_filters_need_a_conv_layer() -> None:
    model = build_model([{"type": "flatten"}, {"type": "dense", "units": 3}], (1, 4, 4), 0)
    assert first_conv_id(model) is None
    with pytest.raises(ValueError, match="no conv2d layer"):
        filter_weights(model)
    with pytest.raises(ValueError, match="not a conv2d layer"):
        filter_weights(model, "dense_1")


def test_feature_maps_match_a_plain_forward(trained: Trainer) -> None:
    model = trained.model
    sample = trained.x_test[0]
    maps = feature_maps(model, sample)
    assert list(maps) == ["conv2d_1", "conv2d_2"]
    assert maps["conv2d_1"].shape == (6, 8, 8)
    assert maps["conv2d_2"].shape == (4, 2, 2)
    assert (maps["conv2d_1"] >= 0).all()  # relu outputs
    # The first map is relu(conv(x) + b): check one output pixel by hand.
    weight = model.layers["conv2d_1"].weight.data.astype(np.float64)
    bias = model.layers["conv2d_1"].bias.data.astype(np.float64)
    padded = np.pad(sample[0].astype(np.float64), 1)
    by_hand = max(0.0, float((padded[3:6, 4:7] * weight[2, 0]).sum() + bias[2]))
    assert maps["conv2d_1"][2, 3, 4] == pytest.approx(by_hand, rel=1e-4, abs=1e-5)
    # Probing leaves the training mode and the recorded outputs alone.
    assert model.training
    outputs = layer_outputs(model, trained.x_test[:5])
    np.testing.assert_allclose(outputs["dense_1"], model.predict(trained.x_test[:5]),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="no layer named"):
        layer_outputs(model, trained.x_test[:1], ["nope"])
    with pytest.raises(ValueError, match="takes samples of shape"):
        layer_outputs(model, np.zeros((1, 1, 7, 7)))


def test_confusion_report_on_a_trained_model(trained: Trainer) -> None:
    report = evaluate_confusion(trained.model, trained.x_test, trained.y_test, 10)
    assert report.matrix.shape == (10, 10)
    assert report.matrix.sum() == len(trained.y_test)
    assert report.accuracy == pytest.approx(trained.evaluate()["test_accuracy"])
    per_class = report.per_class_accuracy()
    rows = report.matrix.sum(axis=1)
    np.testing.assert_allclose(per_class, np.diag(report.matrix) / rows)
    wrong = report.most_confidently_wrong(5)
    assert (report.labels[wrong] != report.predicted[wrong]).all()
    confidence = report.confidence()[wrong]
    assert (np.diff(confidence) <= 0).all()


def test_confusion_cells_and_ranking_by_hand() -> None:
    probabilities = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1],
                              [0.1, 0.1, 0.8], [0.95, 0.05, 0.0], [0.3, 0.3, 0.4]])
    labels = np.array([0, 1, 1, 2, 1, 0])
    report = confusion_report(probabilities, labels)
    expected = np.array([[1, 0, 1], [2, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(report.matrix, expected)
    np.testing.assert_array_equal(report.cell_indices(1, 0), [4, 2])  # 0.95 before 0.6
    np.testing.assert_array_equal(report.cell_indices(2, 0), [])
    np.testing.assert_array_equal(report.most_confidently_wrong(10), [4, 2, 5])
    np.testing.assert_array_equal(report.most_confidently_wrong(1), [4])
    np.testing.assert_allclose(report.per_class_accuracy(), [0.5, 1 / 3, 1.0])
    empty_class = confusion_report(probabilities[:2], labels[:2], 3)
    assert np.isnan(empty_class.per_class_accuracy()[2])
    with pytest.raises(ValueError):
        confusion_report(probabilities, labels[:3])


def test_class_probabilities_like_saved_models() -> None:
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    soft = class_probabilities(logits, "linear")
    np.testing.assert_allclose(soft.sum(axis=1), 1.0)
    assert soft[0].argmax() == 2
    np.testing.assert_array_equal(class_probabilities(soft, "softmax"), soft)
    two = class_probabilities(np.array([[0.25]]), "sigmoid")
    np.testing.assert_allclose(two, [[0.75, 0.25]])
    np.testing.assert_allclose(class_probabilities(np.array([[0.0]]), None), [[0.5, 0.5]])


def test_tile_images_lays_out_a_grid() -> None:
    images = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    grid = tile_images(images, columns=3, gap=1, fill=-1)
    assert grid.shape == (2 * 3 - 1, 3 * 4 - 1)
    np.testing.assert_array_equal(grid[:2, :3], images[0])
    np.testing.assert_array_equal(grid[:2, 4:7], images[1])
    np.testing.assert_array_equal(grid[3:5, 4:7], images[4])
    assert (grid[2] == -1).all() and (grid[3:5, 8:11] == -1).all()
    assert tile_images(images).shape == (5, 11)  # 3 columns for 5 images
    with pytest.raises(ValueError):
        tile_images(np.zeros((2, 2)))


def test_image_probe_bundles_everything(trained: Trainer) -> None:
    probe = image_probe(trained.model, trained.x_test, trained.y_test, 10,
                        sample=trained.x_test[1], limit=50)
    assert probe.filters.shape == (6, 3, 3)
    assert set(probe.feature_maps) == {"conv2d_1", "conv2d_2"}
    assert probe.confusion.matrix.sum() == 50
    dense = build_model([{"type": "flatten"}, {"type": "dense", "units": 2}], (1, 4, 4), 0)
    plain = image_probe(dense, np.zeros((3, 1, 4, 4)), np.array([0, 1, 0]), 2)
    assert plain.filters is None and plain.feature_maps == {}
    assert plain.confusion.matrix.sum() == 3


def test_image_prober_throttles_and_budgets_the_confusion(trained: Trainer) -> None:
    from engine.probes import ImageProber
    args = (trained.model, trained.x_test, trained.y_test, 10, trained.x_test[0])
    prober = ImageProber(interval=0.1, budget=1e-9, limit=100)
    first = prober.maybe_probe(*args, now=0.0)
    assert first.confusion is not None and first.confusion.matrix.sum() == 100
    assert prober.maybe_probe(*args, now=0.05) is None  # too soon
    cheap = prober.maybe_probe(*args, now=1.0)
    assert cheap.confusion is None and cheap.filters.shape == (6, 3, 3)
    assert set(cheap.feature_maps) == {"conv2d_1", "conv2d_2"}
    prober.request_confusion()
    assert prober.maybe_probe(*args, now=2.0).confusion is not None
    generous = ImageProber(interval=0.1, budget=1.0, limit=100)
    assert generous.maybe_probe(*args, now=0.0).confusion is not None
    assert generous.maybe_probe(*args, now=5.0).confusion is not None  # cost << 5 s
