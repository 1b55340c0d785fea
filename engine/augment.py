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
    # Inverse map: undo the shift, then rotate back by -angle about the centre. Rows grow
    # downwards, which flips the sign of the sine terms relative to the textbook matrix.
    # Per-sample offsets are folded into one constant so each coordinate is two multiply-adds.
    cos = np.cos(angles).astype(np.float32)
    sin = np.sin(angles).astype(np.float32)
    shift_y = shifts[:, 0].reshape(count, 1, 1)
    shift_x = shifts[:, 1].reshape(count, 1, 1)
    rows = np.arange(height, dtype=np.float32).reshape(1, height, 1) - np.float32(centre_y)
    cols = np.arange(width, dtype=np.float32).reshape(1, 1, width) - np.float32(centre_x)
    offset_y = (centre_y + 1.0 - cos * shift_y - sin * shift_x).astype(np.float32)
    offset_x = (centre_x + 1.0 - cos * shift_x + sin * shift_y).astype(np.float32)
    # Coordinates in a copy padded with fill (one row/column before, two after). Clamping to
    # just outside the image puts every corner inside the padded array, so points beyond the
    # edge read pure fill and no masks are needed.
    source_y = np.clip(cos * rows + sin * cols + offset_y, 0.0, height + 1.0)
    source_x = np.clip(cos * cols - sin * rows + offset_x, 0.0, width + 1.0)
    top = np.floor(source_y)
    left = np.floor(source_x)
    weight_y = (source_y - top).astype(dtype, copy=False)[:, None]
    weight_x = (source_x - left).astype(dtype, copy=False)[:, None]
    padded_h, padded_w = height + 3, width + 3
    fill_values = np.broadcast_to(np.asarray(fill, dtype=dtype).reshape(-1), (channels,))
    padded = np.empty((count, channels, padded_h, padded_w), dtype=dtype)
    padded[...] = fill_values.reshape(1, channels, 1, 1)
    padded[:, :, 1:height + 1, 1:width + 1] = batch
    # Flat index of each output pixel's top-left corner in the padded batch.
    plane = padded_h * padded_w
    base = (np.arange(count).reshape(count, 1, 1, 1) * channels
            + np.arange(channels).reshape(1, channels, 1, 1)) * plane
    corner = (top * padded_w + left).astype(np.intp)[:, None] + base
    flat = padded.reshape(-1)
    top_left, top_right = flat[corner], flat[corner + 1]
    corner += padded_w
    bottom_left, bottom_right = flat[corner], flat[corner + 1]
    upper = top_left + weight_x * (top_right - top_left)
    lower = bottom_left + weight_x * (bottom_right - bottom_left)
    result = upper + weight_y * (lower - upper)
    return result.astype(dtype, copy=False)


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
