"""Step 3b of reading a photo: straighten writing that runs at a slant.

A phone held at an angle, or a note lying crooked, gives lines of digits that climb or fall. The
classifier was trained on upright digits (±10°), and separators such as parentheses are told
from 1s by their shape, so a line slanted by 25° reads badly. The slant is measured on the lines
the segmenter found (digits of one line are written along a straight baseline), and the ink mask
is turned so the lines run level; boxes found on the turned mask are mapped back.
"""

from __future__ import annotations

import cv2
import numpy as np

from recognizer.segment import Segmentation

MIN_DIGITS_FOR_ANGLE = 4  # a line needs this many pieces before its slope is trusted
MIN_SKEW_DEGREES = 4.0  # straighter writing is read as it is
# Steeper slopes are read with the page a quarter turned (reader.ROTATIONS). At 40, as it was, a
# note turned 45 degrees fell between the two: its slope was not looked for as far, and the page
# turned, its pieces still 45 degrees off, read no better (benchmarks/synthetic_photos.py
# --rotation 45 and -45: 215 and 245 of 300 numbers read; 261 and 268 now).
MAX_SKEW_DEGREES = 50.0
BAND = 0.5  # digit heights: the width of the band a line of digit centres falls in
ANGLE_STEP = 2.0  # degrees between the slopes tried when no line is long enough to fit
# The slopes tried reach this much further than MAX_SKEW_DEGREES: writing steeper than that lines
# up best along a slope past it (and is read a quarter turned), not along the steepest one tried,
# which would leave it a few degrees off level (of 300 pages turned a quarter, 8 more were read at
# the wrong turn without it).
SEARCH_BEYOND = 10.0


def writing_angle(segmentation: Segmentation) -> float:
    """The angle (degrees, positive = the line falls to the right in image coordinates) of the
    writing, from a least-squares fit through the centres of each long line's pieces; 0 when
    no line is long enough."""
    slopes, weights = [], []
    for line in segmentation.lines:
        if len(line) < MIN_DIGITS_FOR_ANGLE:
            continue
        centres = np.array([piece.centre for piece in line])
        xs, ys = centres[:, 0], centres[:, 1]
        if np.ptp(xs) < 1:
            continue
        slope = np.polyfit(xs, ys, 1)[0]
        slopes.append(np.degrees(np.arctan(slope)))
        weights.append(len(line))
    angle = float(np.average(slopes, weights=weights)) if slopes else _angle_of_best_band(segmentation)
    return angle if MIN_SKEW_DEGREES <= abs(angle) <= MAX_SKEW_DEGREES else 0.0


def _most_in_band(points: np.ndarray, degrees: float, width: float) -> int:
    """How many points lie in the fullest band of ``width`` running at ``degrees``."""
    theta = np.radians(degrees)
    across = np.sort(points[:, 1] * np.cos(theta) - points[:, 0] * np.sin(theta))
    ends = np.searchsorted(across, across + width, side="right")
    return int((ends - np.arange(len(across))).max())


def _angle_of_best_band(segmentation: Segmentation) -> float:
    """The slope along which most pieces and separators line up, for steep writing whose lines
    the segmenter broke into short bits (groups of two digits climbing across dashes)."""
    centres = [piece.centre for line in segmentation.lines for piece in line]
    centres += [(x + w / 2, y + h / 2) for x, y, w, h in segmentation.separators]
    if len(centres) < MIN_DIGITS_FOR_ANGLE:
        return 0.0
    points = np.array(centres, np.float64)
    width = BAND * segmentation.digit_height
    level = _most_in_band(points, 0.0, width)
    best, best_count = 0.0, level
    furthest = MAX_SKEW_DEGREES + SEARCH_BEYOND
    for degrees in np.arange(-furthest, furthest + ANGLE_STEP, ANGLE_STEP):
        count = _most_in_band(points, float(degrees), width)
        if count > best_count or (count == best_count and abs(degrees) < abs(best)):
            best, best_count = float(degrees), count
    # a clear gain only: two more pieces in line than level writing, and a line long enough to trust
    return best if best_count >= max(level + 2, MIN_DIGITS_FOR_ANGLE) else 0.0


def rotate_mask(
    mask: np.ndarray, degrees: float, origin: tuple[int, int] = (0, 0), frame: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Turn a 0/255 mask by ``degrees`` (counter-clockwise in image coordinates undoes a line that
    falls to the right) on a canvas large enough to keep every corner. Returns the turned mask
    and the 2×3 matrix that maps turned coordinates back to ``mask``'s.

    ``mask`` may be a crop, at ``origin`` (x, y), of a larger mask of shape ``frame`` (rows,
    columns): it is then turned on the larger mask's pixel grid, the same pixels as turning the
    whole and cutting the crop out, onto a canvas just large enough for the crop."""
    rows, cols = frame if frame is not None else mask.shape
    centre = (cols / 2, rows / 2)
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_cols, new_rows = int(rows * sin + cols * cos) + 1, int(rows * cos + cols * sin) + 1
    matrix[0, 2] += new_cols / 2 - centre[0]
    matrix[1, 2] += new_rows / 2 - centre[1]
    if frame is not None:  # from the crop's pixels, and onto the crop's own canvas: whole pixels
        matrix[:, 2] += matrix[:, :2] @ np.asarray(origin, np.float64)
        height, width = mask.shape
        corners = matrix @ np.array([[0, width, 0, width], [0, 0, height, height], [1, 1, 1, 1]], np.float64)
        shift = np.floor(corners.min(axis=1))
        matrix[:, 2] -= shift
        new_cols, new_rows = (int(side) + 1 for side in np.ceil(corners.max(axis=1) - shift))
    turned = cv2.warpAffine(mask, matrix, (new_cols, new_rows), flags=cv2.INTER_NEAREST, borderValue=0)
    return turned, cv2.invertAffineTransform(matrix)


def box_back(box: tuple[int, int, int, int], inverse: np.ndarray) -> tuple[int, int, int, int]:
    """The upright bounding box, in original coordinates, of a box found on the turned mask."""
    x, y, w, h = box
    corners = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], np.float64)
    moved = corners @ inverse.T
    x0, y0 = np.floor(moved.min(axis=0)).astype(int)
    x1, y1 = np.ceil(moved.max(axis=0)).astype(int)
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)
