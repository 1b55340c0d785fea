"""The bundled 8x8 handwritten digits, and helpers shared by image sources."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.data.common import Source, limit_param, make_rng, test_fraction_param
from engine.data.dataset import Dataset, make_dataset
from engine.registry import SOURCES
from engine.resources import resource_path

DIGITS_FILE = ("datasets", "digits.npz")
DIGITS_COUNT = 1797


def image_input_names(channels: int, height: int, width: int) -> list[str]:
    """Names of an image's raw values in C, H, W order: ``px_R_C`` (``cK_px_R_C`` if C > 1)."""
    pixels = [f"px_{r}_{c}" for r in range(height) for c in range(width)]
    if channels == 1:
        return pixels
    return [f"c{k}_{name}" for k in range(channels) for name in pixels]


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The bundled digits: uint8 images ``(1797, 8, 8)`` with values 0-16 and int64 labels."""
    with np.load(resource_path(*DIGITS_FILE), allow_pickle=False) as archive:
        return archive["images"], archive["labels"].astype(np.int64)


@SOURCES.register("digits")
class DigitsSource(Source):
    """Bundled 8x8 handwritten digits (UCI, 1797 samples, classes 0-9), scaled to [0, 1]."""

    kind = "image"
    task = "classification"
    params = (test_fraction_param(0.2), limit_param(DIGITS_COUNT))

    @classmethod
    def load(cls, settings: dict, seed: int, base_dir: Path | None,
             file: str | None) -> Dataset:
        """Samples ``(1, 8, 8)`` float32 = pixel / 16; ``limit`` keeps the first N."""
        images, labels = load_digits_arrays()
        if settings.get("limit"):
            images, labels = images[:settings["limit"]], labels[:settings["limit"]]
        x = (images.astype(np.float32) / np.float32(16.0))[:, None, :, :]
        return make_dataset(x, labels, task="classification", kind="image", source="digits",
                            test_fraction=settings["test_fraction"], rng=make_rng(seed),
                            classes=[str(k) for k in range(10)],
                            input_names=image_input_names(1, 8, 8), settings=settings)
