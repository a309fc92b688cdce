"""Synthetic phone photos of handwritten phone numbers, for tests, the benchmark and example photos.

MNIST digits are cropped, scaled, re-stroked and slanted, then written as ink (their grey level is
the ink's opacity) onto a textured sheet of paper together with hand-drawn separators (and, when
asked, hand-printed words: a name beside the number; or type: a printed label or header); the
page is then photographed: rotated, warped in perspective, unevenly lit, tinted, blurred, noised and
JPEG-compressed, while the box of every digit is carried through each geometric step. It uses
only numpy and OpenCV (never TensorFlow) and is not part of the photo→digits path.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from recognizer.data import validation_split
from recognizer.normalise import to_mnist
from recognizer.shake import Smear
from recognizer.train import TrainConfig

# --- Writing -------------------------------------------------------------------------------------
SUPERSAMPLE = 2  # glyphs are drawn at this multiple of the final resolution, then area-downsampled
INK_THRESHOLD = 40  # MNIST grey level counted as ink when cropping a sample
HEIGHT_JITTER = (0.9, 1.08)  # per-digit size variation
MAX_DIGIT_ASPECT = 1.15  # width / height cap of one digit
STROKE_FRACTION = 0.085  # ballpoint stroke width as a fraction of the digit height (stroke_scale 1)
STROKE_JITTER = (0.85, 1.15)
MIN_STROKE_PX = 1.3
MAX_THINNING = 0.6  # erosion never removes more than this fraction of a stroke's width
# ... nor a limb: all but this share of a digit's ink must lie within reach of its thinned strokes
# (a thick 6 or 9 with a slim stem, eroded to the pen's width, lost its stem and became a blob)
THINNED_REACH = 0.98
DIGIT_TILT_DEGREES = 3.0  # per-digit random rotation
SLANT_JITTER_DEGREES = 3.0
BASELINE_WOBBLE = 0.025  # per-digit random walk of the baseline, fraction of the digit height
DIGIT_GAP = (0.15, 0.35)  # space between digits of a group, in digit heights
SEPARATOR_GAP = (0.1, 0.2)  # space around a separator stroke
SPACE_GAP = (0.5, 0.9)  # a written space between groups
TOUCH_OVERLAP = (0.02, 0.08)  # overlap of touching digits, in digit heights
LINE_SPACING = (1.6, 2.2)  # baseline to baseline, in digit heights
LINE_INDENT_JITTER = 0.3  # left-alignment jitter of each line, in digit heights
SEPARATORS = " -./()+"
DIGITS = "0123456789"

# --- Paper and ink -------------------------------------------------------------------------------
PAPER_COLOURS = {
    "white": (245.0, 245.0, 242.0),
    "yellow": (250.0, 235.0, 140.0),
    "grey": (200.0, 200.0, 198.0),
    "ruled": (246.0, 246.0, 243.0),
    "squared": (246.0, 246.0, 244.0),
}
PAPER_JITTER = 5.0  # per-photo variation of the paper colour, grey levels
PAPER_COARSE_TEXTURE = 0.008  # relative brightness variation of the sheet
PAPER_FINE_TEXTURE = 1.2  # grey levels of fine fibre texture
TEXTURE_CELL = 48  # pixels per cell of the coarse texture grid
RULED_SPACING = 1.2  # digit heights between ruled lines
RULED_COLOUR = (140.0, 185.0, 235.0)
RULED_STRENGTH = 0.55
MARGIN_COLOUR = (235.0, 110.0, 120.0)
MARGIN_PROBABILITY = 0.6
GRID_SPACING = 0.55  # digit heights between grid lines
GRID_COLOUR = (160.0, 180.0, 210.0)
GRID_STRENGTH = 0.4
MIN_LINE_SPACING_PX = 8
PRINTED_LINE_WIDTH = 1.2  # pixels
FIBRE_CELL = 3  # pixels per cell of the fine paper texture
# A paper napkin (``paper="napkin"``; never drawn by ``random_options``): soft white tissue, cloudier
# than paper, embossed with a quilt of grooves along both diagonals (NAPKIN_QUILT digit heights
# apart, each NAPKIN_GROOVE pixels wide) that the light shades on one side and catches on the
# other (up to NAPKIN_RELIEF of the light), sometimes a dot raised in each diamond, and folded in
# quarters: a crease across the page's middle each way, a dark and a light band NAPKIN_CREASE
# pixels wide. A pen skips on the soft tissue and its ink spreads into the fibres
# (NAPKIN_SKIPS, NAPKIN_BLEED).
NAPKIN_COLOUR = (248.0, 247.0, 244.0)
NAPKIN_TEXTURE = (0.02, 3.0)  # coarse (relative) and fine (grey levels) texture, as for paper
NAPKIN_QUILT = (0.6, 1.4)
NAPKIN_GROOVE = (1.5, 3.5)
NAPKIN_RELIEF = (0.04, 0.12)
NAPKIN_DOTS = 0.5  # probability of a raised dot in each diamond
NAPKIN_CREASE = (2.0, 6.0)
NAPKIN_CREASE_DEPTH = (0.04, 0.12)
NAPKIN_SKIPS = 0.3  # as an ink's grain: how much a pen skips
NAPKIN_BLEED = (0.6, 1.2)  # sigma of the ink's spread into the fibres, pixels


@dataclass(frozen=True)
class _InkStyle:
    colours: tuple[tuple[float, float, float], ...]
    opacity: float
    grain: float  # 0: even ink, 1: strongly broken by the paper's tooth (pencil)
    solidity: float  # exponent < 1 makes soft edges opaque (marker)


INKS = {
    "blue": _InkStyle(((30.0, 40.0, 140.0),), opacity=0.92, grain=0.05, solidity=0.9),
    "black": _InkStyle(((25.0, 25.0, 30.0),), opacity=0.95, grain=0.05, solidity=0.9),
    "pencil": _InkStyle(((90.0, 90.0, 95.0),), opacity=0.75, grain=0.45, solidity=1.0),
    "marker": _InkStyle(
        (
            (20.0, 20.0, 25.0),
            (20.0, 20.0, 25.0),
            (25.0, 35.0, 110.0),
            (110.0, 25.0, 30.0),
            (20.0, 70.0, 40.0),
        ),
        opacity=1.0,
        grain=0.0,
        solidity=0.5,
    ),
}
INK_JITTER = 12.0

# --- Page and photo ------------------------------------------------------------------------------
PAGE_MARGIN = 0.06  # fraction of the page kept free around centred writing
CORNER_EXTENT = (0.4, 0.35)  # corner writing spans at most this fraction of the page (w, h)
CORNER_MARGIN = (0.03, 0.08)
TABLE_COLOURS = ((120.0, 88.0, 60.0), (62.0, 62.0, 66.0), (150.0, 146.0, 140.0), (95.0, 70.0, 52.0))
TABLE_TEXTURE = 0.06
SHADING_GRID = 8  # lighting is computed on a grid this many times coarser than the photo
GRADIENT_STRENGTH = 0.35
SHADOW_STRENGTH = 0.4
SHADOW_PROBABILITY = 0.6
VIGNETTE_STRENGTH = 0.15
UPSAMPLED_NOISE_STD = 0.625  # std of unit noise after a bilinear 2x upscale
COLOUR_CASTS = ((1.0, 0.9, 0.72), (0.86, 0.93, 1.0), (0.93, 1.0, 0.88))  # warm, cool, fluorescent


@dataclass(frozen=True)
class PhotoOptions:
    """How the number is written and photographed (see the module docstring)."""

    paper: str = "white"  # "white", "yellow", "grey", "ruled", "squared", or "napkin" (see NAPKIN_COLOUR)
    ink: str = "blue"  # "blue", "black", "pencil", "marker"
    rotation_degrees: float = 0.0  # whole-photo rotation, counter-clockwise; the canvas grows to fit
    perspective: float = 0.0  # 0..0.15, strength of a random perspective warp
    shading: float = 0.0  # 0..1, uneven lighting / a soft shadow
    colour_cast: float = 0.0  # 0..1, tint of the whole photo
    blur_sigma: float = 0.0  # Gaussian blur of the photo, pixels
    jpeg_quality: int | None = 90  # JPEG round-trip (None: none)
    noise: float = 0.0  # sensor noise std in grey levels
    digit_height: int = 60  # pixels of a digit's height (less if the writing must shrink to fit)
    stroke_scale: float = 1.0  # 0.6 thin (pencil) .. 2.0 thick (marker)
    touching: float = 0.0  # 0..1 probability that neighbouring digits of a group overlap slightly
    slant_degrees: float = 0.0  # writing slant (shear) of each digit, positive leans right
    baseline_angle: float = 0.0  # angle of the line of writing, degrees counter-clockwise
    size: tuple[int, int] = (1280, 960)  # (width, height) of the photo before rotation
    placement: str = "centre"  # "centre" or "corner"


@dataclass(frozen=True)
class RenderedPhoto:
    """A rendered photo and what is written on it; boxes are ``(x, y, w, h)`` in reading order."""

    image: np.ndarray
    jpeg: bytes | None
    lines: list[str]
    text: str
    written: list[str]
    digit_boxes: list[tuple[int, int, int, int]]
    # each digit's ink as written, before paper, camera and light (float alpha 0..1, in reading
    # order): what a reader that lost nothing would have to read
    digit_glyphs: list[np.ndarray] = field(default_factory=list, repr=False)


# --- Printed text --------------------------------------------------------------------------------
# Type on the page beside the handwriting: a form's "Tel:" before the number, a notepad's or a
# flyer's printed header above it. Set in Pillow's own typeface (no system fonts needed), solid,
# in print's colours, PRINT_SIZE digit heights tall (the font's size), PRINT_GAP digit heights
# from the writing.
PRINTED_TEXTS = (
    "Tel:",
    "Phone:",
    "Mobile",
    "Call me!",
    "Name:",
    "Hotel Astoria",
    "Pizza Roma",
    "Dr. Smith",
    "Room service",
    "Notes",
    "Contact",
    "Office hours",
    "Thank you!",
    "From the desk of",
)
PRINT_COLOURS = ((20, 20, 20), (60, 60, 60), (30, 40, 110), (150, 30, 30), (30, 90, 50))
PRINT_SIZE = (0.5, 1.0)
PRINT_GAP = (0.5, 1.2)
PRINT_PLACES = ("above", "before")


@dataclass(frozen=True)
class Printed:
    """Printed text on the page: what, where (PRINT_PLACES: above the first line of writing, or
    before it on its baseline), how big (font size in digit heights), in which colour, how bold."""

    text: str
    place: str = "above"
    size: float = 0.7
    gap: float = 0.6
    colour: tuple[int, int, int] = PRINT_COLOURS[0]
    bold: bool = False


def random_printed(rng: np.random.Generator, place: str | None = None) -> Printed:
    """A printed label or header (PRINTED_TEXTS), placed, sized and coloured at random."""
    return Printed(
        text=str(rng.choice(PRINTED_TEXTS)),
        place=place or str(rng.choice(PRINT_PLACES)),
        size=float(rng.uniform(*PRINT_SIZE)),
        gap=float(rng.uniform(*PRINT_GAP)),
        colour=PRINT_COLOURS[int(rng.integers(len(PRINT_COLOURS)))],
        bold=bool(rng.random() < 0.3),
    )


# --- A mark round the number --------------------------------------------------------------------
# People mark the number they wrote: a box drawn round it, or a ring, or a line under it. Drawn by
# hand with the writing's own pen, MARK_MARGIN digit heights from it (a tight box touches the
# digits at its ends or their tops; a ring stays RING_CLEAR clear): a box's corners overshoot, a
# ring's end runs on past its start (RING_OVERLAP degrees; below 0, it stops short), drifting
# outwards or in; an underline runs on past the writing's ends along its digits' feet, through
# them or below (UNDERLINE_GAP), a little askew and bowed.
MARKS = ("box", "ring")  # drawn round the number; a line drawn under it is an "underline"
MARK_MARGIN = (0.0, 0.6)
BOX_OVERSHOOT = (0.0, 0.2)  # digit heights a box's last side runs past its first corner
RING_OVERLAP = (-15.0, 40.0)
RING_DRIFT = 0.06  # share of its radii a ring's end may lie outside or inside its start
RING_WIDER = (1.12, 1.3)  # a ring's half width, in the writing's half widths, at least
RING_CLEAR = 0.15  # digit heights between the writing's corners and a ring
UNDERLINE_GAP = (-0.1, 0.3)  # digit heights below the line of its feet (below 0: through the feet)
UNDERLINE_RUN = 0.5  # share of its side margins an underline runs past the writing's ends
UNDERLINE_TILT = 0.15  # digit heights its ends lie above or below its middle, at most
UNDERLINE_BOW = 0.1  # digit heights its middle sags below (or rises above) its ends, at most
MARK_WOBBLE = 0.015  # a hand's wobble of each point, in digit heights


@dataclass(frozen=True)
class Mark:
    """A box or a ring (MARKS) drawn round the writing, or a line drawn under it ("underline"):
    its margins (left, top, right, bottom, in digit heights), where a ring starts (degrees) and how
    far its end runs on (RING_OVERLAP), how far a box's last side overshoots, and the seed of the
    hand's wobble (an underline reads its margins, start and drift in its own way)."""

    kind: str = "box"
    margins: tuple[float, float, float, float] = (0.4, 0.4, 0.4, 0.4)
    start: float = 200.0
    overlap: float = 20.0
    drift: float = 0.0
    overshoot: float = 0.1
    seed: int = 0


