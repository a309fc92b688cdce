"""The ink finder's and segmenter's shortcuts give the very values of the slower ways they replace."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer import ink


def _opencv_shrink(image: np.ndarray, factor: int) -> np.ndarray:
    height, width = image.shape
    whole = image[: height - height % factor, : width - width % factor]
    return cv2.resize(whole, (width // factor, height // factor), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("shape", [(960, 1280), (215, 481), (43, 97)])
def test_the_grey_photo_is_shrunk_to_the_pixel_as_opencvs_4x_average(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[1])
    # smooth light with fine noise: many blocks average to a half, where rounding is decided
    light = cv2.resize(rng.integers(120, 250, (8, 8), np.uint8), shape[::-1], interpolation=cv2.INTER_CUBIC)
    for image in (
        light,
        cv2.add(light, rng.integers(0, 3, shape, np.uint8)),
        rng.integers(0, 256, shape, np.uint8),
    ):
        np.testing.assert_array_equal(ink._shrink(image, 4), _opencv_shrink(image, 4))


def test_a_shrunk_mask_keeps_which_blocks_hold_ink_and_which_are_half_inked() -> None:
    rng = np.random.default_rng(5)
    mask = np.where(rng.random((480, 640)) < 0.5, 255, 0).astype(np.uint8)  # every count of 16
    small, reference = ink._shrink_mask(mask, 4), _opencv_shrink(mask, 4)
    assert small.shape == reference.shape
    np.testing.assert_array_equal(small > 0, reference > 0)
    np.testing.assert_array_equal(small > 127, reference > 127)


def test_the_segmenters_upper_quartile_is_numpys_75th_percentile() -> None:
    from recognizer.segment import upper_quartile

    rng = np.random.default_rng(11)
    for count in range(1, 40):
        for values in (rng.integers(0, 200, count).tolist(), rng.random(count).tolist()):
            values.sort()
            assert upper_quartile(values) == float(np.percentile(values, 75))
