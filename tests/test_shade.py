"""The paper's light past a hard shadow's edge (``recognizer/shade.py``): the paper in shade is
paper, the writing across the edge is ink, and a desk past a page's edge stays what it was."""

from __future__ import annotations

import cv2
import numpy as np

from recognizer import ink
from recognizer.ink import WEAK_DARKNESS, darkness_and_paper, find_ink
from recognizer.shade import paper_in_shade

SIZE = (960, 1280)
EDGE = 700  # the shadow's edge (or the page's), in columns


def _paper(light: float = 230.0, grain: float = 2.0, seed: int = 0) -> np.ndarray:
    """A page filling the photo: even light, fine grain."""
    return np.random.default_rng(seed).normal(light, grain, SIZE).astype(np.float32)


def _shaded(page: np.ndarray, depth: float = 0.3) -> np.ndarray:
    """``page`` with a hard-edged shadow, ``depth`` deep, right of EDGE (softened as a lamp's)."""
    beyond = np.zeros(SIZE, np.float32)
    beyond[:, EDGE:] = 1.0
    return page * (1 - depth * cv2.GaussianBlur(beyond, (0, 0), 4))


def _written(page: np.ndarray) -> np.ndarray:
    """``page`` with a row of pen strokes across EDGE, as 8-bit grey."""
    photo = np.clip(page, 0, 255).astype(np.uint8)
    for x in range(520, 900, 60):
        cv2.line(photo, (x, 430), (x + 20, 530), 60, 6)
        cv2.line(photo, (x, 430), (x + 40, 430), 60, 6)
    return photo


def test_the_paper_past_a_hard_shadows_edge_is_no_ink() -> None:
    grey = np.clip(_shaded(_paper()), 0, 255).astype(np.uint8)
    darkness, _ = darkness_and_paper(grey)
    band = darkness[:, EDGE + 10 : EDGE + 80]  # (the edge's own softened pixels left aside)
    assert np.mean(band > WEAK_DARKNESS) < 0.01, "a band of dark paper along the shadow's edge"


def test_writing_across_a_hard_shadows_edge_is_found_and_the_edge_is_not() -> None:
    mask = find_ink(_written(_shaded(_paper()))).mask
    assert mask[430:535, 520:EDGE].any() and mask[430:535, EDGE + 10 : 920].any(), "writing lost"
    assert not mask[:380, EDGE - 20 : EDGE + 100].any(), "the shadow's edge taken for ink"
    assert not mask[600:, EDGE - 20 : EDGE + 100].any(), "the shadow's edge taken for ink"


def _paper_light(photo: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The ink finder's 4x smaller copy of ``photo``, its max-filter light and the filter's side."""
    small = ink._shrink(photo, ink.BACKGROUND_DOWNSCALE)
    side = ink._paper_window(photo.shape)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    return small, cv2.GaussianBlur(cv2.dilate(small, kernel), (0, 0), side / 2), side


def test_a_blotchy_desk_past_the_pages_edge_is_no_shade() -> None:
    """A grey desk as bright as paper in shade (65% of the page's light), past the page's edge, is
    no paper: its blotches are coarser than the paper's grain (the band along the page's edge
    stays the surface around the page). The page's own paper, as dim, is shade."""
    rng = np.random.default_rng(1)
    blotches = cv2.GaussianBlur(rng.normal(0, 1, SIZE).astype(np.float32), (0, 0), 6)
    for beyond, is_shade in [(150 + 12 * blotches / blotches.std(), False), (_paper(150.0), True)]:
        page = _paper()
        page[:, EDGE:] = beyond[:, EDGE:]
        small, light, side = _paper_light(_written(page))
        found = paper_in_shade(small, light, side, ink.STRONG_DARKNESS, WEAK_DARKNESS)
        assert (found is not light) == is_shade
        if is_shade:  # (the paper's light past the edge: the paper in shade's, not the page's)
            assert np.median(found[:, EDGE // 4 + 10 : EDGE // 4 + 20]) < 0.75 * np.median(light[:, :50])


def test_a_tight_crop_of_writing_is_left_as_it_was() -> None:
    """A scanned amount is writing in any window: its dense strokes lower the median as a shadow
    would, and a photo this small beside the paper's window is left as it was (SHADE_ROOM)."""
    page = _paper()[:248, :640]
    for x in range(40, 420, 6):
        cv2.line(page, (x, 30), (x + 25, 220), 150, 6)
    small, light, side = _paper_light(np.clip(page, 0, 255).astype(np.uint8))
    assert paper_in_shade(small, light, side, ink.STRONG_DARKNESS, WEAK_DARKNESS) is light
