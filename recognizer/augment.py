"""Training-time augmentation of 28x28 MNIST-style digits (numpy + OpenCV, no TensorFlow).

Besides the classic geometric jitter (rotation, zoom, shift), it imitates what happens to a digit
cut out of a phone photo: slight shear (slanted writing), thicker or thinner strokes (marker vs.
pencil) and blur (focus, JPEG). A 1 may be given a long flag, as much of Europe and Latin America
writes it ("/|" in one stroke): MNIST's 1s are nearly all bare strokes, and a model that never saw
the flag reads it as a 7. A 9 may be mirrored left to right: many hands write it as a "ρ", the
stem falling from the loop's left, which a model that never saw one reads as an 8. Elastic
distortion (a smooth random field of small shifts, as in Simard et al. 2003) bends strokes the way
other hands do: a curled tail, a rounder loop. A digit
may also be *written with a pen* (:func:`penned`): the reader never sees MNIST's soft grey, only
the ink it found in a photo, normalised again, and a pen's stroke is as wide everywhere. Every
random draw comes from the generator passed in, so a seeded run is reproducible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import cv2
import numpy as np

from recognizer.normalise import stroke_width, to_mnist

SIDE = 28
# A flagged 1's flag, from the stem's top down to the left: the angle it makes with the stem (a 7's
# bar and stem make a wider one), never less than FLAG_LOWEST below the horizontal (a 7's bar runs
# level, or nearly), and its length, as a share of the digit's height.
FLAG_TO_STEM = (20.0, 55.0)
FLAG_LOWEST = 25.0
FLAG_LENGTH = (0.2, 0.65)
_FLAG_SCALE = 4  # the flag is drawn at this many times the size, then the digit normalised again
# A crossed 7's bar, as the hands that flag their 1s draw it across the stem: its height on the
# digit (a share from the top), its length (a share of the digit's height; it runs past the stem on
# both sides), how far its middle lies right of the stem (a share of its length) and its slope
# (degrees up to the right).
CROSS_HEIGHT = (0.4, 0.65)
CROSS_LENGTH = (0.45, 0.9)
CROSS_OFFSET = (-0.2, 0.2)
CROSS_SLOPE = (-8.0, 12.0)


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges and probabilities of each augmentation (all off gives the identity)."""

    rotation_degrees: float = 10.0
    zoom: float = 0.10
    shift: float = 0.10
    shear: float = 0.15
    thicken_probability: float = 0.15
    thin_probability: float = 0.10
    blur_probability: float = 0.15
    blur_sigma: tuple[float, float] = (0.4, 0.9)
    elastic_probability: float = 0.0
    elastic_alpha: float = 34.0  # strength of the displacement field (pixels per unit of field)
    elastic_sigma: float = 4.0  # its smoothness: the Gaussian's sigma, in pixels
    flag_one_probability: float = 0.0  # share of the 1s drawn with a flag (:func:`flagged_one`)
    mirrored_nine_probability: float = 0.0  # share of the 9s mirrored left to right (a "ρ")
    crossed_seven_probability: float = 0.0  # share of the 7s crossed (:func:`crossed_seven`)
    penned_probability: float = 0.0  # share of the digits written with a pen (:func:`penned`)
    pen_width: tuple[float, float] = (0.55, 1.8)  # the pen's stroke, in ballpoint widths
    pen_blur_probability: float = 0.0  # share of the penned digits also blurred (:func:`penned`)
    # where a blurred pen's ink is taken, as a share of its darkest (PEN_INK_LEVEL)
    pen_ink_level: tuple[float, float] = (0.35, 0.65)

    def as_dict(self) -> dict:
        return asdict(self)


