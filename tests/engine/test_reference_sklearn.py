"""Metrics and a logistic regression against scikit-learn on the same data."""
from __future__ import annotations

import numpy as np
import pytest

from engine.metrics import predicted_labels
from engine.project import parse_project, prepare
from engine.trainer import Trainer

sklearn_metrics = pytest.importorskip("sklearn.metrics")
linear_model = pytest.importorskip("sklearn.linear_model")


def trained(data: dict, layers: list, epochs: int, **training) -> Trainer:
    """A Trainer after ``epochs`` epochs on ``data`` with ``layers``."""
    project = parse_project({"layerlab": 1, "seed": 5, "data": data,
                             "network": {"layers": layers},
                             "training": {"batch_size": 32, **training}})
    trainer = Trainer(project, prepare(project))
    trainer.fit(epochs)
    return trainer


def test_classification_metrics_match_sklearn():
    trainer = trained({"source": "blobs", "classes": 4, "samples": 300, "noise": 0.3},
                      [{"type": "dense", "units": 8, "activation": "relu"},
                       {"type": "dense", "units": 4, "activation": "softmax"}], 3)
    result = trainer.evaluate()
    for split in ("train", "test"):
        x, y = getattr(trainer, f"x_{split}"), getattr(trainer, f"y_{split}")
        output = trainer.model.predict(x).astype(np.float64)
        output /= output.sum(axis=1, keepdims=True)  # float32 rounding; sklearn checks sums
        assert result[f"{split}_accuracy"] == pytest.approx(
            sklearn_metrics.accuracy_score(y, predicted_labels(output)), abs=1e-12)
        assert result[f"{split}_loss"] == pytest.approx(
            sklearn_metrics.log_loss(y, output, labels=range(4)), rel=1e-5)


def test_regression_r2_matches_sklearn_for_two_targets(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = np.stack([x[:, 0] + 0.1 * rng.normal(size=200), 5 * x[:, 1] * x[:, 2]], axis=1)
    np.savez(tmp_path / "two.npz", x=x, y=y)
    trainer = trained({"source": "npz", "path": str(tmp_path / "two.npz")},
                      [{"type": "dense", "units": 8, "activation": "tanh"},
                       {"type": "dense", "units": 2}], 5,
                      optimizer={"type": "adam", "learning_rate": 0.02})
    result = trainer.evaluate()
    for split in ("train", "test"):
        x_split, y_split = getattr(trainer, f"x_{split}"), getattr(trainer, f"y_{split}")
        prediction = trainer.model.predict(x_split).astype(np.float64)
        expected = sklearn_metrics.r2_score(y_split, prediction,
                                            multioutput="variance_weighted")
        assert result[f"{split}_r2"] == pytest.approx(expected, abs=1e-5)
        assert result[f"{split}_loss"] == pytest.approx(
            sklearn_metrics.mean_squared_error(y_split, prediction), rel=1e-5)


def test_one_sigmoid_unit_reaches_logistic_regression_accuracy():
    """dense(1, sigmoid) + binary cross-entropy is logistic regression: same accuracy."""
    data = {"source": "gaussian", "samples": 400, "noise": 0.35, "test_fraction": 0.5}
    trainer = trained(data, [{"type": "dense", "units": 1, "activation": "sigmoid"}], 150,
                      optimizer={"type": "adam", "learning_rate": 0.05})
    reference = linear_model.LogisticRegression(C=1e6, max_iter=2000)
    reference.fit(trainer.x_train, trainer.y_train)
    ours = trainer.evaluate()
    for split in ("train", "test"):
        x, y = getattr(trainer, f"x_{split}"), getattr(trainer, f"y_{split}")
        theirs = reference.score(x, y)
        assert 0.75 < theirs < 1.0  # overlapping clouds: the comparison means something
        assert ours[f"{split}_accuracy"] >= theirs - 0.01, split
    # The same boundary: both models agree on almost every test point.
    ours_labels = predicted_labels(trainer.model.predict(trainer.x_test))
    assert np.mean(ours_labels == reference.predict(trainer.x_test)) >= 0.98
    # And the same direction of the weight vector.
    weight = trainer.model.layers["dense_1"].weight.data[:, 0].astype(np.float64)
    cosine = weight @ reference.coef_[0] / np.linalg.norm(weight) / np.linalg.norm(
        reference.coef_[0])
    assert cosine > 0.99