def random_mark(rng: np.random.Generator, kind: str | None = None) -> Mark:
    """A mark of ``kind`` (by default a box or a ring round the writing), drawn at random."""
    return Mark(
        kind=kind or str(rng.choice(MARKS)),
        margins=tuple(float(m) for m in rng.uniform(*MARK_MARGIN, size=4)),
        start=float(rng.uniform(0, 360)),
        overlap=float(rng.uniform(*RING_OVERLAP)),
        drift=float(rng.uniform(-RING_DRIFT, RING_DRIFT)),
        overshoot=float(rng.uniform(*BOX_OVERSHOOT)),
        seed=int(rng.integers(2**31)),
    )


def _mark_strokes(
    mark: Mark, extent: tuple[float, float, float, float], feet: tuple[float, float] | None = None
) -> list[np.ndarray]:
    """The polyline of ``mark`` round writing spanning ``extent`` (left, top, right, bottom, in
    digit heights); an underline runs along ``feet`` (the slope and offset of the line through the
    digits' feet), by default level with the writing's bottom."""
    rng = np.random.default_rng(mark.seed)
    left, top, right, bottom = (
        extent[0] - mark.margins[0],
        extent[1] - mark.margins[1],
        extent[2] + mark.margins[2],
        extent[3] + mark.margins[3],
    )
    if mark.kind == "box":
        corners = np.array([[left, top], [right, top], [right, bottom], [left, bottom], [left, top]])
        corners += rng.normal(0, 2 * MARK_WOBBLE, corners.shape)
        corners[-1] = corners[0]
        along = corners[1] - corners[0]
        end = corners[0] + along / max(float(np.hypot(*along)), 1e-6) * mark.overshoot
        sides = [np.linspace(a, b, 8, endpoint=False) for a, b in itertools.pairwise(corners)]
        points = np.vstack([*sides, corners[-1:], end[None]])
    elif mark.kind == "ring":
        # (its margins above and below the writing, and wide enough that its pen stays RING_CLEAR
        # clear of the writing's corners, drifting in as much as it may)
        cx, cy = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
        half_w, half_h = (extent[2] - extent[0]) / 2, (extent[3] - extent[1]) / 2
        corner_w, corner_h = ((half + RING_CLEAR) * (1 + RING_DRIFT) for half in (half_w, half_h))
        ry = corner_h + RING_CLEAR + (mark.margins[1] + mark.margins[3]) / 2
        rx = max(half_w * rng.uniform(*RING_WIDER), corner_w / np.sqrt(1 - (corner_h / ry) ** 2))
        angles = np.deg2rad(mark.start + np.linspace(0, 360 + mark.overlap, 90))
        grow = 1 + mark.drift * np.linspace(0, 1, len(angles))
        points = np.stack([cx + rx * grow * np.cos(angles), cy + ry * grow * np.sin(angles)], axis=1)
    elif mark.kind == "underline":
        # (its side margins: how far it runs past the writing's ends; its bottom one, how far below
        # the digits' feet it lies, UNDERLINE_GAP; its start, which way it tilts; its drift, its bow)
        slope, offset = feet if feet is not None else (0.0, extent[3])
        gap = np.interp(mark.margins[3], MARK_MARGIN, UNDERLINE_GAP)
        xs = np.linspace(
            extent[0] - UNDERLINE_RUN * mark.margins[0], extent[2] + UNDERLINE_RUN * mark.margins[2], 40
        )
        along = np.linspace(-1, 1, len(xs))
        tilt = UNDERLINE_TILT * (mark.start / 180 - 1) * along
        bow = UNDERLINE_BOW * mark.drift / RING_DRIFT * (1 - along**2)
        points = np.stack([xs, slope * xs + offset + gap + tilt + bow], axis=1)
    else:
        raise ValueError(f"unknown mark {mark.kind!r} (choose from {', '.join(MARKS)}, underline)")
    return [points + rng.normal(0, MARK_WOBBLE, points.shape)]