BASELINE_AUGMENT = AugmentConfig(
    shear=0.0, thicken_probability=0.0, thin_probability=0.0, blur_probability=0.0
)
PHOTO_AUGMENT = AugmentConfig()
# The photo-like extras plus elastic distortion of half the digits: other hands than MNIST's.
ELASTIC_AUGMENT = AugmentConfig(elastic_probability=0.5)
# Writing leaning further and strokes thinner than MNIST's: the digits the renderer writes leaning
# 20 degrees, or at a pencil's width, are misread more often (README, "How far a reader using this
# digit model can get"; measured, not shipped: models/README.md).
SLANTED_AUGMENT = AugmentConfig(shear=0.35, thin_probability=0.3)
# The slanted recipe with half the digits written with a pen, as the reader sees ink (measured:
# models/README.md).
PENNED_AUGMENT = AugmentConfig(shear=0.35, thin_probability=0.3, penned_probability=0.5)
# ... with half the penned digits blurred as a camera out of focus does, before the ink is taken
# at an uneven level: loops fill in, thin strokes break (measured: models/README.md).
BLURRED_AUGMENT = replace(PENNED_AUGMENT, pen_blur_probability=0.5)
# ... but with the blurred ink taken as low as the reader takes it: the ink finder keeps weak ink
# down to a darkness of 0.20 (recognizer/ink.py, WEAK_DARKNESS), a fifth to two fifths of a pen's
# darkness. 3,000 MNIST validation digits written with a pen and blurred (sigma 1.5 at 40-60 px),
# ink taken at a quarter of the darkest: 33-40 misread; at a half 48-132; at 0.65 82-516
# (benchmarks/written_digits.py --digits validation --count 3000 --blur 1.5): a blurred digit taken
# high breaks up, and the reader never takes it so (measured: models/README.md).
BLURRED_LOW_AUGMENT = replace(BLURRED_AUGMENT, pen_ink_level=(0.2, 0.4))
# ... with a quarter of the 9s mirrored: of the real cheques' 9s read as 8s, 13 of 14 read as 9s, most
# at 0.99 or more, once mirrored back, and 1.5.0 reads 430 of 500 mirrored MNIST validation 9s as 8s
# (measured: models/README.md).
MIRRORED_NINES = 0.25
MIRRORED_NINES_AUGMENT = replace(BLURRED_LOW_AUGMENT, mirrored_nine_probability=MIRRORED_NINES)
# ... with a third of the 7s crossed: the real cheques' crossed 7s, their top bar short and the cross
# long, read as 4s or 2s (10 cheques; measured: models/README.md).
CROSSED_SEVENS = 0.3
CROSSED_SEVENS_AUGMENT = replace(BLURRED_LOW_AUGMENT, crossed_seven_probability=CROSSED_SEVENS)
# The share of 1s given a flag by ``hey-number train --augmentation flagged`` (measured, not
# shipped: models/README.md).
FLAG_ONES = 0.5
# Used to *measure* robustness (a fixed, seeded degraded copy of a test set), never to train.
DEGRADED_TEST = AugmentConfig(
    rotation_degrees=12.0,
    zoom=0.12,
    shift=0.06,
    shear=0.25,
    thicken_probability=0.3,
    thin_probability=0.2,
    blur_probability=0.35,
    blur_sigma=(0.6, 1.1),
)


def _affine_matrix(rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    angle = np.deg2rad(rng.uniform(-config.rotation_degrees, config.rotation_degrees))
    scale = rng.uniform(1 - config.zoom, 1 + config.zoom)
    shear = rng.uniform(-config.shear, config.shear)
    shift = rng.uniform(-config.shift, config.shift, size=2) * SIDE
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]])
    centre = np.array([SIDE / 2 - 0.5, SIDE / 2 - 0.5])
    offset = centre - linear @ centre + shift
    return np.hstack([linear, offset[:, None]]).astype(np.float32)


_KERNEL = np.ones((2, 2), np.uint8)
_GRID = np.mgrid[0:SIDE, 0:SIDE][::-1].astype(np.float32)  # x, y of every pixel


