"""Augmentation: shifts move the ink, zero is identity, rotations keep shape and range."""
from __future__ import annotations

import numpy as np
import pytest

from engine.augment import Augmenter, augment_batch, random_transforms, warp_batch
from engine.data import Preprocessor, load_dataset


def centre_of_mass(batch: np.ndarray) -> np.ndarray:
    """(N, 2) row/column centre of mass of the first channel."""
    images = batch[:, 0].astype(np.float64)
    rows = np.arange(images.shape[1])[None, :, None]
    cols = np.arange(images.shape[2])[None, None, :]
    total = images.sum(axis=(1, 2))
    return np.stack([(images * rows).sum(axis=(1, 2)) / total,
                     (images * cols).sum(axis=(1, 2)) / total], axis=1)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_dataset({"source": "digits"}, seed=0).x_train[:64]


def blob_batch() -> np.ndarray:
    batch = np.zeros((3, 1, 12, 12), dtype=np.float32)
    batch[:, 0, 5:7, 5:7] = 1.0
    return batch


def test_whole_pixel_shift_moves_the_mass_exactly() -> None:
    batch = blob_batch()
    shifts = np.array([[2, -1], [0, 0], [-2, 3]])
    moved = warp_batch(batch, np.zeros(3), shifts)
    np.testing.assert_allclose(centre_of_mass(moved) - centre_of_mass(batch), shifts, atol=1e-9)
    assert moved.sum() == pytest.approx(batch.sum())
    np.testing.assert_array_equal(moved[1], batch[1])


def test_random_shifts_move_the_mass_by_whole_pixels_within_range(digits) -> None:
    rng = np.random.default_rng(5)
    angles, shifts = random_transforms(len(digits), np.random.default_rng(5), 2, 0.0)
    moved = augment_batch(digits, rng, max_shift=2, max_degrees=0.0)
    assert np.abs(shifts).max() <= 2 and np.abs(shifts).max() == 2
    assert (angles == 0).all()
    np.testing.assert_array_equal(moved, warp_batch(digits, angles, shifts))
    # Ink that would leave the 8x8 frame is cut off, so compare where nothing is lost.
    kept = np.isclose(moved.sum(axis=(1, 2, 3)), digits.sum(axis=(1, 2, 3)))
    assert kept.sum() > 5
    delta = centre_of_mass(moved[kept]) - centre_of_mass(digits[kept])
    np.testing.assert_allclose(delta, shifts[kept], atol=1e-5)


def test_zero_settings_are_the_identity(digits) -> None:
    np.testing.assert_array_equal(augment_batch(digits, np.random.default_rng(0), 0, 0.0),
                                  digits)
    np.testing.assert_array_equal(warp_batch(digits, np.zeros(len(digits)),
                                             np.zeros((len(digits), 2))), digits)


def test_rotation_keeps_shape_range_and_turns_the_right_way() -> None:
    dot = np.zeros((1, 1, 9, 9), dtype=np.float32)
    dot[0, 0, 4, 8] = 1.0  # right of the centre
    up = warp_batch(dot, np.array([np.pi / 2]), np.zeros((1, 2)))
    assert np.unravel_index(up[0, 0].argmax(), (9, 9)) == (0, 4)  # counter-clockwise: top
    rng = np.random.default_rng(1)
    batch = np.random.default_rng(2).uniform(0, 1, (16, 2, 10, 10)).astype(np.float32)
    turned = augment_batch(batch, rng, max_shift=0, max_degrees=15.0)
    assert turned.shape == batch.shape and turned.dtype == np.float32
    assert turned.min() >= 0.0 and turned.max() <= 1.0 + 1e-6
    # Small rotations keep the centre pixel's neighbourhood close to the original.
    assert np.abs(turned[:, :, 4:6, 4:6] - batch[:, :, 4:6, 4:6]).mean() < 0.3
    # A 180 degree turn is a flip of both axes (exact up to rounding).
    flipped = warp_batch(batch[:2], np.array([np.pi, np.pi]), np.zeros((2, 2)))
    np.testing.assert_allclose(flipped, batch[:2, :, ::-1, ::-1], atol=1e-5)


def test_same_rng_same_result_and_samples_differ(digits) -> None:
    first = augment_batch(digits, np.random.default_rng(9), 2, 10.0)
    second = augment_batch(digits, np.random.default_rng(9), 2, 10.0)
    np.testing.assert_array_equal(first, second)
    other = augment_batch(digits, np.random.default_rng(10), 2, 10.0)
    assert not np.array_equal(first, other)
    assert first.dtype == digits.dtype
    np.testing.assert_array_equal(augment_batch(digits.astype(np.float64),
                                                np.random.default_rng(9), 2, 10.0).dtype,
                                  np.float64)


def test_fill_and_augmenter_for_standardised_batches() -> None:
    dataset = load_dataset({"source": "digits", "limit": 200}, seed=0)
    preprocessor = Preprocessor.fit(dataset)
    augmenter = Augmenter.for_preprocessor(preprocessor, max_shift=3, max_degrees=0.0)
    blank = np.zeros((4, 1, 8, 8), dtype=np.float32)
    standard = preprocessor.transform(blank)
    shifted = augmenter(standard, np.random.default_rng(0))
    # Pixels shifted in from outside are a blank pixel in standardised units.
    np.testing.assert_allclose(shifted, standard, atol=1e-6)
    raw = augment_batch(blank + 1, np.random.default_rng(3), 3, 0.0, fill=0.0)
    assert (raw == 0).any()
    vectors = np.ones((4, 3), dtype=np.float32)
    assert augmenter(vectors, np.random.default_rng(0)) is vectors
    with pytest.raises(ValueError):
        warp_batch(np.zeros((2, 8, 8)), np.zeros(2), np.zeros((2, 2)))
    with pytest.raises(ValueError):
        random_transforms(2, np.random.default_rng(0), -1, 0.0)