def _print(
    page: np.ndarray, printed: Printed, writing: tuple[float, float, float], baseline_y: float, height: float
) -> None:
    """Print ``printed`` onto the page (float32 RGB, in place) beside the writing: ``writing`` is
    its first line's left end and its top and bottom (its digits ``height`` pixels tall); its first
    line stands on ``baseline_y``."""
    font = ImageFont.load_default(size=max(6, round(printed.size * height)))
    ink = Image.new("L", (page.shape[1], page.shape[0]), 0)
    draw = ImageDraw.Draw(ink)
    width = draw.textlength(printed.text, font=font)
    gap = printed.gap * height
    left, top, bottom = writing
    spots = {
        "before": (left - gap - width, baseline_y),
        "above": (left, top - gap),
        "below": (left, bottom + gap + font.size),
    }
    # (where the page has no room for it there, above the writing or else below: type cut off
    # by the page's edge leaves a stray letter or two)
    fits = [
        spot
        for place, spot in spots.items()
        if place in (printed.place, "above", "below")
        and 0 <= spot[0] <= page.shape[1] - width
        and font.size <= spot[1] <= page.shape[0]
    ]
    x, y = fits[0] if fits else spots[printed.place]
    draw.text((x, y), printed.text, fill=255, font=font, anchor="ls", stroke_width=int(printed.bold))
    cover = np.asarray(ink, np.float32)[..., None] / 255
    page *= 1 - cover * (1 - np.asarray(printed.colour, np.float32) / 255)


class DigitBank:
    """MNIST digits grouped by label, to draw handwritten digits from."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        if images.ndim != 3 or len(images) != len(labels):
            raise ValueError(f"need (N, H, W) images and N labels, got {images.shape} and {labels.shape}")
        self.images = images
        self.by_label = {digit: np.flatnonzero(labels == digit) for digit in range(10)}

    def sample(self, digit: int, rng: np.random.Generator) -> np.ndarray:
        """One random image (28x28 uint8, white on black) of ``digit``."""
        indices = self.by_label.get(digit)
        if indices is None or len(indices) == 0:
            raise ValueError(f"the digit bank holds no image of {digit!r}")
        return self.images[indices[rng.integers(len(indices))]]


def split_bank(images: np.ndarray, labels: np.ndarray, part: str) -> DigitBank:
    """A digit bank of the MNIST training images in the digit model's training (``"train"``) or
    validation (``"validation"``) split, as ``hey-number train`` makes it by default."""
    config = TrainConfig()
    train, validation = validation_split(labels, config.validation_fraction, config.split_seed)
    chosen = {"train": train, "validation": validation}[part]
    return DigitBank(images[chosen], labels[chosen])


# --- Phone numbers -------------------------------------------------------------------------------
DIGIT_COUNTS = (7, 8, 9, 10, 10, 10, 11, 11, 12, 13)


def _group_sizes(count: int, rng: np.random.Generator) -> list[int]:
    """Split ``count`` digits into groups the way people write them."""
    style = rng.integers(4)
    if count < 5 or style == 3:
        return [count]
    if style == 0:  # North-American style: ..., 3, 3, 4
        sizes, rest = [4], count - 4
        while rest > 3:
            sizes.insert(0, 3)
            rest -= 3
        return [rest, *sizes] if rest else sizes
    if style == 1:  # pairs, after a lead group when the count is odd (or sometimes anyway)
        leads = ((3,) if count < 10 else (1, 3)) if count % 2 else (0, 0, 4)
        lead = int(rng.choice(leads))
        return ([lead] if lead else []) + [2] * ((count - lead) // 2)
    lead = int(rng.integers(2, min(5, count - 3) + 1))  # area code, then the subscriber number
    rest = count - lead
    return [lead, rest] if rest < 6 or rng.random() < 0.5 else [lead, rest - rest // 2, rest // 2]


def _join_groups(groups: list[str], rng: np.random.Generator) -> str:
    """Write digit groups with one of the usual separator habits."""
    if len(groups) == 1:
        return groups[0]
    style = rng.integers(6)
    if style == 0 and len(groups) >= 3:  # (416) 555-0199
        last = str(rng.choice(["-", " "])).join(groups[-2:])
        return f"({groups[0]}) " + " ".join([*groups[1:-2], last])
    if style == 1:  # 020/7946 0018
        return f"{groups[0]}/" + " ".join(groups[1:])
    return str(rng.choice([" ", "-", ".", " "])).join(groups)


def _split(number: str, sizes: list[int]) -> list[str]:
    starts = np.cumsum([0, *sizes[:-1]])
    return [number[start : start + size] for start, size in zip(starts, sizes, strict=True)]


def random_phone_number(rng: np.random.Generator, digits: int | None = None) -> str:
    """A phone number as written by a person, with group separators: e.g. "416-555-0199",
    "(416) 555 0199", "+1 416.555.0199", "020/7946 0018", "0612345678". 7 to 13 digits (or exactly `digits`).
    """
    count = int(rng.choice(DIGIT_COUNTS)) if digits is None else digits
    if count < 1:
        raise ValueError(f"a phone number needs at least one digit, not {count}")
    number = "".join(str(d) for d in rng.integers(0, 10, count))
    if count >= 10 and rng.random() < 0.25:  # +CC then the national number
        code = int(rng.integers(1, 4))
        number = str(rng.integers(1, 10)) + number[1:]
        rest = number[code:]
        return f"+{number[:code]} " + _join_groups(_split(rest, _group_sizes(len(rest), rng)), rng)
    return _join_groups(_split(number, _group_sizes(count, rng)), rng)


# --- Glyphs --------------------------------------------------------------------------------------
EDGE_SHARPNESS = 0.75  # contrast applied to an upscaled digit's soft edge, per unit of upscaling
ALPHA_FLOOR = 0.08  # alpha below this does not count as ink when cropping a glyph


@dataclass
class _Glyph:
    alpha: np.ndarray  # float32 0..1, cropped to the ink
    x: int  # top-left corner in writing coordinates
    y: int
    is_digit: bool


def _crop_to_ink(sample: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(sample.max(axis=1) > INK_THRESHOLD)
    cols = np.flatnonzero(sample.max(axis=0) > INK_THRESHOLD)
    if len(rows) == 0:
        return sample
    return sample[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _tight(alpha: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Crop an alpha patch to its ink; also return the crop's top-left offset."""
    rows = np.flatnonzero(alpha.max(axis=1) > ALPHA_FLOOR)
    cols = np.flatnonzero(alpha.max(axis=0) > ALPHA_FLOOR)
    if len(rows) == 0:
        return alpha, 0, 0
    return alpha[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], int(cols[0]), int(rows[0])


def _stroke_width(mask: np.ndarray) -> float:
    """Typical full width of the strokes of a 0/1 mask (four times the mean distance to the edge)."""
    inside = cv2.distanceTransform(mask, cv2.DIST_L2, 3)[mask > 0]
    return 4.0 * max(float(inside.mean()) - 0.5, 0.25) if inside.size else 0.0


def _topology(grey: np.ndarray) -> tuple[int, int]:
    """Number of ink pieces and of background regions (the outside plus each loop's hole)."""
    ink = (grey > 127).astype(np.uint8)
    return cv2.connectedComponents(ink)[0], cv2.connectedComponents(1 - ink)[0]


def _restroke(grey: np.ndarray, target_width: float) -> np.ndarray:
    """Dilate or erode an upscaled digit (uint8) so that its strokes are about ``target_width`` wide.

    The change stops short of altering the digit's shape: breaking a stroke, erasing a piece or a
    limb, or filling the hole of a loop."""
    current = _stroke_width((grey > 127).astype(np.uint8))
    change = max((target_width - current) / 2, -MAX_THINNING * current / 2)
    radius = round(abs(change))
    operation = cv2.dilate if change > 0 else cv2.erode
    topology = _topology(grey) if radius else None
    while radius > 0:
        restroked = operation(grey, _disc(radius))
        if _topology(restroked) == topology and (change > 0 or _keeps_limbs(grey, restroked, radius)):
            return restroked
        radius -= 1
    return grey


def _keeps_limbs(grey: np.ndarray, thinned: np.ndarray, radius: int) -> bool:
    """Whether a digit ``thinned`` by an erosion of ``radius`` kept all its strokes: grown back by
    as much, its ink reaches all but a sliver (THINNED_REACH) of the original's. A stroke slimmer
    than the erosion vanishes without changing the topology (a stem hanging from a loop)."""
    ink = grey > 127
    if not ink.any():
        return True
    reach = cv2.dilate(thinned, _disc(radius + 1)) > 127
    return bool(reach[ink].mean() >= THINNED_REACH)


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _shear_and_tilt(alpha: np.ndarray, slant_degrees: float, tilt_degrees: float) -> np.ndarray:
    """Slant (top to the right for positive degrees) and rotate a patch, growing it to fit."""
    h, w = alpha.shape
    t = np.deg2rad(tilt_degrees)
    rotation = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    shear = np.array([[1.0, -np.tan(np.deg2rad(slant_degrees))], [0.0, 1.0]])
    linear = rotation @ shear
    centre = np.array([w / 2, h / 2])
    moved = (np.array([[0, 0], [w, 0], [w, h], [0, h]]) - centre) @ linear.T
    low = moved.min(axis=0)
    out_w, out_h = (np.ceil(moved.max(axis=0) - low) + 2).astype(int)
    matrix = np.hstack([linear, (1 - low - linear @ centre)[:, None]])
    return cv2.warpAffine(alpha, matrix, (int(out_w), int(out_h)), flags=cv2.INTER_LINEAR, borderValue=0)


