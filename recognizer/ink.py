"""Step 2 of reading a photo: find the ink — a photo's grey pixels → a mask of pen strokes.

A noisy photo of paper (a dim room, a cheap camera: pixels that differ from their neighbours far
more than any ordinary photo's) is first smoothed in proportion to its noise. Paper colour, shadows
and colour casts are divided away by estimating the paper's local brightness
(a large max-filter of the grey image; past a hard shadow's edge, the shaded paper's own light,
:mod:`recognizer.shade`), so ink is "clearly darker than the paper around it". Strong
ink seeds a hysteresis threshold that keeps the lighter edges of the same strokes. The surface
around the page (a table seen past the paper's edge) is dark too, relative to the page beside it;
it is found as weak ink that touches the photo's border (or rings a note lying wholly in the photo)
and is too thick to be a pen stroke, and dropped before anything else (but for the thin ink that
only touches its solid part: a digit at a hard shadow's edge); a lighter, grainy surface around a
page lying in the photo is found from the photo's light (:mod:`recognizer.page`). Faint
writing (pencil: most of its strokes never reach the "strong" bar) gets a lower bar, its paper grain
smoothed away, its light pieces beside dark ones kept, and its broken strokes closed; its weak bar
stays clear of the paper's own grain or printed pattern, and its strong bar is measured away from
the page's edges, where a thinner strip of table or shadow is darker than pencil. Ruled and grid
lines (long, straight, lighter than the pen) are found with a probabilistic Hough transform and
removed wherever they are not also strong ink, so digits written across a line keep their strokes;
a "line" running inside thick ink is a pen stroke (the stem of a digit photographed close and out
of focus), not a ruling. On a black-and-white page (a scanner app's), where the rulings are as
black as the pen, they are removed whole and a stroke keeps its ink on one where it runs on at both
sides (on a grid, also where it is as thick as the pen's stroke: a stroke along a grid line); the
hairlines the scanner's threshold breaks a grid and its rulings into (dashes and crosses a pixel or
two thick) are no ink either. A photo whose lightest pixels are dark shows no paper and has no ink
(a photo mostly of a dark desk, or taken in a dim room, may still show paper). Light writing on a
dark ground (chalk on a blackboard, a dark-mode screenshot) is ink only in the photo's negative:
:func:`dark_ground` and :func:`light_strokes` tell the reader when to look there.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from recognizer.normalise import stroke_width
from recognizer.page import page_halving, surface_around_page
from recognizer.shade import paper_in_shade, percentile

STRONG_DARKNESS = 0.38  # 1 - pixel/paper: certainly ink
# Faint writing (pencil) never reaches STRONG_DARKNESS: the bar for certain ink is lowered to this
# share of the darkest ink on the page, never below FAINTEST_STRONG. "The darkest ink" is the
# darkest DARKEST_INK_SHARE of the page's weak ink, within DARKEST_INK_PIXELS pixels (of a 1-in-4
# sample): at least 50, so that a small pen number on a big page (76 dark pixels) counts as pen;
# at most 150, as the shaded part of a page, weak "ink" too, can outnumber blurred pen strokes.
# (50 alone let a few dark grains of pencil, pressed harder in one or two digits, set the bar for
# pen ink: the lighter digits had no pixel above it and were lost.)
FAINT_SHARE = 0.8
DARKEST_INK_PIXELS = (50, 150)
DARKEST_INK_SHARE = 0.2
FAINTEST_STRONG = 0.2
# ... or, on paper of clean, even grey, down to STRONG_NOISE_MARGIN times the paper's own variation
# (:func:`_texture`), never below LIGHTEST_STRONG: light pencil in a blurred photo (ink 15-20%
# darker than the paper) read as nothing.
LIGHTEST_STRONG = 0.1
STRONG_NOISE_MARGIN = 10.0
# The darkest ink is looked for away from the weak ink touching the photo's border (a strip of dark
# table or a shadow past the page's edge, darker than pencil), and faint writing is not seeded
# there, when this many pixels of weak ink (4x shrunk) are left elsewhere.
EDGE_FREE_INK = 50
EDGE_STRIP = 0.15  # such a strip is at most this share of the photo deep; a ring around a page
# covers at most this share of its bounding box (writing joined up by a printed pattern covers more)
FAINT_SMOOTHING = 1.0
FAINT_WEAK_SHARE = 0.35
# ... but never below this many times the paper's own variation (:func:`_texture`), up to
# WEAK_DARKNESS: light writing on a printed pattern (a cheque) was joined up by the pattern's lines.
NOISE_MARGIN = 4.0
FAINT_CLOSING = (3, 3)  # closing that joins the grain-broken pieces of a faint stroke (5x5 and
# smoothing of 1.5 filled the loops of small digits: synthetic pencil photos misread 44 -> 35 of 67)
# Faint weak ink counts as connected to certain ink when a closing this wide joins them: a pencil
# stroke's lighter part, parted from its darker part by the paper's grain (a 9's light loop beside its
# dark stem). (Synthetic photos of validation digits: 2 more of 500 read; 3x3 joined too little.)
FAINT_REACH = (5, 5)
# ... for pens at most this many pixels wide (the certain ink's stroke width). A wider stroke is not
# parted by grain: its light pieces are a blurred, light stroke's two edges, which the paper's window
# takes apart (light close-ups: a 1 read as "11"; pencil in photos of numbers: 2.3-5.6 px, light
# close-ups 7.5-11 px).
FAINT_REACH_PEN = 6.0
WEAK_DARKNESS = 0.20  # may be ink if connected to certain ink ...
# ... and at least this share of the strong strokes' width wide (at least MIN_WEAK_WIDTH pixels)
WEAK_WIDTH_SHARE = 0.5
MIN_WEAK_WIDTH = 3
BACKGROUND_DOWNSCALE = 4
# Strokes at least THICK_STROKE windows wide (a close-up of a digit: the window mistakes the middle
# of a stroke for paper) are looked for again with a window PAPER_WINDOW_STROKES stroke widths wide.
THICK_STROKE = 1.1
PAPER_WINDOW_STROKES = 3.0
LINE_SEARCH_SCALE = 4
LINE_BAND = LINE_SEARCH_SCALE + 3  # pixels: how thick a found line is drawn over the ruling
# On a ruled line only ink LINE_CONTRAST darker than the pen's strong bar is a pen stroke across
# it. On a black-and-white page (a scanner app's) the rulings are as black as the pen and no
# darkness tells them apart: they are left out whole, and a stroke's ink on one is kept only where
# the stroke runs on at both sides of it (a closing ACROSS_LINE pixels long across it). Without
# that, the rulings were kept as ink, joined to the digits: 300 such pages of ruled, squared and
# plain paper read 164 [with it: 188], the photos they were made from 267.
LINE_CONTRAST = 0.15
ACROSS_LINE = LINE_BAND + 4
# Such rulings are looked for again bridging gaps of up to DARK_LINE_GAP pixels (on the 4x smaller
# copy): a scanner's black and white breaks a ruling wherever the writing darkens its neighbourhood
# (300 such pages, `benchmarks/synthetic_photos.py --black-and-white --count 300`: with gaps of 2
# and 8, 188 read either way, digits 80.3% and 84.8%; with 16, 151).
DARK_LINE_GAP = 8
# Only a black-and-white page is told so: TWO_TONE_SHARE of a sample of its pixels within
# TWO_TONE_LEVELS of black or white, PAPER_WHITE of them white and BLACK_INK of the others black.
# (Of 300 such pages' working copies: 0.93 or more, 0.88 or more, 0.31 or more. 40 synthetic photos:
# at most 0.87 and 0.02. Real cheque scans, whose printed lines are as dark as the writing and of which
# 7 fewer of 600 read when their lines were taken so: at most 0.10. Mutated JPEGs of a page with a
# dark band of noise, its edges taken for dark rulings and its inside read as 47 digits: their grey
# band no black, 0.03-0.28, or their page not white, 0.55.)
TWO_TONE_LEVELS = 32
TWO_TONE_SHARE = 0.9
PAPER_WHITE = 0.8
BLACK_INK = 0.3
# The scanner's threshold also breaks the rulings it does not find, and a squared page's grid, into
# hairlines: dashes and crosses a pixel or two thick, where the pen's strokes are three or more.
# Kept as ink, they read as rows of 1s, or, as many as they are, made a dash's height the digits'.
# On a black-and-white page, a piece of ink with no part HAIRLINE_CORE pixels thick, or a stroke
# thinner than HAIRLINE_SHARE of the writing's, is no writing. The writing's stroke is measured on
# its pieces: at least WRITING_PIECE pixels each way (no dash), at most BIG_PIECE of the ink's
# extent (not the page's outline, whose thick stroke took thin pencil digits for hairlines). Of the
# pieces left, those shorter than SPECK_SHARE of the writing's (the area-weighted median of their
# lengths) are specks: a grid's crossings and dots, as thick as a stroke and as many.
HAIRLINE_CORE = 3
HAIRLINE_SHARE = 0.6
WRITING_PIECE = 6
BIG_PIECE = 0.25
SPECK_SHARE = 0.25
# On a grid (rulings crossing: at least GRID_SHARE of them GRID_ANGLE degrees or more askew to the
# longest), the ink on the rulings at least PEN_ON_GRID of the pen's stroke thick is kept too: a
# stroke running along a grid line, or across a turned page's grid aslant, was left out with it (the
# closings along the photo's rows and columns put back strokes across a line). Not on ruled paper,
# whose rulings can be as thick: there a 7's foot on a ruling took a piece of it and read as a 2.
PEN_ON_GRID = 0.8
GRID_ANGLE = 45.0
GRID_SHARE = 0.25
# A line found there that runs for at least THICK_SHARE of its length (LINE_SAMPLES points) inside
# ink THICK_LINE pixels thick or more (on that 4x smaller copy) is a pen stroke, not a ruled line.
THICK_LINE = 5
THICK_SHARE = 0.5
LINE_SAMPLES = 16
# Ink is looked for closely only in the weak ink's bounding box, this much wider each way: more
# than the half-width of any window used there (the thin-line opening is at most 2x this - 1 wide;
# it would be for strokes 250 pixels wide).
INK_BOX_MARGIN = 64
# The strokes are traced first in boxes round the clusters of strong ink alone (at most
# MAX_WRITING_BOXES), this many reaches of the widest windows used (a pen's reach around its
# strokes and a line's closing) wider each way; they must keep half that clear of the edges (else
# the whole mask is traced: see _pen_strokes).
WRITING_MARGIN = 4
MAX_WRITING_BOXES = 8
# Certain ink covers far less of a page than this, even in a tight crop of big writing (scanned
# cheque amounts: at most 24%); noise and pictures cover more. (Weak ink is no measure: the
# printed pattern behind a cheque's amount is weak "ink" over a third of it.)
MAX_INK_FRACTION = 0.3
# A photo whose lightest pixels (the lightest LIGHTEST_SHARE percent of a sample) are darker than
# DARKEST_PAPER shows no paper (a black page, a lens cap). Not its median, as it was (below 40): a
# white note on a near-black desk filling most of the photo has a median as dark (26 in the tests:
# its lightest 5% 250), and so has a page in a dim room (a real 6 a fifth as bright: median 24,
# lightest 5% 39; the tests' pages a seventh as bright: 34 and 37); both read nothing. (A black
# page's lightest 5%: 3.)
DARKEST_PAPER = 30
LIGHTEST_SHARE = 5
# A photo whose median pixel is darker than this (of 255) has a dark ground: a blackboard, a dark
# page, a screenshot of a dark-mode notes app, or a page in a dim room or a note on a dark desk.
# Writing on the first three is lighter than its ground, and is found in the photo's negative. So
# has a photo whose middle half (DARK_MIDDLE of its width and height) is that dark: a black page
# or a blackboard with a lighter desk or wall round it, the photo's median the surround's (a
# synthetic dark page on a light desk: median 103-175, its middle 21-65; 14 of 200 light-on-dark
# photos read a digit, nothing or the grain so, their negatives never looked at).
DARK_GROUND = 100
DARK_MIDDLE = 0.5
# ... whose light parts, where they run off none of its sides, are strokes at most this many
# pixels wide on the 4x smaller copy: light writing (synthetic blackboards and dark-mode photos:
# 1-4 pixels), or the paper inside a dark pen's loops on a page in a dim room; not a note on a
# dark desk (26 or more).
LIGHT_STROKE = 20.0
# A dark region that touches the photo's border and is this many times thicker than the other ink
# (and at least SURROUND_MIN_DEPTH pixels deep on the 4x smaller copy), and solid, is the surface
# around the page, not writing.
SURROUND_DEPTH_RATIO = 3.0
SURROUND_MIN_DEPTH = 3.0
# A region that touches no border counts too when it rings a page: it spans this share of the
# photo's width and height, and the paper it encloses, PAGE_HOLE of the photo, holds PAGE_INK of
# the other ink, the writing (the dark margin of a desk around a sticky note lying wholly in the
# photo; the desk's own texture outside it is weak ink too).
PAGE_EDGE_SPAN = 0.5
PAGE_HOLE = 0.2
PAGE_INK = 0.25
SURROUND_SOLID_DEPTH = 2.0  # ... and most of it (this share) is at least this deep
SURROUND_SOLID_SHARE = 0.4
# Of a region touching the border, the thin ink that only touches its solid part (more than
# SURROUND_CORE of the depth bar from it) and does not reach the border itself is ink still: a digit
# at a hard shadow's edge, which the band of "dark paper" along the edge joined to the desk past
# the page. (Shadows 45% deep +3 of 200, 30% deep +2, seed 11 +1, turned pages the same,
# validation digits of seed 21 -1: faint pencil by a page's edge, not looked into. Released
# wherever it reaches the border too, thin strips of desk along a page's edge were ink: one read as
# a 1, and segmenting the latency photos took 6.2 ms against 3.9.)
SURROUND_CORE = 0.5
# Once such a surround is found, wherever the "paper" (the local background) is darker than this
# share of the page's light, it is the surface, not a page in shadow: its texture is not ink. A
# shadow 45% deep leaves a page's paper at 45-55% of its lit light (with the page's own shading):
# at 0.5, the paper in such a shadow was the surface whenever a desk showed, and its digits lost
# (``benchmarks/synthetic_photos.py --count 200 --shadow 0.45``: 104 of 200 read; at 0.4, 114;
# with a soft edge, ``--shadow-softness 40``, 142 and 156; seed 7 -1, pencil by a page's edge in
# a corner, its 2 joined to the desk's blotches; 12 MP photos +1; seed 11, validation digits, 30%
# shadows and real cheques the same readings).
DARK_SURFACE_SHARE = 0.4
# A photo whose pixel noise (:func:`grain`) is above NOISY_GRAIN is smoothed first (no ordinary photo
# is that noisy: at most 0.048 on the scanned cheques, 0.036 on synthetic photos, 0.017 on the real
# single-digit photos; sensor noise of 12 grey levels is 0.045-0.07 there). A Gaussian of sigma s
# divides white noise by about 3.5 s, so DENOISE_SIGMA_PER_GRAIN x noise brings it down to an ordinary
# photo's 0.01 (at most MAX_DENOISE pixels: ink blurred further would fade).
NOISY_GRAIN = 0.05
DENOISE_SIGMA_PER_GRAIN = 28.0
MAX_DENOISE = 3.0
# Only noise on paper is smoothed: a photo of paper's grey levels spread at most PAPER_SPREAD times its
# pixel noise (noise of 25 levels on the single-digit photos: up to 2.1 times), and no camera's
# noise reaches NOISIEST_CAMERA (JPEGs of random pixels: 0.4). An enlarged picture of random pixels
# (its noise in blobs, 5-6 times) or random pixels themselves, smoothed, would read as blots of ink.
PAPER_SPREAD = 3.0
NOISIEST_CAMERA = 0.25


@dataclass(frozen=True)
class InkMap:
    """``darkness`` is 0 (paper) .. 1 (black ink) relative to the local paper; ``mask`` is 0/255 ink."""

    darkness: np.ndarray
    mask: np.ndarray

    @cached_property
    def box(self) -> tuple[int, int, int, int]:
        """The ink's bounding box: x, y, width, height (found once: a pass over the photo)."""
        return cv2.boundingRect(self.mask)


