"""The seven feature transforms of 2-D points, as in TensorFlow Playground's input column."""
from __future__ import annotations

from typing import Callable

import numpy as np

# Each transform maps the columns x1, x2 (arrays of shape (N,)) to one feature column.
FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)
DEFAULT_FEATURES: tuple[str, ...] = ("x1", "x2")


def apply_features(points: np.ndarray, features: list[str] | tuple[str, ...]) -> np.ndarray:
    """Map raw points ``(N, 2)`` to feature columns ``(N, len(features))`` in the given order."""
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"feature transforms take points of shape (N, 2), got {points.shape}")
    unknown = [name for name in features if name not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature {unknown[0]!r}; use one of: {', '.join(FEATURE_NAMES)}")
    x1, x2 = points[:, 0], points[:, 1]
    if not features:
        return np.empty((len(points), 0), dtype=points.dtype)
    return np.stack([FEATURES[name](x1, x2) for name in features], axis=1).astype(
        points.dtype, copy=False)
