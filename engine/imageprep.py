"""Turn a photo or drawing of a digit into a model input, the way MNIST and the digits set were made.

The steps follow MNIST's recipe: make the ink bright on a dark background, crop to the ink,
scale it to fit a box (20 px inside 28 px for MNIST-sized inputs; the whole field for tiny ones
such as the 8x8 digits) keeping its aspect ratio, then place it so its centre of mass sits at
the centre of the field. Resizing averages areas exactly, so downscaling never aliases.
"""
from __future__ import annotations

import numpy as np

# MNIST digits were fitted into a 20x20 box and centred in a 28x28 field.
MNIST_BOX_FRACTION = 20 / 28
# Below this size (e.g. the 8x8 digits, made from 32x32 bitmaps filled edge to edge) the ink
# fills the whole field.
SMALL_TARGET = 16
# A pixel counts as ink when it is this bright after background removal (0..1 scale).
INK_THRESHOLD = 0.15


def area_weights(source: int, target: int) -> np.ndarray:
    """Matrix ``(target, source)`` whose rows average the source cells each target cell covers."""
    edges = np.linspace(0.0, source, target + 1)
    starts, ends = edges[:-1, None], edges[1:, None]
    cells = np.arange(source)[None, :]
    overlap = np.clip(np.minimum(ends, cells + 1) - np.maximum(starts, cells), 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def resize_area(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a 2-D array by exact area averaging (two small matrix products, no loops)."""
    rows = area_weights(image.shape[0], height)
    cols = area_weights(image.shape[1], width)
    return rows @ image @ cols.T


def to_unit_range(image: np.ndarray) -> np.ndarray:
    """Scale a grayscale array to [0, 1]: integers by their type's range, floats by their max."""
    array = np.asarray(image)
    if np.issubdtype(array.dtype, np.integer):
        top = 255.0 if array.max(initial=0) <= 255 else float(np.iinfo(array.dtype).max)
        return array.astype(np.float64) / top
    array = array.astype(np.float64)
    top = float(array.max(initial=0.0))
    return array / top if top > 1.0 else np.clip(array, 0.0, None)


def ink_on_dark(image: np.ndarray) -> np.ndarray:
    """Return the image with bright ink on a black background (inverting light backgrounds)."""
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    background = float(np.median(border))
    if background > 0.5:
        image = 1.0 - image
        background = 1.0 - background
    ink = np.clip(image - background, 0.0, None)
    peak = float(ink.max(initial=0.0))
    return ink / peak if peak > 0 else ink


def prepare_image(image: np.ndarray, height: int, width: int,
                  box_fraction: float | None = None, dtype=np.float32) -> np.ndarray:
    """Make a ``(1, height, width)`` input in [0, 1] from a grayscale image of any size.

    ``image`` is ``(H, W)`` or ``(1, H, W)``, any numeric type. ``box_fraction`` is the share of
    the field the ink's longer side fills; by default 20/28 for MNIST-sized targets and 1 for
    small ones (like the 8x8 digits). A blank image gives an all-zero input.
    """
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"expected a 2-D grayscale image, got shape {np.shape(image)}")
    if height < 1 or width < 1:
        raise ValueError(f"target size must be positive, got {height}x{width}")
    ink = ink_on_dark(to_unit_range(array))
    output = np.zeros((1, height, width), dtype=dtype)
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    if rows.size == 0:
        return output
    crop = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]

    if box_fraction is None:
        box_fraction = 1.0 if min(height, width) < SMALL_TARGET else MNIST_BOX_FRACTION
    scale = min(box_fraction * height / crop.shape[0], box_fraction * width / crop.shape[1])
    new_h = int(np.clip(round(crop.shape[0] * scale), 1, height))
    new_w = int(np.clip(round(crop.shape[1] * scale), 1, width))
    glyph = resize_area(crop, new_h, new_w)

    # Shift so the centre of mass lands on the field's centre, but keep the glyph inside.
    total = glyph.sum()
    com_y = float((glyph.sum(axis=1) * np.arange(new_h)).sum() / total) + 0.5
    com_x = float((glyph.sum(axis=0) * np.arange(new_w)).sum() / total) + 0.5
    top = int(np.clip(round(height / 2 - com_y), 0, height - new_h))
    left = int(np.clip(round(width / 2 - com_x), 0, width - new_w))
    peak = float(glyph.max())
    output[0, top:top + new_h, left:left + new_w] = glyph / peak
    return output