def written_digit(
    sample: np.ndarray,
    height: float,
    stroke_width: float,
    slant_degrees: float = 0.0,
    tilt_degrees: float = 0.0,
) -> np.ndarray:
    """An MNIST sample as ink: cropped, scaled to ``height`` pixels, re-stroked to ``stroke_width``,
    slanted and turned; alpha float32 (0..1), before paper, camera and light."""
    crop = _crop_to_ink(sample)
    crop_h, crop_w = crop.shape
    scale = SUPERSAMPLE * height / crop_h
    big_w = max(1, round(min(crop_w * scale, MAX_DIGIT_ASPECT * SUPERSAMPLE * height)))
    big = cv2.resize(crop, (big_w, round(SUPERSAMPLE * height)), interpolation=cv2.INTER_CUBIC)
    pad = int(np.ceil(stroke_width * SUPERSAMPLE)) + 2
    big = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    big = _restroke(big, stroke_width * SUPERSAMPLE)
    contrast = max(1.0, EDGE_SHARPNESS * scale)
    alpha = np.clip((big.astype(np.float32) / 255 - 0.5) * contrast + 0.5, 0, 1)
    alpha = _shear_and_tilt(alpha, slant_degrees, tilt_degrees)
    small_size = (alpha.shape[1] // SUPERSAMPLE, alpha.shape[0] // SUPERSAMPLE)
    return _tight(cv2.resize(alpha, small_size, interpolation=cv2.INTER_AREA))[0]


def glyph_as_read(glyph: np.ndarray, level: float = 0.5) -> np.ndarray:
    """A glyph's alpha (:func:`written_digit`) as the reader would see it: taken as ink where at
    least ``level`` and normalised MNIST-style (uint8 28x28; all black if no ink reaches it)."""
    return to_mnist(((glyph >= level) * 255).astype(np.uint8))


def blurred_glyph_as_read(glyph: np.ndarray, sigma: float, share: float) -> np.ndarray:
    """A glyph blurred as a camera out of focus does (a Gaussian of ``sigma`` pixels), then taken as
    ink where at least ``share`` of its darkest and normalised (:func:`glyph_as_read`)."""
    blurred = cv2.GaussianBlur(glyph, (0, 0), sigma)
    return glyph_as_read(blurred, share * float(blurred.max()))


def _separator_strokes(char: str, rng: np.random.Generator) -> tuple[list[np.ndarray], float]:
    """Polylines of a separator in digit heights (origin: left end of the baseline, y down) and a
    thickness factor."""

    def wobble() -> float:
        return rng.uniform(-0.03, 0.03)

    if char == "-":
        length, y = rng.uniform(0.3, 0.5), -rng.uniform(0.42, 0.55)
        return [np.array([[0, y + wobble()], [length / 2, y + wobble()], [length, y + wobble()]])], 1.0
    if char == ".":
        return [np.array([[0.0, -0.04], [0.01, -0.04 + wobble() / 3]])], 1.6
    if char == "/":
        width = rng.uniform(0.35, 0.5)
        return [np.array([[wobble(), 0.05 + wobble()], [width + wobble(), -1.0 + wobble()]])], 1.0
    if char in "()":
        radius_x, radius_y = rng.uniform(0.3, 0.45), rng.uniform(0.55, 0.62)
        angles = np.deg2rad(np.linspace(125, 235, 12))
        arc = np.stack([radius_x * (1 + np.cos(angles)), -0.5 + radius_y * np.sin(angles)], axis=1)
        arc[:, 0] += rng.uniform(-0.01, 0.01, len(arc))
        if char == ")":
            arc[:, 0] = arc[:, 0].max() - arc[:, 0]
        return [arc], 1.0
    arm = rng.uniform(0.18, 0.26)  # "+"
    centre_y = -0.5 + wobble()
    return [
        np.array([[0, centre_y + wobble()], [2 * arm, centre_y + wobble()]]),
        np.array([[arm + wobble(), centre_y - arm], [arm + wobble(), centre_y + arm]]),
    ], 1.0


def _stroke_glyph(
    polylines: list[np.ndarray], thickness_factor: float, height: float, stroke_width: float
) -> tuple[np.ndarray, float, float]:
    """Draw polylines (in digit heights) as antialiased pen strokes; alpha and its top-left offset."""
    points = [line * height for line in polylines]
    every = np.vstack(points)
    low = every.min(axis=0) - stroke_width * thickness_factor - 2
    size = np.ceil(every.max(axis=0) - low + stroke_width * thickness_factor + 2).astype(int)
    canvas = np.zeros((size[1] * SUPERSAMPLE, size[0] * SUPERSAMPLE), np.uint8)
    thickness = max(1, round(stroke_width * thickness_factor * SUPERSAMPLE))
    fraction_bits = 4
    for line in points:
        fixed = np.round((line - low) * SUPERSAMPLE * (1 << fraction_bits)).astype(np.int32)
        cv2.polylines(canvas, [fixed], False, 255, thickness, cv2.LINE_AA, fraction_bits)
    small = cv2.resize(canvas, (int(size[0]), int(size[1])), interpolation=cv2.INTER_AREA)
    alpha, dx, dy = _tight(small.astype(np.float32) / 255)
    return alpha, float(low[0] + dx), float(low[1] + dy)


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float, steps: int = 12) -> list:
    """Points along an ellipse's arc, angles in degrees (0: right, -90: up, as y points down)."""
    angles = np.deg2rad(np.linspace(start, stop, steps))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


# Hand-printed letters as polylines, in digit heights (origin: left end of the baseline, y down;
# capitals and ascenders 1 high, small letters 0.55), and each letter's width.
LETTER_STROKES: dict[str, tuple[float, list[list[tuple[float, float]]]]] = {
    "A": (0.6, [[(0, 0), (0.3, -1), (0.6, 0)], [(0.13, -0.4), (0.47, -0.4)]]),
    "E": (0.5, [[(0.5, -1), (0, -1), (0, 0), (0.5, 0)], [(0, -0.52), (0.4, -0.52)]]),
    "J": (0.5, [[(0.1, -1), (0.5, -1)], [(0.35, -1), (0.35, -0.2), (0.25, 0), (0.1, 0), (0, -0.15)]]),
    "M": (0.7, [[(0, 0), (0, -1), (0.35, -0.45), (0.7, -1), (0.7, 0)]]),
    "T": (0.6, [[(0, -1), (0.6, -1)], [(0.3, -1), (0.3, 0)]]),
    "a": (0.45, [_arc(0.21, -0.275, 0.21, 0.27, -30, 330, 16), [(0.44, -0.55), (0.44, 0)]]),
    "c": (0.42, [_arc(0.22, -0.275, 0.22, 0.27, -40, -320)]),
    "d": (0.45, [_arc(0.21, -0.275, 0.21, 0.27, -30, 330, 16), [(0.44, -1), (0.44, 0)]]),
    "e": (0.42, [[(0.02, -0.28), (0.42, -0.28), *_arc(0.22, -0.275, 0.2, 0.27, 0, -320)]]),
    "h": (0.38, [[(0, -1), (0, 0)], [(0, -0.35), (0.1, -0.52), (0.26, -0.52), (0.36, -0.4), (0.36, 0)]]),
    "i": (0.1, [[(0.05, -0.55), (0.05, 0)], [(0.05, -0.78), (0.06, -0.78)]]),
    "k": (0.38, [[(0, -1), (0, 0)], [(0.36, -0.55), (0.02, -0.25), (0.36, 0)]]),
    "l": (0.1, [[(0.05, -1), (0.05, 0)]]),
    "m": (
        0.62,
        [
            [(0, -0.55), (0, 0)],
            [(0, -0.35), (0.08, -0.52), (0.22, -0.52), (0.31, -0.4), (0.31, 0)],
            [(0.31, -0.4), (0.39, -0.52), (0.53, -0.52), (0.62, -0.4), (0.62, 0)],
        ],
    ),
    "n": (0.36, [[(0, -0.55), (0, 0)], [(0, -0.35), (0.1, -0.52), (0.26, -0.52), (0.36, -0.4), (0.36, 0)]]),
    "o": (0.46, [_arc(0.23, -0.275, 0.23, 0.275, 0, 360, 18)]),
    "r": (0.3, [[(0, -0.55), (0, 0)], [(0, -0.33), (0.12, -0.52), (0.3, -0.5)]]),
    "u": (0.36, [[(0, -0.55), (0, -0.15), (0.1, 0), (0.26, 0), (0.36, -0.15)], [(0.36, -0.55), (0.36, 0)]]),
    "v": (0.44, [[(0, -0.55), (0.22, 0), (0.44, -0.55)]]),
    "w": (0.62, [[(0, -0.55), (0.15, 0), (0.31, -0.42), (0.47, 0), (0.62, -0.55)]]),
    ":": (0.08, [[(0.04, -0.47), (0.05, -0.47)], [(0.04, -0.04), (0.05, -0.04)]]),
}
WORD_CHARACTERS = "".join(LETTER_STROKES)
LETTER_GAP = 0.1  # between the letters of a word, in digit heights
LETTER_JITTER = 0.025  # a hand's wobble of each point, in digit heights


