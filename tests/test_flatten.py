"""Step 1a: a page photographed at a slant, flattened to its rectangle; boxes mapped back."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer.decode import DecodedImage, decode
from recognizer.flatten import EDGE_INSET, SLANT_DEGREES, _inset, _written_across, flattened, off_square

PAGE = (600, 800)  # rows, columns of the page as written on
DOTS = [(0.25, 0.3), (0.5, 0.5), (0.8, 0.75), (0.1, 0.9)]  # (x, y) as shares of the page's width and height


def _page() -> np.ndarray:
    """A light page with a dark dot at each of DOTS."""
    page = np.full(PAGE, 235, np.uint8)
    for x, y in DOTS:
        cv2.circle(page, (round(x * PAGE[1]), round(y * PAGE[0])), 9, 40, -1)
    return page


def _photographed(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The page warped to ``corners`` (top-left first, clockwise) of a 1280x960 photo of a grey
    desk, and the page-to-photo homography."""
    rows, cols = PAGE
    own = np.array([[0, 0], [cols - 1, 0], [cols - 1, rows - 1], [0, rows - 1]], np.float32)
    to_photo = cv2.getPerspectiveTransform(own, corners.astype(np.float32))
    desk = np.full((960, 1280), 90, np.uint8)
    desk[::9] = 70  # (a weave)
    photo = cv2.warpPerspective(_page(), to_photo, (1280, 960), dst=desk, borderMode=cv2.BORDER_TRANSPARENT)
    return photo, to_photo


LOW_ANGLE = np.array([[420, 180], [860, 170], [1180, 860], [100, 880]])  # the far side shrunk


def _dark_spots(image: np.ndarray) -> np.ndarray:
    """The centres (x, y) of the dark blobs of ``image``, sorted by x."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    count, _, stats, centres = cv2.connectedComponentsWithStats((grey < 60).astype(np.uint8))
    big = [k for k in range(1, count) if stats[k, cv2.CC_STAT_AREA] >= 20]
    return centres[sorted(big, key=lambda k: centres[k][0])]


def test_a_page_seen_from_a_low_angle_is_warped_to_its_rectangle() -> None:
    photo, to_photo = _photographed(LOW_ANGLE)
    decoded = decode(photo)
    assert off_square(LOW_ANGLE.astype(np.float32)) >= SLANT_DEGREES
    flat = flattened(decoded)
    assert flat is not None
    height, width = flat.working.shape[:2]
    # the rectangle the page's longer sides span (its near, bottom, side and its right side), less
    # the edge cut off all round
    sides = np.linalg.norm(LOW_ANGLE - np.roll(LOW_ANGLE, -1, axis=0), axis=1) - 2 * EDGE_INSET * 1280
    assert (width, height) == pytest.approx((max(sides[0], sides[2]), max(sides[1], sides[3])), rel=0.02)
    # each dot where its share of the page puts it (give or take the edge cut off: its width is
    # even in the photo, not on the page)
    expected = sorted((x * width, y * height) for x, y in DOTS)
    spots = _dark_spots(flat.working)
    assert np.abs(spots - expected).max() < 0.025 * width
    # and a box round a dot in the flat copy comes back round that dot in the photo
    for (x, y), (fx, fy) in zip(spots, sorted(DOTS), strict=True):
        box = flat.photo_box((round(x) - 5, round(y) - 5, 10, 10))
        dot = cv2.perspectiveTransform(np.array([[[fx * (PAGE[1] - 1), fy * (PAGE[0] - 1)]]]), to_photo)[0, 0]
        assert box[0] - 3 <= dot[0] <= box[0] + box[2] + 3 and box[1] - 3 <= dot[1] <= box[1] + box[3] + 3


def test_the_flattened_page_holds_no_desk_along_its_edges() -> None:
    """The corners may be a few pixels off the page into the desk: the page's edge is cut off,
    else a dark line along the border (strong "ink" to the ink finder) set its bars for a pencil's."""
    flat = flattened(decode(_photographed(LOW_ANGLE)[0]))
    assert flat is not None
    grey = cv2.cvtColor(flat.working, cv2.COLOR_RGB2GRAY)
    border = np.concatenate([grey[:2].ravel(), grey[-2:].ravel(), grey[:, :2].ravel(), grey[:, -2:].ravel()])
    assert border.min() > 200  # (the page 235, the desk 70-90)


def test_a_side_that_writing_runs_across_is_no_page_edge() -> None:
    """Writing stops at a page's edge, and runs on across the edge of a shade, where the bright
    side of the page's split can end instead (the soft shadows of ``--shadow 0.3
    --shadow-softness 40``: the digits in the shade were lost with the part of the page cut off)."""
    photo, _ = _photographed(LOW_ANGLE)
    corners = _inset(LOW_ANGLE.astype(np.float32), EDGE_INSET * 1280)
    assert not _written_across(photo, corners)
    # a stroke across the right side, as a digit across the edge of a shade there would be
    crossing = cv2.line(photo.copy(), (1000, 600), (1120, 600), 40, 6)
    assert _written_across(crossing, corners)
    # and a pencil's, lighter
    assert _written_across(cv2.line(photo.copy(), (1000, 600), (1120, 600), 150, 3), corners)


def test_a_page_seen_square_on_or_filling_the_photo_is_read_as_it_is() -> None:
    turned = cv2.boxPoints(((640, 480), (800, 600), 25)).astype(np.float32)
    turned = np.roll(turned, -int(np.argmin(turned.sum(axis=1))), axis=0)
    assert off_square(turned) < 1
    assert flattened(decode(_photographed(turned)[0])) is None
    assert flattened(decode(np.full((960, 1280), 235, np.uint8))) is None


def test_boxes_map_to_the_photo_and_back() -> None:
    """A shrunk working copy scales boxes; a flattened one maps them through its homography."""
    photo, working = np.zeros((1920, 2560), np.uint8), np.zeros((960, 1280), np.uint8)
    shrunk = DecodedImage(original=photo, working=working, scale=2.0)
    assert shrunk.photo_box((10, 20, 30, 40)) == (20, 40, 60, 80)
    assert shrunk.working_box((20, 40, 80, 120)) == (10, 20, 40, 60)
    flat = flattened(decode(_photographed(LOW_ANGLE)[0]))
    assert flat is not None
    x, y, w, h = flat.photo_box((600, 400, 50, 60))
    left, top, right, bottom = flat.working_box((x, y, x + w, y + h))
    # (a box round a mapped box holds it: the round trip grows it, a little)
    assert left <= 600 and top <= 400 and right >= 650 and bottom >= 460
    assert right - left < 50 * 1.4 and bottom - top < 60 * 1.4


@pytest.mark.parametrize(
    ("corners", "degrees"),
    [([[0, 0], [100, 0], [100, 50], [0, 50]], 0.0), ([[0, 0], [100, 0], [150, 50], [-50, 50]], 45.0)],
)
def test_off_square_is_the_worst_corner(corners: list, degrees: float) -> None:
    assert off_square(np.array(corners, np.float32)) == pytest.approx(degrees, abs=0.01)


def test_the_edge_is_cut_off_a_page_all_round_unless_that_leaves_none() -> None:
    square = np.array([[0, 0], [100, 0], [100, 100], [0, 100]], np.float32)
    assert _inset(square, 10) == pytest.approx(np.array([[10, 10], [90, 10], [90, 90], [10, 90]]))
    assert _inset(square, 60) is square