def elastic_distortion(image: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float) -> np.ndarray:
    """``image`` warped by a smooth random displacement field: uniform noise in -1..1 per pixel
    and axis, blurred by a Gaussian of ``sigma`` pixels, scaled by ``alpha``."""
    noise = rng.uniform(-1.0, 1.0, size=(2, SIDE, SIDE)).astype(np.float32)
    shift = [cv2.GaussianBlur(field, (0, 0), sigma) * alpha for field in noise]
    return cv2.remap(image, _GRID[0] + shift[0], _GRID[1] + shift[1], cv2.INTER_LINEAR, borderValue=0)


def flagged_one(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 MNIST 1 with a flag drawn from its top down to the left, in its own stroke width,
    FLAG_TO_STEM from its stem and FLAG_LENGTH of its height long, normalised again the way the
    reader normalises a digit (:func:`recognizer.normalise.to_mnist`)."""
    ink = image > 127
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size < 2:
        return image
    top, bottom = rows[0], rows[-1]
    height = bottom - top + 1
    top_x = float(np.flatnonzero(ink[top : top + 2].any(axis=0)).mean())
    bottom_x = float(np.flatnonzero(ink[bottom - 1 : bottom + 1].any(axis=0)).mean())
    stem = np.rad2deg(np.arctan2(height, top_x - bottom_x))  # below the horizontal, to the left
    angle = np.deg2rad(max(FLAG_LOWEST, stem - rng.uniform(*FLAG_TO_STEM)))
    length = rng.uniform(*FLAG_LENGTH) * height
    end = (top_x - length * np.cos(angle), top + length * np.sin(angle))
    return _with_stroke(image, (top_x, top), end)


def crossed_seven(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 28x28 MNIST 7 with a bar across its stem (CROSS_HEIGHT, CROSS_LENGTH, CROSS_OFFSET,
    CROSS_SLOPE) in its own stroke width, normalised again as the reader normalises a digit."""
    ink = image > 127
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size < 4:
        return image
    top, bottom = rows[0], rows[-1]
    row = round(top + rng.uniform(*CROSS_HEIGHT) * (bottom - top + 1))
    stem = np.flatnonzero(ink[row])
    if stem.size == 0:
        return image
    length = rng.uniform(*CROSS_LENGTH) * (bottom - top + 1)
    middle = stem.mean() + rng.uniform(*CROSS_OFFSET) * length
    slope = np.deg2rad(rng.uniform(*CROSS_SLOPE))
    half = np.array([np.cos(slope), -np.sin(slope)]) * length / 2
    start, end = (np.array([middle, row]) + sign * half for sign in (-1, 1))
    return _with_stroke(image, start, end)


def _with_stroke(image: np.ndarray, start, end) -> np.ndarray:
    """A 28x28 digit with a straight stroke from ``start`` to ``end`` (x, y in its pixels) in its
    own stroke width, drawn at _FLAG_SCALE times the size and normalised again as the reader
    normalises a digit (:func:`recognizer.normalise.to_mnist`)."""
    big = cv2.resize(image, None, fx=_FLAG_SCALE, fy=_FLAG_SCALE, interpolation=cv2.INTER_LINEAR)
    mask = ((big > 127) * 255).astype(np.uint8)
    width = max(1, round(stroke_width(mask)))
    start_px, end_px = (
        tuple(round((value + 0.5) * _FLAG_SCALE) for value in point) for point in (start, end)
    )
    cv2.line(mask, start_px, end_px, 255, width, cv2.LINE_8)
    return to_mnist(mask)


PEN_HEIGHT = (40.0, 70.0)  # pixels: the digit written this tall before it is normalised again
PEN_BLUR = (0.3, 1.5)  # Gaussian sigma, pixels at that height (the synthetic photos' range)
PEN_INK_LEVEL = AugmentConfig.pen_ink_level  # where a blurred pen's ink is taken, by default


def penned(
    image: np.ndarray,
    rng: np.random.Generator,
    pen_width: tuple[float, float],
    blur_probability: float = 0.0,
    ink_level: tuple[float, float] = PEN_INK_LEVEL,
) -> np.ndarray:
    """A 28x28 digit as the reader would see it written with a pen: drawn as the synthetic photos'
    ink (:func:`recognizer.synthetic.written_digit`: one stroke width, a random share of a
    ballpoint's), taken as ink where at least half and normalised again
    (:func:`recognizer.normalise.to_mnist`). With ``blur_probability``, the ink is first blurred
    (PEN_BLUR) and taken at a random ``ink_level`` (a share of its darkest). A digit with no ink
    comes back as it was."""
    from recognizer.synthetic import (  # (it imports training)
        STROKE_FRACTION,
        blurred_glyph_as_read,
        glyph_as_read,
        written_digit,
    )

    if image.max() <= 127:
        return image
    height = rng.uniform(*PEN_HEIGHT)
    glyph = written_digit(image, height, STROKE_FRACTION * height * rng.uniform(*pen_width))
    if blur_probability and rng.random() < blur_probability:
        written = blurred_glyph_as_read(glyph, rng.uniform(*PEN_BLUR), rng.uniform(*ink_level))
    else:
        written = glyph_as_read(glyph)
    return written if written.any() else image


def augment_digit(
    image: np.ndarray, rng: np.random.Generator, config: AugmentConfig, label: int | None = None
) -> np.ndarray:
    """One randomly transformed copy of a uint8 28x28 digit (white ink on black); ``label``, when
    given, allows changes a digit's label decides (a flag on a 1, a mirrored 9)."""
    if label == 1 and config.flag_one_probability and rng.random() < config.flag_one_probability:
        image = flagged_one(image, rng)
    if label == 9 and config.mirrored_nine_probability and rng.random() < config.mirrored_nine_probability:
        image = np.ascontiguousarray(image[:, ::-1])
    if label == 7 and config.crossed_seven_probability and rng.random() < config.crossed_seven_probability:
        image = crossed_seven(image, rng)
    out = cv2.warpAffine(
        image, _affine_matrix(rng, config), (SIDE, SIDE), flags=cv2.INTER_LINEAR, borderValue=0
    )
    if config.elastic_probability and rng.random() < config.elastic_probability:
        out = elastic_distortion(out, rng, config.elastic_alpha, config.elastic_sigma)
    if config.penned_probability and rng.random() < config.penned_probability:
        # (a pen's stroke is its own width, brought to MNIST's by the normalising: no thickening,
        # thinning or blur after it)
        return penned(out, rng, config.pen_width, config.pen_blur_probability, config.pen_ink_level)
    stroke = rng.random()
    if stroke < config.thicken_probability:
        out = cv2.dilate(out, _KERNEL)
    elif stroke < config.thicken_probability + config.thin_probability:
        thinner = cv2.erode(out, _KERNEL)
        if thinner.max() > 64:  # never erase a thin digit entirely
            out = thinner
    if rng.random() < config.blur_probability:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(*config.blur_sigma))
        peak = int(out.max())
        if peak:
            out = cv2.convertScaleAbs(out, alpha=255.0 / peak)
    return out


def augment_batch(
    images: np.ndarray,
    rng: np.random.Generator,
    config: AugmentConfig,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """Augment each image of a uint8 ``(N, 28, 28)`` batch independently (with its label, if
    ``labels`` are given: see :func:`augment_digit`)."""
    if labels is None:
        return np.stack([augment_digit(image, rng, config) for image in images])
    pairs = zip(images, labels, strict=True)
    return np.stack([augment_digit(image, rng, config, int(label)) for image, label in pairs])


def degraded_copy(images: np.ndarray, seed: int = 2026) -> np.ndarray:
    """A reproducible photo-like degradation of a test set (slant, stroke width, blur)."""
    return augment_batch(images, np.random.default_rng(seed), DEGRADED_TEST)
