"""Normalising one digit the MNIST way: fitted into 20x20, centred by mass, MNIST's stroke width."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer import normalise
from recognizer.normalise import MNIST_STROKE, SIDE, STROKE_TOLERANCE, stroke_width, to_mnist


def _seven(thickness: int) -> np.ndarray:
    """A 7 drawn 200 pixels high with a pen ``thickness`` pixels wide."""
    mask = np.zeros((260, 220), np.uint8)
    cv2.polylines(mask, [np.array([[40, 40], [170, 40], [90, 230]], np.int32)], False, 255, thickness)
    return mask


def _width(digit: np.ndarray) -> float:
    return stroke_width(np.where(digit > 127, 255, 0).astype(np.uint8))


@pytest.mark.parametrize("thickness", [3, 50])
def test_thin_and_thick_pens_come_out_with_mnist_strokes(thickness: int) -> None:
    digit = to_mnist(_seven(thickness))
    assert digit.shape == (SIDE, SIDE)
    low, high = STROKE_TOLERANCE
    assert low * MNIST_STROKE <= _width(digit) <= high * MNIST_STROKE


def test_strokes_as_wide_as_mnists_are_left_as_drawn(monkeypatch) -> None:
    """A width MNIST has too is not dilated or eroded to the median: that changes the shape."""
    drawn = _seven(30)  # about 2.8 pixels wide in 28x28: within the band
    as_drawn = to_mnist(drawn)
    monkeypatch.setattr(normalise, "STROKE_TOLERANCE", (1.0, 1.0))
    assert not np.array_equal(to_mnist(drawn), as_drawn)  # brought to the median, it differs
    monkeypatch.setattr(normalise, "STROKE_TOLERANCE", (0.0, np.inf))  # never adjusted
    assert np.array_equal(to_mnist(drawn), as_drawn)


def test_centred_by_centre_of_mass() -> None:
    digit = to_mnist(_seven(24)).astype(np.float64)
    rows, cols = np.indices(digit.shape)
    centre = ((rows * digit).sum() / digit.sum(), (cols * digit).sum() / digit.sum())
    assert abs(centre[0] - (SIDE - 1) / 2) < 0.6 and abs(centre[1] - (SIDE - 1) / 2) < 0.6
    ink = np.argwhere(digit > 0)
    assert max(np.ptp(ink[:, 0]), np.ptp(ink[:, 1])) <= 21  # fitted into 20x20 (plus anti-aliasing)


def test_a_close_ups_large_crop_is_shrunk_before_its_strokes_are_adjusted(monkeypatch) -> None:
    """A digit hundreds of pixels tall (a close-up) is shrunk to MAX_CROP_SIDE before its stroke is
    brought to MNIST's width: dilating the full crop with a kernel as wide as the pen cost about 40%
    of the time a real close-up took to read. The digit comes out as it did at full size."""
    drawn = np.zeros((1100, 900), np.uint8)
    cv2.polylines(drawn, [np.array([[150, 150], [750, 150], [350, 1000]], np.int32)], False, 255, 12)
    adjusted: list[tuple[int, ...]] = []
    adjust = normalise._adjust_stroke

    def recorded(crop: np.ndarray, *rest) -> np.ndarray:
        adjusted.append(crop.shape)
        return adjust(crop, *rest)

    monkeypatch.setattr(normalise, "_adjust_stroke", recorded)
    shrunk = to_mnist(drawn)
    assert max(adjusted[0]) <= 2 * normalise.MAX_CROP_SIDE < 863  # (the ink's box: 613 x 863)
    monkeypatch.setattr(normalise, "MAX_CROP_SIDE", 10_000)
    full = to_mnist(drawn)
    assert np.abs(shrunk.astype(int) - full.astype(int)).mean() < 8
    assert np.count_nonzero((shrunk > 127) != (full > 127)) <= 0.1 * np.count_nonzero(full > 127)


def test_a_thin_stroke_in_a_large_crop_survives_the_shrinking() -> None:
    """A pen stroke under a pixel wide once the crop is shrunk (a 1 written 1,000 pixels tall with a
    5-pixel pen) is still ink: any pixel it covers counts, and the stroke is then widened to
    MNIST's."""
    drawn = np.zeros((1000, 200), np.uint8)
    cv2.line(drawn, (100, 0), (100, 999), 255, 5)
    digit = to_mnist(drawn)
    assert np.count_nonzero(digit > 127) >= 20 * MNIST_STROKE * 0.7  # a whole stroke, 20 rows tall
    low, high = STROKE_TOLERANCE
    assert low * MNIST_STROKE <= _width(digit) <= high * MNIST_STROKE
