"""Looking inside an image classifier: filters, feature maps and where it goes wrong.

Everything here is plain numpy on a built ``engine.model.Model``; nothing records gradients
or changes the weights, so the GUI worker can call it between training steps. Inputs are
network inputs (already preprocessed) unless a function says otherwise.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from engine.graph import INPUT
from engine.metrics import confusion_matrix
from engine.tensor import Tensor, no_grad

CONV_TYPES = ("conv2d",)


def conv_layer_ids(model) -> list[str]:
    """Ids of the model's convolution layers in run order."""
    return [layer_id for layer_id, layer in model.layers.items()
            if getattr(layer, "type_name", None) in CONV_TYPES]


def first_conv_id(model) -> str | None:
    """Id of the first convolution layer that reads the model input directly, else the first."""
    conv_ids = conv_layer_ids(model)
    for layer_id in conv_ids:
        if INPUT in model.inputs_of[layer_id]:
            return layer_id
    return conv_ids[0] if conv_ids else None


def filter_weights(model, layer_id: str | None = None) -> np.ndarray:
    """A copy of a conv layer's weights ``(filters, in_channels, k, k)`` (default: the first).

    Raises ValueError when the model has no convolution layer.
    """
    layer_id = layer_id or first_conv_id(model)
    if layer_id is None:
        raise ValueError("the network has no conv2d layer, so it has no filters to show")
    layer = model.layers[layer_id]
    if getattr(layer, "type_name", None) not in CONV_TYPES:
        raise ValueError(f"layer {layer_id!r} is a {layer.type_name}, not a conv2d layer")
    return np.array(layer.weight.data, copy=True)


def filter_images(model, layer_id: str | None = None) -> np.ndarray:
    """Filters as ``(filters, k, k)`` images in [-1, 1]: channels averaged, each scaled alone.

    Scaling each filter by its own largest magnitude keeps zero at zero, so a diverging
    colour map shows excitatory (positive) and inhibitory (negative) weights faithfully.
    """
    weights = filter_weights(model, layer_id).astype(np.float64)
    images = weights.mean(axis=1)
    return symmetric_scale(images).astype(np.float32)


def symmetric_scale(images: np.ndarray) -> np.ndarray:
    """Divide each image (first axis) by its largest absolute value; all-zero images stay 0."""
    images = np.asarray(images, dtype=np.float64)
    peak = np.abs(images).reshape(len(images), math.prod(images.shape[1:])).max(
        axis=1, initial=0.0)
    peak = np.where(peak > 0, peak, 1.0).reshape((-1,) + (1,) * (images.ndim - 1))
    return images / peak


def tile_images(images: np.ndarray, columns: int | None = None, gap: int = 1,
                fill: float = np.nan) -> np.ndarray:
    """Lay ``(N, H, W)`` images out in a grid ``(rows*(H+gap)-gap, columns*(W+gap)-gap)``.

    ``columns`` defaults to a near-square grid; the gaps and empty cells get ``fill`` (NaN
    lets an image view draw them transparent).
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ValueError(f"expected images (N, H, W), got shape {images.shape}")
    count, height, width = images.shape
    if count == 0:
        return np.full((height, width), fill)
    columns = int(columns or np.ceil(np.sqrt(count)))
    rows = -(-count // columns)
    padded = np.full((rows * columns, height + gap, width + gap), fill)
    padded[:count, :height, :width] = images
    # (rows, columns, H+gap, W+gap) -> (rows, H+gap, columns, W+gap) -> one 2-D mosaic.
    grid = padded.reshape(rows, columns, height + gap, width + gap).transpose(0, 2, 1, 3)
    grid = grid.reshape(rows * (height + gap), columns * (width + gap))
    return grid[:rows * (height + gap) - gap, :columns * (width + gap) - gap]


def layer_outputs(model, x: np.ndarray, layer_ids: list[str] | None = None
                  ) -> dict[str, np.ndarray]:
    """Outputs of the chosen layers (default all) for a batch, in evaluation mode.

    Runs the layers itself rather than ``Model.forward(record=True)`` so the model's
    ``recorded`` outputs, which step-through views read, are left as they were.
    """
    x = np.asarray(x, dtype=model.dtype)
    if tuple(x.shape[1:]) != tuple(model.input_shape):
        raise ValueError(f"the network takes samples of shape {tuple(model.input_shape)}, got a "
                         f"batch of shape {x.shape}")
    wanted = set(model.layers) if layer_ids is None else set(layer_ids)
    unknown = wanted - set(model.layers)
    if unknown:
        raise ValueError(f"no layer named {sorted(unknown)[0]!r}")
    was_training = model.training
    model.eval()
    outputs: dict[str, np.ndarray] = {}
    try:
        with no_grad():
            values = {INPUT: Tensor(x)}
            for layer_id, layer in model.layers.items():
                values[layer_id] = layer.forward(*(values[name]
                                                   for name in model.inputs_of[layer_id]))
                if layer_id in wanted:
                    outputs[layer_id] = np.array(values[layer_id].data, copy=True)
    finally:
        model.train(was_training)
    return outputs


def feature_maps(model, sample: np.ndarray, layer_ids: list[str] | None = None
                 ) -> dict[str, np.ndarray]:
    """Each conv layer's output ``(filters, H, W)`` for one preprocessed sample ``(C, H, W)``."""
    sample = np.asarray(sample)
    if sample.ndim == len(model.input_shape) + 1 and len(sample) == 1:
        sample = sample[0]
    ids = conv_layer_ids(model) if layer_ids is None else list(layer_ids)
    outputs = layer_outputs(model, sample[None], ids)
    return {layer_id: outputs[layer_id][0] for layer_id in ids}


