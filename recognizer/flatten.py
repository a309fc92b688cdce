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
from recognizer.page import page_corners, page_halving

# Of 150 synthetic photos taken from a low angle (each page corner moved in by up to 0.3 of the
# photo; ``benchmarks/synthetic_photos.py --perspective 0.3``), 83 pages were found with a corner
# 8 degrees or more off square; read flattened, 67 of those numbers read right against 54 as taken.
# Of 150 at the benchmark's own perspective, 2 pages were so far off square (scratch measurements).
SLANT_DEGREES = 8.0
EDGE_INSET = 0.01  # of the rectangle's long side: the page's edge, cut off each way


def flattened(decoded: DecodedImage) -> DecodedImage | None:
    """The photo's working copy flattened to the page it shows at a slant, or None (no such page)."""
    working = decoded.working
    grey = working if working.ndim == 2 else cv2.cvtColor(working, cv2.COLOR_RGB2GRAY)
    corners = page_corners(_shrink_mask(grey, page_halving(grey.shape)), grey.shape)
    if corners is None or off_square(corners) < SLANT_DEGREES:
        return None
    # the rectangle the page's longer sides span, shrunk to fit the working copy, never enlarged
    across = max(np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[3]))
    down = max(np.linalg.norm(corners[3] - corners[0]), np.linalg.norm(corners[2] - corners[1]))
    grow = min(1.0, WORKING_SIDE / max(across, down))
    width, height = max(1, round(across * grow)), max(1, round(down * grow))
    # (the page's edge, and the desk the corners may be a few pixels off into, left out)
    inset = round(EDGE_INSET * max(width, height))
    width, height = max(1, width - 2 * inset), max(1, height - 2 * inset)
    rectangle = np.array(
        [
            [-inset, -inset],
            [width - 1 + inset, -inset],
            [width - 1 + inset, height - 1 + inset],
            [-inset, height - 1 + inset],
        ],
        np.float32,
    )
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


def off_square(corners: np.ndarray) -> float:
    """How far, in degrees, the quadrilateral's corner furthest from a right angle is from one."""
    worst = 0.0
    for k in range(4):
        before, after = corners[k - 1] - corners[k], corners[(k + 1) % 4] - corners[k]
        cosine = float(before @ after) / max(1e-9, float(np.linalg.norm(before) * np.linalg.norm(after)))
        worst = max(worst, abs(float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))) - 90.0))
    return worst
