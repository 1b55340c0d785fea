"""Preprocessor: feature transforms (2-D only), then standardisation fitted on training data.

What a model file and every exporter need to repeat this exactly, as plain attributes:
``features`` (list of transform names, or None for non-2-D data), ``mean`` and ``std`` (float32
arrays shaped to broadcast against a batch ``(N, *input_shape)``: ``(F,)`` for 2-D and vector
data, ``(C, 1, 1)`` for images), so ``x = (apply_features(raw, features) - mean) / std``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from engine.data.dataset import Dataset
from engine.data.features import DEFAULT_FEATURES, FEATURES, apply_features

STD_FLOOR = 1e-6
FORMAT_VERSION = 1


class Preprocessor:
    """Turns raw samples into network inputs: features, then ``(x - mean) / std``."""

    def __init__(self, kind: str, raw_shape: tuple[int, ...], features: list[str] | None,
                 mean: np.ndarray, std: np.ndarray) -> None:
        if kind == "2d":
            if not features:
                raise ValueError("2-D data needs at least one feature")
            unknown = [name for name in features if name not in FEATURES]
            if unknown:
                raise ValueError(f"unknown feature {unknown[0]!r}")
        elif features:
            raise ValueError(f"feature transforms apply to 2-D data only, not {kind!r} data")
        self.kind = kind
        self.raw_shape = tuple(int(d) for d in raw_shape)
        self.features = list(features) if kind == "2d" else None
        self.input_shape = (len(self.features),) if self.features else self.raw_shape
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        expected = self.stats_shape(kind, self.input_shape)
        if self.mean.shape != expected or self.std.shape != expected:
            raise ValueError(f"mean and std must have shape {expected}, got {self.mean.shape} "
                             f"and {self.std.shape}")
        if not (np.all(np.isfinite(self.mean)) and np.all(self.std > 0)):
            raise ValueError("mean must be finite and std positive")

    @staticmethod
    def stats_shape(kind: str, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of ``mean``/``std``: one value per feature, or per channel for images."""
        if kind == "image":
            return (input_shape[0],) + (1,) * (len(input_shape) - 1)
        return tuple(input_shape)

    @classmethod
    def fit(cls, dataset: Dataset, features: list[str] | tuple[str, ...] | None = None
            ) -> "Preprocessor":
        """Fit mean and std on the training split; 2-D data takes ``features`` (or settings')."""
        kind = dataset.kind
        if kind == "2d":
            chosen = list(features or dataset.settings.get("features") or DEFAULT_FEATURES)
        else:
            chosen = None
        if chosen is not None:
            values = apply_features(dataset.x_train.astype(np.float64), chosen)
        else:
            # Reduce in float64 without a float64 copy: image sets can be hundreds of MB.
            values = np.asarray(dataset.x_train)
        axes = (0,) + tuple(range(2, values.ndim)) if kind == "image" else (0,)
        # Images: one scalar per channel, since pixels of one channel share a scale.
        mean = values.mean(axis=axes, dtype=np.float64, keepdims=True)[0]
        std = values.std(axis=axes, dtype=np.float64, keepdims=True)[0]
        # A constant feature (or blank pixel channel) would divide by ~0: leave it unscaled.
        std = np.where(std < STD_FLOOR, 1.0, std)
        return cls(kind, dataset.sample_shape, chosen, mean, std)

    def features_of(self, x_raw: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
        """The feature transforms alone (2-D data), before standardisation."""
        x = self._check_batch(x_raw).astype(dtype, copy=False)
        return apply_features(x, self.features) if self.features else x

    def transform(self, x_raw: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
        """Raw batch ``(N, *raw_shape)`` to network input ``(N, *input_shape)`` in ``dtype``."""
        x = self.features_of(x_raw, dtype)
        return ((x - self.mean.astype(dtype)) / self.std.astype(dtype)).astype(dtype, copy=False)

    def _check_batch(self, x_raw: np.ndarray) -> np.ndarray:
        x = np.asarray(x_raw)
        if x.dtype.kind not in "biuf":
            raise ValueError(f"samples must be numbers, got {x.dtype}")
        # One-channel images may come without their channel axis: (N, H, W).
        if (self.kind == "image" and self.raw_shape[0] == 1
                and x.shape[1:] == self.raw_shape[1:]):
            x = x[:, None]
        if x.shape[1:] != self.raw_shape:
            raise ValueError(f"expected samples of shape {self.raw_shape} (a batch "
                             f"(N, {', '.join(map(str, self.raw_shape))})), got a batch of "
                             f"shape {x.shape}")
        # min/max propagate NaN without a full-size mask; only a failure pays for the search.
        if x.dtype.kind == "f" and x.size and not (np.isfinite(x.min()) and np.isfinite(x.max())):
            row = int(np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))[0])
            raise ValueError(f"sample {row} (counting from 0) contains NaN or infinite values; "
                             "every input must be a finite number")
        return x

    def to_json(self) -> dict:
        """The JSON half of the saved form (the arrays go in ``to_arrays``)."""
        return {"version": FORMAT_VERSION, "kind": self.kind, "raw_shape": list(self.raw_shape),
                "features": list(self.features) if self.features else None,
                "input_shape": list(self.input_shape)}

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The array half of the saved form: float32 ``mean`` and ``std``."""
        return {"mean": self.mean.copy(), "std": self.std.copy()}

    @classmethod
    def from_saved(cls, saved_json: dict, arrays: dict[str, np.ndarray]) -> "Preprocessor":
        """Rebuild from ``to_json()`` and ``to_arrays()`` output; ValueError if they disagree."""
        try:
            kind = saved_json["kind"]
            raw_shape = tuple(saved_json["raw_shape"])
            features = saved_json.get("features")
            mean, std = arrays["mean"], arrays["std"]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"saved preprocessing is incomplete: missing {exc}") from None
        if (not raw_shape or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0
                                     for n in raw_shape)):
            raise ValueError(f"raw_shape must be a list of positive whole numbers, got "
                             f"{list(raw_shape)}")
        if saved_json.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            raise ValueError(f"saved preprocessing version {saved_json.get('version')} is not "
                             f"supported (expected {FORMAT_VERSION})")
        return cls(kind, raw_shape, features, np.asarray(mean), np.asarray(std))

    def __repr__(self) -> str:
        return (f"Preprocessor(kind={self.kind!r}, raw_shape={self.raw_shape}, "
                f"features={self.features}, input_shape={self.input_shape})")
