"""Step 3 of reading a photo: segment the ink into lines of digit candidates.

Connected pieces of ink are measured against the typical digit height; a box or a ring drawn round
the number is set aside (so are its sides, where its flat parts came apart), specks and smudges
dropped, broken strokes of one digit (a 5 whose top bar is apart, a 4 in two strokes) merged,
separators (dashes, dots, plus signs, slashes) set aside, and the rest grouped into lines of
writing in reading order. Brackets are told apart in their lines: a "(" and ")" around a few
digits, or a bracket shape taller than the digits; so is the thin shadow of a page's edge at a
line's end.
A flat piece beside a digit's top is offered with it (``Piece.capped``: its top bar, perhaps), and
pieces too wide to be one digit are marked, so the reader can keep whichever reading the classifier
is surest of.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from recognizer.normalise import stroke_width

MIN_AREA = 12  # pixels: smaller ink is a speck
# A box or a ring drawn round a number (people mark the number on a page so) is no writing: ink at
# least ENCLOSURE_HEIGHT digit heights high and ENCLOSURE_WIDTH wide, within the photo (a cheque's
# printed lines, joined to a digit's tail, run off it), thin (its ink at most ENCLOSURE_INK of its
# box), round at least MIN_ENCLOSED pieces half a digit high or more, and half of those with their
# middles in its box: its ink above and below each of them (a big 9's tail sweeping under the
# zeros after it, on real cheques, lies below them only). Left in, its sides were read as 1s, a
# ring's halves as digits, and its flat sides, taken for rules, cut the digits they touched.
ENCLOSURE_HEIGHT = 1.3
# ... and at most ENCLOSURE_TALLEST high: a black-and-white page's ruled lines, all of a piece once
# levelled clear of the photo's edges, surround every digit too (a scanner app's page of seed 7).
ENCLOSURE_TALLEST = 4.5
ENCLOSURE_WIDTH = 2.0
ENCLOSURE_INK = 0.35
MIN_ENCLOSED = 2
ENCLOSURE_BAND = 2.5  # pen widths inside its outline: a mark's ink; a digit it touches keeps the rest
SEPARATOR_HEIGHT = 0.55  # a piece lower than this many digit heights is a dash, dot or plus ...
SMALL_DIGIT = 0.3  # ... unless it is at least this high and closes a loop: a small 0 (as in "30.000")
# A low piece at least SMALL_DIGIT high, at least LOW_DIGIT_STROKES pen strokes high and at most
# LOW_DIGIT_WIDEST times wider than high may be a small or flat digit (a squat 2): it is offered
# to the reader (``Piece.low``), which keeps it only when read surely. A dash is about one stroke
# high, a dot about two; a dash slanted enough to stand taller is far wider than high.
LOW_DIGIT_STROKES = 3.0
LOW_DIGIT_WIDEST = 2.0
LOOP_AREA = 0.06  # share of its box a loop must enclose (a pen's pinhole is not a loop)
BRACKET_LOOP_AREA = 0.02  # a bracket encloses no paper; a narrow 6 may enclose only a little
PAREN_BOW = 0.04  # how far, in heights, both ends of a parenthesis lie beside its middle
# A bracket stands about as tall as the digits it holds (the renderer's 1.1-1.24 digit heights): a
# stroke bowed like one and shorter than BRACKET_HEIGHT digit heights is no bracket beyond doubt,
# but perhaps a digit's stroke come apart (a 4's short arm beside its stem, 0.3 digit heights,
# kept from joining it: "3444772669" read "3144772669", synthetic photo 115 of seed 11)
BRACKET_HEIGHT = 0.7
# A bracket is one stroke: at most this share of its rows cross two strokes or more (a 4 whose
# stem stands tall beside its open side bows like a "(" too)
BRACKET_TWO_STROKES = 0.1
# A thin piece whose ends lie on average this far (in heights) to one side of its middle bows like
# a bracket; a slanted "(" has one end nearly above its middle, so alone that is not enough (a
# curved 1 bows as much): only a "(" and a ")" around a short group of digits are taken as brackets.
PAIR_BOW = 0.035
PAIR_END = 0.01  # ... with both ends at least this far to that side (a 4 or a flagged 1 has one
# end straight above or below its middle)
AREA_CODE_DIGITS = (1, 5)  # digits a pair of brackets holds
ASLANT_PART = 0.7  # see _broken_aslant: pieces shorter and narrower than this (digit heights) ...
ASLANT_GAP = 0.15  # ... at most this far apart each way, together at least ASLANT_PART tall
ASLANT_WIDTH = 0.35  # ... and this wide
# A digit's top bar that came apart (a 5's, a 7's): flat (this many times wider than high, at most
# CAP_HEIGHT digit heights high), its top level with a piece at least CAP_BODY high (within
# CAP_LEVEL), and at most CAP_GAP away from it; a dash sits halfway down the digits. (A 5's bar
# drawn rising to the right stands taller in its box: 0.36 digit heights in synthetic photo 216 of
# seed 7, its 5 read as a 7 when CAP_HEIGHT was 0.35; 0.42 read that photo, the validation-digit
# photos, seed 11, the 12 MP photos and the real cheques as before.)
CAP_FLATNESS = 0.8
CAP_HEIGHT = 0.42
CAP_BODY = 0.6
CAP_LEVEL = 0.15  # below the digit's top, or up to CAP_ABOVE above it
CAP_ABOVE = 0.45
CAP_WIDEST = 1.4  # digit heights: a 5 with a long bar is wide
CAP_GAP = 0.1
# A narrow piece (narrower than THIN_END_WIDTH of its height) ending a line of at least
# THIN_END_NEIGHBOURS other pieces, drawn with strokes thinner than THIN_END_STROKE of theirs, is
# the shadow along a page's edge, not a 1 (two such edges read as 1s in synthetic photos of
# validation digits: 0.53 and 0.62 of the writing's stroke width).
THIN_END_WIDTH = 0.5
THIN_END_NEIGHBOURS = 3
THIN_END_STROKE = 0.7
# What is left of a box round a number when its flat sides were taken for rules or, in pencil, came
# apart (see ENCLOSURE_HEIGHT): two pieces ending a line of at least THIN_END_NEIGHBOURS other
# pieces, each MARK_SIDE_HEIGHT times as tall as they are (their median) and reaching
# MARK_SIDE_REACH of its neighbour's height beyond it both above and below, one of them narrow (at
# most MARK_SIDE_WIDTH of its height wide), the other at most MARK_CORNER_WIDTH (with a corner of
# the box, or a stub of its flat side). (One such end alone is no proof: real cheques start and end
# with big digits, a 7 or a 9 reaching above and below its neighbours; 9 of 600 were lost so.)
MARK_SIDE_WIDTH = 0.35
MARK_CORNER_WIDTH = 0.7
MARK_SIDE_HEIGHT = 1.5
MARK_SIDE_REACH = 0.15
# A narrow piece (at most MARK_SIDE_WIDTH of its height wide) ending a line, at least
# RULED_SIDE_HEIGHT times as tall as the line's other pieces, with ink taken out as rules touching
# both its ends (within RULE_TOUCH digit heights) is a side of a box whose flat sides were taken
# for rules, alone: a digit stands on a line, it does not reach up to another.
RULED_SIDE_HEIGHT = 0.9
RULE_TOUCH = 0.1
# Such a side joined to the digit beside it ("2]", read "21"; "[7", read "17"): the piece's outer
# edge runs straight (within a pen width of a line) down at least SIDE_SPAN of its height, between
# rules (or it is a corner of a box whose sides end the line at both ends: "9]"). The side's ink,
# at most SIDE_WIDTH pen widths from that edge in each row, is set aside.
SIDE_SPAN = 0.85
SIDE_WIDTH = 1.5
STUB_HEIGHT = 0.25  # ... and the stubs of its flat sides left beside the digit (flat, this low)
CREASE_LENGTH = 40.0  # in stroke widths: ink across the photo longer than this is a fold in the paper
MAX_HEIGHT = 2.5  # in typical digit heights: taller ink is a line, an edge or a drawing
MAX_WIDTH = 6.0  # wider ink is a line or an edge (touching digits are cut into at most 5)
LINE_DRIFT = 0.6  # vertical step, in digit heights, from one digit to the next of the same line
LINE_GAP = 4.0  # widest horizontal gap, in digit heights, inside one line
NESTED = 0.8  # share of the narrower piece's width inside the other's columns: one digit
MAX_PIECES = 300  # more separate pieces of ink than this is not a phone number
WIDE_DIGIT = 1.25  # a piece wider than this many typical digit widths may be touching digits
BLOB_STROKE = 0.4  # a "stroke" wider than this fraction of the digit height is a blob
# Writing joined into one flat piece (digits written in one stroke, or all running into a line
# under them) is the writing, not a dash or rule, where the pieces that are not flat hold less than
# this share of the ink: beside it a cheque's printed hairlines or a tick made the digit height 12
# pixels, not 150, and every stroke of the digits longer than 18 a rule (3 of 600 cheques read as
# rows of 1s; the next lowest share among the cheques is 0.11, and those read right).
FLAT_WRITING = 0.05
# Bars: BAR_ROW pieces or more side by side, each at least BAR_NARROW times taller than wide, alike
# in height and level (within BAR_ALIKE of it) and at most a bar's height apart, are a barcode or
# hatching, not writing; set aside before the digits' height is measured (a barcode's bars, taller
# than the handwriting beside it, made the digits too low to be digits).
BAR_ROW = 12
BAR_NARROW = 4.0
BAR_ALIKE = 0.15
MAX_BARS = 400  # more narrow pieces than this are a texture (a grid's fragments): no bars looked for
# A line drawn by hand under the digits (an underline they touch) is one piece with them, and is
# neither level nor straight on a page held askew: the lowest ink of each piece wider than a rule
# is fitted with a parabola (the best of DRAWN_RULE_SAMPLES seeded tries through a point from each
# third of its columns, to within DRAWN_RULE_TOLERANCE digit heights) that holds DRAWN_RULE_SHARE
# of its columns, bows at most DRAWN_RULE_BOW of its width off its chord and slants at most
# DRAWN_RULE_SLANT. Straightened along it, the piece's runs as long as a rule must span
# DRAWN_RULE_SPAN of its width and FLAT_BOTTOM digit heights, or FLAT_BOTTOM times DRAWN_RULE_ABOVE
# the height of the ink above them where that is less (the digits' own height, where all of them
# run into the line and make the typical height the piece's); and at most DRAWN_RULE_BELOW of the
# piece's ink may hang below them. A line with no ink above it is all line, where DRAWN_RULE_ALONE
# digit heights long. Without these, real cheques' strokes were taken for lines (a 9's tail
# sweeping under the digits after it: "925" read "267128"; a flagged 1's long lead-in and its stem
# hanging from it, or broken off it: "1000" read "1101717" and "000"), and so were small zeros'
# joined flat bottoms ("12.000" read "120017"). A piece running off the photo is a printed line's,
# cut as the straight rule it is (cut along it instead, 2 real cheques were lost), and so is one
# taller than MAX_HEIGHT digit heights, a page's grid (cut as lines, its crossing uprights left
# whole: 15 fewer of 300 black-and-white pages read, 7 as rows of 1s). Where a digit's stroke
# crosses or meets the line, its ink is left to the digit. The line's rows, straightened, are the
# runs' rows and those next to them (within DRAWN_RULE_TOLERANCE) with ink in DRAWN_RULE_ROW of its
# columns, and a row either side: a hand's line wavers, and a straight run misses its wavering edges.
DRAWN_RULE_SAMPLES = 40
DRAWN_RULE_TOLERANCE = 0.08
DRAWN_RULE_SHARE = 0.5
DRAWN_RULE_BOW = 0.04
DRAWN_RULE_SLANT = 0.58  # tan 30 degrees
DRAWN_RULE_SPAN = 0.6
DRAWN_RULE_ABOVE = 2.0
DRAWN_RULE_BELOW = 0.25
DRAWN_RULE_ALONE = 4.0
DRAWN_RULE_ROW = 0.3
RULE_LENGTH = 1.5  # in digit heights: a straight horizontal run of ink this long is a rule, not a stroke
# ... unless it is shorter than FLAT_BOTTOM digit heights, runs off neither side of the photo, and
# cutting it out would open loops of the ink around it (patches of paper of at least LOOP_HOLE digit
# heights squared): the flat bottoms of small zeros joined in one stroke (real cheques' "2.5oo" and
# "6ooo" read "25" and "60", the zeros' loops cut open and set aside as dashes; 437 of 600 [436], one
# lost: a 9's loop run into the printed pattern's line, no longer cut from the 0 beside it).
FLAT_BOTTOM = 2.5
LOOP_HOLE = 0.01
# More such short runs than MAX_SHORT_RUNS are a texture's (a band of noise, a black-and-white
# page's broken grid: up to 44 and 531 of them), all cut out; a real cheque has at most 10.
MAX_SHORT_RUNS = 12
FLAT = 3.0  # ink this many times wider than high, and lower than a digit, is a rule or an edge
# A slash ("030/1234567") is a straight stroke leaning right, taller than the digits beside it and
# reaching below their baseline; a "1" is as tall as its neighbours (measured on rendered numbers,
# in typical digit heights: slashes 1.07-1.21 tall and 0.05-0.17 below the neighbours' bottoms;
# 95% of ones at most 1.05 tall and 0.04 below).
SLASH_HEIGHT = 1.05  # in typical digit heights
SLASH_DESCENT = 0.045  # below its neighbours' bottoms, in digit heights
# ... or, a line drawn as with a ruler, as tall as the digits and reaching SLASH_REACH digit
# heights from its neighbours' bottom line (its height plus its descent): its middle's row-by-row
# centres lie within SLASH_RULED of its height of one straight line (:func:`crookedness`; rendered
# slashes 0.002-0.008, MNIST's 1s 0.006-0.03, median 0.012: a 1 is a hand's stroke, a slash a quick
# straight one). Slashes 1.0-1.05 tall or dipping less were read as 1s: 20 of 237 in rendered
# numbers of validation digits (seed 21), 8 more of them found so and no more 1s taken for slashes.
# (Without "as tall": a real cheque's straight 1, 0.99 tall, beside a low comma that lifted the
# bottom line, was taken for a slash and "871" read as nothing.)
SLASH_REACH = 1.08
SLASH_RULED = 0.005
SLASH_LEAN = 8.0  # degrees from upright, top to the right
SLASH_STRAIGHT = 0.5  # spread of the ink across the stroke's axis / stroke width (a line: ~0.3)


@dataclass
class Piece:
    """One candidate digit: its box (x, y, w, h) in the segmented image and its ink mask."""

    box: tuple[int, int, int, int]
    mask: np.ndarray
    line: int = 0
    width_ratio: float = 1.0  # width / typical digit width of the writing
    bracket: int = 0  # +1: bows like "(", -1: like ")", 0: neither (see PAIR_BOW)
    # the same digit with a flat piece beside its top (a top bar the pen lifted from), if any
    capped: Piece | None = None
    certain_bracket: bool = False  # shaped like a bracket beyond doubt (see PAREN_BOW)
    low: bool = False  # lower than a digit, so perhaps a separator (see LOW_DIGIT_STROKES)

    @property
    def wide(self) -> bool:
        return self.width_ratio > WIDE_DIGIT

    @property
    def centre(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2, y + h / 2


@dataclass
class Segmentation:
    lines: list[list[Piece]] = field(default_factory=list)
    separators: list[tuple[int, int, int, int]] = field(default_factory=list)
    digit_height: float = 0.0
    # the pieces of ink that run off the photo (:func:`_inside_boxes`): each one's box and its
    # pixels there (a boolean crop, not the photo-sized labels: less memory kept per reading)
    off_photo: list[tuple[tuple[int, int, int, int], np.ndarray]] = field(default_factory=list)
    # the ink taken out as rules (:func:`_without_rules`; 0/255, the mask's shape), or None: where a
    # digit stands on an underline, the bottom of its loop went with it
    rules: np.ndarray | None = None

    def on_the_page(self, mask: np.ndarray) -> np.ndarray:
        """The segmented ``mask`` without the ink that runs off the photo (a page's or a table's
        edge, a fold): turned to level the writing, it would no longer lie along the photo's edges
        to be told from writing (a fold across a blank page was read again, 16 times over, as a piece
        the page's height)."""
        if not self.off_photo:
            return mask
        mask = mask.copy()
        for (x, y, w, h), pixels in self.off_photo:
            mask[y : y + h, x : x + w][pixels] = 0
        return mask


def union_box(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The smallest box (x, y, w, h) holding both boxes."""
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return x0, y0, x1 - x0, y1 - y0


def _label(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected pieces of ink: a label image and each label's (x, y, w, h, area); label 0 is paper
    (its row: the whole image).

    The statistics are gathered from the ink's pixels alone: OpenCV's own pass over every pixel
    costs twice as much as the labelling on a photo-sized mask of sparse ink. The labelling itself
    runs on the ink's bounding box, from an even row and column: Grana's algorithm numbers the
    pieces in the order of its 2x2 blocks, so the box's blocks are the photo's and the labels the
    same."""
    x, y, width, height = cv2.boundingRect(mask)
    x, y = x - x % 2, y - y % 2
    labels = np.zeros(mask.shape, np.int32)
    count, labels[y : y + height + 1, x : x + width + 1] = cv2.connectedComponentsWithAlgorithm(
        mask[y : y + height + 1, x : x + width + 1], 8, cv2.CV_32S, cv2.CCL_GRANA
    )
    stats = np.zeros((count, 5), np.int32)
    stats[0] = (0, 0, mask.shape[1], mask.shape[0], mask.size)
    if count == 1:
        return labels, stats
    points = cv2.findNonZero(mask).reshape(-1, 2)
    point_labels = labels[points[:, 1], points[:, 0]]
    order = np.argsort(point_labels, kind="stable")
    xs, ys = points[order, 0], points[order, 1]
    area = np.bincount(point_labels, minlength=count)[1:]
    starts = np.concatenate(([0], np.cumsum(area)[:-1]))
    left, top = np.minimum.reduceat(xs, starts), np.minimum.reduceat(ys, starts)
    right, bottom = np.maximum.reduceat(xs, starts), np.maximum.reduceat(ys, starts)
    stats[1:] = np.stack([left, top, right - left + 1, bottom - top + 1, area], axis=1)
    stats[0, 4] -= len(xs)
    return labels, stats


def _component_labels(stats: np.ndarray) -> np.ndarray:
    """The labels of the pieces that are not specks."""
    return np.flatnonzero(stats[1:, 4] >= MIN_AREA) + 1


def _components(stats: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """The pieces that are not specks: (x, y, w, h, area) each."""
    return [tuple(int(v) for v in stats[label]) for label in _component_labels(stats)]


def _own_ink(labels: np.ndarray, stats: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The ink of a piece's box that belongs to it: pieces of ink lying wholly inside the box,
    not the tips of neighbouring digits that reach into it."""
    x, y, w, h = box
    crop = labels[y : y + h, x : x + w]
    inside = (
        (stats[:, 0] >= x)
        & (stats[:, 1] >= y)
        & (stats[:, 0] + stats[:, 2] <= x + w)
        & (stats[:, 1] + stats[:, 3] <= y + h)
    )
    inside[0] = False
    return np.take(np.where(inside, 255, 0).astype(np.uint8), crop)  # (2-4x faster than inside[crop])


def _enclosures(labels: np.ndarray, stats: np.ndarray, height: float) -> list[int]:
    """The labels of the ink drawn round the writing: a box or a ring round a number (see
    ENCLOSURE_HEIGHT)."""
    pieces = _component_labels(stats)
    boxes = stats[pieces]
    rows, cols = labels.shape[:2]
    inside = (
        (boxes[:, 0] > 0)
        & (boxes[:, 1] > 0)
        & (boxes[:, 0] + boxes[:, 2] < cols)
        & (boxes[:, 1] + boxes[:, 3] < rows)
    )
    large = (
        inside
        & (boxes[:, 3] >= ENCLOSURE_HEIGHT * height)
        & (boxes[:, 3] <= ENCLOSURE_TALLEST * height)
        & (boxes[:, 2] >= ENCLOSURE_WIDTH * height)
        & (boxes[:, 4] <= ENCLOSURE_INK * boxes[:, 2] * boxes[:, 3])
    )
    digit_sized = boxes[:, 3] >= 0.5 * height
    centres = boxes[:, :2] + boxes[:, 2:4] / 2
    found = []
    for label, (x, y, w, h, _) in zip(pieces[large], boxes[large], strict=True):
        within = (
            digit_sized
            & (pieces != label)
            & (centres[:, 0] > x)
            & (centres[:, 0] < x + w)
            & (centres[:, 1] > y)
            & (centres[:, 1] < y + h)
        )
        if np.count_nonzero(within) < MIN_ENCLOSED:
            continue
        own = labels[y : y + h, x : x + w] == label
        surrounded = [_surrounds(own, box - (x, y, 0, 0, 0)) for box in boxes[within]]
        if sum(surrounded) >= max(MIN_ENCLOSED, len(surrounded) / 2):
            found.append(int(label))
    return found


def _surrounds(own: np.ndarray, box: np.ndarray) -> bool:
    """Whether ink (``own``, a piece's pixels in its box) lies both above and below the piece of
    box ``box`` (x, y, w, h, in the same pixels) in the column through its middle: a ring round it,
    not a big digit's tail under it."""
    x, y, w, h = (int(v) for v in box[:4])
    column = own[:, x + w // 2]
    return bool(column[: max(0, y)].any() and column[y + h :].any())


def _without_enclosures(
    mask: np.ndarray, labels: np.ndarray, stats: np.ndarray, rings: list[int]
) -> np.ndarray:
    """The mask without the pieces labelled ``rings``: their ink along their outline (a band
    ENCLOSURE_BAND pen widths wide inside their convex hull), so that a digit the ring touches
    keeps the rest of its ink."""
    mask = mask.copy()
    for label in rings:
        x, y, w, h = (int(v) for v in stats[label, :4])
        own = (labels[y : y + h, x : x + w] == label).view(np.uint8)
        band = max(3, round(ENCLOSURE_BAND * stroke_width(own * 255)))
        outline = np.zeros_like(own)
        cv2.polylines(outline, [cv2.convexHull(cv2.findNonZero(own))], True, 1, 2 * band)
        mask[y : y + h, x : x + w][(own & outline).astype(bool)] = 0
    return mask


def _inside_boxes(labels: np.ndarray, stats: np.ndarray) -> tuple[list, list[int], np.ndarray]:
    """The boxes of the pieces that are not specks, without ink that runs off the photo: long thin
    ink along its edge (a table's or the page's edge; not ink enclosing paper, such as a cheque's
    joined zeros cut by a tight scan) and ink running across it, edge to opposite
    edge, far longer than its strokes are wide (a fold in the paper; a digit reaching across a
    tight crop, a cheque's amount, is short for its strokes). Not writing, either of them: also
    returned, each box's pixels, and per label whether it is such ink."""
    rows, cols = labels.shape[:2]
    boxes, areas = [], []
    off_photo = np.zeros(len(stats), bool)
    for label in _component_labels(stats):
        x, y, w, h = (int(v) for v in stats[label, :4])
        inside = x > 0 and y > 0 and x + w < cols and y + h < rows
        if not (inside or 0.15 < w / h < 3.0 or closes_loop(_own_ink(labels, stats, (x, y, w, h)))):
            off_photo[label] = True
            continue
        if (y == 0 and h == rows) or (x == 0 and w == cols):
            width = stroke_width(_own_ink(labels, stats, (x, y, w, h)))
            if np.hypot(w, h) > CREASE_LENGTH * max(width, 1.0):
                off_photo[label] = True
                continue
        boxes.append((x, y, w, h))
        areas.append(int(stats[label, 4]))
    return boxes, areas, off_photo


def _pixels(labels: np.ndarray, stats: np.ndarray, label: int) -> tuple[tuple, np.ndarray]:
    """A labelled piece's box and, within it, which pixels are its own."""
    x, y, w, h = (int(v) for v in stats[label, :4])
    return (x, y, w, h), labels[y : y + h, x : x + w] == label


def _without_rules(
    mask: np.ndarray, labels: np.ndarray, stats: np.ndarray, height: float
) -> np.ndarray | None:
    """The mask without long straight horizontal rules (an underline, a printed line that the
    writing touches) or lines drawn by hand along the bottom of a wide piece, askew or bowed
    (:func:`_drawn_rule`), so that the digits they join come apart again; None when it has none."""
    length = int(RULE_LENGTH * height)
    if length < 8 or not (stats[1:, 2] > length).any():
        return None
    rules = runs_along_rows(mask, length)
    for label in np.flatnonzero(stats[1:, 2] > length) + 1:
        (x, y, w, h), own = _pixels(labels, stats, int(label))
        if x == 0 or x + w == mask.shape[1] or h > MAX_HEIGHT * height:
            continue  # (a printed line running off the photo, a form's or a cheque's; a page's grid)
        found = _drawn_rule(own, height, length)
        if found is not None:  # (in place of the straight runs found along it)
            drawn, along = found
            rules[y : y + h, x : x + w][own & along] = drawn[own & along]
    rules = _strokes_left_in(mask, rules, height)
    if not rules.any():
        return None
    return cv2.bitwise_and(mask, cv2.bitwise_not(cv2.dilate(rules, np.ones((3, 1), np.uint8))))


def runs_along_rows(mask: np.ndarray, length: int, past_edges: bool = True) -> np.ndarray:
    """The ink of a 0/255 ``mask`` in horizontal runs at least ``length`` pixels long: ``mask`` opened
    by a row of ``length`` pixels, as ``cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)`` opens it, to
    the pixel; with ``past_edges`` False, a run cut by the mask's side counts only its pixels inside
    (``borderValue=0``). OpenCV's opening takes time in proportion to ``length`` (on a 1280x960
    mask 1.9 ms for 90 pixels, 19 ms for 1,000: a dark page read as taken, its "digits" blotches a
    third of the photo high, took 0.46 s of its 1.4 s there); this one about twice log2 ``length``
    passes (0.8 and 2.0 ms)."""
    lead = length // 2  # (OpenCV's anchor, for the erosion and the dilation alike)
    shrunk = _run_extreme(mask, length, lead, 255 if past_edges else 0, cv2.min)
    return _run_extreme(shrunk, length, lead, 0, cv2.max)


def _run_extreme(
    image: np.ndarray, length: int, lead: int, outside: int, extreme: Callable[..., np.ndarray]
) -> np.ndarray:
    """Each pixel of an 8-bit ``image`` replaced by the ``extreme`` (cv2.min or cv2.max) of the
    ``length`` pixels of its row from ``lead`` pixels to its left, those past the image's sides
    ``outside``: by doubling, each pass the extreme of two spans half as long."""
    rows, columns = image.shape[:2]
    padded = np.full((rows, columns + length - 1), outside, np.uint8)
    padded[:, lead : lead + columns] = image
    span = 1  # (each pixel of padded holds the extreme of the span from it rightwards)
    while 2 * span <= length:
        padded = extreme(padded[:, :-span], padded[:, span:])
        span *= 2
    # (two spans of span pixels, overlapping, cover the length)
    return extreme(padded[:, :columns], padded[:, length - span : length - span + columns])


def _drawn_rule(own: np.ndarray, height: float, length: int) -> tuple[np.ndarray, np.ndarray] | None:
    """A line drawn by hand along the bottom of a wide piece (``own``, its pixels), such as an
    underline the digits touch, askew or bowed (see DRAWN_RULE_SAMPLES): its ink (0/255 in
    ``own``'s shape, but where :func:`_crossed` leaves it to the digits) and where it runs (its rows
    and DRAWN_RULE_TOLERANCE digit heights either side); None when the piece has no such line."""
    path = _lowest_path(own, height)
    if path is None:
        return None
    level, drop = _straightened(own, path)
    runs = runs_along_rows(level, length, past_edges=False)
    reach = max(2.0, DRAWN_RULE_TOLERANCE * height)
    runs[: max(0, int(path.max() - 2 * reach))] = 0  # (runs along the curve only, not above it)
    spanned = np.flatnonzero(runs.any(axis=0))
    if spanned.size < DRAWN_RULE_SPAN * own.shape[1]:
        return None
    above = _height_above(level, runs, reach)
    if not above:  # (a line alone, all of it: no wavering edge of it left behind)
        return (
            (np.where(own, 255, 0).astype(np.uint8), own.copy())
            if spanned.size >= DRAWN_RULE_ALONE * height
            else None
        )
    if spanned.size < FLAT_BOTTOM * min(height, DRAWN_RULE_ABOVE * above):
        return None
    top, bottom = _line_rows(level, runs, spanned, int(reach))
    if np.count_nonzero(level[bottom + int(reach) :]) > DRAWN_RULE_BELOW * np.count_nonzero(level):
        return None  # (the piece hangs from it: a flagged 1's lead-in and its stem)
    span, rows = slice(spanned[0], spanned[-1] + 1), slice(max(0, top - 1), bottom + 1)
    line, area = np.zeros_like(level), np.zeros_like(level)
    line[rows, span] = level[rows, span]
    line[:, _crossed(level, rows, span, int(reach))] = 0
    area[max(0, top - int(reach)) : bottom + int(reach), span] = 255
    back = np.arange(own.shape[0])[:, None] + drop[None, :], np.arange(own.shape[1])[None, :]
    return line[back], area[back] > 0


def _straightened(own: np.ndarray, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``own`` (0/255) with each column moved down so that ``path`` runs level along its lowest
    row, and how far each column moved."""
    rows, cols = own.shape
    drop = np.round(path.max() - path).astype(np.intp)
    lower = int(drop.max())
    padded = np.zeros((rows + 2 * lower, cols), np.uint8)
    padded[lower : lower + rows] = own.astype(np.uint8) * 255
    return padded[np.arange(rows + lower)[:, None] + lower - drop[None, :], np.arange(cols)[None, :]], drop


def _line_rows(level: np.ndarray, runs: np.ndarray, spanned: np.ndarray, reach: int) -> tuple[int, int]:
    """The rows (top, bottom, exclusive) of a straightened line: its runs' rows, and those next to
    them, up to ``reach`` further, with ink in DRAWN_RULE_ROW of its columns (``spanned``)."""
    inked = np.count_nonzero(level[:, spanned[0] : spanned[-1] + 1], axis=1) >= DRAWN_RULE_ROW * spanned.size
    run_rows = np.flatnonzero(runs.any(axis=1))
    top, bottom = int(run_rows[0]), int(run_rows[-1]) + 1
    highest, lowest = max(0, top - reach), min(len(inked), bottom + reach)
    while top > highest and inked[top - 1]:
        top -= 1
    while bottom < lowest and inked[bottom]:
        bottom += 1
    return top, bottom


def _crossed(level: np.ndarray, rows: slice, span: slice, reach: int) -> np.ndarray:
    """Which columns of ``level`` a stroke crosses or meets a straightened line in (its ``rows``,
    along ``span``), and are left to the digit: where the line's ink runs on into ink just above or
    below it (a column or one aside), widened by a column each way, and any stretch of the line
    between two such shorter than ``reach`` columns (the line's bits beside a stroke, not the
    line)."""
    ink = level > 0
    crossed = np.zeros(level.shape[1], bool)
    inside = ink[rows].any(axis=0)
    for edge, beyond in ((rows.start, rows.start - 1), (rows.stop - 1, rows.stop)):
        if 0 <= beyond < len(ink):
            near = cv2.dilate(ink[beyond].astype(np.uint8)[None], np.ones((1, 3), np.uint8))[0] > 0
            crossed |= ink[edge] & near & inside
    crossed = cv2.dilate(crossed.astype(np.uint8)[None], np.ones((1, 3), np.uint8))[0] > 0
    crossed[: span.start] = crossed[span.stop :] = True
    edges = np.flatnonzero(np.diff(np.concatenate(([1], crossed.view(np.int8), [1]))))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):  # (stretches of line)
        if stop - start < reach:
            crossed[start:stop] = True
    return crossed


def _height_above(level: np.ndarray, runs: np.ndarray, reach: float) -> float:
    """How high the ink stands above a straightened line (``runs``, in ``level``'s rows): nearly the
    most (the 95th percentile), over the columns with ink more than twice ``reach`` above the line
    (not its own wavering edge, nor a speck on it), of its height there; 0 where there is none."""
    line_top = int(np.flatnonzero(runs.any(axis=1))[0])
    if line_top == 0:
        return 0.0
    above = level[:line_top] > 0
    heights = line_top - np.argmax(above, axis=0)
    heights = heights[above.any(axis=0) & (heights > 2 * reach)]
    return float(np.percentile(heights, 95)) if heights.size else 0.0


def _lowest_path(own: np.ndarray, height: float) -> np.ndarray | None:
    """The row of a gentle curve (a parabola) through the lowest ink of most of ``own``'s columns,
    for each column; None when no such curve holds DRAWN_RULE_SHARE of them, or the best bows
    more than DRAWN_RULE_BOW or slants more than DRAWN_RULE_SLANT."""
    cols = np.flatnonzero(own.any(axis=0))
    if len(cols) < 9:
        return None
    lowest = (own.shape[0] - 1 - np.argmax(own[::-1, cols] > 0, axis=0)).astype(np.float64)
    tolerance = max(2.0, DRAWN_RULE_TOLERANCE * height)
    thirds = np.array_split(np.arange(len(cols)), 3)
    # (parabolas through a point from each third of the columns, drawn at random but seeded: the
    # one that most columns' lowest ink lies on, refitted to those)
    rng = np.random.default_rng(0)
    picks = np.stack([rng.choice(third, DRAWN_RULE_SAMPLES) for third in thirds], axis=1)
    x = cols[picks].astype(np.float64)
    through = np.linalg.solve(np.stack([x**2, x, np.ones_like(x)], axis=2), lowest[picks][..., None])[..., 0]
    fitted = through[:, :1] * cols**2 + through[:, 1:2] * cols + through[:, 2:]
    on_it = np.abs(fitted - lowest) <= tolerance
    best = int(np.argmax(on_it.sum(axis=1)))
    inliers = on_it[best]
    if inliers.sum() < DRAWN_RULE_SHARE * len(cols):
        return None
    best = np.polyfit(cols[inliers], lowest[inliers], 2)
    width = own.shape[1]
    if abs(best[0]) * width**2 / 4 > DRAWN_RULE_BOW * width:  # (its middle this far off its chord)
        return None
    path = np.polyval(best, np.arange(width))
    if abs(path[-1] - path[0]) > DRAWN_RULE_SLANT * width:
        return None
    return path


def _strokes_left_in(mask: np.ndarray, rules: np.ndarray, height: float) -> np.ndarray:
    """``rules`` (a 0/255 mask of the straight runs found) without those that are strokes: shorter
    than FLAT_BOTTOM digit heights, running off neither side of the photo, and closing loops
    (LOOP_HOLE) of the ink within a digit height of them that cutting them out would open; none
    where more than MAX_SHORT_RUNS runs are that short and inside. (Each run's outline, not its
    labels: labelling the photo-sized mask cost 3-5 ms a look.)"""
    contours, _ = cv2.findContours(rules, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = [cv2.boundingRect(contour) for contour in contours]
    short = [
        index
        for index, (x, _, w, _) in enumerate(boxes)
        if w <= FLAT_BOTTOM * height and x > 0 and x + w < mask.shape[1]
    ]
    if len(short) > MAX_SHORT_RUNS:
        return rules
    reach = int(height)
    for contour, (x, y, w, h) in ((contours[index], boxes[index]) for index in short):
        top, left = max(0, y - reach), max(0, x - 2)
        around = mask[top : y + h + reach, left : x + w + 2]
        loops = _loops(around, height)
        if not loops:
            continue
        run = np.zeros_like(around)
        cv2.drawContours(run, [contour], -1, 255, cv2.FILLED, offset=(-left, -top))
        without = cv2.bitwise_and(around, cv2.bitwise_not(cv2.dilate(run, np.ones((3, 1), np.uint8))))
        if _loops(without, height) < loops:
            cv2.drawContours(rules, [contour], -1, 0, cv2.FILLED)
    return rules


def _loops(mask: np.ndarray, height: float) -> int:
    """How many patches of paper of at least LOOP_HOLE digit heights squared the ink encloses."""
    return sum(area >= LOOP_HOLE * height**2 for *_, area in piece_holes(mask))


def piece_holes(mask: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """The patches of paper a piece of ink encloses: (x, y, w, h, area). The large ones are loops
    (a 0's, 6's, 8's or 9's); the reader cuts no digit through one."""
    labels, stats = cv2.connectedComponentsWithStats(paper_framed(mask), connectivity=4)[1:3]
    outside = labels[0, 0]
    return [
        (int(x) - 1, int(y) - 1, int(w), int(h), int(area))  # (without the padding)
        for label, (x, y, w, h, area) in enumerate(stats)
        if label not in (0, outside)
    ]


def _bar_rows(boxes: list[tuple[int, int, int, int]]) -> set[tuple[int, int, int, int]]:
    """The boxes of bars in rows (see BAR_ROW): narrow pieces, taken left to right, each added to
    the first row whose last bar it is alike (a handwritten 1 beside a barcode starts a row of its
    own); then, within a row's columns, the pieces as tall and as high up as its bars, however
    wide (bars that touch). More than MAX_BARS narrow pieces are a texture, not looked at."""
    narrow = sorted((box for box in boxes if box[3] >= BAR_NARROW * box[2]), key=lambda box: box[0])
    if len(narrow) > MAX_BARS:
        return set()
    rows: list[list[tuple[int, int, int, int]]] = []
    open_rows: list[list[tuple[int, int, int, int]]] = []  # (those a bar further right may still join)
    for box in narrow:
        open_rows = [
            row for row in open_rows if box[0] - (row[-1][0] + row[-1][2]) <= row[-1][3] / (1 - BAR_ALIKE)
        ]
        row = next((row for row in open_rows if _alike_bars(row[-1], box)), None)
        if row is None:
            row = []
            rows.append(row)
            open_rows.append(row)
        row.append(box)
    bars: set[tuple[int, int, int, int]] = set()
    for row in (row for row in rows if len(row) >= BAR_ROW):
        left, right = row[0][0], max(x + w for x, _, w, _ in row)
        bar = row[len(row) // 2]
        bars.update(box for box in boxes if left <= box[0] < right and _alike_bars(bar, box, apart=False))
        bars.update(row)
    return bars


def _alike_bars(
    left: tuple[int, int, int, int], right: tuple[int, int, int, int], apart: bool = True
) -> bool:
    """Two pieces as tall and as high up as each other (within BAR_ALIKE), and with ``apart``, the
    second at most a bar's height to the right of the first."""
    tall = max(left[3], right[3])
    return (
        abs(left[3] - right[3]) <= BAR_ALIKE * tall
        and abs(left[1] - right[1]) <= BAR_ALIKE * tall
        and (not apart or right[0] - (left[0] + left[2]) <= tall)
    )


def upper_quartile(values: list[float]) -> float:
    """The 75th percentile of sorted ``values``, interpolated as numpy's default does (numpy's
    call costs 40 microseconds a short list, a millisecond a photo)."""
    position = 0.75 * (len(values) - 1)
    low = int(position)
    below, above = values[low], values[min(low + 1, len(values) - 1)]
    fraction = position - low
    return float(
        below + (above - below) * fraction if fraction < 0.5 else above - (above - below) * (1 - fraction)
    )


def typical_height(boxes: list[tuple[int, int, int, int]], areas: list[int] | None = None) -> float:
    """The height of a digit here: the upper median of the pieces' heights (robust to specks),
    leaving out flat pieces (dashes, rules, a printed pattern's strokes) unless nothing else is.
    With ``areas`` (each piece's pixels): where the pieces that are not flat hold less than
    FLAT_WRITING of the ink, the writing is flat, and its height is the ink's: the median height of
    the pieces weighted by their pixels."""
    flat = [box[2] > FLAT * box[3] for box in boxes]
    upright = [box for box, is_flat in zip(boxes, flat, strict=True) if not is_flat]
    if areas is not None and upright:
        upright_ink = sum(area for area, is_flat in zip(areas, flat, strict=True) if not is_flat)
        if upright_ink < FLAT_WRITING * sum(areas):
            return _ink_weighted_median([box[3] for box in boxes], areas)
    heights = sorted(h for _, _, _, h in upright or boxes)
    return upper_quartile(heights) if heights else 0.0


def _ink_weighted_median(heights: list[int], areas: list[int]) -> float:
    """The height of the piece that holds the middle pixel of all the pieces' ink, their pixels
    taken in order of their pieces' heights."""
    order = np.argsort(heights, kind="stable")
    cumulative = np.cumsum(np.asarray(areas, float)[order])
    return float(np.asarray(heights)[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def _merge_broken(boxes: list[tuple[int, int, int, int]], height: float) -> list[tuple[int, int, int, int]]:
    """Merge pieces that sit above one another, or one within the other's columns, and together
    are no taller or wider than a digit; then the pieces of a stroke broken aslant
    (:func:`_broken_aslant`), once the others are whole (a loop's fragments join their loop
    first)."""
    return _merged(_merged(boxes, height, _one_above_or_within), height, _broken_aslant)


def _one_above_or_within(
    other: tuple[int, int, int, int], box: tuple[int, int, int, int], height: float
) -> bool:
    """One piece above the other, or one mostly within the other's columns (a stroke that broke
    off inside its digit)."""
    overlap = min(other[0] + other[2], box[0] + box[2]) - max(other[0], box[0])
    stacked = min(other[1] + other[3], box[1] + box[3]) - max(other[1], box[1])
    one_digit = stacked < 0.3 * min(other[3], box[3]) or overlap > NESTED * min(other[2], box[2])
    return overlap > 0.5 * min(other[2], box[2]) and one_digit


def _merged(boxes: list[tuple[int, int, int, int]], height: float, belong) -> list[tuple[int, int, int, int]]:
    """``boxes`` with every two near neighbours that ``belong`` together, and together are no
    taller or wider than a digit, merged, until none are left."""
    boxes = sorted(boxes)
    merged_any = True
    while merged_any:
        merged_any = False
        result: list[tuple[int, int, int, int]] = []
        for box in boxes:
            for index in range(len(result) - 1, max(-1, len(result) - 4), -1):
                other = result[index]
                union = union_box(other, box)
                if belong(other, box, height) and union[3] <= 1.3 * height and union[2] <= 1.2 * height:
                    result[index] = union
                    merged_any = True
                    break
            else:
                result.append(box)
        boxes = sorted(result)
    return boxes


def _broken_aslant(a: tuple[int, int, int, int], b: tuple[int, int, int, int], height: float) -> bool:
    """Two pieces, neither as tall nor as wide as a digit, one diagonally below the other and at
    most ASLANT_GAP digit heights apart each way, that together stand as tall as a digit and
    ASLANT_WIDTH wide: a slanted stroke broken where it turns (the stem of a 6 come apart from
    its loop)."""
    upper, lower = (a, b) if a[1] <= b[1] else (b, a)
    down = lower[1] - (upper[1] + upper[3])
    across = max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2])
    union = union_box(a, b)
    return (
        max(a[3], b[3]) < ASLANT_PART * height
        and max(a[2], b[2]) < ASLANT_PART * height  # (a long dash after a dot is no digit)
        and -1 <= down <= ASLANT_GAP * height
        and across <= ASLANT_GAP * height
        and union[3] >= ASLANT_PART * height
        and union[2] >= ASLANT_WIDTH * height  # (not the thin fragments of one side of a loop)
    )


def _flat_enough_for_a_bar(box: tuple[int, int, int, int], height: float) -> bool:
    return box[2] >= CAP_FLATNESS * box[3] and box[3] <= CAP_HEIGHT * height


def _caps(bar: tuple[int, int, int, int], body: tuple[int, int, int, int], height: float) -> float | None:
    """How far (in pixels) a flat piece lies beside the top of a taller one, when it could be
    that digit's top bar come apart (a 5's or a 7's); None when it cannot."""
    flat = _flat_enough_for_a_bar(bar, height)
    tall = body[3] >= CAP_BODY * height
    level = -CAP_ABOVE * height <= bar[1] - body[1] <= CAP_LEVEL * height
    gap = max(bar[0], body[0]) - min(bar[0] + bar[2], body[0] + body[2])
    union = union_box(bar, body)
    fits = union[2] <= CAP_WIDEST * height and union[3] <= 1.3 * height
    return float(gap) if flat and tall and level and gap <= CAP_GAP * height and fits else None


def _capped_bodies(boxes: list[tuple[int, int, int, int]], height: float) -> dict:
    """Each flat piece level with the top of a digit beside it, paired with the nearest such
    digit: {digit box: its box with the flat piece}. It may be the top bar of a 5 or a 7 that
    the pen lifted from; the reader keeps whichever reads better."""
    capped: dict = {}
    for bar in (box for box in boxes if _flat_enough_for_a_bar(box, height)):  # (the rest need no pairing)
        gaps = [
            (gap, body) for body in boxes if body != bar and (gap := _caps(bar, body, height)) is not None
        ]
        if gaps:
            _, body = min(gaps)
            capped[body] = union_box(bar, capped.get(body, body))
    return capped


def _is_cross(mask: np.ndarray) -> bool:
    """A plus sign: ink through the middle, none in the four corners."""
    h, w = mask.shape
    ch, cw = max(1, int(0.3 * h)), max(1, int(0.3 * w))
    corners = [mask[:ch, :cw], mask[:ch, -cw:], mask[-ch:, :cw], mask[-ch:, -cw:]]
    total = max(1, np.count_nonzero(mask))
    return sum(np.count_nonzero(corner) for corner in corners) < 0.04 * total


def paper_framed(mask: np.ndarray) -> np.ndarray:
    """1 where a 0/255 ink mask has paper, in a frame of paper one pixel wide (so that the paper
    around the ink is one region, its loops others): for labelling the paper a piece encloses."""
    if mask.size == 0:
        return np.ones((mask.shape[0] + 2, mask.shape[1] + 2), np.uint8)
    # (OpenCV's frame: numpy's np.pad costs 3-4 times as much)
    return cv2.copyMakeBorder((mask == 0).view(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1)


def closes_loop(mask: np.ndarray, share: float = LOOP_AREA) -> bool:
    """Whether the ink encloses paper (at least ``share`` of its box, or of a square as high when
    the box is wider: small zeros joined in one stroke, "000", each enclose a small share of theirs),
    like a 0, 6, 8 or 9 (no dash, dot, plus or bracket does)."""
    count, labels = cv2.connectedComponents(paper_framed(mask), connectivity=4)
    outside = labels[0, 0]
    enclosed = np.count_nonzero((labels > 0) & (labels != outside))
    height, width = mask.shape
    return count > 2 and enclosed >= share * height * min(width, height)


def _ends_beside_middle(mask: np.ndarray) -> tuple[float, float]:
    """How far right of the middle third's ink its top and bottom thirds' ink lie, in heights."""
    h, w = mask.shape
    centres = []
    for part in np.array_split(np.arange(h), 3):
        _, xs = np.nonzero(mask[part[0] : part[-1] + 1])
        centres.append(xs.mean() if len(xs) else w / 2)
    return (centres[0] - centres[1]) / h, (centres[2] - centres[1]) / h


def _is_thin(box: tuple[int, int, int, int]) -> bool:
    """Thin and tall: a 1, a slash or a bracket."""
    return box[2] < 0.45 * box[3]


def _bracket_shape(mask: np.ndarray, box: tuple[int, int, int, int], height: float) -> tuple[int, bool]:
    """How a piece bows: +1 like "(", -1 like ")", 0 neither (see PAIR_BOW); and whether it is
    shaped like a bracket beyond doubt: as tall as a bracket beside digits of ``height``
    (BRACKET_HEIGHT), both ends leaning the same way from the middle (a slanted 1 or / has them
    opposite), by PAREN_BOW, and closing no loop (a narrow 6 or 9 does)."""
    if not _is_thin(box):
        return 0, False
    top, bottom = _ends_beside_middle(mask)
    side = int(np.sign(top + bottom))
    bows = abs(top + bottom) / 2 > PAIR_BOW and min(side * top, side * bottom) > PAIR_END
    certain = top * bottom > 0 and min(abs(top), abs(bottom)) > PAREN_BOW
    certain = certain and box[3] >= BRACKET_HEIGHT * height
    certain = certain and _share_of_rows_crossing_strokes(mask) <= BRACKET_TWO_STROKES
    return (side if bows else 0), certain and not closes_loop(mask, BRACKET_LOOP_AREA)


def _share_of_rows_crossing_strokes(mask: np.ndarray) -> float:
    """The share of a piece's rows in which there are two runs of ink or more."""
    ink = (mask > 0).astype(np.int8)
    starts = np.count_nonzero(np.diff(ink, axis=1, prepend=0) == 1, axis=1)
    return float(np.mean(starts >= 2)) if len(starts) else 0.0


def _is_separator(mask: np.ndarray, box: tuple[int, int, int, int], height: float) -> bool:
    """Dashes, dots, plus signs (low pieces, unless a small loop), underlines and the edges of the
    paper (flat pieces) are separators. (Brackets are told apart later, in their lines.)"""
    _, _, w, h = box
    if SMALL_DIGIT * height <= h < 0.8 * height and closes_loop(mask):
        return False  # small zeros ("30.000"), often joined in one stroke
    if w > FLAT * h and h < 0.8 * height:
        return True
    if h < SEPARATOR_HEIGHT * height:
        return True
    return _plus_sized(box, height) and _is_cross(mask)


def _plus_sized(box: tuple[int, int, int, int], height: float) -> bool:
    """Lower than a digit and about as wide as high, as a plus sign is."""
    _, _, w, h = box
    return h < 0.8 * height and 0.6 < w / h < 1.6


def _may_be_low_digit(mask: np.ndarray, box: tuple[int, int, int, int], height: float) -> bool:
    """Whether a piece taken for a separator because it is low may be a small or flat digit
    instead: tall enough for a digit's strokes, not flat like a dash, not a plus sign."""
    _, _, w, h = box
    return (
        SMALL_DIGIT * height <= h < SEPARATOR_HEIGHT * height
        and w <= LOW_DIGIT_WIDEST * h
        and h >= LOW_DIGIT_STROKES * stroke_width(mask)
        and not _is_cross(mask)
    )


def _set_aside_brackets(lines: list[list[Piece]], height: float) -> tuple[list[list[Piece]], list]:
    """Move brackets out of their lines: a "(" and a ")" around a short group of digits, and a
    piece shaped like a bracket beyond doubt standing taller than the digits (a narrow 6 or a
    curved 1 can have a bracket's shape, seldom also its place)."""
    kept, brackets = [], []
    low, high = AREA_CODE_DIGITS
    for line in lines:
        out: set[int] = set()
        for i, opening in enumerate(line):
            if opening.bracket <= 0 or i in out:
                continue
            for j in range(i + 1, len(line)):
                if line[j].bracket:
                    if line[j].bracket < 0 and low <= j - i - 1 <= high:
                        out |= {i, _closing_bracket(line, i, j)}
                    break
        # (alone at a line's end, a bracket's shape is no proof: a 1 that bows like a "(" starts
        # many a number; taken for a bracket there, 5 of 600 real cheque amounts lost a digit;
        # nor does a bracket face away from all the digits: a ")" first or a "(" last in a line)
        for i, piece in enumerate(line):
            facing_away = (i == 0 and piece.bracket < 0) or (i == len(line) - 1 and piece.bracket > 0)
            if piece.certain_bracket and piece.box[3] >= SLASH_HEIGHT * height and not facing_away:
                out.add(i)
        brackets += [line[i].box for i in sorted(out)]
        rest = [piece for i, piece in enumerate(line) if i not in out]
        if rest:
            kept.append(rest)
    return kept, brackets


def _closing_bracket(line: list[Piece], opening: int, first: int) -> int:
    """The piece that closes the "(" at index ``opening`` of ``line``: ``first``, the first
    piece after it that bows like a ")", unless that is no certain bracket and a certain ")"
    follows while the pair still holds at most AREA_CODE_DIGITS[1] digits (a 1 can bow like a
    ")": the 1 of "(416)")."""
    if line[first].certain_bracket:
        return first
    for later in range(first + 1, min(len(line), opening + AREA_CODE_DIGITS[1] + 2)):
        if line[later].certain_bracket and line[later].bracket < 0:
            return later
    return first


def _is_slash(piece: Piece, neighbours: list[Piece], height: float) -> bool:
    """A straight stroke leaning right, taller than the digits and dipping below its neighbours;
    or ruler-straight (SLASH_RULED), as tall as the digits and reaching SLASH_REACH digit heights
    from its neighbours' bottom line."""
    _, y, w, h = piece.box
    baseline = float(np.mean([p.box[1] + p.box[3] for p in neighbours]))
    descent = y + h - baseline
    if w > 0.7 * h or h + descent < SLASH_REACH * height:
        return False
    tall = h >= SLASH_HEIGHT * height and descent >= SLASH_DESCENT * height
    ruled = h >= height and crookedness(piece.mask) < SLASH_RULED
    if not (tall or ruled):
        return False
    axis = stroke_axis(piece.mask)
    if axis is None:
        return False
    lean, across = axis
    return lean > SLASH_LEAN and across < SLASH_STRAIGHT * stroke_width(piece.mask)


def crookedness(mask: np.ndarray) -> float:
    """How far a stroke's row-by-row centres stray from one straight line, as a share of its
    height (root mean square, over its middle three quarters: the pen's ends are round)."""
    rows, columns = np.nonzero(mask)
    if rows.size == 0:
        return 0.0
    first, height = rows[0], rows[-1] - rows[0] + 1
    counts = np.bincount(rows - first, minlength=height)
    filled = counts > 0
    centres = np.bincount(rows - first, weights=columns, minlength=height)[filled] / counts[filled]
    levels = np.flatnonzero(filled)
    keep = slice(len(levels) // 8, len(levels) - len(levels) // 8) if len(levels) > 8 else slice(None)
    levels, centres = levels[keep].astype(np.float64), centres[keep]
    if len(levels) < 3:
        return 0.0
    slope, offset = np.polyfit(levels, centres, 1)
    return float(np.sqrt(np.mean((centres - (slope * levels + offset)) ** 2)) / height)


def stroke_axis(mask: np.ndarray) -> tuple[float, float] | None:
    """The long axis of a piece of ink: its lean from upright in degrees (top to the right is
    positive), and the ink's spread across it (a standard deviation, in pixels); None if no ink."""
    moments = cv2.moments(mask, binaryImage=True)
    if moments["m00"] == 0:
        return None
    mu20, mu02, mu11 = (moments[k] / moments["m00"] for k in ("mu20", "mu02", "mu11"))
    spread = np.sqrt(((mu20 - mu02) / 2) ** 2 + mu11**2)
    across = max((mu20 + mu02) / 2 - spread, 0.0)
    # the long axis's angle from upright; y grows downwards, so a top leaning right is negative
    lean = -np.degrees(0.5 * np.arctan2(2 * mu11, mu02 - mu20))
    return float(lean), float(np.sqrt(across))


def _set_aside_slashes(lines: list[list[Piece]], height: float) -> tuple[list[list[Piece]], list]:
    """Move slashes out of lines of at least three pieces (a slash has a digit on either side)."""
    kept, slashes = [], []
    for line in lines:
        is_slash = [False] * len(line)
        for index in range(1, len(line) - 1):
            is_slash[index] = _is_slash(line[index], [line[index - 1], line[index + 1]], height)
        slashes += [p.box for p, slash in zip(line, is_slash, strict=True) if slash]
        kept.append([p for p, slash in zip(line, is_slash, strict=True) if not slash])
    for index, line in enumerate(kept):
        for piece in line:
            piece.line = index
    return kept, slashes


def _set_aside_thin_ends(lines: list[list[Piece]]) -> tuple[list[list[Piece]], list]:
    """Set aside a narrow piece at either end of a line drawn far thinner than the line's other
    pieces: not the pen but the shadow along a page's edge, or a crease (a pen's 1 is as thick as
    its neighbours)."""
    kept, thin = [], []
    for line in lines:
        if len(line) < THIN_END_NEIGHBOURS + 1:
            kept.append(line)
            continue
        widths = [stroke_width(piece.mask) for piece in line]
        keep = [True] * len(line)
        for index in {0, len(line) - 1}:
            others = statistics.median(widths[:index] + widths[index + 1 :])
            _, _, width, height = line[index].box
            keep[index] = not (width < THIN_END_WIDTH * height and widths[index] < THIN_END_STROKE * others)
        thin += [piece.box for piece, kept_piece in zip(line, keep, strict=True) if not kept_piece]
        kept.append([piece for piece, kept_piece in zip(line, keep, strict=True) if kept_piece])
    return kept, thin


def _set_aside_mark_sides(
    lines: list[list[Piece]], rules: np.ndarray | None, height: float
) -> tuple[list[list[Piece]], list]:
    """Set aside the sides of a box drawn round a line: at both of its ends (see MARK_SIDE_HEIGHT),
    or at either end between the rules its flat sides were taken for (see RULED_SIDE_HEIGHT); a
    side joined to a digit is cut from it (see SIDE_SPAN)."""
    kept, sides = [], []
    for line in lines:
        if len(line) < THIN_END_NEIGHBOURS + 1:
            kept.append(line)
            continue
        first, last = line[0].box, line[-1].box
        narrow = min(first[2] / first[3], last[2] / last[3]) <= MARK_SIDE_WIDTH
        if narrow and _mark_side(line, 0) and _mark_side(line, len(line) - 1):
            head, head_side = _side_apart(line[0], True, height)
            tail, tail_side = _side_apart(line[-1], False, height)
            sides += [head_side, tail_side]
            line = [piece for piece in (head, *line[1:-1], tail) if piece is not None]
        elif rules is not None:
            ends = [index for index in (0, len(line) - 1) if _ruled_side(line, index, rules, height)]
            sides += [line[index].box for index in ends]
            line = [piece for index, piece in enumerate(line) if index not in ends]
            for index in (0, len(line) - 1) if len(line) > THIN_END_NEIGHBOURS else ():
                cut = _without_side(line[index], index == 0, height, rules)
                if cut is not None:
                    line[index], side = cut
                    sides.append(side)
        kept.append(line)
    return kept, sides


def _side_apart(piece: Piece, first: bool, height: float) -> tuple[Piece | None, tuple[int, int, int, int]]:
    """A box's side ending a line, set apart: the digit a corner of the box holds ("9]"), cut
    from its side (:func:`_without_side`), or None; and the box of what is set aside."""
    if piece.box[2] > MARK_SIDE_WIDTH * piece.box[3]:
        cut = _without_side(piece, first, height)
        if cut is not None:
            return cut
    return None, piece.box


def _ruled_side(line: list[Piece], index: int, rules: np.ndarray, height: float) -> bool:
    """Whether the piece ``index`` (an end) of the line is a side of a box between the rules its
    flat sides were taken for (see RULED_SIDE_HEIGHT)."""
    x, y, w, h = line[index].box
    others = _other_heights(line, index)
    if not others or w > MARK_SIDE_WIDTH * h or h < RULED_SIDE_HEIGHT * statistics.median(others):
        return False
    return _between_rules((x, y, w, h), rules, height)


def _other_heights(line: list[Piece], index: int) -> list[int]:
    """The heights of a line's pieces but the one at ``index`` and those low enough to be separators."""
    return [piece.box[3] for position, piece in enumerate(line) if position != index and not piece.low]


def _between_rules(box: tuple[int, int, int, int], rules: np.ndarray, height: float) -> bool:
    """Whether ink taken out as ``rules`` lies at both the top and the bottom of ``box`` (within
    RULE_TOUCH digit heights of each, beside it too)."""
    x, y, w, h = box
    reach = max(2, round(RULE_TOUCH * height))
    left, right = max(0, x - reach), x + w + reach
    above = rules[max(0, y - reach) : y + reach, left:right]
    below = rules[max(0, y + h - reach) : y + h + reach, left:right]
    return bool(above.any() and below.any())


def _without_side(
    piece: Piece, first: bool, height: float, rules: np.ndarray | None = None
) -> tuple[Piece, tuple[int, int, int, int]] | None:
    """The piece ending a line without a box's side joined to its outer edge (see SIDE_SPAN; the
    side between ``rules``, when given) nor the stubs of its flat sides (:func:`_without_stubs`),
    and the side's box; None when it has none, or when what is left is no digit (lower than half
    a digit: a corner's stub of a flat side)."""
    x, y, w, h = piece.box
    mask = piece.mask if first else np.ascontiguousarray(piece.mask[:, ::-1])
    rows = np.flatnonzero(mask.any(axis=1))
    if h < 0.5 * height or len(rows) < SIDE_SPAN * h:
        return None
    ink = mask[rows] > 0
    edge = ink.argmax(axis=1)  # each row's outermost ink, and how far it runs in
    before_edge = np.arange(mask.shape[1]) < edge[:, None]  # (counted as ink: the first gap ends the run)
    runs = np.pad(ink | before_edge, ((0, 0), (0, 1))).argmin(axis=1) - edge
    pen = max(2.0, float(np.median(runs)))  # (the side's own rows outnumber those a digit joins)
    straight = np.abs(edge - np.polyval(np.polyfit(rows, edge, 1), rows)) <= pen
    if np.count_nonzero(straight) < SIDE_SPAN * h:
        return None
    span, columns = rows[straight], edge[straight]
    left = x + int(columns.min()) if first else x + w - 1 - int(columns.max())
    side_box = (left, y + int(span[0]), int(columns.max() - columns.min()) + 1, int(span[-1] - span[0]) + 1)
    if rules is not None and not _between_rules(side_box, rules, height):
        return None
    side = np.zeros_like(mask)
    reach_in = int(np.ceil(SIDE_WIDTH * pen))
    for row, column in zip(span, columns, strict=True):
        side[row, column : column + reach_in] = mask[row, column : column + reach_in]
    rest = _without_stubs(cv2.subtract(mask, side), height)
    if not first:
        rest = np.ascontiguousarray(rest[:, ::-1])
    found = cv2.boundingRect(rest)
    if found[3] < 0.5 * height or np.count_nonzero(rest) < 0.2 * np.count_nonzero(piece.mask):
        return None
    rx, ry, rw, rh = found
    kept = Piece(
        box=(x + rx, y + ry, rw, rh),
        mask=rest[ry : ry + rh, rx : rx + rw],
        line=piece.line,
        width_ratio=piece.width_ratio * rw / w,
        low=piece.low,
    )
    return kept, side_box


def _without_stubs(mask: np.ndarray, height: float) -> np.ndarray:
    """A 0/255 mask without its flat pieces (lower than STUB_HEIGHT digit heights, wider than
    high): what a box's flat sides leave beside a digit once its upright side is cut away."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    flat = (stats[:, 3] < STUB_HEIGHT * height) & (stats[:, 2] > stats[:, 3])
    flat[0] = False
    return np.where(flat[labels], 0, mask).astype(np.uint8) if flat.any() else mask


def _mark_side(line: list[Piece], index: int) -> bool:
    """Whether the piece ``index`` (an end) of the line is a side of a mark round it."""
    _, top, width, height = line[index].box
    others = _other_heights(line, index)
    if (
        not others
        or width > MARK_CORNER_WIDTH * height
        or height < MARK_SIDE_HEIGHT * statistics.median(others)
    ):
        return False
    _, neighbour_top, _, neighbour_height = line[1 if index == 0 else index - 1].box
    reach = MARK_SIDE_REACH * neighbour_height
    return top <= neighbour_top - reach and top + height >= neighbour_top + neighbour_height + reach


def _group_lines(pieces: list[Piece], height: float) -> list[list[Piece]]:
    """Chain pieces left to right into lines: each joins the line whose last piece is nearest
    and level with it, so writing that drifts up or down still forms one line."""
    lines: list[list[Piece]] = []
    for piece in sorted(pieces, key=lambda p: p.box[0]):
        x, y = piece.centre
        best, best_distance = None, float("inf")
        for line in lines:
            last_x, last_y = line[-1].centre
            gap = piece.box[0] - (line[-1].box[0] + line[-1].box[2])
            if abs(y - last_y) < LINE_DRIFT * height and gap < LINE_GAP * height:
                distance = abs(y - last_y) + 0.1 * abs(x - last_x)
                if distance < best_distance:
                    best, best_distance = line, distance
        if best is None:
            lines.append([piece])
        else:
            best.append(piece)
    lines.sort(key=lambda line: statistics.median(p.centre[1] for p in line))
    for index, line in enumerate(lines):
        for piece in line:
            piece.line = index
    return lines


def segment(mask: np.ndarray) -> Segmentation:
    """Split a 0/255 ink mask into lines of digit pieces, setting separators and specks aside."""
    labels, stats = _label(mask)
    # (every piece counts here: a rule that runs off the photo may hold all the digits)
    components = _components(stats)
    height = typical_height([piece[:4] for piece in components], [piece[4] for piece in components])
    rings = _enclosures(labels, stats, height)
    enclosing = [tuple(int(v) for v in stats[label, :4]) for label in rings]
    if rings:
        mask = _without_enclosures(mask, labels, stats, rings)
        labels, stats = _label(mask)
        components = _components(stats)
        height = typical_height([piece[:4] for piece in components], [piece[4] for piece in components])
    without_rules = _without_rules(mask, labels, stats, height)
    rules = None
    if without_rules is not None:
        rules = cv2.subtract(mask, without_rules)
        mask = without_rules
        labels, stats = _label(mask)
    boxes, areas, off_photo = _inside_boxes(labels, stats)
    off = [_pixels(labels, stats, label) for label in np.flatnonzero(off_photo)]
    bars = _bar_rows(boxes)
    if bars:
        kept = [box not in bars for box in boxes]
        boxes = [box for box, keep in zip(boxes, kept, strict=True) if keep]
        areas = [area for area, keep in zip(areas, kept, strict=True) if keep]
    height = typical_height(boxes, areas)
    fits = [b[3] <= MAX_HEIGHT * height and b[2] <= MAX_WIDTH * height for b in boxes]
    boxes = [box for box, fit in zip(boxes, fits, strict=True) if fit]
    height = typical_height(boxes, [area for area, fit in zip(areas, fits, strict=True) if fit])
    if not boxes or height < 8:
        return Segmentation(digit_height=height, off_photo=off)
    # specks: tiny next to the writing
    boxes = [b for b in boxes if max(b[2], b[3]) >= 0.2 * height]
    if len(boxes) > MAX_PIECES:  # texture, noise or a picture: not a handwritten number
        return Segmentation(digit_height=height)
    # (a plus sign is set aside before broken strokes are merged: a dot beside it is no stroke of it)
    pluses = [box for box in boxes if _plus_sized(box, height) and _is_cross(_own_ink(labels, stats, box))]
    boxes = _merge_broken([box for box in boxes if box not in pluses], height)
    capped = _capped_bodies(boxes, height)
    result = Segmentation(
        digit_height=height, off_photo=off, separators=pluses + sorted(bars) + enclosing, rules=rules
    )
    pieces = []
    for box in boxes:
        h = box[3]
        crop = _own_ink(labels, stats, box)
        low = _is_separator(crop, box, height)
        if low and not _may_be_low_digit(crop, box, height):
            result.separators.append(box)
            continue
        if stroke_width(crop) > BLOB_STROKE * max(h, 0.5 * height):  # a smudge or a filled shape
            continue
        bracket, certain_bracket = _bracket_shape(crop, box, height)
        piece = Piece(box=box, mask=crop, bracket=bracket, certain_bracket=certain_bracket, low=low)
        if box in capped:
            piece.capped = Piece(box=capped[box], mask=_own_ink(labels, stats, capped[box]))
        pieces.append(piece)
    if pieces:
        widths = sorted(p.box[2] for p in pieces if p.box[3] > 0.7 * height and not p.certain_bracket)
        typical_width = upper_quartile(widths) if widths else height * 0.7
        typical_width = min(max(typical_width, 0.45 * height), 0.9 * height)
        for piece in pieces:
            piece.width_ratio = piece.box[2] / typical_width
            if piece.capped is not None:
                piece.capped.width_ratio = piece.capped.box[2] / typical_width
    lines, brackets = _set_aside_brackets(_group_lines(pieces, height), height)
    lines, thin_ends = _set_aside_thin_ends(lines)
    lines, mark_sides = _set_aside_mark_sides(lines, rules, height)
    result.lines, slashes = _set_aside_slashes(lines, height)
    result.separators += brackets + thin_ends + mark_sides + slashes
    return result
