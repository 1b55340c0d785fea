"""Points placed by hand (the ``points`` source): the GUI's click-to-add data."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.data.common import Source, features_param, make_rng, test_fraction_param
from engine.data.dataset import Dataset, make_dataset
from engine.data.playground2d import POINT_NAMES
from engine.errors import ProjectError
from engine.params import Param
from engine.registry import SOURCES

MAX_POINT_LABEL = 9


@SOURCES.register("points")
class PointsSource(Source):
    """Points placed by hand: a list of [x1, x2, label]; classes are 0 up to the largest label."""

    kind = "2d"
    task = "classification"
    params = (Param("points", "points", None, "list of [x1, x2, label] (label 0-9); at least 2",
                    required=True),
              test_fraction_param(0.5), features_param())

    @classmethod
    def load(cls, settings: dict, seed: int, base_dir: Path | None,
             file: str | None) -> Dataset:
        """Use the points as given; at least two classes so a one-unit sigmoid model works."""
        points = settings["points"]
        if not isinstance(points, list) or len(points) < 2:
            raise ProjectError(file, "data.points", "place at least 2 points ([x1, x2, label])")
        table = np.asarray(points, dtype=np.float64).reshape(len(points), 3)
        labels = table[:, 2].astype(np.int64)
        too_big = np.flatnonzero(labels > MAX_POINT_LABEL)
        if too_big.size:
            raise ProjectError(file, f"data.points[{too_big[0]}][2]",
                               f"label {labels[too_big[0]]} is too large; use 0 to "
                               f"{MAX_POINT_LABEL}")
        n_classes = max(int(labels.max()) + 1, 2)
        return make_dataset(table[:, :2], labels, task="classification", kind="2d",
                            source="points", test_fraction=settings["test_fraction"],
                            rng=make_rng(seed), classes=[str(k) for k in range(n_classes)],
                            input_names=list(POINT_NAMES), settings=settings)
