"""TensorFlow Playground's 2-D classification sets, drawn the way its dataset.ts draws them.

Conventions kept from the Playground: points lie in [-6, 6]²; labels come from a rule applied
to the point (for circle and xor the rule sees the point plus uniform noise, so noise flips
labels near the boundary while the point stays put; gaussian and spiral move the points
instead). The regression sets are in regression2d.py. Differences, on purpose: the
Playground's label -1 is our class 0; odd sample counts give the first class one point more
instead of one point too many; random numbers come from numpy's seeded generator, not
seedrandom, so the exact points differ from the web page's while their distribution is the same.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.data.common import (Source, features_param, make_rng, noise_param, samples_param,
                                test_fraction_param)
from engine.data.dataset import Dataset, make_dataset
from engine.registry import SOURCES

# The Playground generates 500 points for classification and 1200 for regression.
CLASSIFY_SAMPLES = 500
REGRESS_SAMPLES = 1200
POINT_NAMES = ["x1", "x2"]
# Half-width of the square [-6, 6]² the generated sets fill (the Playground's plot range).
FRAME = 6.0


class Playground2D(Source):
    """Base of the generated 2-D sets: draw points and targets, then split."""

    kind = "2d"
    task = "classification"

    @classmethod
    def generate(cls, samples: int, noise: float,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Points ``(N, 2)`` and labels ``(N,)`` (or targets ``(N,)`` for regression)."""
        raise NotImplementedError(f"{cls.__name__} does not define generate()")

    @classmethod
    def class_names(cls, settings: dict) -> list[str] | None:
        """Names of the classes (classification), else None."""
        return ["0", "1"] if cls.task == "classification" else None

    @classmethod
    def load(cls, settings: dict, seed: int, base_dir: Path | None,
             file: str | None) -> Dataset:
        """Draw ``samples`` points with ``noise`` and split them with ``test_fraction``."""
        rng = make_rng(seed)
        points, targets = cls.generate(settings["samples"], settings["noise"], rng)
        return make_dataset(points, targets, task=cls.task, kind="2d", source=cls.type_name,
                            test_fraction=settings["test_fraction"], rng=rng,
                            classes=cls.class_names(settings), input_names=list(POINT_NAMES),
                            settings=settings)


def classify_params() -> tuple:
    """Common settings of the generated classification sets."""
    return (samples_param(CLASSIFY_SAMPLES), noise_param(), test_fraction_param(0.5),
            features_param())


def two_class_counts(samples: int) -> tuple[int, int]:
    """Points of the positive and negative class (the positive one takes the odd point)."""
    return samples - samples // 2, samples // 2


def jittered(points: np.ndarray, half_width: float, noise: float,
             rng: np.random.Generator) -> np.ndarray:
    """Where the Playground reads a label: each point moved by uniform ±half_width·noise per axis."""
    return points + rng.uniform(-half_width, half_width, points.shape) * noise


def _on_disc(count: int, r_low: float, r_high: float,
             rng: np.random.Generator) -> np.ndarray:
    """Points at uniform radius in [r_low, r_high] and uniform angle (Playground's circle)."""
    radius = rng.uniform(r_low, r_high, count)
    angle = rng.uniform(0.0, 2 * np.pi, count)
    return np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)


@SOURCES.register("circle")
class CircleSource(Playground2D):
    """A disc of class 1 inside a ring of class 0; noise blurs the boundary."""

    params = classify_params()

    @classmethod
    def generate(cls, samples: int, noise: float, rng: np.random.Generator):
        """Half the points at radius 0–2.5, half at 3.5–5; label = inside radius 2.5."""
        radius = 5.0
        n_pos, n_neg = two_class_counts(samples)
        points = np.concatenate([_on_disc(n_pos, 0.0, radius * 0.5, rng),
                                 _on_disc(n_neg, radius * 0.7, radius, rng)])
        labels = np.hypot(*jittered(points, radius, noise, rng).T) < radius * 0.5
        return points, labels.astype(np.int64)


@SOURCES.register("xor")
class XorSource(Playground2D):
    """Four quadrants: class 1 where x1 and x2 share a sign (the XOR pattern)."""

    params = classify_params()

    @classmethod
    def generate(cls, samples: int, noise: float, rng: np.random.Generator):
        """Uniform points in [-5, 5]² pushed 0.3 away from the axes; label from noisy signs."""
        points = rng.uniform(-5.0, 5.0, (samples, 2))
        points += np.where(points > 0, 0.3, -0.3)
        noisy = jittered(points, 5.0, noise, rng)
        labels = noisy[:, 0] * noisy[:, 1] >= 0
        return points, labels.astype(np.int64)


@SOURCES.register("gaussian")
class GaussianSource(Playground2D):
    """Two Gaussian clouds at (2, 2) (class 1) and (-2, -2) (class 0); noise widens them."""

    params = classify_params()

    @classmethod
    def generate(cls, samples: int, noise: float, rng: np.random.Generator):
        """Variance grows linearly from 0.5 at noise 0 to 4 at noise 0.5 (Playground's scale)."""
        variance = 0.5 + noise * (4.0 - 0.5) / 0.5
        n_pos, n_neg = two_class_counts(samples)
        centres = np.repeat(np.array([[2.0, 2.0], [-2.0, -2.0]]), [n_pos, n_neg], axis=0)
        points = centres + rng.normal(0.0, np.sqrt(variance), (samples, 2))
        labels = np.repeat(np.array([1, 0], dtype=np.int64), [n_pos, n_neg])
        return points, labels


@SOURCES.register("spiral")
class SpiralSource(Playground2D):
    """Two interleaved spiral arms, class 1 and class 0; noise scatters the points."""

    params = classify_params()

    @classmethod
    def generate(cls, samples: int, noise: float, rng: np.random.Generator):
        """Each arm winds 1.75 turns out to radius 5; noise adds uniform [-1, 1]·noise."""
        arms = []
        for count, phase in zip(two_class_counts(samples), (0.0, np.pi)):
            step = np.arange(count) / max(count, 1)
            radius = step * 5.0
            angle = 1.75 * step * 2 * np.pi + phase
            arm = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
            arms.append(arm + rng.uniform(-1.0, 1.0, arm.shape) * noise)
        n_pos, n_neg = two_class_counts(samples)
        labels = np.repeat(np.array([1, 0], dtype=np.int64), [n_pos, n_neg])
        return np.concatenate(arms), labels
