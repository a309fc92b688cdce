"""Step 3b: the slope of the writing, measured on the segmenter's pieces."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer.deskew import writing_angle
from recognizer.segment import segment


def _zeros_along(degrees: float) -> np.ndarray:
    """A mask of ten zeros written along a line falling ``degrees`` to the right: too steep for
    the segmenter to chain into a line, so the slope is found by the pieces lining up."""
    mask = np.zeros((1000, 1000), np.uint8)
    theta = np.radians(degrees)
    for k in range(10):
        centre = (
            int(250 + 55 * k * np.cos(theta)),
            int(500 - 250 * np.sign(degrees) + 55 * k * np.sin(theta)),
        )
        cv2.ellipse(mask, centre, (14, 22), 0, 0, 360, 255, 5)
    return mask


@pytest.mark.parametrize("degrees", [-45, 45, -49])
def test_writing_along_the_diagonal_is_levelled(degrees: float) -> None:
    """(Measured up to 40 degrees, as it was: 45 degrees were levelled by 40, and 49 not at all.)"""
    assert writing_angle(segment(_zeros_along(degrees))) == pytest.approx(degrees, abs=3)


@pytest.mark.parametrize("degrees", [-56, 56, -62])
def test_writing_steeper_than_is_levelled_is_left_for_a_quarter_turn(degrees: float) -> None:
    """Not levelled by the steepest slope looked for, which would leave it 6 degrees off."""
    assert writing_angle(segment(_zeros_along(degrees))) == 0.0