def _word_strokes(word: str, rng: np.random.Generator) -> list[np.ndarray]:
    """A hand-printed word (letters of LETTER_STROKES) as polylines in digit heights."""
    strokes, cursor = [], 0.0
    for letter in word:
        width, lines = LETTER_STROKES[letter]
        for line in lines:
            points = np.array(line, np.float64) + rng.normal(0.0, LETTER_JITTER, (len(line), 2))
            strokes.append(points + np.array([cursor, 0.0]))
        cursor += width + LETTER_GAP
    return strokes


# --- Writing a few lines -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Writing:
    alpha: np.ndarray  # float32 layer holding all the ink
    digit_corners: np.ndarray  # (N, 4, 2) corners of each digit's box in layer coordinates
    first_baseline: np.ndarray  # (x, y) of the start of the first line's baseline
    digit_glyphs: list[np.ndarray]  # each digit's alpha as written


def _gap_before(
    char: str, previous: str, digit_gap: float, height: float, touching: float, rng: np.random.Generator
) -> float:
    """Horizontal space between the previous glyph ("digit", "separator", "space") and ``char``."""
    if previous == "space":
        return 0.0
    if previous == "digit" and char in DIGITS:
        if rng.random() < touching:
            return -rng.uniform(*TOUCH_OVERLAP) * height
        return digit_gap + rng.uniform(-0.05, 0.05) * height
    return rng.uniform(*SEPARATOR_GAP) * height


def _layout_line(
    bank: DigitBank,
    text: str,
    origin: tuple[float, float],
    height: float,
    stroke_width: float,
    options: PhotoOptions,
    rng: np.random.Generator,
) -> list[_Glyph]:
    """Place the glyphs of one line of writing; ``origin`` is the left end of its baseline."""
    glyphs: list[_Glyph] = []
    cursor, baseline = origin
    digit_gap = rng.uniform(*DIGIT_GAP) * height
    drift = 0.0
    previous = "space"
    for token in re.findall(f"[{WORD_CHARACTERS}]+|.", text):
        if token == " ":
            cursor += rng.uniform(*SPACE_GAP) * height
            previous = "space"
            continue
        cursor += _gap_before(token, previous, digit_gap, height, options.touching, rng)
        drift = 0.7 * drift + rng.normal(0.0, BASELINE_WOBBLE) * height
        if token[0] in WORD_CHARACTERS:  # a word (see LETTER_STROKES)
            alpha, _, top = _stroke_glyph(_word_strokes(token, rng), 1.0, height, stroke_width)
            glyphs.append(_Glyph(alpha, round(cursor), round(baseline + drift + top), False))
            previous = "word"
        elif token in DIGITS:
            slant = options.slant_degrees + rng.uniform(-SLANT_JITTER_DEGREES, SLANT_JITTER_DEGREES)
            size = height * rng.uniform(*HEIGHT_JITTER)
            sample = bank.sample(int(token), rng)
            tilt = rng.uniform(-DIGIT_TILT_DEGREES, DIGIT_TILT_DEGREES)
            alpha = written_digit(sample, size, stroke_width, slant, tilt)
            glyphs.append(_Glyph(alpha, round(cursor), round(baseline + drift - alpha.shape[0]), True))
            previous = "digit"
        else:
            alpha, _, top = _stroke_glyph(*_separator_strokes(token, rng), height, stroke_width)
            glyphs.append(_Glyph(alpha, round(cursor), round(baseline + drift + top), False))
            previous = "separator"
        cursor = glyphs[-1].x + glyphs[-1].alpha.shape[1]
    return glyphs


def _write(
    bank: DigitBank,
    written_lines: list[str],
    options: PhotoOptions,
    rng: np.random.Generator,
    mark: Mark | None = None,
) -> _Writing | None:
    """All lines of writing as one alpha layer (None when nothing is written), with ``mark`` drawn
    round them if given."""
    height = float(options.digit_height)
    stroke_width = max(
        MIN_STROKE_PX, STROKE_FRACTION * height * options.stroke_scale * rng.uniform(*STROKE_JITTER)
    )
    glyphs: list[_Glyph] = []
    baseline = 0.0
    for index, text in enumerate(written_lines):
        if index:
            baseline += rng.uniform(*LINE_SPACING) * height
        indent = rng.uniform(-LINE_INDENT_JITTER, LINE_INDENT_JITTER) * height
        glyphs += _layout_line(bank, text, (indent, baseline), height, stroke_width, options, rng)
    if not glyphs:
        return None
    if mark is not None:
        extent = (
            min(g.x for g in glyphs) / height,
            min(g.y for g in glyphs) / height,
            max(g.x + g.alpha.shape[1] for g in glyphs) / height,
            max(g.y + g.alpha.shape[0] for g in glyphs) / height,
        )
        digits = [(g.x + g.alpha.shape[1] / 2, g.y + g.alpha.shape[0]) for g in glyphs if g.is_digit]
        feet = None
        if mark.kind == "underline" and len(digits) > 1:  # (the line through the digits' feet)
            feet = tuple(np.polyfit(*np.array(digits).T / height, 1))
        alpha, x, y = _stroke_glyph(_mark_strokes(mark, extent, feet), 1.0, height, stroke_width)
        glyphs.append(_Glyph(alpha, round(x), round(y), False))
    margin = int(np.ceil(stroke_width)) + 2
    left = min(g.x for g in glyphs) - margin
    top = min(g.y for g in glyphs) - margin
    right = max(g.x + g.alpha.shape[1] for g in glyphs) + margin
    bottom = max(g.y + g.alpha.shape[0] for g in glyphs) + margin
    layer = np.zeros((bottom - top, right - left), np.float32)
    corners = []
    for glyph in glyphs:
        gh, gw = glyph.alpha.shape
        x, y = glyph.x - left, glyph.y - top
        region = layer[y : y + gh, x : x + gw]
        np.maximum(region, glyph.alpha, out=region)
        if glyph.is_digit:
            corners.append([[x, y], [x + gw, y], [x + gw, y + gh], [x, y + gh]])
    return _Writing(
        layer,
        np.array(corners, np.float64).reshape(-1, 4, 2),
        np.array([-left, -top], np.float64),
        [glyph.alpha for glyph in glyphs if glyph.is_digit],
    )


# --- Geometry ------------------------------------------------------------------------------------


def _rotation(width: int, height: int, degrees: float) -> tuple[np.ndarray, tuple[int, int]]:
    """3x3 counter-clockwise rotation about the centre onto a canvas grown to hold the whole image."""
    radians = np.deg2rad(degrees)
    cos, sin = abs(np.cos(radians)), abs(np.sin(radians))
    out_w = max(1, round(width * cos + height * sin))
    out_h = max(1, round(width * sin + height * cos))
    matrix = np.eye(3)
    matrix[:2] = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), degrees, 1.0)
    matrix[0, 2] += (out_w - width) / 2
    matrix[1, 2] += (out_h - height) / 2
    return matrix, (out_w, out_h)


