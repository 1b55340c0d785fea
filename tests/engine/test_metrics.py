"""Metrics: labels from outputs, accuracy, pooled R², confusion matrix."""
import numpy as np
import pytest

from engine.metrics import accuracy, confusion_matrix, predicted_labels, r2_score


def test_predicted_labels_threshold_one_unit_and_argmax_many():
    np.testing.assert_array_equal(predicted_labels(np.array([[0.2], [0.7], [0.5]])), [0, 1, 0])
    np.testing.assert_array_equal(predicted_labels(np.array([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]])),
                                  [1, 0])


def test_accuracy():
    output = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    assert accuracy(output, np.array([1, 0, 0, 0])) == pytest.approx(0.75)
    assert accuracy(np.array([[0.9], [0.1]]), np.array([1, 1])) == pytest.approx(0.5)


def test_r2_pooled_over_targets():
    target = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    assert r2_score(target, target) == 1.0
    mean_prediction = np.broadcast_to(target.mean(axis=0), target.shape)
    assert r2_score(mean_prediction, target) == pytest.approx(0.0)
    prediction = target + np.array([[0.5, -1.0], [0.0, 2.0], [-0.5, 0.0], [1.0, 1.0]])
    residual = 0.25 + 1 + 0 + 4 + 0.25 + 0 + 1 + 1
    total = 5.0 + 500.0
    assert r2_score(prediction, target) == pytest.approx(1 - residual / total)
    assert r2_score(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 1.0
    assert r2_score(np.array([1.0, 2.0]), np.array([1.0, 1.0])) == 0.0


def test_r2_matches_scikit_learn_variance_weighted():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    target = rng.normal(size=(50, 3)) * [1.0, 5.0, 0.2]
    prediction = target + rng.normal(size=target.shape) * 0.3
    expected = sklearn_metrics.r2_score(target, prediction, multioutput="variance_weighted")
    assert r2_score(prediction, target) == pytest.approx(expected)


def test_confusion_matrix_rows_are_true_classes():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_array_equal(confusion_matrix(labels, predicted, 3), expected)
    assert confusion_matrix(labels, predicted, 4).shape == (4, 4)
    with pytest.raises(ValueError):
        confusion_matrix(labels, predicted, 2)
