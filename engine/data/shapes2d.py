"""Two more generated 2-D sets in the Playground's [-6, 6]² frame: moons and blobs."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.data.common import (Source, features_param, make_rng, noise_param, samples_param,
                                split_counts, test_fraction_param)
from engine.data.dataset import Dataset, make_dataset
from engine.data.playground2d import CLASSIFY_SAMPLES, POINT_NAMES, Playground2D
from engine.params import Param
from engine.registry import SOURCES

# scikit-learn's moons span x in [-1, 2], y in [-0.5, 1]; centre them and scale by 3 so they
# fill the same frame as the Playground's sets.
MOONS_CENTRE = np.array([0.5, 0.25])
MOONS_SCALE = 3.0
BLOBS_RADIUS = 4.0


@SOURCES.register("moons")
class MoonsSource(Playground2D):
    """Two interleaving half circles (class 0 on top, class 1 below); noise scatters them."""

    params = (samples_param(CLASSIFY_SAMPLES), noise_param(), test_fraction_param(0.5),
              features_param())

    @classmethod
    def generate(cls, samples: int, noise: float, rng: np.random.Generator):
        """Uniform angles on each arc; Gaussian scatter of std 3·noise (sklearn's noise ×3)."""
        n_outer, n_inner = split_counts(samples, 2)
        outer = rng.uniform(0.0, np.pi, n_outer)
        inner = rng.uniform(0.0, np.pi, n_inner)
        points = np.concatenate([
            np.stack([np.cos(outer), np.sin(outer)], axis=1),
            np.stack([1.0 - np.cos(inner), 0.5 - np.sin(inner)], axis=1)])
        points = (points - MOONS_CENTRE) * MOONS_SCALE
        points += rng.normal(0.0, 1.0, points.shape) * (noise * MOONS_SCALE)
        labels = np.repeat(np.array([0, 1], dtype=np.int64), [n_outer, n_inner])
        return points, labels


@SOURCES.register("blobs")
class BlobsSource(Source):
    """Gaussian clouds, one per class, evenly spaced on a circle of radius 4; noise widens them."""

    kind = "2d"
    task = "classification"
    params = (samples_param(CLASSIFY_SAMPLES), noise_param(), test_fraction_param(0.5),
              features_param(),
              Param("classes", "int", 3, "number of classes (clouds)", minimum=2, maximum=6))

    @classmethod
    def centres(cls, classes: int) -> np.ndarray:
        """Cloud centres ``(classes, 2)``: the first straight up, the rest counter-clockwise."""
        angle = np.pi / 2 + 2 * np.pi * np.arange(classes) / classes
        return BLOBS_RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)

    @classmethod
    def load(cls, settings: dict, seed: int, base_dir: Path | None,
             file: str | None) -> Dataset:
        """Equal clouds (sizes differ by at most one) with the gaussian set's variance scale."""
        rng = make_rng(seed)
        classes = settings["classes"]
        samples = settings["samples"]
        labels = np.repeat(np.arange(classes, dtype=np.int64), split_counts(samples, classes))
        variance = 0.5 + settings["noise"] * (4.0 - 0.5) / 0.5
        points = cls.centres(classes)[labels] + rng.normal(0.0, np.sqrt(variance), (samples, 2))
        return make_dataset(points, labels, task="classification", kind="2d", source="blobs",
                            test_fraction=settings["test_fraction"], rng=rng,
                            classes=[str(k) for k in range(classes)],
                            input_names=list(POINT_NAMES), settings=settings)
