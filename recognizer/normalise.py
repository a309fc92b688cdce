"""Step 4 of reading a photo: normalise one digit the way MNIST was made.

The digit's ink is cropped (a crop longer than MAX_CROP_SIDE shrunk to that first), its stroke
width brought near what MNIST digits have once fitted in 20x20 (about 2.2 px: thin pencil is
thickened, marker thinned; widths MNIST has too are kept), fitted into 20x20 keeping the aspect
ratio with anti-aliasing, and centred in 28x28 by its centre of mass. White ink on black.
"""

from __future__ import annotations

import cv2
import numpy as np

SIDE = 28
BOX = 20
MNIST_STROKE = 2.2  # median stroke width of MNIST test digits (ink > 127), in 28x28 pixels
# Strokes within this factor of MNIST_STROKE are left as they are: MNIST's own widths vary as much,
# and each dilation or erosion also changes a digit's shape (with every width brought to the
# median: 400 of 500 validation photos read exactly, 332 real cheques; with this band 403 and 335,
# by benchmarks/synthetic_photos.py --digits validation and benchmarks/real_dev.py).
STROKE_TOLERANCE = (0.7, 1.4)
# A crop longer than this (a close-up's digit, or an enlarged scan's: hundreds of pixels tall) is
# first shrunk to it, every pixel that any ink covers kept as ink. Bringing its stroke to MNIST's
# width at its own size dilated it with a kernel as wide as the pen (up to 81 pixels across), which
# took about 40% of the time a real close-up was read in; at 16 times the 20-pixel box, the digit
# comes out as before (synthetic close-ups read the same; of 600 cheque scans, one misreading changed).
MAX_CROP_SIDE = 320
_ROWS, _COLUMNS = np.indices((SIDE, SIDE))  # for the centre of mass


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a 0/255 ink mask: ink area divided by half its outline length."""
    area = float(np.count_nonzero(mask))
    if area == 0:
        return 0.0
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(contour, True) for contour in contours)
    return 2.0 * area / max(perimeter, 1.0)


def _adjust_stroke(mask: np.ndarray, scale: float, tolerance: tuple[float, float]) -> np.ndarray:
    """Thicken or thin a crop's strokes so that, scaled by ``scale``, they match MNIST's width,
    unless they are already within ``tolerance`` (factors) of it."""
    width = stroke_width(mask)
    wanted = MNIST_STROKE / scale  # in crop pixels
    low, high = tolerance
    if width == 0 or low * wanted <= width <= high * wanted:
        return mask
    change = round((wanted - width) / 2)  # pixels to add (or remove) on each side
    if change > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * change + 1, 2 * change + 1))
        return cv2.dilate(mask, kernel)
    if change < 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (-2 * change + 1, -2 * change + 1))
        thinner = cv2.erode(mask, kernel)
        if np.count_nonzero(thinner) > 0.35 * np.count_nonzero(mask):
            return thinner
    return mask


def _shrunk(crop: np.ndarray, factor: float) -> np.ndarray:
    """A 0/255 mask shrunk by ``factor``, every pixel that any ink covers kept as ink (a stroke
    narrower than a pixel once shrunk is not lost)."""
    size = (max(1, round(crop.shape[1] * factor)), max(1, round(crop.shape[0] * factor)))
    return cv2.compare(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), 0, cv2.CMP_GT)


def to_mnist(mask: np.ndarray, exact_stroke: bool = False) -> np.ndarray:
    """A 0/255 ink mask of one digit (any size) → uint8 28x28, MNIST style. ``exact_stroke``: bring
    the strokes to MNIST's median width even within STROKE_TOLERANCE (for pieces joined into one
    digit: thickening bridges the gap the pen left)."""
    x, y, width, height = cv2.boundingRect(mask)  # (of the ink: far cheaper than np.nonzero)
    if width == 0:
        return np.zeros((SIDE, SIDE), np.uint8)
    crop = mask[y : y + height, x : x + width]
    if max(height, width) > MAX_CROP_SIDE:
        crop = _shrunk(crop, MAX_CROP_SIDE / max(height, width))
        height, width = crop.shape
    scale = BOX / max(height, width)
    pad = max(2, int(np.ceil(MNIST_STROKE / scale)))
    tolerance = (1.0, 1.0) if exact_stroke else STROKE_TOLERANCE
    padded = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    crop = _adjust_stroke(padded, scale, tolerance)
    x, y, width, height = cv2.boundingRect(crop)
    crop = crop[y : y + height, x : x + width]
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(crop.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((SIDE, SIDE), np.float32)
    top, left = (SIDE - size[1]) // 2, (SIDE - size[0]) // 2
    canvas[top : top + size[1], left : left + size[0]] = small
    total = canvas.sum()
    if total > 0:
        shift_y = (SIDE - 1) / 2 - (_ROWS * canvas).sum() / total
        shift_x = (SIDE - 1) / 2 - (_COLUMNS * canvas).sum() / total
        matrix = np.float32([[1, 0, shift_x], [0, 1, shift_y]])
        canvas = cv2.warpAffine(canvas, matrix, (SIDE, SIDE), flags=cv2.INTER_LINEAR, borderValue=0)
    return np.clip(canvas, 0, 255).astype(np.uint8)