def _darker_than(darkness: np.ndarray, share: float) -> np.ndarray:
    """0/255 mask of the pixels darker than ``share`` (0..1) of black, relative to the paper."""
    return cv2.compare(darkness, share, cv2.CMP_GT)


def _shrink(image: np.ndarray, factor: int) -> np.ndarray:
    """8-bit ``image`` ``factor`` (a power of 2) times smaller, each pixel the rounded average of
    its block. The last rows and columns that do not fill a whole block are left out: OpenCV's
    fast path wants an exact factor (4x faster), and is fastest halving. Halving floats keeps
    every average exact, so the rounded result is OpenCV's 4x shrink to the pixel (checked on
    5 million pixels of photos and cheques), in less than half its time."""
    height, width = image.shape[:2]
    if height < factor or width < factor:
        return cv2.resize(
            image, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA
        )
    small = image[: height - height % factor, : width - width % factor].astype(np.float32)
    return cv2.convertScaleAbs(_halved(small, factor))


def _halved(image: np.ndarray, factor: int) -> np.ndarray:
    """``image`` (its sides multiples of ``factor``, a power of 2) averaged down in halvings."""
    while factor > 1:
        image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
        factor //= 2
    return image


def _shrink_mask(mask: np.ndarray, factor: int) -> np.ndarray:
    """A 0/255 ``mask`` ``factor`` (a power of 2) times smaller, in 8-bit halvings (faster still).
    Each pixel may differ from :func:`_shrink`'s by the rounding of the halves, but which are
    above 0 and which above 127 (at least half the block inked) stay the same, and those are all
    a mask's shrunk copy is asked. (Any 8-bit image is halved so: the page's grey copy too.)"""
    height, width = mask.shape[:2]
    if height < factor or width < factor:
        return _shrink(mask, factor)
    return _halved(mask[: height - height % factor, : width - width % factor], factor)


