"""Evaluation metrics: predicted labels, accuracy, R² and the confusion matrix (all vectorised)."""
from __future__ import annotations

import numpy as np


def predicted_labels(output: np.ndarray) -> np.ndarray:
    """Class labels from a network output: one sigmoid unit thresholds at 0.5, else argmax."""
    output = np.asarray(output)
    if output.ndim == 1 or output.shape[-1] == 1:
        return (output.reshape(len(output)) > 0.5).astype(np.int64)
    return output.argmax(axis=-1).astype(np.int64)


def accuracy(output: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of samples whose predicted class (from ``output``) equals ``labels``."""
    labels = np.asarray(labels).reshape(-1)
    if labels.size == 0:
        return float("nan")
    return float(np.count_nonzero(predicted_labels(output) == labels)) / labels.size


def r2_score(prediction: np.ndarray, target: np.ndarray) -> float:
    """Coefficient of determination 1 − SS_res/SS_tot, pooled over all target columns.

    Each column's total sum of squares is taken around that column's mean; the sums are then
    added over columns (scikit-learn's ``multioutput="variance_weighted"``). A constant target
    gives 1.0 when predicted exactly and 0.0 otherwise, as scikit-learn does.
    """
    target = np.asarray(target, dtype=np.float64)
    prediction = np.asarray(prediction, dtype=np.float64).reshape(target.shape)
    if target.size == 0:
        return float("nan")
    columns = target.reshape(len(target), -1)
    residual = float(np.square(columns - prediction.reshape(columns.shape)).sum())
    total = float(np.square(columns - columns.mean(axis=0)).sum())
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts (n_classes × n_classes): row = true class, column = predicted class."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    predicted = np.asarray(predicted, dtype=np.int64).reshape(-1)
    if labels.shape != predicted.shape:
        raise ValueError(f"labels {labels.shape} and predictions {predicted.shape} "
                         "differ in length")
    for array, what in ((labels, "labels"), (predicted, "predictions")):
        if array.size and (array.min() < 0 or array.max() >= n_classes):
            raise ValueError(f"{what} must lie in 0..{n_classes - 1}")
    counts = np.bincount(labels * n_classes + predicted, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)
