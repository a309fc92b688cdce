"""Step 1a of reading a photo: a page photographed at a slant, flattened.

Taken from a low angle, a page's far side shrinks: its writing is smaller there, squeezed, and
leans, and the reader's windows and the digit model expect it upright and of one size. When the
photo shows a page lying wholly in it (:func:`recognizer.page.page_corners`) whose corners are
SLANT_DEGREES or more off square, the reader works on the page alone, warped to the rectangle its
longer sides span; its boxes are mapped back to the photo through the same homography
(:attr:`recognizer.decode.DecodedImage.to_photo`). A page seen square on, or nearly (a phone held a
little tilted: the benchmark's own photos), is read as it is.

The rectangle is never larger than the page in the photo: enlarged to the working copy's size (a
first version), a small page's faint pencil was interpolated into wide grey strokes, and read
worse (of 300 photos from a low angle, 229 read against 230, but the digits 94.8% against 96.0%,
and three numbers read as three digits or fewer). The page's true shape is not known: a camera's
view of a rectangle tells it only with the camera's focal length and centre, which a synthetic
photo's warp has not; the longer sides are a fair guess for a page seen from not too low.
"""

from __future__ import annotations

import cv2
import numpy as np

from recognizer.decode import WORKING_SIDE, DecodedImage
from recognizer.ink import _shrink_mask
from recognizer.page import page_corners, page_halving, where_sides_meet

# Of 150 synthetic photos taken from a low angle (each page corner moved in by up to 0.3 of the
# photo; ``benchmarks/synthetic_photos.py --perspective 0.3``), 73 pages were found with a corner
# 12 degrees or more off square; read flattened, 57 of those numbers read right against 44 as
# taken; the 10 pages 8-12 degrees off read 10 either way. Of 150 at the benchmark's own
# perspective, none was 12 degrees off, 2 were 8 (scratch measurements, a first corner finder's
# pages, warped to the working copy's size). Flattened, the smear of a shaking hand is warped too,
# and is found less surely (at 8 degrees, 2 of 300 smeared photos lost: ``--shake 9``).
SLANT_DEGREES = 12.0
# A side that writing runs across (CROSSING_DARKNESS darker than the paper along it, over at least
# CROSSING_RUN pixels of it) is no page's edge: a shade's, and the page runs on past it (a soft
# shadow across a note: the lit part of the page was flattened alone, its digits in the shade lost;
# 2 of 300 photos, ``--shadow 0.3 --shadow-softness 40``).
CROSSING_DARKNESS = 0.3
CROSSING_RUN = 2
EDGE_INSET = 0.01  # of the working copy's long side: the page's edge, cut off all round


def flattened(decoded: DecodedImage) -> DecodedImage | None:
    """The photo's working copy flattened to the page it shows at a slant, or None (no such page)."""
    working = decoded.working
    grey = working if working.ndim == 2 else cv2.cvtColor(working, cv2.COLOR_RGB2GRAY)
    corners = page_corners(_shrink_mask(grey, page_halving(grey.shape)), grey.shape)
    if corners is None or off_square(corners) < SLANT_DEGREES:
        return None
    # (the page's edge, and the desk the corners may be a few pixels off into, left out)
    corners = _inset(corners, EDGE_INSET * max(grey.shape[:2]))
    if _written_across(grey, corners):
        return None
    # the rectangle the page's longer sides span, shrunk to fit the working copy, never enlarged
    across = max(np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[3]))
    down = max(np.linalg.norm(corners[3] - corners[0]), np.linalg.norm(corners[2] - corners[1]))
    grow = min(1.0, WORKING_SIDE / max(across, down))
    width, height = max(1, round(across * grow)), max(1, round(down * grow))
    rectangle = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    to_working = cv2.getPerspectiveTransform(rectangle, corners.astype(np.float32))
    flat = cv2.warpPerspective(
        working,
        to_working,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    per_working = decoded.scale * decoded.full_scale
    to_photo = np.diag([per_working, per_working, 1.0]) @ to_working
    return DecodedImage(
        original=decoded.original,
        working=flat,
        scale=decoded.scale / grow,
        full_scale=decoded.full_scale,
        to_photo=to_photo,
    )


def _written_across(grey: np.ndarray, corners: np.ndarray) -> bool:
    """Whether writing runs across a side of ``corners``: dark strokes (CROSSING_DARKNESS below
    the light along it) at least CROSSING_RUN pixels long on the line. Writing stops at a page's
    edge; it runs on across the edge of a shade, where the bright side of the page's split can end
    (the page beyond, darker, then lost)."""
    rows, cols = grey.shape[:2]
    for side in range(4):
        start, end = corners[side], corners[(side + 1) % 4]
        steps = max(2, int(np.linalg.norm(end - start)))
        points = start + np.linspace(0.0, 1.0, steps)[:, None] * (end - start)
        xs = np.clip(np.rint(points[:, 0]), 0, cols - 1).astype(int)
        ys = np.clip(np.rint(points[:, 1]), 0, rows - 1).astype(int)
        line = grey[ys, xs].astype(np.float32)
        dark = line < (1 - CROSSING_DARKNESS) * np.percentile(line, 90)
        # (the longest run of dark pixels along the line)
        edges = np.flatnonzero(np.diff(np.concatenate([[0], dark.astype(np.int8), [0]])))
        if len(edges) and int(np.max(edges[1::2] - edges[::2])) >= CROSSING_RUN:
            return True
    return False


def _inset(corners: np.ndarray, distance: float) -> np.ndarray:
    """The quadrilateral whose sides are ``corners``' moved ``distance`` pixels in (``corners``
    unchanged if that leaves none)."""
    centre = corners.mean(axis=0)
    sides = []
    for k in range(4):
        start, along = corners[k], corners[(k + 1) % 4] - corners[k]
        inward = np.array([-along[1], along[0]]) / max(1e-9, float(np.linalg.norm(along)))
        if np.dot(inward, centre - start) < 0:
            inward = -inward
        sides.append((start + distance * inward, along))
    inset = where_sides_meet(sides)
    if inset is None:
        return corners
    # (moved past each other, the sides turn round: a page smaller than the edge cut off)
    sides_before, sides_after = np.roll(corners, -1, axis=0) - corners, np.roll(inset, -1, axis=0) - inset
    return inset if bool(np.all(np.sum(sides_before * sides_after, axis=1) > 0)) else corners


def off_square(corners: np.ndarray) -> float:
    """How far, in degrees, the quadrilateral's corner furthest from a right angle is from one."""
    worst = 0.0
    for k in range(4):
        before, after = corners[k - 1] - corners[k], corners[(k + 1) % 4] - corners[k]
        cosine = float(before @ after) / max(1e-9, float(np.linalg.norm(before) * np.linalg.norm(after)))
        worst = max(worst, abs(float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))) - 90.0))
    return worst
