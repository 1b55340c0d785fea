"""The Dataset record every source returns, and the deterministic train/test split."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

TASKS = ("classification", "regression")
KINDS = ("2d", "image", "vector")


@dataclass
class Dataset:
    """Raw samples split into train and test, with what a model needs to know about them.

    Classification targets are int64 labels ``(N,)`` in ``0..n_classes-1``; regression targets
    are float32 ``(N, k)``. Samples are ``(N, *sample_shape)`` float32 arrays as the source
    gives them (2-D points, ``(C, H, W)`` images scaled to [0, 1], or feature vectors).
    ``x_test`` may have zero rows when ``test_fraction`` is 0 or the set is tiny.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str
    kind: str
    classes: list[str] | None
    input_names: list[str]
    target_names: list[str]
    source: str
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if len(self.x_train) != len(self.y_train) or len(self.x_test) != len(self.y_test):
            raise ValueError("samples and targets differ in length")

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one raw sample (no batch axis)."""
        return tuple(self.x_train.shape[1:])

    @property
    def n_classes(self) -> int | None:
        """Number of classes (classification), else None."""
        return len(self.classes) if self.task == "classification" and self.classes else None

    @property
    def n_targets(self) -> int | None:
        """Number of regression targets, else None."""
        return int(self.y_train.shape[1]) if self.task == "regression" else None

    @property
    def n_train(self) -> int:
        """Number of training samples."""
        return int(len(self.x_train))

    @property
    def n_test(self) -> int:
        """Number of test samples."""
        return int(len(self.x_test))

    def x_all(self) -> np.ndarray:
        """Training then test samples in one array (for plots of the whole set)."""
        return np.concatenate([self.x_train, self.x_test])

    def y_all(self) -> np.ndarray:
        """Training then test targets in one array."""
        return np.concatenate([self.y_train, self.y_test])


def split_indices(n: int, test_fraction: float, rng: np.random.Generator,
                  labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled train and test indices; stratified by class when ``labels`` are given.

    The test set holds ``round(n * test_fraction)`` samples (at least one when the fraction is
    above zero and ``n >= 2``; the training set always keeps at least one). With labels, each
    class contributes in proportion to its size: every sample gets the key
    ``(rank within its class + 0.5) / class size`` over a random order, and the smallest keys
    go to the test set, so classes interleave evenly whatever the count.
    """
    order = rng.permutation(n)
    n_test = int(round(n * test_fraction))
    if test_fraction > 0 and n >= 2:
        n_test = max(n_test, 1)
    n_test = min(n_test, n - 1) if n >= 1 else 0
    if labels is None or n_test == 0:
        return order[n_test:], order[:n_test]
    shuffled = np.asarray(labels)[order]
    by_class = np.argsort(shuffled, kind="stable")
    sorted_labels = shuffled[by_class]
    starts = np.searchsorted(sorted_labels, sorted_labels, side="left")
    ends = np.searchsorted(sorted_labels, sorted_labels, side="right")
    keys = np.empty(n, dtype=np.float64)
    keys[by_class] = (np.arange(n) - starts + 0.5) / (ends - starts)
    # Stable sort keeps the random order among equal keys, so ties break at random.
    ranked = order[np.argsort(keys, kind="stable")]
    test = ranked[:n_test]
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    return order[~is_test[order]], order[is_test[order]]


def make_dataset(x: np.ndarray, y: np.ndarray, *, task: str, kind: str, source: str,
                 test_fraction: float, rng: np.random.Generator,
                 classes: list[str] | None = None, input_names: list[str] | None = None,
                 target_names: list[str] | None = None, settings: dict | None = None,
                 dtype: type = np.float32) -> Dataset:
    """Split ``x``/``y`` deterministically for ``rng`` and wrap them as a Dataset."""
    x = np.ascontiguousarray(x, dtype=dtype)
    if task == "classification":
        y = np.asarray(y, dtype=np.int64).reshape(-1)
        train, test = split_indices(len(x), test_fraction, rng, labels=y)
    else:
        y = np.asarray(y, dtype=dtype)
        y = y.reshape(len(y), math.prod(y.shape[1:]))
        train, test = split_indices(len(x), test_fraction, rng)
    if input_names is None:
        input_names = [f"x{i + 1}" for i in range(int(np.prod(x.shape[1:])))]
    if target_names is None:
        target_names = ["target"] if task == "regression" else []
    return Dataset(x_train=x[train], y_train=y[train], x_test=x[test], y_test=y[test],
                   task=task, kind=kind, classes=classes, input_names=input_names,
                   target_names=target_names, source=source, settings=dict(settings or {}))