def class_probabilities(output: np.ndarray, last_activation: str | None) -> np.ndarray:
    """Turn network outputs into class probabilities ``(N, classes)``, as SavedModel.predict.

    One unit is a sigmoid classifier (columns ``1-p, p``); several units are softmaxed unless
    the network already ends in softmax.
    """
    output = np.asarray(output, dtype=np.float64)
    output = output.reshape(len(output), math.prod(output.shape[1:]))  # also for 0 rows
    if output.shape[1] == 1:
        p = output if last_activation == "sigmoid" else 1.0 / (1.0 + np.exp(-output))
        return np.concatenate([1.0 - p, p], axis=1)
    if last_activation == "softmax":
        return output
    shifted = np.exp(output - output.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def predict_probabilities(model, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Class probabilities for a preprocessed batch (evaluation mode, no gradients)."""
    return class_probabilities(model.predict(x, batch_size=batch_size), model.last_activation)


@dataclass
class ConfusionReport:
    """Where a classifier is right and wrong on a set of labelled samples.

    ``matrix[t, p]`` counts samples of true class ``t`` predicted as ``p``; ``probabilities``
    keeps each sample's class probabilities so views can show how sure each mistake was.
    """

    matrix: np.ndarray          # (K, K) int64, row = true class
    labels: np.ndarray          # (N,) int64
    predicted: np.ndarray       # (N,) int64
    probabilities: np.ndarray   # (N, K) float

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return int(self.matrix.shape[0])

    @property
    def accuracy(self) -> float:
        """Share of samples predicted correctly (NaN for no samples)."""
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else float("nan")

    def per_class_accuracy(self) -> np.ndarray:
        """Recall of each class ``(K,)``: correct / samples of that class (NaN when absent)."""
        counts = self.matrix.sum(axis=1).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, np.diag(self.matrix) / counts, np.nan)

    def confidence(self) -> np.ndarray:
        """Probability each sample's prediction got ``(N,)``."""
        return self.probabilities[np.arange(len(self.predicted)), self.predicted]

    def cell_indices(self, true_class: int, predicted_class: int) -> np.ndarray:
        """Indices of samples in one matrix cell, most confident prediction first."""
        members = np.flatnonzero((self.labels == true_class)
                                 & (self.predicted == predicted_class))
        order = np.argsort(-self.confidence()[members], kind="stable")
        return members[order]

    def most_confidently_wrong(self, count: int = 16) -> np.ndarray:
        """Indices of up to ``count`` misclassified samples, the surest mistakes first."""
        wrong = np.flatnonzero(self.labels != self.predicted)
        order = np.argsort(-self.confidence()[wrong], kind="stable")
        return wrong[order[:max(0, int(count))]]


def confusion_report(probabilities: np.ndarray, labels: np.ndarray,
                     n_classes: int | None = None) -> ConfusionReport:
    """Build a ConfusionReport from class probabilities ``(N, K)`` and true labels ``(N,)``."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if probabilities.ndim != 2 or len(probabilities) != len(labels):
        raise ValueError(f"expected probabilities (N, K) for {len(labels)} labels, got shape "
                         f"{probabilities.shape}")
    n_classes = int(n_classes or probabilities.shape[1])
    predicted = probabilities.argmax(axis=1).astype(np.int64)
    matrix = confusion_matrix(labels, predicted, n_classes)
    return ConfusionReport(matrix=matrix, labels=labels, predicted=predicted,
                           probabilities=probabilities)


def evaluate_confusion(model, x: np.ndarray, labels: np.ndarray,
                       n_classes: int | None = None, batch_size: int = 512) -> ConfusionReport:
    """Predict a preprocessed batch and report the confusion against ``labels``."""
    return confusion_report(predict_probabilities(model, x, batch_size), labels, n_classes)


@dataclass
class ImageProbe:
    """One throttled snapshot for the image views: filters, feature maps, confusion."""

    filters: np.ndarray | None           # (F, k, k) in [-1, 1], or None without conv layers
    feature_maps: dict[str, np.ndarray]  # conv layer id -> (filters, H, W) for one sample
    confusion: ConfusionReport | None    # None for regression or without evaluation samples


def image_probe(model, x_eval: np.ndarray, y_eval: np.ndarray | None, n_classes: int | None,
                sample: np.ndarray | None = None, limit: int = 1000) -> ImageProbe:
    """Everything the image views show, from preprocessed evaluation samples.

    ``limit`` caps how many evaluation samples are predicted (the first ``limit``), so the
    worker can call this a few times a second without slowing training much.
    """
    has_conv = bool(conv_layer_ids(model))
    filters = filter_images(model) if has_conv else None
    maps = feature_maps(model, sample) if (has_conv and sample is not None) else {}
    confusion = None
    if y_eval is not None and n_classes and len(x_eval):
        count = min(len(x_eval), int(limit))
        confusion = evaluate_confusion(model, x_eval[:count], y_eval[:count], n_classes)
    return ImageProbe(filters=filters, feature_maps=maps, confusion=confusion)


class ImageProber:
    """Decides when the worker takes an ImageProbe, so the views cost training little.

    Filters and feature maps are cheap and are taken every ``interval`` seconds. The
    confusion matrix needs a forward pass over up to ``limit`` samples, so it is taken only
    when the time since the last one is at least its measured cost divided by ``budget``
    (0.1: at most ~10% of the wall time goes to it, whatever the model's size).
    """

    def __init__(self, interval: float = 0.1, budget: float = 0.1, limit: int = 1000) -> None:
        self.interval = float(interval)
        self.budget = float(budget)
        self.limit = int(limit)
        self._last_probe = -np.inf
        self._last_confusion = -np.inf
        self._confusion_cost = 0.0
        self._confusion_wanted = True

    def request_confusion(self) -> None:
        """Take the confusion matrix at the next call (e.g. at the end of an epoch or a pause)."""
        self._confusion_wanted = True

    def maybe_probe(self, model, x_eval: np.ndarray, y_eval: np.ndarray | None,
                    n_classes: int | None, sample: np.ndarray | None = None,
                    now: float | None = None) -> ImageProbe | None:
        """An ImageProbe when one is due (its ``confusion`` None unless that is due too)."""
        now = time.perf_counter() if now is None else float(now)
        if now - self._last_probe < self.interval:
            return None
        self._last_probe = now
        confusion_due = self._confusion_wanted or (
            now - self._last_confusion >= self._confusion_cost / max(self.budget, 1e-6))
        start = time.perf_counter()
        probe = image_probe(model, x_eval, y_eval if confusion_due else None, n_classes,
                            sample=sample, limit=self.limit)
        if confusion_due and probe.confusion is not None:
            self._confusion_cost = time.perf_counter() - start
            self._last_confusion = now + self._confusion_cost
            self._confusion_wanted = False
        return probe
