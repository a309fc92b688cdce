"""Step 2 of reading a photo: find the ink — an RGB photo → a mask of pen strokes.

Paper colour, shadows and colour casts are divided away by estimating the paper's local
brightness (a large max-filter of the grey image), so ink is "clearly darker than the paper
around it". Strong ink seeds a hysteresis threshold that keeps the lighter edges of the same
strokes. Ruled and grid lines (long, straight, lighter than the pen) are found with a
probabilistic Hough transform and removed wherever they are not also strong ink, so digits
written across a line keep their strokes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

STRONG_DARKNESS = 0.38  # 1 - pixel/paper: certainly ink
WEAK_DARKNESS = 0.20  # may be ink if connected to certain ink
BACKGROUND_DOWNSCALE = 4
LINE_SEARCH_SCALE = 4
MAX_INK_FRACTION = 0.25  # handwriting covers far less of a page than this
DARKEST_PAPER = 40  # a photo whose median grey is below this shows no paper


@dataclass(frozen=True)
class InkMap:
    """``darkness`` is 0 (paper) .. 1 (black ink) relative to the local paper; ``mask`` is 0/255 ink."""

    darkness: np.ndarray
    mask: np.ndarray


def paper_brightness(grey: np.ndarray) -> np.ndarray:
    """Local paper brightness: a max-filter wide enough to swallow pen strokes, smoothed."""
    small = cv2.resize(
        grey,
        (max(1, grey.shape[1] // BACKGROUND_DOWNSCALE), max(1, grey.shape[0] // BACKGROUND_DOWNSCALE)),
        interpolation=cv2.INTER_AREA,
    )
    side = max(5, (min(small.shape) // 25) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    paper = cv2.dilate(small, kernel)
    paper = cv2.GaussianBlur(paper, (0, 0), side / 2)
    return cv2.resize(paper, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)


def darkness_map(rgb: np.ndarray) -> np.ndarray:
    """How much darker than the surrounding paper each pixel is, 0..1."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    paper = paper_brightness(grey).astype(np.float32)
    ratio = grey.astype(np.float32) / np.maximum(paper, 1.0)
    return np.clip(1.0 - ratio, 0.0, 1.0)


def _ruled_lines(weak: np.ndarray) -> np.ndarray:
    """Mask of long straight lines (ruled paper, grids, table edges) in the weak-ink mask,
    searched on a 4x smaller copy (long lines survive shrinking; the search costs 16x less)."""
    height, width = weak.shape
    small = cv2.resize(
        weak,
        (max(1, width // LINE_SEARCH_SCALE), max(1, height // LINE_SEARCH_SCALE)),
        interpolation=cv2.INTER_AREA,
    )
    small = np.where(small > 0, 255, 0).astype(np.uint8)
    min_length = max(12, int(0.25 * max(small.shape)))
    lines = cv2.HoughLinesP(
        small, 1, np.pi / 360, threshold=min_length, minLineLength=min_length, maxLineGap=2
    )
    found = np.zeros_like(weak)
    if lines is not None:
        for x1, y1, x2, y2 in lines.reshape(-1, 4) * LINE_SEARCH_SCALE:
            cv2.line(found, (int(x1), int(y1)), (int(x2), int(y2)), 255, LINE_SEARCH_SCALE + 3)
    return found


def find_ink(rgb: np.ndarray) -> InkMap:
    """The ink mask of a photo (working copy), with ruled lines and paper texture removed.

    A photo that is mostly "ink" (a dark or black page, noise, a picture) has no paper to write
    on: its mask is empty.
    """
    darkness = darkness_map(rgb)
    strong = (darkness > STRONG_DARKNESS).astype(np.uint8) * 255
    weak = (darkness > WEAK_DARKNESS).astype(np.uint8) * 255
    # (the median of every 8th pixel each way: the same answer, 60x cheaper than the full median)
    if np.count_nonzero(weak) > MAX_INK_FRACTION * weak.size or np.median(rgb[::8, ::8]) < DARKEST_PAPER:
        return InkMap(darkness=darkness, mask=np.zeros_like(weak))
    lines = _ruled_lines(weak)
    weak[(lines > 0) & (strong == 0)] = 0
    strong[(lines > 0) & (darkness < STRONG_DARKNESS + 0.15)] = 0
    # hysteresis: keep weak components that touch strong ink
    count, labels = cv2.connectedComponents(weak, connectivity=8)
    keep = np.zeros(count, bool)
    keep[np.unique(labels[strong > 0])] = True
    keep[0] = False
    mask = np.where(keep[labels], 255, 0).astype(np.uint8)
    return InkMap(darkness=darkness, mask=mask)
