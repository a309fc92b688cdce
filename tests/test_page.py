"""The page lying on a surface (recognizer.page): found only where a sheet's sharp edge rings it and
the surface around it is textured; never a shadow, a vignette or a page filling the photo."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer.ink import WEAK_DARKNESS, _shrink_mask, darkness_and_paper, find_ink
from recognizer.page import page_corners, page_halving, surface_around_page

SIZE = (960, 1280)  # rows, columns: a working copy
PAGE_CORNERS = np.array([[300, 180], [1050, 250], [990, 800], [230, 730]], np.int32)  # a turned sheet


def _desk(grain: float, seed: int = 0) -> np.ndarray:
    """A grey desk, 120 levels, with a blotchy texture of ``grain`` (its relative spread)."""
    cells = np.random.default_rng(seed).standard_normal((SIZE[0] // 24 + 2, SIZE[1] // 24 + 2))
    texture = cv2.resize(cells.astype(np.float32), SIZE[::-1], interpolation=cv2.INTER_CUBIC)
    return np.clip(120 * (1 + grain * texture), 0, 255).astype(np.uint8)


def _written(grey: np.ndarray, left: int, top: int, darkness: float = 0.5, width: int = 4) -> np.ndarray:
    """``grey`` with "1 7 0" written at (left, top), 60 pixels tall, ``darkness`` below the paper,
    with a pen ``width`` pixels wide."""
    ink = np.zeros(grey.shape, np.uint8)
    cv2.line(ink, (left, top), (left, top + 60), 255, width)
    seven = np.array([[left + 30, top], [left + 65, top], [left + 45, top + 60]])
    cv2.polylines(ink, [seven], False, 255, width)
    cv2.ellipse(ink, (left + 100, top + 30), (16, 30), 0, 0, 360, 255, width)
    written = grey.astype(np.float32)
    written[ink > 0] *= 1 - darkness
    return written.astype(np.uint8)


def _page_on(desk: np.ndarray, corners: np.ndarray = PAGE_CORNERS, marker: bool = False) -> np.ndarray:
    """A sheet 235 levels light on ``desk``, "170" written on it in faint pencil (or in marker)."""
    photo = desk.copy()
    cv2.fillPoly(photo, [corners], 235)
    return _written(photo, 560, 460, darkness=0.6, width=24) if marker else _written(photo, 560, 460, 0.25)


def _surface(grey: np.ndarray) -> np.ndarray | None:
    darkness, _ = darkness_and_paper(grey)
    weak = cv2.compare(darkness, WEAK_DARKNESS, cv2.CMP_GT)
    return surface_around_page(_shrink_mask(grey, page_halving(grey.shape)), weak, grey.shape)


def test_a_grainy_desk_around_a_page_is_surface_and_its_blotches_are_not_ink() -> None:
    photo = _page_on(_desk(grain=0.15))
    surface = _surface(photo)
    assert surface is not None
    page = np.zeros(SIZE, np.uint8)
    cv2.fillPoly(page, [PAGE_CORNERS], 255)
    inner = cv2.erode(page, np.ones((65, 65), np.uint8)) > 0  # (the edge, 32 pixels deep, is surface)
    assert not (surface[inner] > 0).any(), "the page was taken for surface"
    assert (surface[page == 0] > 0).mean() > 0.95
    ink = find_ink(photo).mask
    ys, xs = np.nonzero(ink)
    assert len(xs) > 500, "the faint writing was lost"
    assert xs.min() >= 555 and xs.max() <= 690, "the desk's blotches read as ink"
    assert ys.min() >= 455 and ys.max() <= 525, "the desk's blotches read as ink"


def test_a_smooth_desk_is_left_to_the_ink_finder() -> None:
    """A smooth surface has no blotches to take for ink: nothing to gain from calling it surface."""
    assert _surface(_page_on(_desk(grain=0.0))) is None


def test_a_hard_shadow_across_a_page_filling_the_photo_is_not_surface() -> None:
    """The shadowed part of the page, with its writing, has a sharp edge too, but reaches only three
    sides of the photo; and is no textured surface."""
    grey = np.full(SIZE, 230, np.uint8)
    grey[:, :500] = 150
    photo = _written(grey, 200, 450)
    assert _surface(photo) is None
    xs = np.nonzero(find_ink(photo).mask)[1]
    assert xs.min() <= 205 and xs.max() >= 300, "the writing in the shadow was lost"


@pytest.mark.parametrize("grain", [0.0, 0.15])
def test_a_vignette_is_not_a_page_on_a_surface(grain: float) -> None:
    """Dark corners fall off gradually: no sharp edge rings the bright middle."""
    rows, cols = np.mgrid[-1 : 1 : SIZE[0] * 1j, -1 : 1 : SIZE[1] * 1j]
    light = 235 * (1 - 0.55 * (rows**2 + cols**2) / 2) * (1 + grain * (_desk(grain=1.0) / 120.0 - 1) / 4)
    photo = _written(np.clip(light, 0, 255).astype(np.uint8), 80, 60)
    assert _surface(photo) is None
    ys, xs = np.nonzero(find_ink(photo).mask)
    assert xs.size and xs.min() <= 85 and ys.min() <= 65, "the writing in the dark corner was lost"


@pytest.mark.parametrize("marker", [False, True])
def test_a_hard_shadow_across_a_page_on_a_grainy_desk_keeps_the_writing_in_it(marker: bool) -> None:
    """The page grown from its lit part stops at the shadow's edge; the shaded part of the page
    beyond it is smooth paper, not the desk's blotches, and its writing stays (a marker's strokes,
    too wide to be smoothed away, are holes in it)."""
    corners = np.array([[150, 100], [1150, 160], [1100, 880], [120, 840]], np.int32)  # a bigger sheet
    photo = _page_on(_desk(grain=0.15), corners=corners, marker=marker).astype(np.float32)
    photo[495:] *= 0.7  # a hard-edged shadow over the bottom half, the number's lower half in it
    photo = photo.astype(np.uint8)
    surface = _surface(photo)
    assert surface is not None, "the desk around the page is surface still"
    ink = find_ink(photo).mask
    sheet = np.zeros(SIZE, np.uint8)
    cv2.fillPoly(sheet, [corners], 255)
    assert not (ink[sheet == 0] > 0).any(), "the desk's blotches read as ink"
    # (the shadow's hard edge itself is a dark line to the ink finder, as before: not this test's)
    assert (ink[512:522, 555:690] > 0).any(), "the writing in the shadow was lost"


def test_a_page_running_off_two_sides_of_the_photo_is_not_a_page_lying_on_a_surface() -> None:
    """A scan darker and patterned over its right part and along its top (a cheque's printed
    field), the bright rest running off the left and bottom: no page lying in the photo, and the
    writing on the darker part stays."""
    photo = (_desk(grain=0.15).astype(np.float32) * 1.4).clip(0, 255).astype(np.uint8)  # 168 levels
    photo[120:, :700] = 235
    photo = _written(photo, 850, 450)
    assert _surface(photo) is None
    xs = np.nonzero(find_ink(photo).mask[440:520])[1]
    assert xs.size and xs.max() >= 940, "the writing on the darker part was lost"


@pytest.mark.parametrize("shape", [(1, 5000), (3, 12000), (5000, 1), (2, 2)])
def test_a_strip_of_a_photo_has_no_page_and_raises_nothing(shape: tuple[int, int]) -> None:
    strip = np.full(shape, 200, np.uint8)
    strip[..., ::7] = 20
    halved = _shrink_mask(strip, page_halving(shape))
    assert surface_around_page(halved, np.where(strip < 100, 255, 0).astype(np.uint8), shape) is None


def _corners(grey: np.ndarray) -> np.ndarray | None:
    return page_corners(_shrink_mask(grey, page_halving(grey.shape)), grey.shape)


@pytest.mark.parametrize("grain", [0.15, 0.02])
def test_the_corners_of_a_page_lying_wholly_in_the_photo_are_found(grain: float) -> None:
    """On a grainy desk and a smooth one, to within 4 pixels (the median filter rounds the shrunk
    page's corners by more: the sides' lines meet where the corners are)."""
    corners = _corners(_page_on(_desk(grain)))
    assert corners is not None
    assert np.abs(corners - PAGE_CORNERS).max() <= 4


def test_the_corners_of_a_page_turned_45_degrees_go_round_it_clockwise() -> None:
    """Ordered by x + y and x - y alone, a diamond's corners could come crossed, and a page
    warped to them would be mirrored."""
    diamond = np.array([[640, 130], [1000, 480], [640, 830], [280, 480]], np.int32)
    corners = _corners(_page_on(_desk(0.15), corners=diamond))
    assert corners is not None
    nearest = [np.abs(diamond - corner).max(axis=1) for corner in corners]
    assert sorted(int(np.argmin(gaps)) for gaps in nearest) == [0, 1, 2, 3]
    assert max(gaps.min() for gaps in nearest) <= 10  # (its sides are staircases on the shrunk copy)
    turns = [np.cross(corners[k] - corners[k - 1], corners[(k + 1) % 4] - corners[k]) for k in range(4)]
    assert all(turn > 0 for turn in turns), "not clockwise as seen (y runs down)"


def test_a_page_running_off_the_photo_or_filling_it_has_no_corners() -> None:
    off = PAGE_CORNERS.copy()
    off[1] = (1300, 250)  # its top-right corner past the photo's edge
    assert _corners(_page_on(_desk(0.15), corners=off)) is None
    assert _corners(_written(np.full(SIZE, 235, np.uint8), 560, 460)) is None
    assert _corners(_desk(0.15)) is None


@pytest.mark.parametrize("softness", [0, 60])
def test_a_page_half_in_shade_has_no_corners_where_the_shade_begins(softness: int) -> None:
    """A hard shadow's edge and a soft shade's are a step in the light as a page's edge is; the
    paper past them is the page's, and a page cut there would lose the writing in its shade."""
    corners = np.array([[150, 100], [1150, 160], [1100, 880], [120, 840]], np.int32)
    photo = _page_on(_desk(grain=0.15), corners=corners).astype(np.float32)
    gain = np.ones(SIZE[0], np.float32)
    gain[495:] = 0.7
    if softness:
        gain = cv2.GaussianBlur(gain[:, None], (1, 0), softness).ravel()
    sheet = np.zeros(SIZE, np.uint8)
    cv2.fillPoly(sheet, [corners], 255)
    photo[sheet > 0] *= np.broadcast_to(gain[:, None], SIZE)[sheet > 0]
    found = _corners(photo.astype(np.uint8))
    assert found is None or np.abs(found - corners).max() <= 6
