"""TensorFlow Playground's two regression sets: a tilted plane and six bumps.

Like the Playground, points are uniform in [-6, 6]² and noise moves the place where the target
is read (uniform offsets of up to 6·noise per axis), not the point itself. The bumps' targets
lie in [-1, 1]; the plane's are (x1 + x2) / 10, so up to ±1.2 in the corners (more with noise),
exactly as the Playground's unclamped scale gives them.
"""
from __future__ import annotations

import numpy as np

from engine.data.common import features_param, noise_param, samples_param, test_fraction_param
from engine.data.playground2d import REGRESS_SAMPLES, Playground2D, jittered
from engine.registry import SOURCES


def regress_params() -> tuple:
    """Common settings of the generated regression sets."""
    return (samples_param(REGRESS_SAMPLES), noise_param(), test_fraction_param(0.5),
            features_param())


class Regression2D(Playground2D):
    """Base of the generated regression sets: uniform points, a target read at a jittered place."""

    params = regress_params()
    task = "regression"

    @classmethod
    def target(cls, noisy: np.ndarray) -> np.ndarray:
        """The target ``(N,)`` of each (already jittered) place ``(N, 2)``."""
        raise NotImplementedError(f"{cls.__name__} does not define target()")

    @classmethod
    def generate(cls, samples: int, noise: float, rng: np.random.Generator):
        """Uniform points in [-6, 6]²; the target is read at the point plus uniform noise."""
        points = rng.uniform(-6.0, 6.0, (samples, 2))
        return points, cls.target(jittered(points, 6.0, noise, rng))


@SOURCES.register("plane")
class PlaneSource(Regression2D):
    """Regression: a tilted plane, target (x1 + x2) / 10; noise blurs the target."""

    @classmethod
    def target(cls, noisy: np.ndarray) -> np.ndarray:
        """(x1 + x2) / 10."""
        return (noisy[:, 0] + noisy[:, 1]) / 10.0


# Centre x, centre y and sign of the Playground's six regression bumps.
GAUSSIAN_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                           [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], dtype=np.float64)


@SOURCES.register("multigauss")
class MultiGaussSource(Regression2D):
    """Regression: six bumps of alternating sign on a 3×2 grid; noise blurs the target."""

    @classmethod
    def target(cls, noisy: np.ndarray) -> np.ndarray:
        """Each bump falls linearly from ±1 at its centre to 0 at distance 2; the largest wins."""
        distance = np.hypot(noisy[:, None, 0] - GAUSSIAN_BUMPS[:, 0],
                            noisy[:, None, 1] - GAUSSIAN_BUMPS[:, 1])
        values = GAUSSIAN_BUMPS[:, 2] * np.clip(1.0 - distance / 2.0, 0.0, 1.0)
        # argmax returns the first of equal magnitudes, like the Playground's strict ">" scan.
        strongest = np.argmax(np.abs(values), axis=1)
        return values[np.arange(len(noisy)), strongest] + 0.0
