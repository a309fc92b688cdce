"""Training augmentation: seeded, shape-preserving, and scheduled by epoch."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from conftest import render_digits

from recognizer import augment
from recognizer.normalise import MNIST_STROKE, STROKE_TOLERANCE, stroke_width
from recognizer.train import TrainConfig

IDENTITY = augment.AugmentConfig(
    rotation_degrees=0,
    zoom=0,
    shift=0,
    shear=0,
    thicken_probability=0,
    thin_probability=0,
    blur_probability=0,
)


def test_same_seed_same_batch_and_shape_kept() -> None:
    images, _ = render_digits(16)
    a = augment.augment_batch(images, np.random.default_rng(3), augment.PHOTO_AUGMENT)
    b = augment.augment_batch(images, np.random.default_rng(3), augment.PHOTO_AUGMENT)
    np.testing.assert_array_equal(a, b)
    assert a.shape == images.shape and a.dtype == np.uint8
    assert not np.array_equal(a, images)


def test_all_ranges_off_is_the_identity() -> None:
    images, _ = render_digits(8)
    out = augment.augment_batch(images, np.random.default_rng(0), IDENTITY)
    assert np.abs(out.astype(int) - images).max() <= 1


def test_thickening_adds_ink_and_thinning_never_erases_a_digit() -> None:
    images, _ = render_digits(8)
    thick = augment.AugmentConfig(rotation_degrees=0, zoom=0, shift=0, shear=0, thicken_probability=1.0)
    thin = augment.AugmentConfig(
        rotation_degrees=0, zoom=0, shift=0, shear=0, thicken_probability=0, thin_probability=1.0
    )
    rng = np.random.default_rng(1)
    for image in images:
        assert (augment.augment_digit(image, rng, thick) > 127).sum() > (image > 127).sum()
        assert augment.augment_digit(image, rng, thin).max() > 64


def test_photo_extras_only_in_the_first_epochs() -> None:
    config = TrainConfig(epochs=20, augmentation="photo", photo_fraction=0.3)
    assert config.photo_epochs == 6
    assert config.augment_config(0) == augment.PHOTO_AUGMENT
    assert config.augment_config(5) == augment.PHOTO_AUGMENT
    assert config.augment_config(6) == augment.BASELINE_AUGMENT
    assert TrainConfig(augmentation="baseline").augment_config(0) == augment.BASELINE_AUGMENT
    assert augment.PHOTO_AUGMENT.flag_one_probability == 0  # flagged 1s: only when asked for


def test_the_flagged_augmentation_is_photo_with_flagged_ones() -> None:
    config = TrainConfig(epochs=4, augmentation="flagged", photo_fraction=0.3)
    assert config.photo_epochs == 1
    assert config.augment_config(0).flag_one_probability == augment.FLAG_ONES > 0
    assert config.augment_config(0).shear == augment.PHOTO_AUGMENT.shear
    assert config.augment_config(1).flag_one_probability == augment.FLAG_ONES
    assert config.augment_config(1).shear == augment.BASELINE_AUGMENT.shear


def test_degraded_test_copy_is_reproducible() -> None:
    images, _ = render_digits(8)
    np.testing.assert_array_equal(augment.degraded_copy(images), augment.degraded_copy(images))


def test_elastic_distortion_bends_strokes_but_keeps_the_digit() -> None:
    images, _ = render_digits(8)
    bend = augment.AugmentConfig(
        rotation_degrees=0, zoom=0, shift=0, shear=0, thicken_probability=0, elastic_probability=1.0
    )
    first = augment.augment_batch(images, np.random.default_rng(5), bend)
    again = augment.augment_batch(images, np.random.default_rng(5), bend)
    np.testing.assert_array_equal(first, again)
    for image, bent in zip(images, first, strict=True):
        moved = np.abs(bent.astype(int) - image)
        assert (moved > 64).sum() >= 10  # strokes moved ...
        ink, bent_ink = (image > 127).sum(), (bent > 127).sum()
        assert 0.6 * ink <= bent_ink <= 1.4 * ink  # ... but were neither erased nor smeared
        rows, cols = np.nonzero(bent > 127)
        centre = np.array([rows.mean(), cols.mean()])
        original = np.array(np.nonzero(image > 127)).mean(axis=1)
        assert np.linalg.norm(centre - original) < 3.0  # and stayed where it was


def test_elastic_augmentation_is_used_in_every_epoch() -> None:
    config = TrainConfig(epochs=4, augmentation="elastic")
    assert config.augment_config(0) == config.augment_config(3) == augment.ELASTIC_AUGMENT
    assert augment.ELASTIC_AUGMENT.elastic_probability > 0
    assert augment.PHOTO_AUGMENT.elastic_probability == 0  # the shipped recipe is unchanged


def test_slanted_augmentation_leans_further_in_every_epoch() -> None:
    config = TrainConfig(epochs=4, augmentation="slanted")
    assert config.augment_config(0) == config.augment_config(3) == augment.SLANTED_AUGMENT
    assert augment.SLANTED_AUGMENT.shear > 2 * augment.PHOTO_AUGMENT.shear
    assert augment.SLANTED_AUGMENT.thin_probability > augment.PHOTO_AUGMENT.thin_probability


def test_penned_digits_are_ink_normalised_again_as_the_reader_does() -> None:
    images, _ = render_digits(8)
    rng = np.random.default_rng(2)
    band = (STROKE_TOLERANCE[0] * MNIST_STROKE - 0.5, STROKE_TOLERANCE[1] * MNIST_STROKE + 0.6)
    for image in images:
        for pen in ((0.55, 0.55), (1.8, 1.8)):  # pencil, marker: brought within MNIST's widths
            written = augment.penned(image, rng, pen)
            assert written.shape == (28, 28) and written.dtype == np.uint8
            assert not np.array_equal(written, image)
            rows, columns = np.nonzero(written > 32)
            assert max(np.ptp(rows), np.ptp(columns)) + 1 <= 22  # fitted into 20x20 again
            assert band[0] <= stroke_width(((written > 127) * 255).astype(np.uint8)) <= band[1]
    blank = np.zeros((28, 28), np.uint8)
    assert augment.penned(blank, rng, (1.0, 1.0)) is blank


def test_penned_augmentation_writes_half_the_digits_with_a_pen_in_every_epoch() -> None:
    config = TrainConfig(epochs=4, augmentation="penned")
    assert config.augment_config(0) == config.augment_config(3) == augment.PENNED_AUGMENT
    assert augment.PENNED_AUGMENT.penned_probability == 0.5
    assert augment.PENNED_AUGMENT.shear == augment.SLANTED_AUGMENT.shear
    assert augment.SLANTED_AUGMENT.penned_probability == 0  # the slanted recipe is unchanged
    images, labels = render_digits(6)
    out = augment.augment_batch(images, np.random.default_rng(5), augment.PENNED_AUGMENT, labels)
    assert out.shape == images.shape and out.dtype == np.uint8


def test_the_share_of_penned_digits_can_be_set_and_nothing_else_changes() -> None:
    """``hey-number train --augmentation penned --penned-share 0.75``: three digits in four written
    with a pen, the rest of the recipe as it was; a share outside 0..1 is refused."""
    for augmentation, recipe in (("penned", augment.PENNED_AUGMENT), ("blurred", augment.BLURRED_AUGMENT)):
        chosen = TrainConfig(augmentation=augmentation, penned_share=0.75).augment_config(2)
        assert chosen == replace(recipe, penned_probability=0.75)
    assert TrainConfig(augmentation="penned", penned_share=None).augment_config() == augment.PENNED_AUGMENT
    with pytest.raises(ValueError, match="penned share"):
        TrainConfig(augmentation="penned", penned_share=1.5).augment_config()


def test_blurred_pens_take_the_ink_of_a_blurred_digit_at_an_uneven_level() -> None:
    config = TrainConfig(epochs=4, augmentation="blurred")
    assert config.augment_config(0) == config.augment_config(3) == augment.BLURRED_AUGMENT
    assert augment.BLURRED_AUGMENT.pen_blur_probability == 0.5
    assert augment.PENNED_AUGMENT.pen_blur_probability == 0  # 1.3.0's recipe is unchanged
    images, _ = render_digits(8)
    changed = 0
    for image in images:
        sharp = augment.penned(image, np.random.default_rng(4), (1.0, 1.0))
        blurred = augment.penned(image, np.random.default_rng(4), (1.0, 1.0), blur_probability=1.0)
        assert blurred.shape == (28, 28) and (blurred > 127).any()
        changed += not np.array_equal(sharp, blurred)
    assert changed == len(images)


def test_blurred_pens_taken_low_keep_more_ink_as_the_reader_takes_it() -> None:
    """``--augmentation blurred-low``: the blurred recipe with the ink taken at 0.2-0.4 of its
    darkest (as low as the reader's weak-ink bar) instead of 0.35-0.65: a blurred stroke taken high
    breaks up, taken low it holds together."""
    config = TrainConfig(augmentation="blurred-low")
    assert config.augment_config(1) == augment.BLURRED_LOW_AUGMENT
    assert augment.BLURRED_LOW_AUGMENT.pen_ink_level == (0.2, 0.4)
    assert augment.BLURRED_AUGMENT.pen_ink_level == (0.35, 0.65)  # the session-7 recipe is unchanged
    images, _ = render_digits(12)
    pieces = {0.2: [], 0.6: []}
    for image in images:
        for level, found in pieces.items():
            taken = augment.penned(image, np.random.default_rng(4), (0.6, 0.6), 1.0, (level, level))
            found.append(cv2.connectedComponents((taken > 127).astype(np.uint8))[0] - 1)
    assert all(low <= high for low, high in zip(pieces[0.2], pieces[0.6], strict=True))
    assert sum(pieces[0.2]) < sum(pieces[0.6])


def _bare_one() -> np.ndarray:
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 13:15] = 255
    return image


def test_a_flagged_one_grows_a_flag_down_to_the_left_of_its_top() -> None:
    reaches = []
    for seed in range(20):
        flagged = augment.flagged_one(_bare_one(), np.random.default_rng(seed))
        rows, cols = np.nonzero(flagged > 127)
        top, bottom = rows.min(), rows.max()
        assert bottom - top + 1 >= 19  # still fitted into MNIST's 20x20 box, upright
        upper = cols[rows < top + 0.5 * (bottom - top)]
        lower = cols[rows > top + 0.75 * (bottom - top)]
        assert lower.max() - lower.min() <= 3  # the foot is the bare stem ...
        reaches.append(lower.min() - upper.min())  # ... and the flag reaches left of it, above
    assert min(reaches) >= 1 and max(reaches) >= 6


def test_only_ones_are_flagged() -> None:
    flag_all = augment.AugmentConfig(**{**IDENTITY.as_dict(), "flag_one_probability": 1.0})
    images = np.stack([_bare_one(), _bare_one()])
    out = augment.augment_batch(images, np.random.default_rng(0), flag_all, labels=np.array([1, 7]))
    assert not np.array_equal(out[0], images[0])
    assert np.abs(out[1].astype(int) - images[1]).max() <= 1  # the same stroke labelled 7: untouched
    unlabelled = augment.augment_batch(images, np.random.default_rng(0), flag_all)
    assert np.abs(unlabelled.astype(int) - images).max() <= 1


def test_only_nines_are_mirrored_into_a_rho() -> None:
    mirror_all = augment.AugmentConfig(**{**IDENTITY.as_dict(), "mirrored_nine_probability": 1.0})
    rendered, labels = render_digits(8)
    images = rendered[np.isin(labels, (2, 5, 6))][:2]  # (digits no mirror leaves as they were)
    out = augment.augment_batch(images, np.random.default_rng(0), mirror_all, labels=np.array([9, 8]))
    assert np.abs(out[0].astype(int) - images[0][:, ::-1]).max() <= 1  # mirrored left to right
    assert np.abs(out[0].astype(int) - images[0]).max() > 100
    assert np.abs(out[1].astype(int) - images[1]).max() <= 1  # labelled 8: untouched
    recipe = TrainConfig(augmentation="mirrored-nines").augment_config(0)
    assert recipe == replace(augment.BLURRED_LOW_AUGMENT, mirrored_nine_probability=augment.MIRRORED_NINES)
    assert augment.BLURRED_LOW_AUGMENT.mirrored_nine_probability == 0


def _bare_seven() -> np.ndarray:
    """A 7 of two strokes: a bar along the top and a stem falling from its right end."""
    image = np.zeros((28, 28), np.uint8)
    cv2.line(image, (7, 5), (20, 5), 255, 2)
    cv2.line(image, (20, 5), (12, 23), 255, 2)
    return image


def test_a_crossed_seven_has_a_bar_across_its_stem_and_only_sevens_are_crossed() -> None:
    for seed in range(20):
        crossed = augment.crossed_seven(_bare_seven(), np.random.default_rng(seed)) > 127
        rows = np.flatnonzero(crossed.any(axis=1))
        middle = crossed[rows[0] + 4 : rows[-1] - 4]  # (below the top bar, above the stem's foot)
        runs = middle.sum(axis=1)
        assert runs.max() >= 3 * runs[runs > 0].min()  # rows across the stem three times its width: the bar
    cross_all = augment.AugmentConfig(**{**IDENTITY.as_dict(), "crossed_seven_probability": 1.0})
    images = np.stack([_bare_seven(), _bare_seven()])
    out = augment.augment_batch(images, np.random.default_rng(0), cross_all, labels=np.array([7, 1]))
    assert (out[0] > 127).sum() > (images[0] > 127).sum()
    assert np.abs(out[1].astype(int) - images[1]).max() <= 1  # labelled 1: untouched
    recipe = TrainConfig(augmentation="crossed-sevens").augment_config(0)
    assert recipe == replace(augment.BLURRED_LOW_AUGMENT, crossed_seven_probability=augment.CROSSED_SEVENS)
