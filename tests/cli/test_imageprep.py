"""engine.imageprep and playground.imageio: photos and drawings become MNIST-style inputs."""
from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ProjectError
from engine.imageprep import area_weights, prepare_image, resize_area
from playground.imageio import read_grayscale


def test_area_weights_rows_sum_to_one_and_average_blocks() -> None:
    weights = area_weights(6, 3)
    assert weights.shape == (3, 6)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    image = np.arange(36, dtype=float).reshape(6, 6)
    small = resize_area(image, 3, 3)
    expected = image.reshape(3, 2, 3, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(small, expected)


def test_resize_area_keeps_mean_for_fractional_factors() -> None:
    rng = np.random.default_rng(0)
    image = rng.random((37, 23))
    small = resize_area(image, 10, 7)
    assert small.shape == (10, 7)
    assert small.mean() == pytest.approx(image.mean(), rel=1e-9)


def _dark_square_on_white(size: int = 100) -> np.ndarray:
    page = np.full((size, size), 255, dtype=np.uint8)
    page[10:40, 60:75] = 0  # a tall bar, off centre, near the top right
    return page


def test_light_background_is_inverted_cropped_and_centred() -> None:
    out = prepare_image(_dark_square_on_white(), 28, 28)
    assert out.shape == (1, 28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)
    # Background stays black; the corners are empty.
    assert out[0, 0, 0] == 0.0 and out[0, -1, -1] == 0.0
    # Longer side (30 px) fills the 20 px box; aspect 30:15 keeps width 10.
    rows = np.flatnonzero(out[0].max(axis=1) > 0.5)
    cols = np.flatnonzero(out[0].max(axis=0) > 0.5)
    assert rows[-1] - rows[0] + 1 == 20
    assert cols[-1] - cols[0] + 1 == 10
    # Centre of mass lands at the centre of the field.
    ys, xs = np.indices((28, 28)) + 0.5
    mass = out[0].sum()
    assert abs((out[0] * ys).sum() / mass - 14) <= 1.0
    assert abs((out[0] * xs).sum() / mass - 14) <= 1.0


def test_dark_background_is_not_inverted() -> None:
    image = np.zeros((50, 50), dtype=np.float64)
    image[20:30, 20:30] = 0.8
    out = prepare_image(image, 28, 28)
    assert out[0, 14, 14] == pytest.approx(1.0)
    assert out[0, 0, 0] == 0.0


def test_small_targets_fill_the_field_like_the_digits_set() -> None:
    out = prepare_image(_dark_square_on_white(), 8, 8)
    assert out.shape == (1, 8, 8)
    rows = np.flatnonzero(out[0].max(axis=1) > 0.5)
    assert rows[-1] - rows[0] + 1 == 8


def test_blank_image_gives_zeros_and_any_target_shape_works() -> None:
    assert not prepare_image(np.full((20, 20), 200, np.uint8), 28, 28).any()
    assert prepare_image(_dark_square_on_white(), 16, 12, dtype=np.float64).shape == (1, 16, 12)


def test_bad_shapes_are_rejected() -> None:
    with pytest.raises(ValueError):
        prepare_image(np.zeros((3, 4, 5)), 28, 28)


def test_read_grayscale_handles_rgb_alpha_and_errors(tmp_path) -> None:
    from PIL import Image

    rgb = np.zeros((10, 12, 3), dtype=np.uint8)
    rgb[..., 0] = 255
    Image.fromarray(rgb).save(tmp_path / "red.png")
    gray = read_grayscale(tmp_path / "red.png")
    assert gray.shape == (10, 12) and gray.dtype == np.float32
    assert 0.2 < gray.mean() < 0.4  # red's luminance

    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[2:6, 2:6, 3] = 255  # black ink, transparent elsewhere
    Image.fromarray(rgba).save(tmp_path / "ink.png")
    ink = read_grayscale(tmp_path / "ink.png")
    assert ink[0, 0] == 1.0 and ink[3, 3] == 0.0

    (tmp_path / "fake.png").write_bytes(b"not an image")
    with pytest.raises(ProjectError, match="fake.png"):
        read_grayscale(tmp_path / "fake.png")
    with pytest.raises(ProjectError, match="missing.png"):
        read_grayscale(tmp_path / "missing.png")
