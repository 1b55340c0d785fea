"""On-the-fly image augmentation: random shifts and small rotations of a batch.

Every sample of a batch ``(N, C, H, W)`` gets its own random shift (whole pixels, up to
``max_shift`` each way) and rotation (up to ``max_degrees`` each way) about the image centre.
The warp is one vectorised bilinear resampling: source coordinates are computed for every
output pixel at once and the four neighbours gathered by index arithmetic, so there is no
Python loop over samples or pixels. Pixels that come from outside the image get ``fill``
(the background: 0 for raw images, ``-mean/std`` once standardised).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def warp_batch(batch: np.ndarray, angles: np.ndarray, shifts: np.ndarray,
               fill: float | np.ndarray = 0.0) -> np.ndarray:
    """Rotate each image by ``angles[n]`` radians (counter-clockwise as displayed), then shift
    it by ``shifts[n] = (down, right)`` pixels; bilinear, ``fill`` outside the source."""
    batch = np.asarray(batch)
    if batch.ndim != 4:
        raise ValueError(f"expected a batch of images (N, C, H, W), got shape {batch.shape}")
    count, channels, height, width = batch.shape
    dtype = batch.dtype if batch.dtype.kind == "f" else np.dtype(np.float32)
    angles = np.asarray(angles, dtype=np.float64).reshape(count, 1, 1)
    shifts = np.asarray(shifts, dtype=np.float64).reshape(count, 2)
    centre_y, centre_x = (height - 1) / 2.0, (width - 1) / 2.0
    rows = np.arange(height, dtype=np.float64).reshape(1, height, 1)
    cols = np.arange(width, dtype=np.float64).reshape(1, 1, width)
    # Inverse map: undo the shift, then rotate back by -angle about the centre. Rows grow
    # downwards, which flips the sign of the sine terms relative to the textbook matrix.
    dy = rows - centre_y - shifts[:, 0].reshape(count, 1, 1)
    dx = cols - centre_x - shifts[:, 1].reshape(count, 1, 1)
    cos, sin = np.cos(angles), np.sin(angles)
    source_y = cos * dy + sin * dx + centre_y
    source_x = cos * dx - sin * dy + centre_x

    top = np.floor(source_y)
    left = np.floor(source_x)
    weight_y = source_y - top
    weight_x = source_x - left
    top = top.astype(np.int64)
    left = left.astype(np.int64)
    flat = batch.reshape(count, channels, height * width).astype(dtype, copy=False)
    fill_values = np.broadcast_to(np.asarray(fill, dtype=dtype).reshape(-1, 1),
                                  (channels, 1)).reshape(1, channels, 1)
    result = np.zeros((count, channels, height * width), dtype=np.float64)
    for offset_y, offset_x, weight in ((0, 0, (1 - weight_y) * (1 - weight_x)),
                                       (0, 1, (1 - weight_y) * weight_x),
                                       (1, 0, weight_y * (1 - weight_x)),
                                       (1, 1, weight_y * weight_x)):
        # Four corner gathers for the whole batch (a fixed loop of 4, not over samples).
        y = top + offset_y
        x = left + offset_x
        inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
        index = (np.clip(y, 0, height - 1) * width + np.clip(x, 0, width - 1))
        index = index.reshape(count, 1, height * width)
        values = np.take_along_axis(flat, np.broadcast_to(index, (count, channels,
                                                                  height * width)), axis=2)
        values = np.where(inside.reshape(count, 1, -1), values, fill_values)
        result += weight.reshape(count, 1, -1) * values
    return result.reshape(batch.shape).astype(dtype, copy=False)


def random_transforms(count: int, rng: np.random.Generator, max_shift: int = 2,
                      max_degrees: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Draw per-sample angles (radians, uniform in ±max_degrees) and whole-pixel shifts."""
    if max_shift < 0 or max_degrees < 0:
        raise ValueError("max_shift and max_degrees must not be negative")
    shifts = rng.integers(-int(max_shift), int(max_shift) + 1, size=(count, 2))
    angles = np.deg2rad(rng.uniform(-max_degrees, max_degrees, size=count))
    return angles, shifts


def augment_batch(batch: np.ndarray, rng: np.random.Generator, max_shift: int = 2,
                  max_degrees: float = 10.0, fill: float | np.ndarray = 0.0) -> np.ndarray:
    """Randomly shift and rotate every image of ``batch``; same ``rng`` state, same result.

    With ``max_shift == 0`` and ``max_degrees == 0`` the batch comes back unchanged.
    """
    batch = np.asarray(batch)
    if max_shift == 0 and max_degrees == 0:
        return batch.copy()
    angles, shifts = random_transforms(len(batch), rng, max_shift, max_degrees)
    return warp_batch(batch, angles, shifts, fill)


@dataclass
class Augmenter:
    """A ``batch_transform(x_batch, rng) -> x_batch`` callable for the Trainer's training steps.

    ``fill`` is the background value in the space the batch lives in: 0 for raw images, or
    per channel ``-mean/std`` for standardised ones (see ``for_preprocessor``).
    """

    max_shift: int = 2
    max_degrees: float = 10.0
    fill: float | np.ndarray = 0.0

    def __call__(self, x_batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Augment one training batch (image batches only; others pass through unchanged)."""
        if np.ndim(x_batch) != 4:
            return x_batch
        return augment_batch(x_batch, rng, self.max_shift, self.max_degrees, self.fill)

    @classmethod
    def for_preprocessor(cls, preprocessor, max_shift: int = 2,
                         max_degrees: float = 10.0) -> "Augmenter":
        """An augmenter for standardised batches: the fill is a blank pixel after scaling."""
        mean = np.asarray(preprocessor.mean, dtype=np.float64).reshape(-1)
        std = np.asarray(preprocessor.std, dtype=np.float64).reshape(-1)
        return cls(max_shift, max_degrees, ((0.0 - mean) / std).astype(np.float32))