def _transform(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 3x3 homography to an array of (..., 2) points."""
    flat = points.reshape(-1, 2)
    moved = np.hstack([flat, np.ones((len(flat), 1))]) @ matrix.T
    return (moved[:, :2] / moved[:, 2:]).reshape(points.shape)


def _tilt_writing(writing: _Writing, degrees: float) -> _Writing:
    """Rotate the writing layer so that its lines run at ``degrees`` (the baseline angle)."""
    if degrees == 0:
        return writing
    layer_h, layer_w = writing.alpha.shape
    matrix, out_size = _rotation(layer_w, layer_h, degrees)
    alpha = cv2.warpAffine(writing.alpha, matrix[:2], out_size, flags=cv2.INTER_LINEAR, borderValue=0)
    return replace(
        writing,
        alpha=alpha,
        digit_corners=_transform(writing.digit_corners, matrix),
        first_baseline=_transform(writing.first_baseline, matrix),
    )


def _placement(layer_shape: tuple[int, int], options: PhotoOptions, rng: np.random.Generator) -> np.ndarray:
    """3x3 scale-and-shift putting the writing layer on the page (centred or in a corner)."""
    layer_h, layer_w = layer_shape
    page_w, page_h = options.size
    corner = options.placement == "corner"
    extent = CORNER_EXTENT if corner else (1 - 2 * PAGE_MARGIN, 1 - 2 * PAGE_MARGIN)
    scale = min(1.0, extent[0] * page_w / layer_w, extent[1] * page_h / layer_h)
    width, height = layer_w * scale, layer_h * scale
    if corner:
        margin_x, margin_y = rng.uniform(*CORNER_MARGIN, size=2) * (page_w, page_h)
        right, bottom = rng.integers(0, 2, size=2)
        x = page_w - margin_x - width if right else margin_x
        y = page_h - margin_y - height if bottom else margin_y
    else:
        x, y = rng.uniform(0.35, 0.65, size=2) * (page_w - width, page_h - height)
    return np.array([[scale, 0, round(x)], [0, scale, round(y)], [0, 0, 1]], np.float64)


# --- Paper and ink -------------------------------------------------------------------------------


def _smooth_noise(shape: tuple[int, int], cell: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance-ish noise that varies over about ``cell`` pixels (float32)."""
    grid = rng.standard_normal((shape[0] // cell + 2, shape[1] // cell + 2), dtype=np.float32)
    return cv2.resize(grid, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _rule(
    page: np.ndarray, positions: np.ndarray, axis: int, colour: tuple[float, float, float], strength: float
) -> None:
    """Print thin straight lines (ruling, grid) across the page at sub-pixel ``positions``, in place.

    ``axis`` 0 draws horizontal lines at those rows, 1 vertical lines at those columns."""
    length = page.shape[axis]
    coverage = np.zeros(length, np.float32)
    for position in positions:
        low, high = position - PRINTED_LINE_WIDTH / 2, position + PRINTED_LINE_WIDTH / 2
        cells = np.arange(max(0, int(np.floor(low))), min(length, int(np.ceil(high))))
        overlap = np.clip(np.minimum(cells + 1, high) - np.maximum(cells, low), 0, 1)
        coverage[cells] = np.maximum(coverage[cells], overlap)
    hit = np.flatnonzero(coverage)
    absorb = (1 - np.asarray(colour, np.float32) / 255) * strength
    factor = 1 - coverage[hit, None] * absorb
    if axis == 0:
        page[hit] *= factor[:, None, :]
    else:
        page[:, hit] *= factor[None, :, :]


def _paper(
    options: PhotoOptions, line_height: float, baseline_y: float, rng: np.random.Generator
) -> np.ndarray:
    """A blank sheet (float32 RGB) of ``options.size`` with texture and any ruling."""
    width, height = options.size
    if options.paper == "napkin":
        return _napkin((height, width), line_height, rng)
    colour = np.asarray(PAPER_COLOURS[options.paper], np.float32) + rng.uniform(-1, 1) * PAPER_JITTER
    texture = 1 + PAPER_COARSE_TEXTURE * _smooth_noise((height, width), TEXTURE_CELL, rng)
    texture += PAPER_FINE_TEXTURE / 255 * _smooth_noise((height, width), FIBRE_CELL, rng)
    page = texture[..., None] * colour
    if options.paper == "ruled":
        spacing = max(MIN_LINE_SPACING_PX, RULED_SPACING * line_height)
        first = (baseline_y + 0.05 * line_height) % spacing
        _rule(page, np.arange(first, height, spacing), 0, RULED_COLOUR, RULED_STRENGTH)
        if rng.random() < MARGIN_PROBABILITY:
            margin = np.array([rng.uniform(0.06, 0.12) * width])
            _rule(page, margin, 1, MARGIN_COLOUR, RULED_STRENGTH)
    elif options.paper == "squared":
        spacing = max(MIN_LINE_SPACING_PX, GRID_SPACING * line_height)
        x0, y0 = rng.uniform(0, spacing, size=2)
        _rule(page, np.arange(x0, width, spacing), 1, GRID_COLOUR, GRID_STRENGTH)
        _rule(page, np.arange(y0, height, spacing), 0, GRID_COLOUR, GRID_STRENGTH)
    return page


def _napkin(shape: tuple[int, int], line_height: float, rng: np.random.Generator) -> np.ndarray:
    """A blank paper napkin (float32 RGB) of ``shape``: tissue, embossed quilt and folds (see
    NAPKIN_COLOUR)."""
    height, width = shape
    colour = np.asarray(NAPKIN_COLOUR, np.float32) + rng.uniform(-1, 1) * PAPER_JITTER
    coarse, fine = NAPKIN_TEXTURE
    texture = 1 + coarse * _smooth_noise(shape, TEXTURE_CELL, rng)
    texture += fine / 255 * _smooth_noise(shape, FIBRE_CELL, rng)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    # the quilt's surface: grooves along both diagonals (turned a little), dots between them
    spacing = rng.uniform(*NAPKIN_QUILT) * line_height
    turn = np.deg2rad(45 + rng.uniform(-10, 10))
    groove = rng.uniform(*NAPKIN_GROOVE)
    surface = np.zeros(shape, np.float32)
    for angle in (turn, turn + np.pi / 2):
        across = (cols * np.cos(angle) + rows * np.sin(angle)) / spacing + rng.uniform(0, 1)
        off_line = (across - np.round(across)) * spacing  # pixels from the nearest groove
        surface -= np.exp(-((off_line / groove) ** 2))
    if rng.random() < NAPKIN_DOTS:
        u = (cols * np.cos(turn) + rows * np.sin(turn)) / spacing
        v = (-cols * np.sin(turn) + rows * np.cos(turn)) / spacing
        from_dot = np.hypot(u - np.floor(u) - 0.5, v - np.floor(v) - 0.5) * spacing
        surface += np.exp(-((from_dot / (1.5 * groove)) ** 2))
    light = rng.uniform(0, 2 * np.pi)
    slope_x, slope_y = cv2.Sobel(surface, cv2.CV_32F, 1, 0) / 8, cv2.Sobel(surface, cv2.CV_32F, 0, 1) / 8
    slope = slope_x * np.cos(light) + slope_y * np.sin(light)
    texture *= 1 + rng.uniform(*NAPKIN_RELIEF) * slope / max(float(np.abs(slope).max()), 1e-6)
    # folded in quarters: a crease each way near the middle, shaded on one side, lit on the other
    for position, along in ((rng.uniform(0.4, 0.6) * height, rows), (rng.uniform(0.4, 0.6) * width, cols)):
        band = rng.uniform(*NAPKIN_CREASE)
        offset = (along - position) / band
        side = 1 if rng.random() < 0.5 else -1
        texture *= 1 - rng.uniform(*NAPKIN_CREASE_DEPTH) * side * offset * np.exp(-(offset**2))
    return texture[..., None] * colour


def _ink(region: np.ndarray, alpha: np.ndarray, options: PhotoOptions, rng: np.random.Generator) -> None:
    """Write an alpha layer onto a same-sized region of the page with the chosen ink, in place."""
    style = INKS[options.ink]
    base = np.asarray(style.colours[rng.integers(len(style.colours))], np.float32)
    colour = np.clip(base + rng.uniform(-INK_JITTER, INK_JITTER, 3), 0, 255).astype(np.float32)
    napkin = options.paper == "napkin"
    if napkin:  # the ink spreads into the tissue's fibres, unevenly
        bleed = cv2.GaussianBlur(alpha, (0, 0), rng.uniform(*NAPKIN_BLEED))
        fibres = np.clip(1 + 0.5 * _smooth_noise(alpha.shape, FIBRE_CELL, rng), 0, 1)
        alpha = np.maximum(alpha, np.minimum(1, 1.3 * bleed) * fibres)
    cover = alpha**style.solidity * style.opacity
    grain_share = max(style.grain, NAPKIN_SKIPS) if napkin else style.grain
    if grain_share:
        grain = cv2.GaussianBlur(rng.standard_normal(cover.shape, dtype=np.float32), (0, 0), 0.7)
        grain /= max(float(grain.std()), 1e-6)
        cover *= np.clip(1 - grain_share * (0.6 - 0.5 * grain), 0.15, 1.0)
    region *= 1 - cover[..., None] * (1 - colour / 255)  # ink absorbs light: a multiplicative filter


# --- Photographing the page ----------------------------------------------------------------------


def _table(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The surface around the page: a dull colour with a soft texture (float32 RGB)."""
    colour = np.asarray(TABLE_COLOURS[rng.integers(len(TABLE_COLOURS))], np.float32)
    grid = rng.standard_normal((shape[0] // TEXTURE_CELL + 2, shape[1] // TEXTURE_CELL + 2), dtype=np.float32)
    small = (1 + TABLE_TEXTURE * grid)[..., None] * colour
    return cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _photograph(
    page: np.ndarray, options: PhotoOptions, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rotate and perspective-warp the page onto a table; the photo and the page→photo homography."""
    height, width = page.shape[:2]
    matrix, (out_w, out_h) = _rotation(width, height, options.rotation_degrees)
    if options.perspective > 0:
        corners = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], np.float32)
        inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], np.float32)
        shift = rng.uniform(0, options.perspective, size=(4, 2)) * (out_w, out_h) * inward
        warp = cv2.getPerspectiveTransform(corners, (corners + shift).astype(np.float32))
        matrix = warp @ matrix
    if np.allclose(matrix, np.eye(3)):
        return page, matrix
    photo = _table((out_h, out_w), rng)
    cv2.warpPerspective(
        page, matrix, (out_w, out_h), dst=photo, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT
    )
    return photo, matrix


def _lighting(image: np.ndarray, options: PhotoOptions, rng: np.random.Generator) -> None:
    """Uneven light (gradient, soft shadow, vignette) and a colour cast, multiplied in place."""
    if options.shading <= 0 and options.colour_cast <= 0:
        return
    height, width = image.shape[:2]
    grid_h, grid_w = max(2, height // SHADING_GRID), max(2, width // SHADING_GRID)
    ys, xs = np.mgrid[-1 : 1 : grid_h * 1j, -1 : 1 : grid_w * 1j].astype(np.float32)
    gain = np.ones((grid_h, grid_w), np.float32)
    if options.shading > 0:
        angle = rng.uniform(0, 2 * np.pi)
        along = (xs * np.cos(angle) + ys * np.sin(angle)) / np.sqrt(2)
        gain *= 1 - options.shading * GRADIENT_STRENGTH * (along + 1) / 2
        if rng.random() < SHADOW_PROBABILITY:
            angle = rng.uniform(0, 2 * np.pi)
            depth = xs * np.cos(angle) + ys * np.sin(angle) - rng.uniform(0.3, 0.8)
            shadow = 1 / (1 + np.exp(-depth / rng.uniform(0.05, 0.2)))
            gain *= 1 - options.shading * SHADOW_STRENGTH * shadow
        gain *= 1 - options.shading * VIGNETTE_STRENGTH * (xs**2 + ys**2) / 2
    tint = np.ones(3, np.float32)
    if options.colour_cast > 0:
        cast = np.asarray(COLOUR_CASTS[rng.integers(len(COLOUR_CASTS))], np.float32)
        tint = 1 + options.colour_cast * (cast - 1)
    image *= cv2.resize(gain[..., None] * tint, (width, height), interpolation=cv2.INTER_LINEAR)


def _camera(
    image: np.ndarray, options: PhotoOptions, rng: np.random.Generator
) -> tuple[np.ndarray, bytes | None]:
    """Focus blur, sensor noise, 8-bit quantisation and a JPEG round-trip."""
    if options.blur_sigma > 0:
        image = cv2.GaussianBlur(image, (0, 0), options.blur_sigma)
    if options.noise > 0:  # drawn at half resolution: demosaicing correlates neighbouring pixels
        height, width = image.shape[:2]
        grain = rng.standard_normal(((height + 1) // 2, (width + 1) // 2, 3), dtype=np.float32)
        grain *= np.float32(options.noise / UPSAMPLED_NOISE_STD)
        image += cv2.resize(grain, (width, height), interpolation=cv2.INTER_LINEAR)
    photo = cv2.convertScaleAbs(image)  # rounds and saturates (rare noise below 0 is mirrored)
    if options.jpeg_quality is None:
        return photo, None
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(options.jpeg_quality)]
    )
    if not ok:
        raise RuntimeError("OpenCV could not encode the photo as JPEG")
    decoded = cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return decoded, encoded.tobytes()


def _boxes(
    corners: np.ndarray, matrix: np.ndarray, shape: tuple[int, ...]
) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) bounding boxes of transformed box corners, clipped to the image."""
    height, width = shape[:2]
    boxes = []
    for quad in _transform(corners, matrix) if len(corners) else []:
        x0, y0 = np.clip(np.floor(quad.min(axis=0)), 0, (width - 1, height - 1)).astype(int)
        x1, y1 = np.clip(np.ceil(quad.max(axis=0)), 0, (width, height)).astype(int)
        boxes.append((int(x0), int(y0), int(max(1, x1 - x0)), int(max(1, y1 - y0))))
    return boxes


# --- Public entry points -------------------------------------------------------------------------


def _check(options: PhotoOptions, written_lines: list[str]) -> None:
    if options.paper not in [*PAPER_COLOURS, "napkin"]:
        papers = ", ".join([*PAPER_COLOURS, "napkin"])
        raise ValueError(f"unknown paper {options.paper!r} (choose from {papers})")
    if options.ink not in INKS:
        raise ValueError(f"unknown ink {options.ink!r} (choose from {', '.join(INKS)})")
    if options.placement not in ("centre", "corner"):
        raise ValueError(f"unknown placement {options.placement!r} (choose centre or corner)")
    if options.digit_height < 4 or min(options.size) < 16:
        raise ValueError(f"digit height {options.digit_height} or size {options.size} is too small")
    for line in written_lines:
        bad = sorted({c for c in line if c not in DIGITS + SEPARATORS + WORD_CHARACTERS})
        if bad:
            raise ValueError(
                f"cannot write {bad} in {line!r}: only digits, {SEPARATORS!r} and {WORD_CHARACTERS!r}"
            )


DEFAULT_OPTIONS = PhotoOptions()


def render_photo(
    bank: DigitBank,
    written_lines: list[str],
    rng: np.random.Generator,
    options: PhotoOptions = DEFAULT_OPTIONS,
    printed: Printed | None = None,
    mark: Mark | None = None,
) -> RenderedPhoto:
    """Render the given lines (digits plus separators: space - . / ( ) +, and words of letters) as
    handwriting on paper, with ``printed`` text beside them and a ``mark`` round them if given."""
    _check(options, written_lines)
    writing = _write(bank, written_lines, options, rng, mark)
    if writing is not None:
        writing = _tilt_writing(writing, options.baseline_angle)
        place = _placement(writing.alpha.shape, options, rng)
        baseline_y = float(_transform(writing.first_baseline, place)[1])
        line_height = options.digit_height * place[0, 0]
    else:
        place, baseline_y, line_height = (
            np.eye(3),
            rng.uniform(0, options.size[1]),
            float(options.digit_height),
        )
    page = _paper(options, line_height, baseline_y, rng)
    if writing is not None:
        layer, scale, (x, y) = writing.alpha, place[0, 0], place[:2, 2].astype(int)
        if scale < 1:
            size = (max(1, round(layer.shape[1] * scale)), max(1, round(layer.shape[0] * scale)))
            layer = cv2.resize(layer, size, interpolation=cv2.INTER_AREA)
        region = page[y : y + layer.shape[0], x : x + layer.shape[1]]
        _ink(region, layer[: region.shape[0], : region.shape[1]], options, rng)
        if printed is not None:
            left = float(_transform(writing.first_baseline, place)[0])
            _print(page, printed, (left, y, y + region.shape[0]), baseline_y, line_height)
    photo, warp = _photograph(page, options, rng)
    _lighting(photo, options, rng)
    image, jpeg = _camera(photo, options, rng)
    corners = writing.digit_corners if writing is not None else np.zeros((0, 4, 2))
    lines = ["".join(c for c in line if c in DIGITS) for line in written_lines]
    return RenderedPhoto(
        image=image,
        jpeg=jpeg,
        lines=lines,
        text="".join(lines),
        written=list(written_lines),
        digit_boxes=_boxes(corners, warp @ place, image.shape),
        digit_glyphs=writing.digit_glyphs if writing is not None else [],
    )


# A photo taken in ideal conditions (blue ink on white paper, level, sharp, digits 80
# pixels tall, apart and unslanted): what the reader loses with no camera and no hand to blame
# (``dataclasses.replace(options, **IDEAL_CONDITIONS)``; benchmarks/synthetic_photos.py --clean)
IDEAL_CONDITIONS = {
    "paper": "white",
    "ink": "blue",
    "rotation_degrees": 0.0,
    "perspective": 0.0,
    "shading": 0.0,
    "colour_cast": 0.0,
    "blur_sigma": 0.0,
    "jpeg_quality": 95,
    "noise": 0.0,
    "digit_height": 80,
    "stroke_scale": 1.0,
    "touching": 0.0,
    "slant_degrees": 0.0,
    "baseline_angle": 0.0,
}


def random_options(rng: np.random.Generator) -> PhotoOptions:
    """Varied, realistic conditions for a benchmark: all paper kinds and inks, rotation within ±30°,
    perspective, shading, colour casts, blur, JPEG 60–95, stroke thickness, some touching digits,
    slant, digit heights 35–110 px, mostly 1280x960."""
    ink = str(rng.choice(list(INKS), p=[0.4, 0.3, 0.15, 0.15]))
    stroke = {"pencil": (0.6, 0.9), "marker": (1.5, 2.0)}.get(ink, (0.8, 1.3))
    small_turn = rng.random() < 0.7
    return PhotoOptions(
        paper=str(rng.choice(list(PAPER_COLOURS), p=[0.3, 0.15, 0.1, 0.25, 0.2])),
        ink=ink,
        rotation_degrees=float(rng.uniform(-8, 8) if small_turn else rng.uniform(-30, 30)),
        perspective=float(rng.uniform(0, 0.12)),
        shading=float(rng.uniform(0, 0.8)),
        colour_cast=float(rng.uniform(0, 0.7) if rng.random() < 0.6 else 0.0),
        blur_sigma=float(rng.uniform(0.3, 1.5) if rng.random() < 0.6 else 0.0),
        jpeg_quality=int(rng.integers(60, 96)),
        noise=float(rng.uniform(0, 6)),
        digit_height=int(rng.integers(35, 111)),
        stroke_scale=float(rng.uniform(*stroke)),
        touching=float(rng.uniform(0.1, 0.5) if rng.random() < 0.4 else 0.0),
        slant_degrees=float(rng.uniform(-12, 20)),
        baseline_angle=float(rng.uniform(-10, 10) if rng.random() < 0.3 else 0.0),
        size=((1280, 960), (1280, 960), (1280, 960), (1280, 960), (960, 1280), (1600, 1200))[rng.integers(6)],
        placement="corner" if rng.random() < 0.15 else "centre",
    )


# --shadow: a hard-edged shadow (a phone or a hand between the lamp and the page) whose edge runs
# through the writing's middle, within SHADOW_EDGE_TILT degrees of upright, softened over
# SHADOW_EDGE_SOFTNESS pixels (--shadow-softness: a soft one, its edge a wide penumbra, as under a
# room's diffuse light); beyond it the light is (1 - depth) as bright
SHADOW_EDGE_TILT = 40
SHADOW_EDGE_SOFTNESS = 4.0


def shadowed_jpeg(
    photo: RenderedPhoto, depth: float, rng: np.random.Generator, softness: float = SHADOW_EDGE_SOFTNESS
) -> bytes:
    """The photo with a shadow ``depth`` deep across half its writing, its edge blurred over
    ``softness`` pixels (a Gaussian's sigma; JPEG)."""
    bgr = _photo_bgr(photo)
    rows, cols = np.mgrid[0 : bgr.shape[0], 0 : bgr.shape[1]].astype(np.float32)
    middle_x = np.mean([x + w / 2 for x, _, w, _ in photo.digit_boxes])
    middle_y = np.mean([y + h / 2 for _, y, _, h in photo.digit_boxes])
    tilt = np.deg2rad(rng.uniform(-SHADOW_EDGE_TILT, SHADOW_EDGE_TILT))
    beyond = ((cols - middle_x) * np.cos(tilt) + (rows - middle_y) * np.sin(tilt) > 0).astype(np.float32)
    beyond = cv2.GaussianBlur(beyond, (0, 0), softness)
    return _jpeg(bgr * (1 - depth * beyond[..., None]))


# A photo taken in a dim room (``benchmarks/synthetic_photos.py --dim``): this many grey levels of
# sensor noise on a photo whose light is divided
DIM_NOISE = 3.0
# A note on a near-black desk (``--dark-desk``): the desk's grey, and its own grain
DARK_DESK = 25
DARK_DESK_GRAIN = 3.0
# Writing light on a dark ground (``--light-on-dark``): the grounds (BGR: near-black, a
# blackboard's green, dark slate), and their grain
DARK_GROUNDS = ((20, 20, 20), (40, 60, 35), (70, 60, 50))
DARK_GROUND_GRAIN = 3.0


def _photo_bgr(photo: RenderedPhoto) -> np.ndarray:
    """The photo as its JPEG decodes (BGR), to be lit or placed otherwise."""
    return cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR)


def _jpeg(bgr: np.ndarray) -> bytes:
    """``bgr`` (any number type) clipped to 8 bits, as a JPEG of quality 90."""
    _, data = cv2.imencode(".jpg", np.clip(bgr, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90])
    return data.tobytes()


def dimmed_jpeg(photo: RenderedPhoto, factor: float, rng: np.random.Generator) -> bytes:
    """The photo as a dim room gives it: its light divided by ``factor``, with sensor noise (JPEG)."""
    bgr = _photo_bgr(photo)
    return _jpeg(bgr / factor + rng.normal(0.0, DIM_NOISE, bgr.shape))


def on_dark_desk_jpeg(photo: RenderedPhoto, share: float, rng: np.random.Generator) -> bytes:
    """The photo shrunk to ``share`` of its area in the middle of a near-black desk that fills the
    rest: a note photographed from further away (JPEG)."""
    bgr = _photo_bgr(photo)
    scale = float(np.sqrt(share))
    note = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    desk = DARK_DESK + rng.normal(0.0, DARK_DESK_GRAIN, bgr.shape)
    top, left = (bgr.shape[0] - note.shape[0]) // 2, (bgr.shape[1] - note.shape[1]) // 2
    desk[top : top + note.shape[0], left : left + note.shape[1]] = note
    return _jpeg(desk)


def light_on_dark_jpeg(photo: RenderedPhoto, rng: np.random.Generator) -> bytes:
    """The photo's writing light on a dark ground, as chalk on a blackboard or a dark-mode
    screenshot shows it: its negative (the paper dark, the ink light) on a random one of
    DARK_GROUNDS, with grain (JPEG)."""
    negative = 255.0 - _photo_bgr(photo)
    ground = np.array(DARK_GROUNDS[rng.integers(len(DARK_GROUNDS))], np.float32)
    # (squared: the light ink stays light, the paper's light grain and shading go dark)
    lit = ground + negative**2 / 255.0 * (1.0 - ground / 255.0)
    return _jpeg(lit + rng.normal(0.0, DARK_GROUND_GRAIN, lit.shape))


def shaken_jpeg(photo: RenderedPhoto, smear: Smear) -> bytes:
    """The photo as a shaking hand takes it: each point smeared along ``smear``'s line (JPEG)."""
    return _jpeg(cv2.filter2D(_photo_bgr(photo).astype(np.float32), -1, smear.kernel()))


# A scanner app's black-and-white page (``--black-and-white``): each pixel black where darker by
# SCAN_OFFSET grey levels than its neighbourhood's Gaussian-weighted mean (SCAN_BLOCK pixels across)
SCAN_BLOCK = 51
SCAN_OFFSET = 15


def black_and_white_png(photo: RenderedPhoto) -> bytes:
    """The photo as a scanner app's black-and-white mode gives it (an adaptive threshold; PNG):
    ruled lines come out as black as the pen."""
    grey = cv2.cvtColor(_photo_bgr(photo), cv2.COLOR_BGR2GRAY)
    binary = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, SCAN_BLOCK, SCAN_OFFSET
    )
    return cv2.imencode(".png", binary)[1].tobytes()