def _paper_window(shape: tuple[int, ...], pen_width: float = 0.0) -> int:
    """Side, in pixels of the BACKGROUND_DOWNSCALE times smaller copy, of the window that finds the
    paper around the ink: a 25th of the photo's short side (at least 5 pixels), or
    PAPER_WINDOW_STROKES pen widths when ``pen_width`` is given and that is wider."""
    short = min(shape[:2]) // BACKGROUND_DOWNSCALE
    return max(5, short // 25, int(PAPER_WINDOW_STROKES * pen_width / BACKGROUND_DOWNSCALE)) | 1


def paper_brightness(grey: np.ndarray, pen_width: float = 0.0) -> np.ndarray:
    """Local paper brightness: a max-filter wide enough to swallow pen strokes, smoothed; in a
    hard shadow's shade, the light of the paper there (:mod:`recognizer.shade`)."""
    small = _shrink(grey, BACKGROUND_DOWNSCALE)
    side = _paper_window(grey.shape, pen_width)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    paper = cv2.dilate(small, kernel)
    # (8-bit pixels, although floats blur twice as fast: their kernel's rounding moves the paper's
    # light by a level here and there, and that alone changed 88 of the 600 cheque readings)
    paper = cv2.GaussianBlur(paper, (0, 0), side / 2)
    # (past a hard shadow's edge, the max-filter spills the lit side's light over the shade)
    paper = paper_in_shade(small, paper, side, STRONG_DARKNESS, WEAK_DARKNESS)
    return cv2.resize(paper, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)


def darkness_and_paper(grey: np.ndarray, pen_width: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """How much darker than the surrounding paper each pixel is (0..1), and that paper's
    brightness. (OpenCV's own passes, from 8-bit pixels straight to float: numpy's conversions
    and clipping on the full photo cost three times as much. Rounding darkness to 8 or 16 bits
    instead moved pixels across the bars, and the ruled-line search, a random sampling,
    answered differently.)"""
    paper = paper_brightness(grey, pen_width)
    # grey / paper, then 1 - min(that, 1), in place: a fresh photo-sized array costs as much as a pass
    darkness = cv2.divide(grey, cv2.max(paper, 1), dtype=cv2.CV_32F)
    cv2.min(darkness, 1.0, dst=darkness)
    return cv2.subtract(1.0, darkness, dst=darkness), paper


def _ruled_lines(weak: np.ndarray, small: np.ndarray | None = None, gap: int = 2) -> np.ndarray | None:
    """Mask of long straight lines (ruled paper, grids, table edges) in the weak-ink mask (None
    when there are none): :func:`_ruling_segments` drawn LINE_BAND thick."""
    return _drawn_lines(_ruling_segments(weak, small, gap), weak)


def _ruling_segments(weak: np.ndarray, small: np.ndarray | None = None, gap: int = 2) -> np.ndarray | None:
    """The long straight lines of the weak-ink mask as segments (x1, y1, x2, y2 rows, in its
    pixels; None when there are none), searched on a 4x smaller copy (long lines survive
    shrinking; the search costs 16x less), bridging gaps of up to ``gap`` pixels there.
    ``small``: that copy, when already made."""
    small = _shrink_mask(weak, LINE_SEARCH_SCALE) if small is None else small
    small = np.where(small > 0, 255, 0).astype(np.uint8)
    min_length = max(12, int(0.25 * max(small.shape)))
    lines = cv2.HoughLinesP(
        small, 1, np.pi / 360, threshold=min_length, minLineLength=min_length, maxLineGap=gap
    )
    if lines is None:
        return None
    lines = _thin_lines(lines.reshape(-1, 4), small)
    return lines * LINE_SEARCH_SCALE if len(lines) else None


def _drawn_lines(segments: np.ndarray | None, weak: np.ndarray) -> np.ndarray | None:
    """The ``segments`` drawn LINE_BAND thick on a mask the size of ``weak`` (None: no lines)."""
    if segments is None:
        return None
    found = np.zeros_like(weak)
    for x1, y1, x2, y2 in segments:
        cv2.line(found, (int(x1), int(y1)), (int(x2), int(y2)), 255, LINE_BAND)
    return found


def _is_grid(segments: np.ndarray | None) -> bool:
    """Whether the rulings cross: at least GRID_SHARE of the segments lie GRID_ANGLE or more
    askew to the longest (a squared page; a ruled page's edges and margin are a few)."""
    if segments is None:
        return False
    dx, dy = (segments[:, 2] - segments[:, 0]).astype(float), (segments[:, 3] - segments[:, 1]).astype(float)
    angles = np.degrees(np.arctan2(dy, dx)) % 180.0
    longest = angles[np.argmax(np.hypot(dx, dy))]
    apart = np.abs(angles - longest)
    askew = np.minimum(apart, 180.0 - apart) >= GRID_ANGLE
    return bool(np.count_nonzero(askew) >= GRID_SHARE * len(segments))


def _thin_lines(lines: np.ndarray, small: np.ndarray) -> np.ndarray:
    """The line segments (x1, y1, x2, y2 rows, on the shrunk mask ``small``) that are thin: a
    segment running mostly inside ink at least THICK_LINE pixels thick there is a thick pen stroke
    (the stem of a close-up 9, LINE_SEARCH_SCALE times as thick in the photo), not a ruling."""
    thick = cv2.erode(small, np.ones((THICK_LINE, THICK_LINE), np.uint8))
    if not cv2.countNonZero(thick):
        return lines
    # (thick ink reaching the photo's border is the dark surface around the page, and the lines
    # along its edge are the page's edges)
    _, labels = cv2.connectedComponents(thick)
    thick[np.take(_border_labels(labels), labels)] = 0
    steps = np.linspace(0.0, 1.0, LINE_SAMPLES)[None, :]
    xs = np.rint(lines[:, :1] + steps * (lines[:, 2:3] - lines[:, :1])).astype(int)
    ys = np.rint(lines[:, 1:2] + steps * (lines[:, 3:4] - lines[:, 1:2])).astype(int)
    inside_thick = (thick[ys, xs] > 0).mean(axis=1)
    return lines[inside_thick < THICK_SHARE]


def _border_labels(labels: np.ndarray, count: int | None = None) -> np.ndarray:
    """Per label (of ``count``, or all up to the largest): whether its region touches the photo's
    border; the background (0) never does."""
    edges = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    border = np.zeros(int(labels.max()) + 1 if count is None else count, bool)
    border[np.unique(edges)] = True
    border[0] = False
    return border


@dataclass(frozen=True)
class _WeakPieces:
    """The weak ink's pieces on the LINE_SEARCH_SCALE times smaller copy, found once for both the
    surround and the edge pieces: the 0/255 mask, its labels and stats, and per label whether it
    touches the photo's border or rings a page lying in it (:func:`_page_rings`)."""

    small: np.ndarray
    labels: np.ndarray
    stats: np.ndarray
    border: np.ndarray
    rings: np.ndarray

    @classmethod
    def of(cls, small: np.ndarray) -> _WeakPieces:
        small = cv2.threshold(small, 127, 255, cv2.THRESH_BINARY)[1]
        # (Grana's algorithm: the same labels as the default's, three times faster here)
        count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
            small, 8, cv2.CV_32S, cv2.CCL_GRANA
        )
        return cls(small, labels, stats, _border_labels(labels, count), _page_rings(labels, stats))


def _surround(weak: np.ndarray, pieces: _WeakPieces) -> np.ndarray | None:
    """Mask of the weak-ink regions that touch the photo's border (or ring a page lying wholly in
    it, :func:`_page_rings`) and are far thicker than the writing: the table or floor around the
    page; None when there is none. Searched on a 4x smaller copy; returned full size.

    Thickness is the distance from a region's inside to its edge; "far thicker" compares it with
    the ink that does not touch the border, so a tight crop of thick writing (every stroke at the
    edge) keeps its strokes. ``pieces``: those of ``weak``, shrunk by LINE_SEARCH_SCALE."""
    height, width = weak.shape
    small, labels = pieces.small, pieces.labels
    count = len(pieces.stats)
    touching = pieces.border | pieces.rings
    if not touching.any():
        return None
    depth = cv2.distanceTransform(small, cv2.DIST_L2, 3)
    # (per-label values looked up per pixel with np.take: 3-5 times faster than indexing by labels)
    inner = depth[np.take(~touching & (np.arange(count) > 0), labels)]
    if inner.size == 0:  # nothing to compare with: all the ink reaches the border
        return None
    bar = max(SURROUND_MIN_DEPTH, SURROUND_DEPTH_RATIO * float(np.percentile(inner, 90)))
    # per region: its size, how much of it is deep, and whether any of it is deep enough
    size = pieces.stats[:, cv2.CC_STAT_AREA]
    solid = np.bincount(labels[depth >= SURROUND_SOLID_DEPTH], minlength=count)
    deepest = np.bincount(labels[depth >= bar], minlength=count)
    # a solid region, not strokes joined up by paper texture: most of it lies deep inside
    chosen = touching & (deepest > 0) & (solid >= SURROUND_SOLID_SHARE * np.maximum(size, 1))
    chosen[0] = False
    if not chosen.any():
        return None
    found = np.take(np.where(chosen, 255, 0).astype(np.uint8), labels)
    _release_strokes(found, depth, labels, chosen & pieces.border, SURROUND_CORE * bar)
    found = cv2.dilate(found, np.ones((3, 3), np.uint8))  # its fringe, lost when shrinking
    return cv2.resize(found, (width, height), interpolation=cv2.INTER_NEAREST)


def _release_strokes(
    found: np.ndarray, depth: np.ndarray, labels: np.ndarray, regions: np.ndarray, reach: float
) -> None:
    """Take out of the surround ``found`` (in place) the thin ink of its ``regions`` (per label)
    that only touches their solid part: all but what lies ``reach`` deep in them and within
    ``reach`` of that (an opening), unless it reaches the photo's border itself (a strip of desk
    along the page's edge stays the surface)."""
    region = np.take(regions, labels)
    if not region.any():
        return
    side = 2 * int(np.ceil(reach)) + 1
    core = cv2.dilate(
        np.where(region & (depth >= reach), 255, 0).astype(np.uint8),
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)),
    )
    thin = (region & (core == 0)).astype(np.uint8)
    count, parts = cv2.connectedComponents(thin, connectivity=8)
    found[(thin > 0) & ~np.take(_border_labels(parts, count), parts)] = 0


