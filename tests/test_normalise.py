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