# A 12 MP photo of a page (``benchmarks/synthetic_photos.py --large``), the number written 45 to
# 109 of its pixels tall (14 to 35 in the reader's 1280-pixel working copy: smaller than any digit
# of the ordinary photos)
LARGE_SIZE = (4000, 3000)
LARGE_DIGIT_HEIGHTS = (45, 110)


def large_photo(options: PhotoOptions, rng: np.random.Generator) -> PhotoOptions:
    """``options`` for a 12 MP photo (upright or lying, as drawn) of small writing."""
    height = int(rng.integers(*LARGE_DIGIT_HEIGHTS))
    size = LARGE_SIZE if options.size[0] >= options.size[1] else LARGE_SIZE[::-1]
    return replace(options, digit_height=height, size=size)


# --- Close-ups of one digit (the original write-up's one-photo-per-digit workflow) ----------------
CLOSE_UP_SIZE = (540, 720)  # (width, height): a phone photo, portrait, shrunk
CLOSE_UP_DIGIT = 280  # pixels: the MNIST digit's 28x28 square, enlarged
CLOSE_UP_PAPER = 225.0
CLOSE_UP_INK = (40.0, 40.0, 110.0)  # blue ballpoint, RGB


def close_up_photo(
    digit: np.ndarray,
    degrees: float = 0.0,
    ink_share: float = 1.0,
    blur_sigma: float = 0.0,
    noise: float = 0.0,
) -> np.ndarray:
    """An RGB photo of one MNIST digit written large in blue ink on paper that fills the photo,
    the camera turned by ``degrees`` (counter-clockwise): no page edge, no line to level by.
    ``ink_share`` < 1 makes the ink that much as dark (light pencil), and ``blur_sigma`` (pixels)
    puts the photo out of focus; ``noise`` adds sensor noise of that many grey levels (seeded by
    the digit: the same photo every time)."""
    width, height = CLOSE_UP_SIZE
    side = CLOSE_UP_DIGIT
    ink = cv2.resize(digit, (side, side), interpolation=cv2.INTER_CUBIC).astype(np.float32)[..., None] / 255
    page = np.full((height, width, 3), CLOSE_UP_PAPER, np.float32)
    top, left = (height - side) // 2, (width - side) // 2
    spot = page[top : top + side, left : left + side]
    colour = CLOSE_UP_PAPER + ink_share * (np.array(CLOSE_UP_INK, np.float32) - CLOSE_UP_PAPER)
    page[top : top + side, left : left + side] = spot * (1 - ink) + colour * ink
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    photo = cv2.warpAffine(page.astype(np.uint8), turn, (width, height), borderMode=cv2.BORDER_REPLICATE)
    if blur_sigma:
        photo = cv2.GaussianBlur(photo, (0, 0), blur_sigma)
    if noise:
        rng = np.random.default_rng(int(digit.sum()))
        photo = np.clip(photo + rng.normal(0.0, noise, photo.shape), 0, 255).astype(np.uint8)
    return photo