def _page_rings(labels: np.ndarray, stats: np.ndarray) -> np.ndarray:
    """Per label: whether the region rings a page lying wholly in the photo (the dark margin of the
    desk just past the note's edge): it spans at least PAGE_EDGE_SPAN of the photo's width and
    height, and encloses at least PAGE_HOLE of the photo, holding PAGE_INK of the other ink."""
    rows, cols = labels.shape
    rings = np.zeros(len(stats), bool)
    wide = (stats[:, cv2.CC_STAT_WIDTH] >= PAGE_EDGE_SPAN * cols) & (
        stats[:, cv2.CC_STAT_HEIGHT] >= PAGE_EDGE_SPAN * rows
    )
    for label in np.flatnonzero(wide[1:]) + 1:
        outside = np.pad((labels != label).astype(np.uint8), 1, constant_values=1)
        cv2.floodFill(outside, None, (0, 0), 2)  # the paper outside the region, from the corner
        hole = outside[1:-1, 1:-1] == 1
        other = (labels > 0) & (labels != label)
        inside = np.count_nonzero(other & hole)
        rings[label] = hole.sum() >= PAGE_HOLE * labels.size and inside >= PAGE_INK * np.count_nonzero(other)
    return rings


def _edge_pieces(
    surround: np.ndarray | None, pieces: _WeakPieces, shape: tuple[int, ...]
) -> np.ndarray | None:
    """The surround plus the weak-ink ``pieces`` that lie along the photo's border, touching it
    and at most EDGE_STRIP of the photo deep, or that thinly ring a page lying in it, covering at
    most EDGE_STRIP of their bounding box (not writing joined up by a printed pattern): the strip
    of table past the page's edge, the shadow along it. They are set apart only when at least
    EDGE_FREE_INK pixels of the shrunk weak ink lie elsewhere. Full size (``shape``)."""
    labels, stats = pieces.labels, pieces.stats
    rows, cols = labels.shape
    depth = np.minimum(stats[:, cv2.CC_STAT_WIDTH] / cols, stats[:, cv2.CC_STAT_HEIGHT] / rows)
    box = stats[:, cv2.CC_STAT_WIDTH] * stats[:, cv2.CC_STAT_HEIGHT]
    area = stats[:, cv2.CC_STAT_AREA]
    chosen = (pieces.border & (depth <= EDGE_STRIP)) | (pieces.rings & (area <= EDGE_STRIP * box))
    chosen[0] = False
    if not chosen.any() or area[1:][~chosen[1:]].sum() < EDGE_FREE_INK:
        return surround
    found = np.take(np.where(chosen, 255, 0).astype(np.uint8), labels)
    found = cv2.dilate(found, np.ones((3, 3), np.uint8))  # its fringe, lost when shrinking
    found = cv2.resize(found, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return found if surround is None else cv2.bitwise_or(found, surround, dst=found)


def _strong_bar(darkness: np.ndarray, surround: np.ndarray | None, weak_bar: float = WEAK_DARKNESS) -> float:
    """The darkness above which a pixel is certainly ink: STRONG_DARKNESS, or lower on a page
    whose darkest ink is faint (``weak_bar``: the bar for weak ink). Measured on every 2nd pixel each
    way, outside the surround."""
    sample = np.ascontiguousarray(darkness[::2, ::2])
    around = None if surround is None else np.ascontiguousarray(surround[::2, ::2])

    def darker(share: float) -> int:
        """How many sampled pixels outside the surround are darker than ``share`` (OpenCV's
        passes: numpy's comparisons and masking of the sample cost several times more)."""
        above = cv2.compare(sample, share, cv2.CMP_GT)
        return cv2.countNonZero(above if around is None else cv2.subtract(above, around))

    if sample.size == (0 if around is None else cv2.countNonZero(around)):
        return STRONG_DARKNESS
    # the wanted-th darkest pixel, sorted for only where it decides the bar
    # (a partial sort of all the pixels cost 2 ms)
    wanted = round(np.clip(DARKEST_INK_SHARE * darker(weak_bar), *DARKEST_INK_PIXELS))
    if darker(STRONG_DARKNESS / FAINT_SHARE) >= wanted:
        return STRONG_DARKNESS
    sample = sample.ravel() if around is None else sample[around == 0]
    floor = FAINTEST_STRONG
    candidates = sample[sample > floor / FAINT_SHARE]
    if candidates.size < min(wanted, sample.size):  # fainter still: how clean is the paper?
        floor = max(LIGHTEST_STRONG, STRONG_NOISE_MARGIN * _texture(darkness, surround))
        candidates = sample[sample > floor / FAINT_SHARE]
        if candidates.size < min(wanted, sample.size):
            return FAINTEST_STRONG
    rank = max(0, candidates.size - wanted)
    darkest = float(np.partition(candidates, rank)[rank])
    return float(np.clip(FAINT_SHARE * darkest, floor, STRONG_DARKNESS))


def _texture(darkness: np.ndarray, surround: np.ndarray | None) -> float:
    """How much the paper's own darkness varies (robust standard deviation of every 8th pixel each
    way, outside the surround): grain, noise, a printed pattern."""
    sample = darkness[::8, ::8]
    sample = sample.ravel() if surround is None else sample[surround[::8, ::8] == 0]
    if sample.size == 0:
        return 0.0
    return _spread(sample)


def _stroke_reach(strong: np.ndarray) -> tuple[float, int]:
    """The strong ink's stroke width (twice its area over its outline's length) and the reach
    around it within which weak ink is kept as it is (:func:`_without_thin_lines`). The outline is
    counted on the ink's bounding box and a pixel of paper round it: the same count as on the whole
    mask."""
    x, y, w, h = cv2.boundingRect(strong)
    inked = strong[max(0, y - 1) : y + h + 1, max(0, x - 1) : x + w + 1]
    area = cv2.countNonZero(inked)
    width = 2 * area / max(area - cv2.countNonZero(cv2.erode(inked, np.ones((3, 3), np.uint8))), 1)
    return width, 2 * max(MIN_WEAK_WIDTH, round(width)) + 1


def _without_thin_lines(weak: np.ndarray, strong: np.ndarray, width: float, reach: int) -> np.ndarray:
    """Weak ink without the lines much thinner than the pen's strokes (``width``: the fine printed
    pattern behind a cheque's amount) away from the strokes: near strong ink (within ``reach``,
    about two stroke widths), weak ink is kept as it is, thin tails included."""
    side = min(max(MIN_WEAK_WIDTH, round(WEAK_WIDTH_SHARE * width)), 2 * INK_BOX_MARGIN - 1)
    wide = cv2.morphologyEx(weak, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
    # (dilated only around the strong ink's bounding box: the same pixels, and several times
    # cheaper for writing that fills a small part of the page)
    x, y, w, h = cv2.boundingRect(strong)
    top, left = max(0, y - reach), max(0, x - reach)
    around = np.s_[top : y + h + reach, left : x + w + reach]
    near = cv2.dilate(strong[around], cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    wide[around] |= weak[around] & near
    return wide


def dark_ground(photo: np.ndarray) -> bool:
    """Whether most of a photo (working copy, grey or RGB), or most of its middle (DARK_MIDDLE), is
    dark (DARK_GROUND): writing on it may be lighter than its ground (chalk on a blackboard, a
    dark-mode screenshot)."""
    grey = _grey(photo)
    height, width = grey.shape
    top, left = round(height * (1 - DARK_MIDDLE) / 2), round(width * (1 - DARK_MIDDLE) / 2)
    middle = grey[top : height - top : 4, left : width - left : 4]
    return percentile(grey[::4, ::4], 50) < DARK_GROUND or percentile(middle, 50) < DARK_GROUND


def light_strokes(photo: np.ndarray) -> bool:
    """Whether the light parts of a photo (working copy, grey or RGB) that run off none of its
    sides are strokes (LIGHT_STROKE): light writing, or the paper in a dark pen's loops; not a note
    on a desk. (Light and dark are Otsu's split of the 4x smaller copy; a light desk or wall
    around a dark page or a blackboard runs off the photo.)"""
    small = _shrink(_grey(photo), BACKGROUND_DOWNSCALE)
    light = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    labels = cv2.connectedComponentsWithAlgorithm(light, 8, cv2.CV_32S, cv2.CCL_GRANA)[1]
    light[_border_labels(labels)[labels]] = 0
    return 0 < stroke_width(light) <= LIGHT_STROKE


def _grey(photo: np.ndarray) -> np.ndarray:
    return photo if photo.ndim == 2 else cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)


def find_ink(photo: np.ndarray, weak_bar: float = WEAK_DARKNESS) -> InkMap:
    """The ink mask of a photo (working copy, grey or RGB), with ruled lines and paper texture
    removed; ``weak_bar``: the bar for weak ink (a higher one parts strokes that a blur joined, and
    drops their lighter edges).

    A photo that is mostly "ink" (a dark or black page, noise, a picture) has no paper to write
    on: its mask is empty. Strokes too thick for the paper's window (a close-up of a digit) are
    looked for again with a window sized to them.
    """
    grey = _denoised(_grey(photo))
    found = _find_ink(grey, weak_bar=weak_bar)
    x, y, w, h = found.box  # (the outline is traced over the ink's box alone)
    width = stroke_width(found.mask[y : y + h, x : x + w])
    if width >= THICK_STROKE * BACKGROUND_DOWNSCALE * _paper_window(grey.shape):
        found = _find_ink(grey, width, weak_bar)
    return found


def _spread(values: np.ndarray) -> float:
    """Robust standard deviation (1.4826 x the median absolute deviation)."""
    return 1.4826 * float(np.median(np.abs(values - np.median(values))))


def grain(grey: np.ndarray) -> float:
    """The photo's pixel noise: the spread of the difference between vertically adjacent pixels
    (every 8th pair each way; 1.4826 x their median absolute difference, over sqrt 2), as a share of
    the median grey. Paper's grain, a printed pattern and blur change slowly from pixel to pixel;
    sensor noise does not. A photo of one row has none."""
    if grey.shape[0] < 2:
        return 0.0
    difference = cv2.absdiff(grey[:-1:8, ::8], grey[1::8, ::8])
    return 1.4826 * _median(difference) / np.sqrt(2.0) / max(_median(grey[::8, ::8]), 1.0)


def _median(values: np.ndarray) -> float:
    """The (lower) median of uint8 values (by their histogram: several times faster than np.median)."""
    return percentile(values, 50)


def _denoised(grey: np.ndarray) -> np.ndarray:
    """A noisy photo of paper (a dim room's photo, a cheap camera's) smoothed until its noise is
    that of an ordinary photo; any other photo as it is."""
    noise = grain(grey)
    if not NOISY_GRAIN < noise < NOISIEST_CAMERA:
        return grey
    sample = grey[::8, ::8].astype(np.float32)
    if _spread(sample) > PAPER_SPREAD * noise * max(float(np.median(sample)), 1.0):
        return grey
    sigma = min(MAX_DENOISE, DENOISE_SIGMA_PER_GRAIN * noise)
    return cv2.GaussianBlur(grey, (0, 0), sigma)


def _outside(mask: np.ndarray, surround: np.ndarray | None) -> np.ndarray:
    """``mask`` without the surround (the surface around the page), when there is one."""
    return mask if surround is None else cv2.subtract(mask, surround)  # (0/255 masks: "and not")


def _find_ink(grey: np.ndarray, pen_width: float = 0.0, weak_bar: float = WEAK_DARKNESS) -> InkMap:
    darkness, paper = darkness_and_paper(grey, pen_width)
    weak = _darker_than(darkness, weak_bar)
    small_weak = _shrink_mask(weak, LINE_SEARCH_SCALE)  # (for the surround and, unchanged, the lines)
    pieces = _WeakPieces.of(small_weak)
    surround = _surround(weak, pieces)
    # a lighter, grainy surface around a page lying in the photo: its blotches are not ink (looked
    # for only where weak ink reaches the photo's border, as a surface's blotches do)
    if pieces.border.any():
        halved = _shrink_mask(grey, page_halving(grey.shape))  # (8-bit halvings, as a mask's)
        surface = surface_around_page(halved, pieces.small, grey.shape)
        if surface is not None:
            surround = surface if surround is None else cv2.bitwise_or(surround, surface, dst=surround)
    if surround is not None:  # a photo of a page on a darker surface: no writing where no page is lit
        page_light = float(np.percentile(paper[::8, ::8], 95))
        cv2.bitwise_or(
            surround, cv2.compare(paper, DARK_SURFACE_SHARE * page_light, cv2.CMP_LT), dst=surround
        )
        weak = _outside(weak, surround)
        small_weak = _shrink_mask(weak, LINE_SEARCH_SCALE)
        pieces = _WeakPieces.of(small_weak)
    # the darkest ink is looked for away from the page's edges: a strip of dark table there is
    # darker than pencil
    apart = _edge_pieces(surround, pieces, weak.shape)
    bar = _strong_bar(darkness, apart, weak_bar)
    if bar < STRONG_DARKNESS:  # faint writing: smooth the paper's grain away, then look closer
        darkness = cv2.GaussianBlur(darkness, (0, 0), FAINT_SMOOTHING)
        bar = _strong_bar(darkness, apart, weak_bar)
        above_paper = min(weak_bar, NOISE_MARGIN * _texture(darkness, surround))
        weak_bar = max(FAINT_WEAK_SHARE * bar, above_paper)
        weak, small_weak = _outside(_darker_than(darkness, weak_bar), surround), None
    else:  # pen ink: what is dark enough at the edges is writing too (a digit the photo cuts)
        apart = surround
    strong = _outside(_darker_than(darkness, bar), apart)
    # (a share of the page, not of the photo; the lightest of every 8th pixel each way: about the
    # same answer as all pixels', 60x cheaper)
    page_area = weak.size - (0 if surround is None else cv2.countNonZero(surround))
    no_paper = percentile(grey[::8, ::8], 100 - LIGHTEST_SHARE) < DARKEST_PAPER
    if cv2.countNonZero(strong) > MAX_INK_FRACTION * page_area or no_paper:
        return InkMap(darkness=darkness, mask=np.zeros_like(weak))
    lines = _ruled_lines(weak, small_weak)
    ruling = 0.0
    grid, two_tone = False, _black_and_white(grey)
    if lines is not None and two_tone:
        ruling = _ruling_darkness(darkness, weak, lines)
        if ruling > bar:  # rulings as dark as the pen (see DARK_LINE_GAP)
            segments = _ruling_segments(weak, small_weak, DARK_LINE_GAP)
            lines, grid = _drawn_lines(segments, weak), _is_grid(segments)
    # From here on only the weak ink's bounding box holds ink: the rest of the work is done there,
    # with a margin wider than any window used below (the same mask, a fraction of the pixels).
    box = _ink_box(weak)
    mask = np.zeros_like(weak)
    mask[box] = _pen_strokes(
        weak[box], strong[box], darkness[box], None if lines is None else lines[box], bar, ruling, grid
    )
    if two_tone:
        mask[box] = _without_hairlines(mask[box])
    return InkMap(darkness=darkness, mask=mask)


def _ink_box(weak: np.ndarray) -> tuple[slice, slice]:
    """The bounding box of the weak ink, INK_BOX_MARGIN pixels wider each way (within the photo)."""
    x, y, width, height = cv2.boundingRect(weak)
    top, left = max(0, y - INK_BOX_MARGIN), max(0, x - INK_BOX_MARGIN)
    return np.s_[top : y + height + INK_BOX_MARGIN, left : x + width + INK_BOX_MARGIN]


def _pen_strokes(
    weak: np.ndarray,
    strong: np.ndarray,
    darkness: np.ndarray,
    lines: np.ndarray | None,
    bar: float,
    ruling: float = 0.0,
    grid: bool = False,
) -> np.ndarray:
    """The pen's strokes: the weak ink that touches strong ink, off the ruled ``lines`` (of
    darkness ``ruling``; a ``grid``'s: see PEN_ON_GRID); for pen ink without the thin lines of a
    printed pattern, for faint ink with the light pieces near strong ones too (FAINT_REACH) and its
    grainy breaks closed.

    Traced first in boxes round the clusters of strong ink alone (:func:`_writing_boxes`): where
    the strokes found in each keep half its margin clear of its edges inside the photo, they are
    the strokes a trace of the whole mask finds, to the pixel (every window used is narrower, and
    a piece running on past a box would come nearer); else the whole mask is traced. (The weak ink
    of about half the photos spans the page, the writing a part of it: traced so, the ink stage
    took 1.1-1.2 ms less of its 16-17 ms, benchmarks/latency.py.)"""
    dark_lines, ink = None, weak
    if lines is not None:  # on a ruled line, only the pen's strokes across it, darker than it, count
        off_lines = cv2.bitwise_not(lines)
        on_lines = cv2.bitwise_or(off_lines, _darker_than(darkness, max(bar, ruling) + LINE_CONTRAST))
        if ruling > bar:  # (as dark as the pen: see LINE_CONTRAST)
            dark_lines = lines
        kept = strong if dark_lines is None else cv2.bitwise_and(strong, on_lines)
        weak = cv2.bitwise_or(cv2.bitwise_and(weak, off_lines), kept)  # (strong ink is weak ink too)
        strong = cv2.bitwise_and(strong, on_lines)
    width, reach = _stroke_reach(strong)
    faint_reach = False
    if bar < STRONG_DARKNESS:
        x, y, w, h = cv2.boundingRect(strong)
        faint_reach = stroke_width(strong[y : y + h, x : x + w]) <= FAINT_REACH_PEN

    def traced(box: tuple[slice, slice]) -> np.ndarray:
        box_lines = None if dark_lines is None else dark_lines[box]
        pen = (width, reach, faint_reach)
        return _traced(weak[box], strong[box], box_lines, ink[box], bar, pen, width if grid else 0.0)

    margin = WRITING_MARGIN * (reach + ACROSS_LINE)
    guard = margin // 2
    boxes = _writing_boxes(strong, margin)
    mask = np.zeros_like(weak)
    for box in boxes or ():
        found = traced(box)
        if not _clear_of_edges(found, box, weak.shape, guard):
            return traced(np.s_[:, :])
        mask[box] = found
    return mask if boxes else traced(np.s_[:, :])


def _writing_boxes(strong: np.ndarray, margin: int) -> list[tuple[slice, slice]] | None:
    """Boxes round the clusters of strong ink, ``margin`` pixels wider each way, those that
    overlap made one (found on a copy LINE_SEARCH_SCALE times smaller); None when there are more
    than MAX_WRITING_BOXES clusters or the boxes cover the whole mask."""
    height, width = strong.shape[:2]
    scale = LINE_SEARCH_SCALE
    padded = cv2.copyMakeBorder(strong, 0, -height % scale, 0, -width % scale, cv2.BORDER_CONSTANT, value=0)
    small = _shrink_mask(padded, scale)  # (a block with any ink is above 0)
    step = max(1, margin // (2 * scale))  # (ink this near is one cluster)
    grown = cv2.dilate(small, np.ones((2 * step + 1, 2 * step + 1), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(grown, 8, cv2.CV_32S, cv2.CCL_GRANA)
    if not 1 < count <= MAX_WRITING_BOXES + 1:
        return None
    extra = margin - step * scale  # (the rest of the margin, past the cluster's own)
    rects = [
        [scale * y - extra, scale * x - extra, scale * (y + h) + extra, scale * (x + w) + extra]
        for x, y, w, h, _ in stats[1:]
    ]
    merged = True
    while merged:  # (boxes that overlap are one box)
        merged = False
        for i, j in itertools.combinations(range(len(rects)), 2):
            a, b = rects[i], rects[j]
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                rects[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                del rects[j]
                merged = True
                break
    boxes = [
        np.s_[max(0, top) : min(height, bottom), max(0, left) : min(width, right)]
        for top, left, bottom, right in rects
    ]
    area = sum((box[0].stop - box[0].start) * (box[1].stop - box[1].start) for box in boxes)
    return None if area >= height * width else boxes


def _clear_of_edges(found: np.ndarray, box: tuple[slice, slice], shape: tuple[int, ...], guard: int) -> bool:
    """Whether the ink ``found`` in ``box`` keeps ``guard`` pixels clear of its edges within ``shape``."""
    x, y, width, height = cv2.boundingRect(found)
    rows, columns = box
    return (
        (rows.start == 0 or y >= guard)
        and (columns.start == 0 or x >= guard)
        and (rows.stop == shape[0] or found.shape[0] - y - height >= guard)
        and (columns.stop == shape[1] or found.shape[1] - x - width >= guard)
    )


def _traced(
    weak: np.ndarray,
    strong: np.ndarray,
    dark_lines: np.ndarray | None,
    ink: np.ndarray,
    bar: float,
    pen: tuple[float, int, bool],
    grid_pen: float = 0.0,
) -> np.ndarray:
    """:func:`_pen_strokes` off the lines: pen ink or, below the strong bar, faint ink; ``ink``,
    the weak ink on ``dark_lines``; ``pen``: the strong ink's stroke width and reach (see
    :func:`_without_thin_lines`) over all the photo, and whether its faint pieces are kept within
    FAINT_REACH; ``grid_pen``: that width on a grid as dark as the pen (see PEN_ON_GRID), else 0."""
    width, reach, faint_reach = pen
    if bar >= STRONG_DARKNESS:  # (faint pencil strokes are grainy and thin: all of them count)
        wide = _without_thin_lines(weak, strong, width, reach)
        return _across_lines(_touching(wide, strong), dark_lines, ink, grid_pen)
    # faint, grainy strokes (pencil) break up: a light piece near a dark one (within FAINT_REACH) is
    # the same stroke; then the pieces are joined again
    if faint_reach:
        near = cv2.morphologyEx(
            weak, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, FAINT_REACH)
        )
        mask = cv2.bitwise_and(weak, _touching(near, strong))
    else:
        mask = _touching(weak, strong)
    mask = cv2.morphologyEx(
        mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, FAINT_CLOSING)
    )
    return _across_lines(mask, dark_lines, ink, grid_pen)


def _black_and_white(grey: np.ndarray) -> bool:
    """Whether a photo is a black-and-white page, as a scanner app makes one (see TWO_TONE_SHARE)."""
    sample = grey[::8, ::8]
    black = np.count_nonzero(sample <= TWO_TONE_LEVELS)
    white = np.count_nonzero(sample >= 255 - TWO_TONE_LEVELS)
    return (
        black + white >= TWO_TONE_SHARE * sample.size
        and white >= PAPER_WHITE * sample.size
        and black >= BLACK_INK * (sample.size - white)
    )


def _ruling_darkness(darkness: np.ndarray, weak: np.ndarray, lines: np.ndarray) -> float:
    """How dark the ruled lines are: the median darkness of the weak ink on them."""
    on_lines = cv2.bitwise_and(weak, lines)
    if not cv2.countNonZero(on_lines):
        return 0.0
    return float(np.median(darkness[on_lines > 0]))


def _across_lines(
    mask: np.ndarray, lines: np.ndarray | None, ink: np.ndarray, grid_pen: float = 0.0
) -> np.ndarray:
    """The pen's strokes with their ink on the ``lines`` (as dark as the pen: left out) put back
    where a stroke runs on at both sides of a line, up and down or left and right; on a grid, also
    where that ink is as thick as a stroke of the pen (``grid_pen`` wide: PEN_ON_GRID)."""
    if lines is None:
        return mask
    across = cv2.bitwise_or(
        cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((ACROSS_LINE, 1), np.uint8)),
        cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((1, ACROSS_LINE), np.uint8)),
    )
    on_lines = cv2.bitwise_and(ink, lines)
    kept = cv2.bitwise_and(across, on_lines)
    if grid_pen:
        side = max(HAIRLINE_CORE, round(PEN_ON_GRID * grid_pen))
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
        kept = cv2.bitwise_or(kept, cv2.morphologyEx(on_lines, cv2.MORPH_OPEN, disc))
    return cv2.bitwise_or(mask, kept)


def _without_hairlines(mask: np.ndarray) -> np.ndarray:
    """A black-and-white page's ink without its hairlines (see HAIRLINE_CORE): the pieces with no
    part HAIRLINE_CORE pixels thick, then those thinner than HAIRLINE_SHARE of the writing's stroke
    (twice a piece's area over its outline's length) or shorter than SPECK_SHARE of its pieces.
    (Leaving pieces out whole joins no others: one labelling serves every step.)"""
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        mask, 8, cv2.CV_32S, cv2.CCL_SPAGHETTI
    )
    core = cv2.erode(mask, np.ones((HAIRLINE_CORE, HAIRLINE_CORE), np.uint8))
    thick = np.zeros(count, bool)
    thick[labels[core > 0]] = True
    thick[0] = False
    outline = np.zeros(count, np.float64)
    kept = np.where(np.take(thick, labels), mask, 0).astype(np.uint8)
    for contour in cv2.findContours(kept, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)[0]:
        x, y = contour[0, 0]
        outline[labels[y, x]] += cv2.arcLength(contour, True)
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    sides = stats[:, [cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT]]
    size = sides.max(axis=1)
    not_big = thick & (size <= BIG_PIECE * max(mask.shape))  # (not the page's outline)
    writing = not_big & (sides.min(axis=1) >= WRITING_PIECE)
    if not writing.any():
        return kept
    pen = 2.0 * area[writing].sum() / max(outline[writing].sum(), 1.0)
    thin = 2.0 * area / np.maximum(outline, 1.0) < HAIRLINE_SHARE * pen
    # (and the specks left: a grid's crossings or dots, far smaller than the writing's pieces)
    candidates = not_big & ~thin
    if candidates.any():
        order = np.argsort(size[candidates], kind="stable")
        weight = np.cumsum(area[candidates][order])
        writing_size = size[candidates][order][np.searchsorted(weight, 0.5 * weight[-1])]
        thin |= size < SPECK_SHARE * writing_size
    if not np.any(thin & thick):
        return kept
    kept[np.take(thin, labels)] = 0
    return kept


def _touching(weak: np.ndarray, strong: np.ndarray) -> np.ndarray:
    """Hysteresis: the pieces of weak ink that touch strong ink (the light edges and light parts
    of a stroke; not the thin lines of a printed pattern that happen to cross it). Looked up at
    the ink's own pixels: on a page of sparse ink that is several times cheaper than a pass over
    every pixel of the label image."""
    count, labels = cv2.connectedComponentsWithAlgorithm(
        weak, 8, cv2.CV_32S, cv2.CCL_SPAGHETTI
    )  # (the fastest here)
    mask = np.zeros_like(weak)
    points = cv2.findNonZero(weak)
    if points is None:
        return mask
    points = points.reshape(-1, 2)  # (OpenCV 4 adds a middle axis)
    xs, ys = points[:, 0], points[:, 1]
    label = labels[ys, xs]
    keep = np.zeros(count, bool)
    keep[label[strong[ys, xs] > 0]] = True  # (strong ink is weak ink too)
    keep[0] = False
    kept = keep[label]
    mask[ys[kept], xs[kept]] = 255
    return mask
