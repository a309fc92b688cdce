"""The whole path of a photo, top to bottom: decode → flatten a slanted page → find ink → segment
→ straighten → normalise → classify.

:class:`Recognizer` ties the steps together and adds what needs the classifier's opinion: which
way up the page is (upright, unless its pieces turned another way read better and the page read
that way scores higher; upside down only if the pieces also look upside down,
:mod:`recognizer.orientation`; never sideways when the ink runs across the page), where to cut
touching digits (the cut whose parts the classifier is surest of, each weighed by how surely it is
one whole digit, :mod:`recognizer.pieces`; down a column, or where digits overlap, along a path
bending round ink), which neighbouring pieces are one digit come apart
(joined when they read far more surely together, or two strokes of a 1 with a long flag), which 8s
and 9s are real hands' 9s and 2s (:mod:`recognizer.shapes`), whether the ink is a number at
all (confidently read lines of pieces judged whole digits only), and which words written beside
a number (a name before it or above it, read as digits letters and all) to leave out by their
small letters (:func:`_without_words`), or, run together in one stroke, as a piece far too wide
for a digit that is surely none, whole or cut (NO_DIGIT_WIDE). Slanted writing is levelled first
(:mod:`recognizer.deskew`); a page of one or two digits, with no line to level by, is also read
tilted 10 and 20 degrees either way, and kept tilted where that reads clearly better. The ink mask
is cut down to the ink before all this (a speed-up only: the same readings). Small writing read
unsurely, and small or unsurely read writing on a photo with pixels to spare (a 12 MP photo of a
page), is read again larger: from a crop of the photo around it, or on the whole page enlarged
(:meth:`Recognizer._look_closer`). Writing smeared by a shaking hand is read again with the
smear undone (:mod:`recognizer.shake`, :meth:`Recognizer._unshaken`). A reading that is still
unsure is read again with higher bars for the ink's light edges, and the reading whose digits are
read surest kept (:meth:`Recognizer._reread`). These later looks are taken only while the
reading has time left for them (READ_SECONDS). A page photographed at a slant is flattened before
all this (:mod:`recognizer.flatten`). Light writing on a dark ground (chalk on a blackboard, a
dark-mode screenshot) is read from the photo's negative: first, where the photo's ground is dark
and its light parts are strokes; after, where a photo with a dark ground reads weakly or a digit
or two (:meth:`Recognizer._read_negative`). Boxes are reported in the original photo's coordinates.
"""

from __future__ import annotations

import itertools
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from recognizer.classifier import DigitClassifier, Prediction
from recognizer.decode import MIN_SIDE, DecodedImage, decode, resized
from recognizer.deskew import box_back, rotate_mask, writing_angle
from recognizer.flatten import flattened
from recognizer.ink import WEAK_DARKNESS, InkMap, dark_ground, find_ink, light_strokes
from recognizer.memory import reuse_photo_sized_memory
from recognizer.normalise import stroke_width, to_mnist
from recognizer.orientation import UprightChecker
from recognizer.pieces import PieceChecker
from recognizer.segment import (
    Piece,
    closes_loop,
    paper_framed,
    piece_holes,
    segment,
    stroke_axis,
    union_box,
)
from recognizer.shake import JPEG_BLOCK, find_smear, unsmeared
from recognizer.shapes import longest_run, read_flags_as_ones, read_mirrored_nines, reread

MIN_LINE_CONFIDENCE = 0.75  # median digit confidence below which a line is not read as a number
# A line of this many digits or more, at least BAR_SHARE of them 1s, is bars, not writing: a black-
# and-white page's rulings, broken and read turned ("114441111111111"), or bars unlike each other
# (a barcode's and hatching's rows of alike bars are set aside before: recognizer.segment, BAR_ROW)
BARS = 12
BAR_SHARE = 0.75
MIN_LINE_DIGITS = 3  # shorter lines are dropped when the photo also holds a longer one
# ... and a photo whose lines are all shorter, SCATTERED_LINES of them or more, shows no number: a
# face drawn on a page read as "00" (its eyes) and "7" (its nose), a picture's round shapes as 0s,
# a barcode's stripes read sideways as a 1 each.
SCATTERED_LINES = 2
# A number's digits stand side by side, each on its own stretch of the line. Two digits read in one
# line whose stretches nest, one spanning NESTED of the other's width or more, are one digit and a
# mark that is none (real cheques: the printed field's corner read as a 1 around a 3; a 1 and the
# rule above it read as a 5 around the 3 after it): the one read less surely is left out. (Real
# cheques as read before: of the 437 read right, none had neighbours nesting by more than 0.75; of
# the 163 misread, 11 by 0.85 or more. With this rule 440 read right, none lost; synthetic photos
# the same but one 12 MP photo gained.)
NESTED = 0.85
# A line of TEXT_PIECES pieces or more is text, not a number (hand-printed words read letter by
# letter as digits: "call Mike when home" as "24044243714110"), when its pieces' heights take turns
# (TEXT_TURNS times or more) between x-height letters (at most X_HEIGHT of the line's second
# tallest piece, standing on its baseline; at least TEXT_SMALL of its pieces) and tall ones (b, d,
# h, k, l, capitals: at least TALL_LETTER of it), with no PHONE_DIGITS pieces in a row that are not
# x-height (a number written after a word); or, in writing at least SMALL_WRITING pixels tall,
# when at least TEXT_DOUBTED of its pieces are surely no digit (WORD_DOUBT) and no PHONE_DIGITS of
# them in a row are read surely (SURE_NUMBER). A number's digits stand about as tall as each
# other, and a cheque's small zeros follow its tall digits; in a first look at small writing every
# digit may be doubted. (Hand-printed words alone, `benchmarks/synthetic_photos.py --text-only
# --count 300`: 85 read as no digits and 58 as a number of 7 digits or more, against 1 and 192 at
# c1e2019. Test-digit and validation-digit photos, words beside numbers, napkins, black-and-white,
# turned, dim and 12 MP photos, light writing on a dark ground and real cheques: as many read, one
# 12 MP photo more.)
TEXT_PIECES = 6
# Type beside the handwriting (a form's printed "Tel:" before the number, a notepad's header above
# it) is read as digits, letters and all. No hand writes as evenly: the letters of type stand on
# one baseline, to within PRINT_FOOT of their height, and come in two heights, x-height and
# capital, each the same to within PRINT_SPREAD of the taller, the x-height PRINT_X_HEIGHT of the
# capitals' (Latin type: about 0.5-0.85); a hand's digits vary in height continuously. At least
# PRINT_LETTERS letters stand so: a whole line of them is left out, and so are the first group
# of a line (its first pieces, a gap before the rest), word after word.
PRINT_FOOT = 0.05
PRINT_SPREAD = 0.08
PRINT_STEP = 0.1
PRINT_X_HEIGHT = (0.5, 0.88)
PRINT_LETTERS = 3
PRINT_MARK = 0.4
PRINT_BELOW = 0.8
PRINT_NEAR = 1.0
# Type found is painted over with its paper (the TYPE_PAPER percentile of the pixels around it,
# TYPE_PAD of its height wider each way) and the photo read again (Recognizer._read_without_type)
TYPE_PAD = 0.2
TYPE_PAPER = 90
TEXT_DOUBTED = 0.4
TEXT_TURNS = 3
TEXT_SMALL = 0.4  # (two short digits of ten, a light-on-dark photo's 4 and 9, read as x-height)
X_HEIGHT = 0.7
TALL_LETTER = 0.9
# A word written beside a number (a name before it or above it) is read as digits, letters and all;
# its small letters give it away: SMALL_LETTERS pieces at most SMALL_LETTER of the digits' height
# high, standing on their baseline (within LETTER_FOOT of their height), as x-height letters do.
SMALL_LETTERS = 2
SMALL_LETTER = 0.8
LETTER_FOOT = 0.15
# A short line (at most WORD_PIECES pieces) above or below a phone number (at least PHONE_DIGITS
# digits) is a word with a single small letter: the words written beside a number are short.
WORD_PIECES = 5
PHONE_DIGITS = 7
# A line's first group of at most WORD_PIECES pieces with one small letter is a word when another of
# its pieces is surely no digit (sureness under WORD_DOUBT): the digits of a number read surely.
WORD_DOUBT = 0.1
# ... or is read as a digit the classifier itself doubts (under WORD_UNSURE): the "J" of "Jo" read
# as a 1 at 0.44-0.70 ("Jo 345 96 85 28-05" read "1034596852805"). A group of two or more pieces
# with no small letter is a word when all of them are surely no digit and the number's first
# digits are read surely (their median sureness at least SURE_NUMBER): "dad", its "da" run
# together, read as "62" (0.00 and 0.02 surely whole). (Words beside numbers, 300 photos: 214
# read exactly against 203, none lost; seeds 7 and 11, validation digits of seeds 7 and 21,
# shadows 45% deep and the cheques the same readings. Without SURE_NUMBER, a 12 MP photo's first
# look, its digits 14 pixels high and all doubted, left its first two out as a word, and the
# closer look, framed on the digits read, did not see them: 12 MP photo 181 of seed 7.)
WORD_UNSURE = 0.75
SURE_NUMBER = 0.5
# A first group of two pieces or more is a word when one of them is at least WORD_WIDE times as
# wide as high, surely no digit (under WORD_DOUBT) and read under WIDE_WORD_READING surely, before
# at least PHONE_DIGITS pieces whose first digits are read surely (SURE_NUMBER) and stand at least
# SMALL_WRITING pixels tall: "Ann", its "A" and "nn" run together into one piece that no cut
# parts into digits, read as "14" or "16" before the number. (Words beside numbers, 300 photos:
# 226 read exactly against 216, none lost. At 0.8 times as wide, a number's first group "049", its
# 0 doubted, was left out; read at any sureness, the wide 4s of "6440" and "904", 1.00 surely;
# without PHONE_DIGITS, a cheque's "330.640", its flat zeros one such piece; in the first look at
# small writing, where every piece is doubted, a 12 MP photo's first four digits, which the closer
# look, framed on the digits read, did not see: without SMALL_WRITING, 229 words photos.)
WORD_WIDE = 1.0
WIDE_WORD_READING = 0.99
# Mean sureness (digit probability x "one whole digit?") below which a line is no number: garbled
# stripes of a damaged JPEG read as sure digits by the classifier, but not as digits by the piece
# checker (0.001). Lines read right score at least 0.25 (real cheques) and 0.75 (synthetic photos).
MIN_LINE_SURENESS = 0.05
ROTATIONS = (0, 180, 90, 270)
UPRIGHT_BONUS = 0.05  # added to the upright reading of one or two digits: a lone 6 or 9 reads as
# well either way up; with so little writing, upright wins
# Another way up must read this much better than upright: most photos are upright (phones record
# their turn in EXIF). Of 500 upright synthetic photos, 8 read better another way up, 2 by more
# than this; of 250 turned ones, 8 (3 without the margin) read less than this better the right way.
TURNED_MARGIN = 0.05
# Upside down, besides: the page's pieces must look upside down to the "upright?" network
# (:mod:`recognizer.orientation`; mean log-odds below this). Real handwriting reads about as surely
# either way up: by the reading alone, 34 of 600 upright real cheque amounts were read upside down,
# all wrongly; with evidence below 0, 7; below -1, 1 (and 2 more exact). Of turned synthetic pages,
# 95% of those upside down have evidence below -1.3: 287 of 300 were read the right way up with
# the bar at 0, 285 at -1.
UPSIDE_DOWN_EVIDENCE = -1.0
# Pieces this surely upside down need no TURNED_MARGIN: the evidence outweighs the odds of a photo
# being upright (of 600 upright real cheque amounts none had evidence below -2.5; half of the
# turned synthetic pages have below -3.6).
SURE_UPSIDE_DOWN = -3.0
# A page read again, closer or with its strokes parted (ZOOM_PAGE, PARTING_WEAK_BARS), is read
# upside down too only if its first reading's pieces looked upside down (or it read none): each look
# judged anew, and real cheque amounts, all scanned upright, whose first reading's pieces looked
# upright were read upside down by a later look ("430" as "051", "48484" as "78787"). (Real
# cheques: 418 read exactly against 417, 5 read upside down against 8; turned synthetic pages the
# same.)
# A page whose upright reading has this share of its digits in lines of three or more, and lines
# this long (median), is not turned sideways: of 150 upright synthetic photos, the least share was
# 0.73; of 100 turned sideways, the most was 0.53.
ACROSS_SHARE = 0.65
ACROSS_LENGTH = 5
# Ink in a band this many times wider than high runs across the page: not turned sideways (of 600
# real cheque amounts, 95% are at least 2.05 wide per height; of 200 synthetic pages turned
# sideways, 99% at most 1.26, the widest 2.12: writing tilted 30 degrees on a small page)
BAND_ACROSS = 2.5
GOOD_ENOUGH = 0.9  # stop trying orientations once a reading scores this well ...
SURE_ONE_WAY_UP = 0.96  # ... but look at the others unless the upright reading scores this well:
# writing read upside down scores up to 0.94 (99th percentile, 150 synthetic photos read both
# ways up; the right way up has a median of 0.95)
SURE_SINGLE = 0.9  # a wide piece read this surely as one whole digit is not cut ...
CLEARLY_WIDE = 1.6  # ... unless it is this many typical digit widths wide
# ... and one less wide only into parts SPLIT_FACTOR times as surely whole (their geometric mean)
# as the piece is: a pencil 0 written in two strokes, read as a 0 at 0.998 that the piece checker
# doubted (0.27), was cut into a doubtful "17" (0.38 and 0.27): "4934292300" read "49342923017",
# synthetic photo 208 of seed 11 (any surer cut won: seed 11 +4, validation digits +1, turned
# pages +2, words +1, real cheques the same readings; a margin of 0.1 instead lost the cheques'
# doubtful pieces cut into digits, "9730" read as nothing).
SPLIT_FACTOR = 1.3
DOUBTFUL_WHOLE = 0.5  # a piece less likely than this to be one whole digit is tried for cuts too
SURE_LOW = 0.9  # a piece lower than the digits (``Piece.low``) is a digit only when read this surely,
# or when read as a digit with a loop (LOOPED_DIGITS) at least SURE_LOW likely and SURE_LOW_LOOPED
# surely whole: MNIST's 6s written lying down stand half as high as their neighbours and the piece
# checker doubts them (a pencil 6 read at 0.92, 0.60 surely whole, left out: "4777166666" read
# "477716666", synthetic photo 333 of seed 11; seeds 7 and 11 +1 each, validation digits and the
# real cheques' exact readings the same)
LOOPED_DIGITS = (0, 6, 8, 9)
SURE_LOW_LOOPED = 0.4
SURE_CAPPED = 0.5  # a digit read with a flat piece beside its top must read at least this surely,
CAPPED_MARGIN = 0.2  # and at most this much less surely than without it (with it, all ink is read;
# the piece checker doubts a 7 whose bar's end the pen lifted from: sureness 0.76 against 0.91 for
# the stem and the bar's stub read as a 1. Against 0.1: 2 more of 500 photos in ideal conditions as the
# renderer drew them until 2026-12-04; the same on those it draws now, on ordinary photos and cheques)
# Two neighbouring pieces at most JOIN_GAP typical digit widths apart and together at most
# JOIN_WIDEST wide are read as one too, and joined when that reads at least SURE_JOINED surely and
# JOIN_MARGIN surer than the two apart (geometric mean).
# (A stroke that bows like a bracket is one of those pieces too, unless it is shaped like one beyond
# doubt: a 9 whose loop's left side the pen drew apart read as "(" and a 7, synthetic photo 896 of
# seed 11; a 7's curled bar beside its bowed stem, validation-digit photo 358 of seed 7. Seeds 7 and
# 21 of validation digits +1 and 0, seeds 7 and 11 of test digits 0 and +1, real cheques the same.)
JOIN_GAP = 0.3
JOIN_WIDEST = 1.3
JOIN_ASPECT = 0.9  # ... or, when wider, at most this many times as wide as high (the widths of a
# page's few pieces make a poor typical width: the two strokes of a close-up 4 are two of them)
SURE_JOINED = 0.8
JOIN_MARGIN = 0.15
# ... but when one of the two is shorter than SHORT_PART of the writing's digit height and together
# they are at least SHORT_JOINED_HEIGHT of it, the short one is a stroke come apart (a 4's short
# left stroke, a 7's bar; no 1 is that short), and they are joined when that reads surer at all
# (SHORT_JOIN_MARGIN). (Synthetic photos: validation digits 439 of 500 against 438, seed 11 865 of
# 1,000 against 864, seed 7 442 as before (a 7 read "11" now read right, its photo still misread
# for a slash); real cheques the same readings; SHORT_PART 0.75: the same.)
# Joined so, they need read only SHORT_SURE_JOINED surely, not SURE_JOINED: a 7 whose bar, a
# curl, lay apart from its stem, both half a digit tall, read as a 7 at 0.99 that the piece checker
# doubted (0.78), the stem alone a doubtful 1 (0.43). (Validation digits 440 against 439; seeds 7
# and 11 and the real cheques the same readings.)
SHORT_PART = 0.6
SHORT_JOINED_HEIGHT = 0.8
SHORT_JOIN_MARGIN = 0.0
SHORT_SURE_JOINED = 0.5
# The two are read bridged too, a stroke drawn across the gap between their nearest points when it
# is at most BRIDGE_GAP of their height together, and joined so when that reads surer whole (a
# pen lifted: the piece checker doubts a digit with a gap in a stroke; a 2 whose tail lay apart,
# 0.58 surely whole as it was, 0.93 bridged, synthetic photo 282 of seed 11. Bridged always, a 9's
# tail, joined at 0.81 before, read 0.43 bridged, 12 MP photo 8; across wider gaps a bridge makes
# digits of its own: a 3 and the bar of a 7 beside it, 0.33 of their height apart, a 4).
BRIDGE_GAP = 0.2
# Two pieces are read with the ink taken out as a rule restored too, where a stroke of it touches
# both, looked for down to RULE_REACH of their height below them (see :func:`_on_rule`), and joined
# so as a short stroke is (SHORT_SURE_JOINED, surer at all): digits written on an underline lost
# their feet with it ("2215017866" read "22150178186"). A piece whose foot touches such a stroke in
# two places is read with it too, and kept so where it reads as the same digit, surer (a loop the
# line opened: a 0 then cut into "12"; read as another digit, a 7 or a 9 whose foot curls along the
# line closed into a 2). (--underlined 194 of 300 against 192, one photo lost for a wrong reading
# made surer; real cheques 441 against 440, "5000" no longer "50170"; every other benchmark the
# same photos.)
RULE_REACH = 0.25
# Two pieces whose columns overlap by at least STACKED of the narrower one's width stand one over
# the other, as two digits of a line seldom do: they are joined whenever together they read as a digit
# the classifier is SURE_STACKED of, at least SHORT_SURE_JOINED surely whole, however surely apart.
# (A 0 drawn as two arcs, the left one inside the right one's columns, read as "1" and "7", 0.94
# and 0.67, joined 0.71: validation-digit photo 79 of seed 7; a 6's stem and loop come apart, read
# "10", photo 653 of seed 11. Validation digits of seed 7 +1, seed 11 +1; test digits of seed 7 and
# validation digits of seed 21 the same; one real cheque's reading changed, wrong either way: "0517"
# to "051" for 430.)
STACKED = 0.35
SURE_STACKED = 0.99
NARROWEST_PAIR = 0.6  # in typical digit widths: a narrower piece is not two digits, however doubtful
# ... unless it reads as no digit the classifier is UNSURE_DIGIT sure of, and is at least
# NARROWEST_UNSURE wide: two 1s joined at their feet in a "V", 0.49 digit widths, read as a 4 at
# 0.55 (seed 7's photo 324: "06558169111" read "0655816941"). Its cuts are read as any doubtful
# piece's, and kept only where they read better (:func:`_prefer_split`). (Synthetic photos of test
# digits: seed 7 +1, seed 11 the same photos; --underlined +2; validation digits and every other
# benchmark the same photos; one real cheque misread otherwise, "2900" as "6" for "7900".)
UNSURE_DIGIT = 0.6
NARROWEST_UNSURE = 0.45
# A piece narrower than one typical digit holds two only if one is a slim 1 beside the other; cut,
# one digit's strokes read as such a pair too (a 6's stem and its loop: "10"; a 4: "11"), each
# part doubtful as a whole digit. Such a piece is cut only when its parts read at least
# SURE_NARROW_SPLIT surely (geometric mean). (Real cheque amounts: 352 of 600 read exactly
# against 345; synthetic photos, where the renderer presses a 1 into its neighbour: 1 and 2 of
# 500 fewer.)
NARROW_PIECE = 1.0
SURE_NARROW_SPLIT = 0.5
# ... and never into a 1 and the very digit the whole piece reads as, when that reading is at least
# SURE_WHOLE_READING sure and the rest reads so less surely: the 1 is the digit's own stroke (a 4's
# long left stroke cut off leaves a 4 read 0.66 sure; "4000" read "14000" on a real cheque).
# (Cheques +1; synthetic photos of seeds 7 and 11 and validation digits the same readings.)
# A piece read whole as a 0 that surely is not cut into a 1 and a 7 either: its two sides, the left
# arc and the right arc with the top (a real cheque's flat zeros, "1000" read "101717": cheques +1;
# synthetic photos of seeds 7 and 11 the same readings).
SURE_WHOLE_READING = 0.99
# ... unless the piece checker is sure it is no whole digit (BEND_NOT_WHOLE) and the cut leaves a
# 1 and a digit, both read SURE_CUT_OFF surely, the 1 at least CUT_OFF_ONE surely whole: "14"
# pressed together, the 4 dented where the 1 touched it, its sureness as a whole digit 0.003
# (synthetic photos: seed 7 +1, validation digits +1, seed 11 and cheques the same). The 1 need
# not be surely whole: a 1 pressed into a 6 ("61", 0.045 surely whole) cut into a 6
# (0.91) and a 1 that keeps a sliver of the 6 (0.15), validation-digit photo 275 of seed 7
# (validation digits seed 7 +1, seed 21, test digits seeds 7 and 11 and the cheques the same). Cut
# into two 1s, one is still ONE_CUT_OFF surely whole: a narrow 4 the checker doubted (0.07) was
# cut into "11" (synthetic photo 74 of seed 7 with a shadow 30% deep).
SURE_CUT_OFF = 0.99
CUT_OFF_ONE = 0.1
ONE_CUT_OFF = 0.9  # a 1 surely whole (a thin part, below)
# A piece about one digit wide, cut only because the piece checker doubts it is one whole digit
# (DOUBTFUL_WHOLE), is kept whole unless each part of its cut reads at least WEAKEST_PART surely
# (probability x one whole digit): a 6 whose loop the checker doubted (0.12) was cut into a
# stem read as a 1 it doubted more (0.03) and a 0 ("6745985024" read "10745985024", synthetic photo
# 453 of seed 7). (Unless the whole is surely no digit, BEND_NOT_WHOLE: touching digits' parts are
# often doubtful; seeds 7 +1, validation digits, seed 11 and real cheques the same readings.)
WEAKEST_PART = 0.1
# A piece this many typical digit widths wide, read whole no more surely than NO_DIGIT_WHOLE
# (probability x one whole digit) and not cut, is no digit: a word written in one stroke.
NO_DIGIT_WIDE = 2.2
NO_DIGIT_WHOLE = 0.05
ONE_SPAN = 0.7  # share of a piece's height a 1 cut from it spans
# A piece read as a 1 less than SHORT_ONE as tall as its line's pieces (their median) and doubtful as
# a whole digit (sureness under DOUBTFUL_ONE) is a stroke come apart, no digit: a 4's left stroke
# beside it ("34" read "314", synthetic photo 450 of seed 11). (Short alone: real cheques write
# short 1s, 3 of them lost, 416 of 600; doubtful too: seed 11 +1, seed 7, validation digits,
# shadowed photos and the cheques' exact readings the same.)
SHORT_ONE = 0.75
DOUBTFUL_ONE = 0.1
# ... and so is one, however surely whole, whose stroke is under THIN_STROKE of its line's pen (the
# median stroke width of its pieces): faint ink beside a digit, taken at the weak bar, as thin as a
# hair ("5" read "15", synthetic photo 132 of seed 7: a stroke 4 pixels wide beside digits drawn
# 10 pixels wide). (Seeds 7 and 11 +1 each, shadows 30% and soft +1 each; validation digits,
# 12 MP photos, words and real cheques the same readings.)
THIN_STROKE = 0.5
# A line of three pieces or more may end in a stray mark rather than a small digit: a dash, a
# flick or a slash after a cheque's amount, 0.56-0.61 of the digits' height, read as a doubtful 5,
# 2 or 1 ("10829" read "108295"). Its last piece, less than END_MARK of the line's height high,
# closing no loop and not wide enough for two digits, is kept only as a low piece is (SURE_LOW).
# (Real cheques: 422 of 600 read exactly against 418; a small 0 closes a loop, and a wide last
# piece may be small zeros run together, "330.640", "27500": both were lost without those two
# conditions. Synthetic photos of seeds 7 and 11, validation digits of seeds 7 and 21, shadows,
# turned pages and words the same readings; 12 MP photos one fewer, 98 of seed 7, whose look that
# wins now carries four digits read from specks on a second line: not looked into.)
END_MARK = 0.65
GROUP_GAP = 0.5  # in digit heights: a wider gap between two digits of a line parts two groups
MAX_PARTS = 5  # a wide piece is cut into at most this many digits
MIN_PART_WIDTH = 0.15  # in piece heights: the narrowest digit (a 1) ...
MAX_PART_WIDTH = 1.3  # ... and the widest, but for a part round a loop of the piece: as wide as the
# loop and FLAT_ZERO_PENS pen strokes (its ring on both sides and one to spare). Flat zeros, twice
# as wide as high or more (cheque writers', and anyone's in a hurry), were only ever cut in halves:
# "12" and two such zeros touching read "126257", "12080", or nothing at all, the line too unsure.
# (`benchmarks/flat_zeros.py`: of 288 drawn variants of "1200" and "12000" with small flat zeros,
# 50 read right before, 277 with this, 265 with 2 pens; of 96 with zeros as tall as the digits'
# body, 8 before, 96 with this. Synthetic photos of seeds 7 and 11 and of validation digits: the
# same readings. Real cheques: one gained, "30000" read "302", one lost, "30000" read "30900", a
# zero and a neighbour's stroke read as a 9; with 2 pens the same readings, with 4 one more lost.)
FLAT_ZERO_PENS = 3.0
# ... but a 1 written upright is no wider than its stroke: from a piece wider than a digit (``wide``),
# a part down to THIN_PART_WIDTH is cut too, and kept only as a 1 read at least ONE_CUT_OFF surely
# ("115" pressed together, the first 1 7 pixels wide in a piece 51 high, read as "15": synthetic
# photo 401 of seed 7; with any digit kept, a real cheque's 1, written up and down as a narrow loop,
# was cut into "11": 416 of 600 read exactly against 417; from any piece, a real photo of a lone 2
# turned a quarter, its strokes 1s upright, read "10": real single digits made worse, 313 of 325
# against 314)
THIN_PART_WIDTH = 0.1
MIN_PART_HEIGHT = 0.6  # share of the piece's height a part's ink must span to be a digit ...
# ... or, for a 0 that is one ring (see RING_WHOLE), this share: a hand's small zeros joined in one
# stroke drift down or up the line ("20.000", "256.200" on real cheques), so that the chain stands
# half again as high as each of them, whose parts were all too low to be digits and the chain was
# left out as a word written in one stroke (NO_DIGIT_WIDE). (Real cheques 427 -> 432, none lost:
# 271, 462, 744, 1059, 7073; seeds 7 and 11 the same photos misread. At 0.5, 430; at 0.3, 431, a
# cheque's "5000" read "5": a part of two zeros too low. 12 MP photos one fewer: a 9 touching the
# 4 before it, its loop high in the piece read as a small 0, "40" for "49", photo 246.)
RING_PART_HEIGHT = 0.4
# ... but not in a piece read whole as one of these: its loop is its own (a lying 6 cut into its
# stroke, a "2", and its loop: validation-digit photo 311 of seed 21, "59144140820")
LOOP_AND_STROKE = (6, 9)
# Two parts of a cut read as 1s whose strokes lean towards each other, top to top, by at least
# this many degrees are one 1 with a long flag ("/|"), not two ones (two 1s stand parallel)
FLAG_ANGLE = 20.0
# ... and whose tops meet, this close in the taller's heights: a flag drawn apart ends at the
# stem's top; two 1s leaning together ("/\", different hands) stand apart there (0.28 and 0.31 of
# their height on two synthetic photos read "1" for "11" at 0.4; on the cheques, flags joined 0.25
# to 0.4 from their stems' tops change no reading)
FLAG_TOPS = 0.25
# The flat stroke a hand draws on from a run of joined digits ("0000—", a cheque's closing dash)
# or into it is no digit: an end of a wide piece whose ink spans fewer than TAIL_HEIGHT of the
# piece's rows, at most TAIL_WIDTH piece heights wide and at least TAIL_FLATNESS times wider than
# the rows it spans (a sliver of a digit's bowl is narrow and upright), is left out of its cut.
TAIL_HEIGHT = 0.4
TAIL_WIDTH = 1.2
TAIL_FLATNESS = 1.0
# A cut into more digits than the piece is typical digits wide (at least 2) must read this much
# surer (geometric mean) per extra digit: two touching 8s read as 8, 5 and 8 about as surely
# as 8 and 8 (validation photos +1, cheques +2, test photos +0).
EXTRA_PART_COST = 0.05
CUT_LOOP = 0.1  # no cut crosses a loop enclosing this much paper (in piece heights squared) in a
# piece at most CLEARLY_WIDE wide; in any piece, two such loops side by side may be cut apart between
# them (joined zeros, "000": where the loops touch, the column of ink is no thinner than elsewhere)
# A part cut from a piece, read as a 0, whose ink is one ring round a loop (all but RING_STRAY of it
# within RING_REACH stroke widths of the loop's box) is one whole digit at least RING_WHOLE surely
# (times the 0's probability): the piece checker, which learnt MNIST's upright zeros, takes the flat
# zeros of a hand's "000" for fragments. (Real cheques: the ring 381 -> 387, none lost, and the
# cuts between loops on top 388; a ring for whole pieces too, not only cut parts, read 2 fewer
# cheques and 1 fewer synthetic photo.)
RING_WHOLE = 0.9
RING_REACH = 1.5
RING_STRAY = 0.1
# A page of at most FEW_DIGITS digits is read again turned by each of TILTS (degrees) and kept
# turned when that reads TILT_MARGIN better: one or two digits give no line to level by
FEW_DIGITS = 2
TILTS = (-20.0, -10.0, 10.0, 20.0)
TILT_MARGIN = 0.05
MIN_CUT_GAP = 0.12  # in piece heights: candidate cuts closer than this are one cut
MAX_CUTS = 16  # the lowest-ink candidate cuts tried in one piece
# Touching digits that overlap (a 6's loop under its neighbour's side) part along no straight
# column ("01" read "64", "80" read "64", "69" read "67"). A piece at least NARROW_PIECE wide whose
# straight cuts read under BEND_BELOW (geometric mean), read whole less surely than BEND_CONFIDENT
# by the classifier or, wider than NARROW_PIECE, judged no whole digit by the piece checker (under
# BEND_NOT_WHOLE: a 3 whose arm reaches into a 1 reads as a sure 7, cut straight "34"), is cut
# again (on the page the way up chosen by straight cuts alone) along paths that bend round ink
# (:func:`_cut_paths`), and that cut kept when it reads BEND_MARGIN surer. A path strays at most
# CUT_BEND piece heights from its column, paying PATH_STEP (in pixels of ink crossed) for each
# column it moves and, per row, up to PATH_STRAY for being off its column.
# (Bent cuts for every doubtful piece read 12 fewer of 500 synthetic photos: they carve a 6 into a
# "1" and a "0"; gated so, synthetic photos +3 of 500 and +4 of 1,000, turned pages +2 of 300,
# validation digits +0, real cheques +2. Read every way up tried, they read 3 turned pages surer
# the wrong way up. Judged no whole digit, too: seed 7 +1 of 500, seed 11 +1 of 1,000, real
# cheques +2, validation digits and turned pages +0, words +1; light close-ups -1, 12 MP -1 (even
# again once a bent reading must keep BENT_KEEPS of the digits).)
BEND_BELOW = 0.7
BEND_CONFIDENT = 0.95
BEND_NOT_WHOLE = 0.05
BEND_MARGIN = 0.1
BENT_KEEPS = 0.5  # share of the straight reading's digits a bent reading must keep to replace it
TURNED_KEEPS = 0.5  # ... and a closer look turned another way, of the reading it is to replace
CUT_BEND = 0.2
PATH_STEP = 0.1
PATH_STRAY = 0.01
# Pieces taller than this (in working pixels) are not cut bent: no digit of a phone number is
# (digits are 35-110 pixels tall in the working copy, twice that enlarged, and 280 in a close-up),
# and the search grows with height times width (2.1 s and 300 MB for a 2,400-pixel blot)
BEND_ROWS = 400
# A reading scoring under REREAD_BELOW is read again with the weak ink's bar raised to each of
# PARTING_WEAK_BARS (from the ink finder's WEAK_DARKNESS, 0.20), and the reading whose digits the
# classifier is surest of, on average, kept. Where strokes are blurred, a stroke's light edge at
# one bar is a bridge to its neighbour or a blot in a loop; at another, a faint stroke's break.
# Which reads right turns on a level or two of grey (real cheques: 88 of 600 readings changed
# when the paper's estimated light moved by one level here and there). (The piece checker's
# sureness, which _score weighs in, chose worse between them: thinner strokes look less whole.)
REREAD_BELOW = 0.8
PARTING_WEAK_BARS = (0.23, 0.26)
LEAVING_OUT_MARGIN = 0.01  # see _surer_again
# ... and, keeping fewer than REREAD_KEEPS of the first reading's digits, surer by DROPPING_MARGIN:
# a higher bar broke a faint pencil number beside dark type into a few sure digits ("228419981",
# 0.977, read "998", 0.994), a real cheque's "1000" (0.99) read "1" (1.00, its small zeros taken
# for type); a close-up of one digit turned 90 degrees, its first reading three digits of junk
# (0.88), is read right by a reread of one (1.00).
REREAD_KEEPS = 0.5
DROPPING_MARGIN = 0.1
# Paper kept around the ink's box when the mask is cut down to it: with less, the ink in the box's
# corners would touch the edge of the mask once levelled, as if it ran off the photo.
CROP_MARGIN = 8
# Looking closer (Recognizer._look_closer). A photo with at least ZOOM_GAIN times the working copy's
# pixels (a 12 MP photo of a page) whose writing is small, digits under SMALL_WRITING pixels tall in
# the working copy, is read again from its own pixels, cropped around the writing with ZOOM_MARGIN
# digit heights of paper, ZOOM_HEIGHT pixels a digit (or as many as it has). An unsure reading of
# small writing, or of a photo with pixels to spare, is read again on the whole photo at ZOOM_PAGE
# times the working size. (Synthetic photos read equally well with digits 35 to 110 working pixels
# tall; with digits 20 to 34, half as well. Enlarging big writing loses: real cheques, 343 of 600.)
ZOOM_GAIN = 1.3
SMALL_WRITING = 45
ZOOM_HEIGHT = 70
ZOOM_MARGIN = 1.5
ZOOM_PAGE = 2.0
# A closer look enlarging the photo INTERPOLATED times its own pixels or more is not taken where it
# reads fewer digits and nothing where the reading before it read a digit SURE_KEPT surely between
# two others of its line that it reads too, however surer its other digits: enlarging adds no
# detail, so the ink finder lost that digit at the new size (a faint pencil 2, "3210698029" read
# "310698029": synthetic photo 239 of seed 7). Boxes sharing KEPT_OVERLAP of the smaller one's area
# are one digit's. (Looks with pixels of their own, as on 12 MP photos, rightly drop the specks a
# shrunk copy read as sure 1s; a 1 is one stroke, and the crease or the emboss of a napkin read as
# one is what an enlarged look rightly drops; and digits dropped side by side were more likely never
# there: type beside a number read as "0802", photo 101 of --printed.)
SURE_KEPT = 0.99
INTERPOLATED = 1.25
KEPT_OVERLAP = 0.3
# Enlarging a photo without pixels to spare helps a reading of small writing that is nearly sure;
# one scoring below this is mostly doubt, not a number (garbled JPEGs of no writing: 0.003-0.46;
# 1 of 500 synthetic photos), and its enlarged copy read three times as many false digits.
ENLARGE_FROM = 0.5
# ... but a reading scoring below WEAK_READING of a photo shrunk to work on (without pixels enough
# to spare) is enlarged all the same: it may be of the page's edges, the writing too thin or faint
# to be found at the working size (thin pencil in a corner of a note on a 1600x1200 photo).
WEAK_READING = 0.5
# How much more surely a photo's negative (light writing on a dark ground) must read than the photo
# to be the reading, or, reading more digits, how much less surely it may (_negative_reads_better)
NEGATIVE_MARGIN = 0.1
# A photo smeared by a shaking hand (:mod:`recognizer.shake`): the smear is looked for on the
# working copy around the first reading's digits, SMEAR_MARGIN digit heights wider each way, and
# undone there with SMEAR_PAD smear lengths more around it; the sharper copy's reading is kept
# unless it reads clearly less surely (SMEAR_DOUBT: its digits' mean sureness that much lower).
SMEAR_MARGIN = 0.5
SMEAR_PAD = 4
SMEAR_DOUBT = 0.01
MAX_CUT_PARTS = 200  # parts read while trying cuts, per photo (a photo of a phone number needs
# about 100; a photo of noise, all doubtful pieces, would need thousands)


# A photo is looked at again (closer, or at other bars for weak ink) only while the time its
# reading has taken, and one more look as long as its longest yet, stay within READ_SECONDS: a
# mutated JPEG of a band of noise, read four times over (first, closer, at two weak bars), took
# 1.1-2.7 s on one core from hour to hour (`benchmarks/fuzz_inputs.py`), and a small machine is
# slower still. The benchmarks' photos and the tests' are read in 0.05-0.8 s in all (one core).
READ_SECONDS = float(os.environ.get("HEY_NUMBER_READ_SECONDS", 1.5))


@dataclass
class _Clock:
    """When a photo's reading started and its longest look yet (see READ_SECONDS)."""

    seconds: float
    started: float = field(default_factory=time.perf_counter)
    longest: float = 0.0

    def time_left_for_a_look(self) -> bool:
        return time.perf_counter() - self.started + self.longest <= self.seconds

    def looked(self, since: float) -> None:
        """A look that began at ``since`` (a ``time.perf_counter()``) is over."""
        self.longest = max(self.longest, time.perf_counter() - since)


@dataclass
class _CutBudget:
    """How many more parts one photo may read while trying cuts (all orientations together)."""

    parts_left: int = MAX_CUT_PARTS


def _blank_digit() -> np.ndarray:
    return np.zeros((28, 28), np.uint8)


@dataclass(frozen=True)
class DigitReading:
    digit: int
    confidence: float
    alternatives: tuple[tuple[int, float], ...]  # top-3 (digit, probability)
    box: tuple[int, int, int, int]  # x, y, w, h in the original photo
    line: int
    # which group of its line (digits apart from their neighbours by GROUP_GAP start a new one)
    group: int = 0
    pixels: np.ndarray = field(
        repr=False, compare=False, default_factory=lambda: np.zeros((28, 28), np.uint8)
    )


@dataclass
class Reading:
    """What was read on one photo."""

    lines: list[str]
    digits: list[DigitReading]
    timings: dict[str, float]
    rotation: int = 0
    stray: int = 0  # digit-like marks not read: in lines too unsure, or too short beside a number
    low_left_out: int = 0  # pieces lower than digits left out as separators (``Piece.low``)
    bendable: int = 0  # pieces a cut bending round ink may part (BEND_BELOW), read with bent cuts or not
    sureness: float = 0.0  # mean over the digits of: probability of the digit x of one whole digit
    # whether its page may be upside down: its upright reading's pieces looked so, or it had none
    # (a closer look and a reading again turn the page over only then: see SURE_UPSIDE_DOWN)
    may_be_upside_down: bool = True
    # whether a shaking hand's smear was found on the photo (:mod:`recognizer.shake`; the reader
    # went on with the copy undone of it, unless that read clearly less surely): the bot says so
    shaken: bool = False
    # the pieces of ink as segmented (before any cut), normalised, and their sureness
    pieces: list[tuple[np.ndarray, float]] = field(default_factory=list, repr=False)
    # the boxes (x, y, w, h, in the photo's pixels) of the type found beside the writing and left
    # out (see PRINT_FOOT): the reader reads the photo again with it painted over
    type_boxes: list[tuple[int, int, int, int]] = field(default_factory=list, repr=False)
    # the photo as it was given (bytes, a path or an array), decoded again in colour to annotate
    photo: bytes | str | Path | np.ndarray | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def groups(self, line: int) -> list[str]:
        """The digits of line ``line`` in the groups they were written in ("416 555 0199": three)."""
        groups: dict[int, str] = {}
        for digit in self.digits:
            if digit.line == line:
                groups[digit.group] = groups.get(digit.group, "") + str(digit.digit)
        found = [groups[key] for key in sorted(groups)]
        return found if "".join(found) == self.lines[line] else [self.lines[line]]

    @property
    def confidence(self) -> float:
        return float(np.mean([d.confidence for d in self.digits])) if self.digits else 0.0

    def largest_digit(self) -> DigitReading | None:
        """The biggest digit read: the one a photo of a single digit shows."""
        return max(self.digits, key=lambda d: d.box[2] * d.box[3], default=None)

    def annotated(self, max_side: int | None = None) -> bytes:
        """PNG bytes of the photo with each digit's box and value drawn on it, shrunk so that its
        long side is at most ``max_side`` pixels when given."""
        if self.photo is None:
            raise ValueError("this reading holds no image")
        decoded = decode(self.photo)  # (a JPEG is read in grey, and drawn on in colour)
        canvas = cv2.cvtColor(decoded.original, cv2.COLOR_RGB2BGR)
        scale = 1.0
        if max_side and max(canvas.shape[:2]) > max_side:
            scale = max_side / max(canvas.shape[:2])
            canvas = cv2.resize(canvas, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        thickness = max(2, max(canvas.shape[:2]) // 400)
        for digit in self.digits:
            x, y, w, h = (round(v * scale / decoded.full_scale) for v in digit.box)
            colour = (0, 170, 0) if digit.confidence >= 0.9 else (0, 140, 255)
            cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, thickness)
            font_scale = max(0.6, h / 40)
            cv2.putText(
                canvas,
                str(digit.digit),
                (x, max(0, y - 6)),
                cv2.FONT_HERSHEY_SIMPLEX,
                font_scale,
                colour,
                thickness,
            )
        _, png = cv2.imencode(".png", canvas)
        return png.tobytes()


def _around_ink(ink: InkMap) -> tuple[np.ndarray, tuple[int, int]]:
    """The ink mask cut down to its ink's bounding box and CROP_MARGIN around it, and the crop's
    top-left corner: segmenting, turning and levelling cost what the mask's area does, and a
    number on a page covers a fifth of it (median, synthetic photos). Where the box reaches the
    photo's edge, so does the crop: ink along the photo's edge is told by touching it."""
    mask, (x, y, w, h) = ink.mask, ink.box
    if w == 0 or h == 0:
        return mask, (0, 0)
    x0, y0 = max(0, x - CROP_MARGIN), max(0, y - CROP_MARGIN)
    x1, y1 = min(mask.shape[1], x + w + CROP_MARGIN), min(mask.shape[0], y + h + CROP_MARGIN)
    return np.ascontiguousarray(mask[y0:y1, x0:x1]), (x0, y0)


def _turned_frame(
    origin: tuple[int, int], crop: tuple[int, int], frame: tuple[int, int], degrees: int
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Where a crop (``crop``: rows, columns) at ``origin`` (x, y) of an image of shape ``frame``
    lies once both are turned clockwise by ``degrees``: its origin and the turned image's shape."""
    (x, y), (height, width), (rows, cols) = origin, crop, frame
    if degrees == 90:
        return (rows - y - height, x), (cols, rows)
    if degrees == 180:
        return (cols - x - width, rows - y - height), (rows, cols)
    if degrees == 270:
        return (y, cols - x - width), (cols, rows)
    return (x, y), (rows, cols)


def _rotate(image: np.ndarray, degrees: int) -> np.ndarray:
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return image if degrees == 0 else cv2.rotate(image, codes[degrees])


def _clip(box: tuple[int, int, int, int], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    x, y, w, h = box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(shape[1], x + w), min(shape[0], y + h)
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def _unrotate_box(box, degrees: int, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """Map a box found in the image rotated clockwise by ``degrees`` back to the unrotated image."""
    x, y, w, h = box
    height, width = shape  # of the unrotated image
    if degrees == 90:
        return y, height - x - w, h, w
    if degrees == 180:
        return width - x - w, height - y - h, w, h
    if degrees == 270:
        return width - y - h, x, h, w
    return x, y, w, h


class Recognizer:
    """Reads handwritten digits on photos; thread-safe (the classifier locks itself)."""

    def __init__(
        self,
        classifier: DigitClassifier,
        pieces: PieceChecker | None = None,
        upright: UprightChecker | None = None,
        read_seconds: float = READ_SECONDS,
    ) -> None:
        self.classifier = classifier
        self.read_seconds = read_seconds
        self.pieces = pieces if pieces is not None else PieceChecker()
        self.upright = upright if upright is not None else UprightChecker()
        # One photo is read on one thread; a server reads several photos in parallel instead.
        # OpenCV's own threads inside one photo only fight with those (labelling got 3x slower).
        cv2.setNumThreads(1)
        reuse_photo_sized_memory()

    @classmethod
    def load(cls, model_path: str | Path | None = None) -> Recognizer:
        """The shipped model, or the LiteRT model at ``model_path``."""
        return cls(DigitClassifier(model_path))

    def read(self, image: bytes | str | Path | np.ndarray) -> Reading:
        """Read the digits on a photo (file bytes, a path, or an RGB array)."""
        timings: dict[str, float] = {}
        clock = _Clock(self.read_seconds)
        started = clock.started
        decoded = decode(image, grey_jpeg=True)
        timings["decode"] = time.perf_counter() - started
        # (light strokes on a dark ground: the negative first, as reading the photo itself, its
        # "ink" the ground's grain between the strokes, took 1-3 s)
        dark = dark_ground(decoded.working)
        negative = (
            self._read_negative(decoded, timings, clock) if dark and light_strokes(decoded.working) else None
        )
        if negative is not None and _score(negative) >= GOOD_ENOUGH and len(negative.digits) >= PHONE_DIGITS:
            best, shaken = negative, False  # (a number read surely: the photo itself need not be read)
        else:
            best, shaken = self._read_as_taken(image, decoded, (dark, negative), timings, clock)
        best.timings = {k: round(v, 5) for k, v in timings.items()}
        best.timings["total"] = round(time.perf_counter() - started, 5)
        best.photo = image
        best.shaken = shaken
        return best

    def _read_as_taken(
        self,
        image: bytes | str | Path | np.ndarray,
        decoded: DecodedImage,
        ground: tuple[bool, Reading | None],
        timings: dict[str, float],
        clock: _Clock,
    ) -> tuple[Reading, bool]:
        """The photo's reading, not its negative's: a first look, then closer looks and rereads
        while the ``clock`` allows; and whether the writing was smeared. ``ground``: whether the
        photo's ground is dark, and its negative's reading when read already. A weak reading, or one
        of a digit or two, of a photo with a dark ground is checked against its negative
        (:func:`_negative_reads_better`): light writing read as nothing, as the ground's grain, or
        a dark page on a lighter desk as a big 0 or 1."""
        dark, negative = ground
        since = clock.started if negative is None else time.perf_counter()
        decoded, first = self._read_flattened(decoded, timings)
        decoded, first, shaken = self._unshaken(decoded, first, timings)
        clock.looked(since)
        best = self._look_closer(image, decoded, first, timings, clock)
        if best is first:  # (a closer look that read better is not read again)
            best = self._reread(decoded, first, timings, clock)
        if best.type_boxes and clock.time_left_for_a_look():
            best = self._read_without_type(decoded, best, timings, clock)
        # (a digit or two, however surely read, is doubtful too: a dark page on a lighter desk
        # reads as one big 0 or 1)
        doubtful = _score(best) < WEAK_READING or len(best.digits) < MIN_LINE_DIGITS
        if negative is None and doubtful and dark and clock.time_left_for_a_look():
            negative = self._read_negative(decoded, timings, clock)
        if negative is not None and _negative_reads_better(negative, best):
            return negative, shaken
        return best, shaken

    def _read_without_type(
        self, decoded: DecodedImage, reading: Reading, timings: dict[str, float], clock: _Clock
    ) -> Reading:
        """``reading``, or the photo read again with the type found on it painted over with the
        paper around it, where that scores better; the time it takes in ``timings["type"]``. Dark
        type beside a pencil number set the bar for the ink: the pencil's strokes were too light
        for it, and fell apart."""
        start = time.perf_counter()
        working = decoded.working.copy()
        for x, y, w, h in reading.type_boxes:
            left, top, right, bottom = decoded.working_box((x, y, x + w, y + h))
            pad = TYPE_PAD * (bottom - top)
            rows = slice(max(0, int(top - pad)), int(np.ceil(bottom + pad)))
            cols = slice(max(0, int(left - pad)), int(np.ceil(right + pad)))
            around = working[rows, cols]
            if around.size:
                around[...] = np.percentile(around.reshape(-1, *around.shape[2:]), TYPE_PAPER, axis=0)
        again = self._read_decoded(replace(decoded, working=working), {})
        timings["type"] = time.perf_counter() - start
        clock.looked(start)
        # (not where the type was: what was left of it, a letter or two, is no digit either; nor
        # with half the digits gone: a cheque's printed field read as type, "1000" read "5")
        beside_type = any(_near(digit.box, box) for digit in again.digits for box in reading.type_boxes)
        kept = len(again.digits) >= REREAD_KEEPS * len(reading.digits)
        return again if _score(again) > _score(reading) and kept and not beside_type else reading

    def _read_negative(self, decoded: DecodedImage, timings: dict[str, float], clock: _Clock) -> Reading:
        """The photo's negative read: light writing on a dark ground (chalk on a blackboard, a
        dark-mode screenshot) is dark on light there, as the ink finder wants it. The time it takes
        goes to ``timings["negative"]``. (A note on a dark desk or a page in a dim room reads
        surely as taken; its negative, read for nothing, may take half a second.)"""
        start = time.perf_counter()
        reading = self._read_decoded(decoded.negative(), {})
        timings["negative"] = time.perf_counter() - start
        clock.looked(start)
        return reading

    def _read_flattened(
        self, decoded: DecodedImage, timings: dict[str, float]
    ) -> tuple[DecodedImage, Reading]:
        """The photo and its reading; for a page photographed at a slant, the page flattened
        (:mod:`recognizer.flatten`) and its reading, unless that reads no digits. The time the
        flattening takes goes to ``timings["flatten"]``, with a flattened reading's that is not
        kept (the other stages then time the photo's own reading alone)."""
        start = time.perf_counter()
        flat = flattened(decoded)
        timings["flatten"] = time.perf_counter() - start
        if flat is not None:
            flat_timings: dict[str, float] = {}
            reading = self._read_decoded(flat, flat_timings)
            if reading.digits:
                timings.update(flat_timings)
                return flat, reading
            timings["flatten"] = time.perf_counter() - start
        return decoded, self._read_decoded(decoded, timings)

    def _unshaken(
        self, decoded: DecodedImage, first: Reading, timings: dict[str, float]
    ) -> tuple[DecodedImage, Reading, bool]:
        """The photo and its reading, or, when the writing is smeared by a shaking hand, its working
        copy with the smear undone around the writing and that copy's reading (unless it reads
        clearly less surely, SMEAR_DOUBT); and whether a smear was found. The time it takes goes to
        ``timings["unshake"]``."""
        if not first.digits:
            return decoded, first, False
        start = time.perf_counter()
        working = decoded.working
        grey = working if working.ndim == 2 else cv2.cvtColor(working, cv2.COLOR_RGB2GRAY)
        per_working = decoded.scale * decoded.full_scale
        writing = decoded.working_box(_writing_box(first, SMEAR_MARGIN * _digit_height(first)))
        left, top, right, bottom = (round(value) for value in writing)
        # (a JPEG's blocks are 8 of its pixels wide)
        smear = find_smear(grey[max(0, top) : bottom, max(0, left) : right], JPEG_BLOCK / per_working)
        best = decoded, first
        if smear is not None:
            pad = int(SMEAR_PAD * smear.length)
            rows, cols = grey.shape
            box = (max(0, left - pad), max(0, top - pad), min(cols, right + pad), min(rows, bottom + pad))
            sharper = replace(decoded, working=unsmeared(grey, smear, box))
            again = self._read_decoded(sharper, {})
            if again.digits and again.confidence >= first.confidence - SMEAR_DOUBT:
                best = sharper, again
        timings["unshake"] = time.perf_counter() - start
        return *best, smear is not None

    def _look_closer(
        self,
        image: bytes | str | Path | np.ndarray,
        decoded: DecodedImage,
        reading: Reading,
        timings: dict[str, float],
        clock: _Clock,
    ) -> Reading:
        """Read the photo again, larger, where that may read better. On a photo with pixels to
        spare (ZOOM_GAIN times the working copy's), small writing is read again from a crop
        around it, its digits ZOOM_HEIGHT pixels tall. Then a reading still unsure (below
        GOOD_ENOUGH), on a photo with pixels to spare, or of small writing scoring at least
        ENLARGE_FROM, or weak (below WEAK_READING) on a photo shrunk to work on, is read again on
        the whole photo at ZOOM_PAGE times the working size (its
        own pixels, or enlarged): writing too small to read at first reads as nothing, specks or
        page edges taken for 1s, and the ink finder's smallest windows are a pen stroke's width at
        the working size. Keeps whichever reading scores best; the time spent goes to
        ``timings["zoom"]``. Each look only while the ``clock`` leaves time for it; an enlarged look
        that loses a digit read surely is not taken (INTERPOLATED)."""
        photo_per_working = decoded.scale * decoded.full_scale
        spare = photo_per_working >= ZOOM_GAIN
        height = _digit_height(reading) if reading.digits else 0.0
        small = bool(reading.digits) and height < SMALL_WRITING * photo_per_working
        looks = []
        if spare and small:
            looks.append((_writing_box(reading, ZOOM_MARGIN * height), ZOOM_HEIGHT / height))
        # (interpolating adds no pixels; but a weak reading of a photo shrunk to work on may be
        # of the page's edges, its writing too small or faint there to be found at all; or no
        # reading, the few bits of the writing found there too few for a number: stray marks)
        weak = photo_per_working > 1 and _score(reading) < WEAK_READING
        enlarge = (small and _score(reading) >= ENLARGE_FROM) or weak
        if (spare or enlarge) and (reading.digits or reading.stray):  # (not a page of nothing)
            looks.append((None, ZOOM_PAGE / photo_per_working))
        full: DecodedImage | None = None
        best = reading
        for box, factor in looks:
            if (box is None and _score(best) >= GOOD_ENOUGH) or not clock.time_left_for_a_look():
                break
            start = time.perf_counter()
            # (in colour, as the photo was always enlarged: the first look may have decoded grey)
            colour = decoded.full_scale == 1 and decoded.original.ndim == 3
            full = full or (decoded if colour else decode(image, full_size=True))
            closer = self._read_part(full.original, box, factor, reading.may_be_upside_down)
            timings["zoom"] = timings.get("zoom", 0.0) + time.perf_counter() - start
            clock.looked(start)
            lost = factor >= INTERPOLATED and _loses_a_sure_digit(closer, best)  # (see INTERPOLATED)
            # (turned another way, only keeping TURNED_KEEPS of the digits: an underline stood on
            # end is one sure 1; a page read the wrong way up at first may lose a false one)
            turned = closer.rotation != best.rotation and len(closer.digits) < TURNED_KEEPS * len(best.digits)
            if _score(closer) > _score(best) and not lost and not turned:
                best = closer
        return best

    def _read_part(
        self,
        photo: np.ndarray,
        box: tuple[float, float, float, float] | None,
        factor: float,
        upside_down: bool = True,
    ) -> Reading:
        """Read ``box`` (left, top, right, bottom; None: all) of the photo's full-size pixels,
        resized by ``factor`` (enlarged, interpolated, beyond the photo's own pixels), upside
        down too only if ``upside_down``; boxes in the photo's coordinates."""
        rows, cols = photo.shape[:2]
        left, top, right, bottom = box if box is not None else (0, 0, cols, rows)
        x0, y0 = max(0, int(left)), max(0, int(top))
        x1, y1 = min(cols, int(np.ceil(right))), min(rows, int(np.ceil(bottom)))
        crop = photo[y0:y1, x0:x1]
        if min(crop.shape[:2]) * factor < MIN_SIDE:
            return Reading([], [], {})
        working = resized(crop, 1 / factor) if factor != 1 else crop
        part = DecodedImage(original=crop, working=working, scale=1 / factor)
        reading = self._read_decoded(part, {}, upside_down=upside_down)
        if x0 or y0:  # (boxes come back in the crop's pixels)
            reading.digits = [
                replace(digit, box=(digit.box[0] + x0, digit.box[1] + y0, *digit.box[2:]))
                for digit in reading.digits
            ]
            reading.type_boxes = [(x + x0, y + y0, w, h) for x, y, w, h in reading.type_boxes]
        return reading

    def _reread(
        self, decoded: DecodedImage, first: Reading, timings: dict[str, float], clock: _Clock
    ) -> Reading:
        """``first``, or when it reads unsurely (REREAD_BELOW), the photo read again at each of
        PARTING_WEAK_BARS where that reads surer (:func:`_surer_again`), while the ``clock`` leaves
        time for it; the time it takes in ``timings["reread"]``."""
        if not first.digits or _score(first) >= REREAD_BELOW or not clock.time_left_for_a_look():
            return first
        start = time.perf_counter()
        best = first
        for weak_bar in PARTING_WEAK_BARS:
            if not clock.time_left_for_a_look():
                break
            look = time.perf_counter()
            again = self._read_decoded(decoded, {}, weak_bar, first.may_be_upside_down)
            clock.looked(look)
            # (another way up only where _score, which weighs how the digits stand in lines,
            # agrees: the classifier is as sure of a sideways page's digits)
            same_way = again.rotation == first.rotation or _score(again) > _score(first)
            if same_way and _surer_again(again, best, first):
                best = again
        timings["reread"] = time.perf_counter() - start
        return best

    def _read_decoded(
        self,
        decoded: DecodedImage,
        timings: dict[str, float],
        weak_bar: float = WEAK_DARKNESS,
        upside_down: bool = True,
    ) -> Reading:
        """Find the ink of a decoded photo (``weak_bar``: its bar for weak ink) and read it the way
        up that reads best (upside down only if ``upside_down``: a later look at a page whose first
        reading's pieces looked upright does not turn it over)."""
        best: Reading | None = None
        start = time.perf_counter()
        # found once, and turned with the page (90° turns are exact)
        ink, origin = _around_ink(find_ink(decoded.working, weak_bar))
        timings["ink"] = time.perf_counter() - start
        budget = _CutBudget()
        upright = best = self._read_oriented(decoded, ink, origin, 0, timings, budget)
        may_be_upside_down = not upright.digits
        if _score(best) < SURE_ONE_WAY_UP:
            # read the page another way up only where its pieces, each turned that way, read better
            start = time.perf_counter()
            ways = self._ways_worth_reading(best, _band_across(ink))
            may_be_upside_down = may_be_upside_down or any(degrees == 180 for degrees, _ in ways)
            if not upside_down:
                ways = [(degrees, margin) for degrees, margin in ways if degrees != 180]
            timings["orient"] = time.perf_counter() - start
            for degrees, margin in ways:
                reading = self._read_oriented(decoded, ink, origin, degrees, timings, budget)
                better = _score(reading) > _score(best) + (margin if best.rotation == 0 else 0.0)
                if better and _as_many_digits(reading, upright):
                    best = reading
                if _score(best) >= GOOD_ENOUGH:
                    break
        assert best is not None
        if best.bendable:  # (the way up chosen by straight cuts: bent ones read a turned page surer)
            bent = self._read_oriented(decoded, ink, origin, best.rotation, timings, _CutBudget(), bend=True)
            # (bent cuts part doubtful pieces anew: a reading that lost most of its digits with them,
            # its lines now too unsure to be read, is no better cut, however surely a stray digit
            # left alone reads)
            kept = len(bent.digits) >= BENT_KEEPS * len(best.digits)
            best = bent if kept and _score(bent) >= _score(best) else best
        if 0 < len(best.digits) <= FEW_DIGITS:
            best = _best_tilted(
                best,
                lambda degrees, tilt: self._read_oriented(
                    decoded, ink, origin, degrees, timings, budget, tilt
                ),
            )
        best.may_be_upside_down = may_be_upside_down
        return best

    def _ways_worth_reading(self, upright: Reading, band_across: bool = False) -> list[tuple[int, float]]:
        """The other orientations in which the upright reading's pieces of ink, each turned that
        way, are surer digits than upright, best first, each with the margin by which it must
        read better than upright: a quick look (one batch) before reading the whole page another
        way up. Upside down only if the pieces also look upside down; sideways only if the
        upright reading's lines do not run across the page, nor its ink (``band_across``)."""
        ways = [degrees for degrees in ROTATIONS if degrees]
        if not upright.pieces:
            return [(degrees, TURNED_MARGIN) for degrees in ways]
        if _runs_across(upright) or band_across:
            ways = [180]
        pixels = [digit for digit, _ in upright.pieces]
        evidence = self.upright.evidence(pixels)
        if evidence >= UPSIDE_DOWN_EVIDENCE:
            ways.remove(180)
        if not ways:
            return []
        margins = {degrees: TURNED_MARGIN for degrees in ways}
        if evidence < SURE_UPSIDE_DOWN:
            margins[180] = 0.0
        as_read = float(np.mean([sureness for _, sureness in upright.pieces]))
        # (reading the page turned clockwise by d turns each piece clockwise by d: np.rot90 by -d)
        turned = [np.rot90(digit, -degrees // 90) for degrees in ways for digit in pixels]
        sureness = np.array([sure for _, sure in self._classify(turned)]).reshape(len(ways), len(pixels))
        means = sureness.mean(axis=1)
        return [(ways[k], margins[ways[k]]) for k in np.argsort(-means, kind="stable") if means[k] >= as_read]

    def _read_oriented(
        self,
        decoded: DecodedImage,
        ink: np.ndarray,
        origin: tuple[int, int],
        degrees: int,
        timings: dict[str, float],
        budget: _CutBudget,
        tilt: float = 0.0,
        bend: bool = False,
    ) -> Reading:
        """The page turned clockwise by ``degrees``, its lines levelled (by ``tilt`` degrees
        when given, else by their measured slope), read (``bend``: with bent cuts, BEND_BELOW)."""

        def timed(stage: str, function, *args):
            start = time.perf_counter()
            value = function(*args)
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start
            return value

        def in_photo(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
            """A box of the levelled page in the photo's pixels."""
            if inverse is not None:
                box = _clip(box_back(box, inverse), mask.shape[:2])
            x, y, w, h = _unrotate_box(box, degrees, ink.shape[:2])
            return decoded.photo_box((x + origin[0], y + origin[1], w, h))

        mask = _rotate(ink, degrees)
        segmentation = timed("segment", segment, mask)
        angle = tilt or writing_angle(segmentation)
        inverse = None
        if angle:  # slanted writing: level the lines and segment again (as the whole photo would be)
            frame = _turned_frame(origin, ink.shape[:2], decoded.working.shape[:2], degrees)
            turned, inverse = timed("deskew", rotate_mask, segmentation.on_the_page(mask), angle, *frame)
            segmentation = timed("segment", segment, turned)
        digits: list[DigitReading] = []
        lines: list[str] = []
        read_lines, unsure = [], []
        stray = low_left_out = bendable = 0
        not_digits: set[tuple[int, int, int, int]] = set()
        singles = timed(
            "classify", self._read_whole, segmentation.lines, segmentation.digit_height, segmentation.rules
        )
        for pieces, whole in zip(segmentation.lines, singles, strict=True):
            read, left_out, no_digits, bendy = timed("classify", self._read_line, pieces, whole, budget, bend)
            read, nested = _without_nested(read)
            stray += nested
            low_left_out += left_out
            bendable += bendy
            not_digits |= no_digits
            confidences = [p.confidence for _, p, _, _ in read]
            sure = read and statistics.fmean(sureness for *_, sureness in read) >= MIN_LINE_SURENESS
            if sure and statistics.median(confidences) >= MIN_LINE_CONFIDENCE:
                read_lines.append(read)
            else:
                unsure.append(read)
                stray += len(read)
        type_boxes: list[tuple[int, int, int, int]] = []
        read_lines, words = _without_words(read_lines, unsure, type_boxes)
        read_lines, bars = _without_bars(read_lines)
        stray += words + bars
        if not_digits:  # (left out after the words: a word's small letters may be among them)
            kept = [[result for result in read if result[0] not in not_digits] for read in read_lines]
            stray += sum(map(len, read_lines)) - sum(map(len, kept))
            read_lines = [read for read in kept if read]
        longest = max((len(read) for read in read_lines), default=0)
        numbers = [read for read in read_lines if not len(read) < MIN_LINE_DIGITS <= longest]
        if longest < MIN_LINE_DIGITS and len(numbers) >= SCATTERED_LINES:
            numbers = []
        stray += sum(map(len, read_lines)) - sum(map(len, numbers))  # (stray marks beside a number)
        surenesses = []
        for read in _flags_read_as_ones(numbers):
            line_index = len(lines)
            lines.append("".join(str(p.digit) for _, p, _, _ in read))
            groups = _group_numbers([box for box, *_ in read])
            for (box, prediction, pixels, sureness), group in zip(read, groups, strict=True):
                surenesses.append(sureness)
                original = in_photo(box)
                digits.append(
                    DigitReading(
                        digit=prediction.digit,
                        confidence=round(prediction.confidence, 4),
                        alternatives=tuple((d, round(p, 4)) for d, p in prediction.top3),
                        box=original,
                        line=line_index,
                        group=group,
                        pixels=pixels,
                    )
                )
        sureness = float(np.mean(surenesses)) if surenesses else 0.0
        return Reading(
            lines,
            digits,
            timings,
            rotation=degrees,
            stray=stray,
            low_left_out=low_left_out,
            bendable=bendable,
            sureness=sureness,
            pieces=[(pixels, sure) for line in singles for _, sure, pixels in line],
            type_boxes=[in_photo(box) for box in type_boxes],
        )

    def _classify(self, digits: list[np.ndarray]) -> list[tuple[Prediction, float]]:
        """Each normalised digit's prediction and how surely it is that digit and one whole
        digit: the digit's probability times the piece checker's."""
        batch = np.stack(digits)
        whole = self.pieces.one_digit(batch)
        predictions = list(map(reread, self.classifier.predict(batch), digits))
        predictions = read_mirrored_nines(predictions, batch, self.classifier.probabilities)
        return [(p, p.confidence * float(w)) for p, w in zip(predictions, whole, strict=True)]

    def _read_whole(
        self, lines: list[list[Piece]], height: float, rules: np.ndarray | None = None
    ) -> list[list[tuple[Prediction, float, np.ndarray]]]:
        """Every piece of every line read whole, in one batch: (prediction, sureness, pixels);
        ``height``: the writing's typical digit height; ``rules``: the ink segmentation took out as
        rules, if any (see :meth:`_join_broken`).
        A piece with a possible top bar beside it (``Piece.capped``) is read both ways and
        replaced, in ``lines``, by the surer one."""
        pieces = [piece for line in lines for piece in line]
        if not pieces:
            return [[] for _ in lines]
        closed = {id(piece): _on_rule([piece], piece, rules) for piece in pieces}
        closed = {key: piece for key, piece in closed.items() if piece is not None}
        choices = (
            pieces + [piece.capped for piece in pieces if piece.capped is not None] + list(closed.values())
        )
        normalised = [to_mnist(piece.mask) for piece in choices]
        read = dict(
            zip(map(id, choices), zip(self._classify(normalised), normalised, strict=True), strict=True)
        )
        result = []
        for line in lines:
            row = []
            for index, piece in enumerate(line):
                (prediction, sureness), pixels = read[id(piece)]
                if id(piece) in closed:  # (a loop whose foot went with a rule: see _on_rule)
                    (whole, whole_sureness), whole_pixels = read[id(closed[id(piece)])]
                    if _closed_on_rule(prediction, sureness, whole, whole_sureness):
                        line[index] = piece = closed[id(piece)]
                        prediction, sureness, pixels = whole, whole_sureness, whole_pixels
                if piece.capped is not None:
                    (capped, capped_sureness), capped_pixels = read[id(piece.capped)]
                    if _reads_capped(sureness, capped_sureness):
                        line[index] = replace(piece.capped, line=piece.line)
                        prediction, sureness, pixels = capped, capped_sureness, capped_pixels
                row.append((prediction, sureness, pixels))
            result.append(row)
        self._join_broken(lines, result, height, rules)
        return result

    def _join_broken(
        self, lines: list[list[Piece]], read: list[list], height: float, rules: np.ndarray | None = None
    ) -> None:
        """Join neighbouring pieces, in ``lines`` and their readings ``read``, that together are
        no wider than a digit and read as one far more surely than apart (or, one of them far
        shorter than a digit of ``height``, fairly surely and surer at all: SHORT_PART): a digit
        whose strokes came apart side by side (the loop of a 9 beside its stem, a 4 in two
        strokes), or one over the other (:func:`_stacked`: a 0 in two arcs) and read as one surely;
        and two strokes read as 1s that are one 1 with a long flag (:func:`_flagged_one`). Where
        both stand on ink taken out as a rule (``rules``), they are read with it too
        (:func:`_on_rule`): a 0 written on an underline, its bottom gone with the line."""
        candidates = [
            (number, index, joined)
            for number, line in enumerate(lines)
            for index in range(len(line) - 1)
            if (joined := _joined(line[index], line[index + 1])) is not None
            and _may_join(line[index : index + 2], read[number][index : index + 2], joined, height)
        ]
        if not candidates:
            return
        taken: set[tuple[int, int]] = set()
        chosen = []
        for (number, index, joined), (prediction, sureness), pixels, on_rule in self._read_joined(
            lines, candidates, rules
        ):
            (left, left_sureness, _), (right, right_sureness, _) = read[number][index : index + 2]
            if (number, index) in taken:
                continue
            one, other = pair = lines[number][index : index + 2]
            readings = read[number][index : index + 2]
            if not _joins(
                pair, readings, joined, height, prediction.confidence, sureness, on_rule
            ):  # unless "/|"
                flagged = _flagged_one(one.mask, one.box[:2], other.mask, other.box[:2])
                if not (left.digit == right.digit == 1 and flagged):
                    continue
                prediction, sureness = _as_one(left, right), min(left_sureness, right_sureness)
            taken |= {(number, index), (number, index + 1)}
            chosen.append((number, index, joined, (prediction, sureness, pixels)))
        for number, index, joined, reading in reversed(chosen):  # (right to left: indices hold)
            lines[number][index : index + 2] = [joined]
            read[number][index : index + 2] = [reading]

    def _read_joined(
        self, lines: list[list[Piece]], candidates: list, rules: np.ndarray | None = None
    ) -> list:
        """The join ``candidates`` [(line, index, joined piece)] read in one batch, each as it is,
        bridged (:func:`_bridged`) and with the ink taken out as ``rules`` under it restored
        (:func:`_on_rule`), the first that reads most surely whole kept:
        [(candidate, (prediction, sureness), pixels, whether read with the rule's ink)]."""
        variants = []  # (candidate's position, its piece as read, whether with the rule's ink)
        for position, (line, index, joined) in enumerate(candidates):
            pair = lines[line][index : index + 2]
            bridged = _bridged(*pair, joined)
            ways = (
                (joined, False),
                (None if bridged is None else replace(joined, mask=bridged), False),
                (_on_rule(pair, joined, rules), True),
            )
            variants += [(position, way, on_rule) for way, on_rule in ways if way is not None]
        pixels = [to_mnist(piece.mask, exact_stroke=True) for _, piece, _ in variants]
        readings = self._classify(pixels)
        best: dict[int, tuple] = {}
        for (position, piece, on_rule), reading, crop in zip(variants, readings, pixels, strict=True):
            if position not in best or reading[1] > best[position][1][1]:
                best[position] = (piece, reading, crop, on_rule)
        return [
            ((line, index, best[position][0]), *best[position][1:])
            for position, (line, index, _) in enumerate(candidates)
        ]

    def _read_line(self, pieces: list[Piece], whole: list, budget: _CutBudget, bend: bool = False):
        """A line's pieces, read whole (``whole``, from :meth:`_read_whole`), with cuts tried
        through the wide or doubtful ones (with ``bend``, bent cuts too: BEND_BELOW). Returns
        [(box, prediction, pixels, sureness)], how many low pieces were left out as not surely
        digits (and short strokes, :func:`_stray_stroke`), the boxes of the pieces far too wide
        for a digit (NO_DIGIT_WIDE) that read as one only doubtfully, no cut of them reading as
        digits either: a word written in one stroke ("home"), to be left out; and how many pieces
        a bent cut may part."""
        results, left_out, not_digits, bendable = [], 0, set(), 0
        line_height = float(np.median([piece.box[3] for piece in pieces if not piece.low] or [0]))
        pen = _LinePen(pieces)
        for position, (piece, (single, sureness, pixels)) in enumerate(zip(pieces, whole, strict=True)):
            if _stray_stroke(piece, single, sureness, line_height, pen):
                left_out += 1
                continue
            end_mark = position == len(pieces) - 1 >= 2 and _end_mark(piece, line_height)
            if piece.low or end_mark:  # a squat digit, or a separator after all
                if _low_digit(single, sureness):
                    results.append((piece.box, single, pixels, sureness))
                else:
                    left_out += 1
                continue
            # (a piece read surely as one whole digit, and not clearly wider than one, is not cut)
            doubtful = (
                sureness < DOUBTFUL_WHOLE * single.confidence and piece.width_ratio >= NARROWEST_PAIR
            ) or (single.confidence < UNSURE_DIGIT and piece.width_ratio >= NARROWEST_UNSURE)
            worth_cutting = piece.wide or doubtful
            if worth_cutting and (sureness < SURE_SINGLE or piece.width_ratio > CLEARLY_WIDE):
                low_rings = single.digit not in LOOP_AND_STROKE
                split = self._best_split(piece, budget, low_rings=low_rings)
                # (a lone piece is as wide as the writing's typical digit, whatever it holds)
                not_whole = sureness < BEND_NOT_WHOLE and piece.width_ratio > NARROW_PIECE
                bendable_piece = (
                    piece.width_ratio >= NARROW_PIECE
                    and (single.confidence < BEND_CONFIDENT or not_whole)
                    and piece.box[3] <= BEND_ROWS
                )
                if bendable_piece and _split_sureness(split) < BEND_BELOW:
                    bendable += 1
                    bent = self._best_split(piece, budget, CUT_BEND, low_rings) if bend else None
                    if _split_sureness(bent) > _split_sureness(split) + BEND_MARGIN:
                        split = bent
                if split and _prefer_split(piece, single, sureness, split):
                    results.extend(split)
                    continue
            if piece.width_ratio > NO_DIGIT_WIDE and sureness < NO_DIGIT_WHOLE:
                not_digits.add(piece.box)
            results.append((piece.box, single, pixels, sureness))
        return results, left_out, not_digits, bendable

    def _best_split(self, piece: Piece, budget: _CutBudget, bend: float = 0.0, low_rings: bool = True):
        """Cut a wide piece into 2 to MAX_PARTS digits: every way of cutting it at low-ink
        columns is read, and the cut whose parts are surest to be whole digits and read (geometric
        mean) wins. With ``bend`` (piece heights), each cut runs from its column along the path
        crossing the least ink (:func:`_cut_paths`), into at most as many parts as the piece is
        digits wide. With ``low_rings``, parts lower than MIN_PART_HEIGHT that hold a loop are
        read too (RING_PART_HEIGHT). Returns [(box, prediction, pixels, sureness)] or None."""
        mask = piece.mask
        height = mask.shape[0]
        # (a smaller hole is no part's loop: every part is at least RING_PART_HEIGHT of the piece high;
        # a piece of noise has hundreds)
        holes = [hole for hole in piece_holes(mask) if hole[4] >= CUT_LOOP * (RING_PART_HEIGHT * height) ** 2]
        loops = [box for *box, area in holes if area >= CUT_LOOP * height**2]
        # (no cut crosses a loop of a piece not clearly wider than one digit)
        cuts = _cut_candidates(mask, between=loops, within=loops if piece.width_ratio <= CLEARLY_WIDE else [])
        # (small digits, such as the joined zeros of "30.000", are as wide as the writing's digits)
        widest = max(MAX_PART_WIDTH * height, piece.box[2] / piece.width_ratio)
        narrowest = THIN_PART_WIDTH if piece.wide else MIN_PART_WIDTH  # (see THIN_PART_WIDTH)
        # (and wider round a loop: a flat 0 is as wide as its loop and its pen on both sides)
        flat_zero = FLAT_ZERO_PENS * stroke_width(mask) if loops else 0.0
        spans = [
            (a, b)
            for i, a in enumerate(cuts)
            for b in cuts[i + 1 :]
            if narrowest * height <= b - a
            and (b - a <= widest or any(a <= x and x + w <= b <= a + w + flat_zero for x, _, w, _ in loops))
        ]
        paths = _cut_paths(mask, cuts, bend)
        parts, part_masks = {}, {}
        for a, b in spans:
            part, left = _between(mask, paths[a], paths[b])
            ys = np.flatnonzero(part.any(axis=1))
            # (a part lower than a digit may be a small 0, round a loop: see RING_PART_HEIGHT)
            low_ring = (
                low_rings and len(ys) >= RING_PART_HEIGHT * height and _holds_loop(part, left, ys, holes)
            )
            if len(ys) >= MIN_PART_HEIGHT * height or low_ring:
                parts[a, b] = ys
                part_masks[a, b] = part, left
        if not parts or len(parts) > budget.parts_left:
            return None
        budget.parts_left -= len(parts)
        spans = list(parts)
        crops = [to_mnist(part_masks[span][0]) for span in spans]
        readings = dict(zip(spans, self._classify(crops), strict=True))
        pixels = dict(zip(spans, crops, strict=True))
        most = min(MAX_PARTS, max(2, int(np.ceil(piece.width_ratio)) + 1))
        if bend:  # (bent cuts carve a digit's side off a neighbour's: no more parts than it is wide)
            most = max(2, round(piece.width_ratio))
        part_sureness = {}
        for (a, b), read in readings.items():
            part, left = part_masks[a, b]
            within = _holes_within(holes, left, left + part.shape[1])
            part_sureness[a, b] = _part_sureness(part, parts[a, b], *read, within)
        starts, ends = _tail_cuts(mask, cuts)
        chain = _surest_chain(cuts, part_sureness, most, starts, ends, max(2, round(piece.width_ratio)))
        if chain is None:
            return None
        # (per result: the cut it starts at, its ink with its first column, how surely it is read)
        results, starts, inks, read_surenesses = [], [], [], []
        for a, b in itertools.pairwise(chain):
            ys = parts[a, b]
            part, left = part_masks[a, b]
            box = (piece.box[0] + left, piece.box[1] + int(ys[0]), part.shape[1], int(ys[-1] - ys[0] + 1))
            prediction, sureness = readings[a, b]
            if results and results[-1][1].digit == prediction.digit == 1:
                before, before_left = inks[-1]
                # (not two ones: one flagged 1)
                if _flagged_one(before, (before_left, 0), part, (left, 0)):
                    previous = results.pop()
                    box = union_box(previous[0], box)
                    prediction = _as_one(previous[1], prediction)
                    sureness = min(read_surenesses[-1], sureness)
                    inks[-1] = _between(mask, paths[starts[-1]], paths[b])
                    read_surenesses[-1] = sureness
                    results.append((box, prediction, to_mnist(inks[-1][0]), sureness))
                    continue
            starts.append(a)
            inks.append((part, left))
            read_surenesses.append(sureness)
            # (a part that is no digit, such as a short 1 (:func:`_short`), is none here either)
            results.append((box, prediction, pixels[a, b], min(sureness, part_sureness[a, b])))
        return results


def _cut_paths(mask: np.ndarray, cuts: list[int], bend: float) -> dict[int, np.ndarray]:
    """For each cut column, the path from the piece's top to its bottom (a column per row) that
    crosses the least ink, straying at most ``bend`` heights from the column and one column per
    row: touching digits overlap (a 6's loop under its neighbour's side) where no straight cut
    parts them. The piece's first and last columns stay straight."""
    height, width = mask.shape
    paths = {cut: np.full(height, cut, np.int64) for cut in cuts}  # (straight, until bent)
    inner = np.array([cut for cut in cuts if 0 < cut < width], np.int64)
    reach = round(bend * height)
    if len(inner) == 0 or reach == 0:
        return paths
    offsets = np.arange(-reach, reach + 1)
    columns = inner[:, None] + offsets[None, :]  # (cuts, band)
    outside = (columns < 1) | (columns >= width)
    # (ink, and the paper its loops enclose: a path through a loop parts the sides of one digit)
    labels = cv2.connectedComponents(paper_framed(mask), connectivity=4)[1]
    solid = labels[1:-1, 1:-1] != labels[0, 0]  # (ink is label 0)
    within = np.clip(columns, 0, width - 1)
    # a little for straying, so that a path through paper runs straight down its column
    stray = PATH_STRAY * np.abs(offsets)[None, :] / reach + np.where(outside, np.inf, 0.0)
    total = solid[0, within] + stray
    came_from = np.zeros((height, *columns.shape), np.int8)
    # from the column to the left, above, to the right (filled in place: np.pad and np.stack per
    # row cost more than the rest of the step)
    options = np.full((3, *columns.shape), np.inf)
    for row in range(1, height):
        np.add(total[:, :-1], PATH_STEP, out=options[0, :, 1:])
        options[1] = total
        np.add(total[:, 1:], PATH_STEP, out=options[2, :, :-1])
        choice = np.argmin(options, axis=0)
        came_from[row] = choice - 1
        total = np.take_along_axis(options, choice[None], axis=0)[0] + solid[row, within] + stray
    position = np.argmin(total, axis=1)
    path = np.zeros((height, len(inner)), np.int64)
    cut_index = np.arange(len(inner))
    for row in range(height - 1, -1, -1):
        path[row] = columns[cut_index, position]
        position = position + came_from[row, cut_index, position]
    for index, cut in enumerate(inner):
        paths[int(cut)] = path[:, index]
    return paths


def _between(mask: np.ndarray, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, int]:
    """The ink between two cut paths (columns per row), cropped to the paths' columns, and the
    first of those columns."""
    first, last = int(left.min()), int(right.max())
    if last <= first:
        return np.zeros((mask.shape[0], 0), mask.dtype), first
    columns = np.arange(first, last)
    inside = (columns[None, :] >= left[:, None]) & (columns[None, :] < right[:, None])
    return np.where(inside, mask[:, first:last], 0).astype(mask.dtype), first


def _surer_again(again: Reading, best: Reading, first: Reading | None = None) -> bool:
    """Whether a reading at another bar for weak ink reads surer than the best so far: its digits
    more surely read, and clearly so (LEAVING_OUT_MARGIN) if it leaves out more low pieces (any
    reading that drops a number's doubtful small zeros, "40.000" read "40", is surer), and more
    clearly (DROPPING_MARGIN) if it keeps fewer than REREAD_KEEPS of the ``first`` reading's
    digits, when given."""
    margin = LEAVING_OUT_MARGIN if again.low_left_out > best.low_left_out else 0.0
    if first is not None and len(again.digits) < REREAD_KEEPS * len(first.digits):
        margin = max(margin, DROPPING_MARGIN)
    return again.confidence > best.confidence + margin


def _flags_read_as_ones(read_lines: list[list]) -> list[list]:
    """The lines read ([(box, prediction, pixels, sureness)] each), their 7s shaped like flagged 1s
    read as 1s where the writer's other 1s and 7s allow (:func:`recognizer.shapes.read_flags_as_ones`)."""
    results = [result for read in read_lines for result in read]
    predictions = iter(
        read_flags_as_ones([p for _, p, _, _ in results], [pixels for _, _, pixels, _ in results])
    )
    return [[(box, next(predictions), pixels, sure) for box, _, pixels, sure in read] for read in read_lines]


def _without_nested(read: list) -> tuple[list, int]:
    """A line read ([(box, prediction, pixels, sureness)]) without the less sure of each two
    neighbours whose stretches of the line nest (NESTED), and how many were left out."""
    order = sorted(range(len(read)), key=lambda number: read[number][0][0])  # (left to right)
    index = 0
    while index + 1 < len(order):
        (left, *_, left_sure), (right, *_, right_sure) = (read[number] for number in order[index : index + 2])
        shared = min(left[0] + left[2], right[0] + right[2]) - right[0]
        if shared < NESTED * min(left[2], right[2]):
            index += 1
            continue
        del order[index + 1 if right_sure < left_sure else index]
        index = max(0, index - 1)  # (the one kept may nest with the one before)
    kept = set(order)
    return [result for number, result in enumerate(read) if number in kept], len(read) - len(kept)


def _without_bars(read_lines: list[list]) -> tuple[list[list], int]:
    """The lines read without those of BARS digits or more, at least BAR_SHARE of them 1s (see
    BARS); and how many digits those were."""
    kept, left_out = [], 0
    for read in read_lines:
        ones = sum(prediction.digit == 1 for _, prediction, _, _ in read)
        if len(read) >= BARS and ones >= BAR_SHARE * len(read):
            left_out += len(read)
        else:
            kept.append(read)
    return kept, left_out


def _best_tilted(reading: Reading, read: Callable[[int, float], Reading]) -> Reading:
    """A page of one or two digits, read again (``read(degrees, tilt)``) turned by each of TILTS,
    the way up it was read and upright: with no line to measure, a digit written or photographed
    askew is levelled by trying (a 5 tilted 20 degrees reads as a 6, or reads best sideways; a 4
    falls apart into "61"). A tilt must read TILT_MARGIN better, with as many digits or fewer."""
    best = reading
    for degrees in dict.fromkeys((reading.rotation, 0)):
        for tilt in TILTS:
            tilted = read(degrees, tilt)
            fewer = len(tilted.digits) <= len(reading.digits)
            if tilted.digits and fewer and _score(tilted) > _score(best) + TILT_MARGIN:
                best = tilted
    return best


def _without_words(
    read_lines: list[list], beside: Sequence[list] = (), type_boxes: list | None = None
) -> tuple[list[list], int]:
    """The lines read (each [(box, prediction, pixels, sureness)], boxes in the levelled page)
    without the words written beside a number, and how many pieces those held (``beside``: the
    lines left out already, whose type claims letters at the lines' ends too; the boxes of the
    pieces of type found are added to ``type_boxes``, when given): a line's first
    group, before at least MIN_LINE_DIGITS digits, that is a word beside the first MIN_LINE_DIGITS
    of them by its small letters (:func:`_word_group`: "Tom 0171 234567"; a line written askew
    drifts off its baseline further on), word after word; a line of text (:func:`_text_line`:
    "call Mike when home"), number or none beside it; and a whole line that is a word by
    :func:`_word_line` ("call" above the number), where a line as long that is none is left."""
    kept, dropped, found_type = [], 0, []
    for read in read_lines:
        while True:  # ("call Ann 0171 234567": word after word)
            boxes = [box for box, *_ in read]
            first = _group_numbers(boxes).count(0)
            label = _printed_label(boxes)
            if label:
                found_type += boxes[:label]
                read, dropped = read[label:], dropped + label
                continue
            if len(boxes) - first < MIN_LINE_DIGITS or not _word_group(read[:first], read[first:]):
                break
            read, dropped = read[first:], dropped + first
        kept.append(read)
    printed = [_printed([box for box, *_ in read]) for read in kept]
    if all(printed):  # (type is left out beside handwriting: a cheque's small zeros can look even)
        printed = [False] * len(kept)
    text = [is_printed or _text_line(read) for read, is_printed in zip(kept, printed, strict=True)]
    # (type's last letters segmented into the number's line, where that runs askew: the rest of
    # the type may be a line left out already, too unsure to be a number)
    type_lines = [read for read, is_printed in zip(kept, printed, strict=True) if is_printed]
    type_lines += [read for read in beside if _printed([box for box, *_ in read])]
    for type_line in type_lines:
        found_type += [box for box, *_ in type_line]
        for index, other in enumerate(kept):
            if other is not type_line:
                kept[index] = _without_print_ends(other, [box for box, *_ in type_line])
                dropped += len(other) - len(kept[index])
                left = {box for box, *_ in kept[index]}
                found_type += [box for box, *_ in other if box not in left]
    text = [is_text or not read for read, is_text in zip(kept, text, strict=True)]  # (all type)
    dropped += sum(len(read) for read, is_text in zip(kept, text, strict=True) if is_text)
    kept = [read for read, is_text in zip(kept, text, strict=True) if not is_text]
    boxes = [[box for box, *_ in read] for read in kept]
    wordy = [
        _word_line(line, max(boxes[:index] + boxes[index + 1 :], key=len, default=None))
        for index, line in enumerate(boxes)
    ]
    longest_plain = max((len(read) for read, word in zip(kept, wordy, strict=True) if not word), default=0)
    lines = [
        read for read, word in zip(kept, wordy, strict=True) if not (word and len(read) <= longest_plain)
    ]
    dropped += sum(len(read) for read in kept) - sum(len(read) for read in lines)
    if type_boxes is not None:
        type_boxes += found_type
    return lines, dropped


def _text_line(read: list) -> bool:
    """Whether a line (its readings [(box, prediction, pixels, sureness)], boxes in the levelled
    page) is text, not a number (see TEXT_PIECES): its pieces' heights taking turns between
    x-height letters and tall ones (:func:`_letter_turns`, upright or upside down, where the
    x-height letters hang from the line's top), or, not small, many of its pieces surely no digit."""
    if len(read) < TEXT_PIECES:
        return False
    sure_run = longest_run([sure >= SURE_NUMBER for *_, sure in read]) >= PHONE_DIGITS
    tall = statistics.median(box[3] for box, *_ in read) >= SMALL_WRITING
    if tall and not sure_run and sum(sure < WORD_DOUBT for *_, sure in read) >= TEXT_DOUBTED * len(read):
        return True
    boxes = [box for box, *_ in read]
    return _letter_turns(boxes) or _letter_turns([(x, -y - h, w, h) for x, y, w, h in boxes])


def _letter_turns(boxes: list[tuple[int, int, int, int]]) -> bool:
    """Whether a line's pieces (``boxes``) take turns between x-height letters and tall ones, as
    text does (see TEXT_PIECES). Heights are measured over the line's baseline: the line through
    the pieces' feet with the median slope between any two (a line written askew drifts)."""
    tops, feet, baseline, _ = _on_baseline(boxes)
    heights = baseline - tops
    tall_height = float(np.sort(heights)[-2])
    small = (heights <= X_HEIGHT * tall_height) & (np.abs(feet - baseline) <= LETTER_FOOT * tall_height)
    tall = heights >= TALL_LETTER * tall_height
    kinds = [is_small for is_small, is_tall in zip(small, tall, strict=True) if is_small or is_tall]
    turns = sum(a != b for a, b in itertools.pairwise(kinds))
    letters = small.sum() >= max(2, TEXT_SMALL * len(boxes)) and tall.sum() >= 2 and turns >= TEXT_TURNS
    return bool(letters) and longest_run(~small) < PHONE_DIGITS


def _on_baseline(
    boxes: list[tuple[int, int, int, int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The tops and feet of a line's pieces (``boxes``, at least two), the height of its baseline
    under each and its slope: the line through their feet with the median slope between any two
    (a line written askew drifts)."""
    xs = np.array([x + w / 2 for x, _, w, _ in boxes], float)
    tops = np.array([y for _, y, _, _ in boxes], float)
    feet = tops + np.array([h for *_, h in boxes], float)
    first, second = np.triu_indices(len(boxes), 1)
    apart = xs[second] != xs[first]
    slopes = (feet[second] - feet[first])[apart] / (xs[second] - xs[first])[apart]
    slope = float(np.median(slopes)) if slopes.size else 0.0
    return tops, feet, float(np.median(feet - slope * xs)) + slope * xs, slope


def _printed(boxes: list[tuple[int, int, int, int]], label: bool = False) -> bool:
    """Whether pieces (``boxes``, in the levelled page) are type, not handwriting (see PRINT_FOOT):
    of those standing on their baseline to within PRINT_FOOT of the tall ones' height (and no
    shorter than PRINT_MARK of it: a dot, a colon), at least two are x-height letters, the same
    height to within PRINT_SPREAD, the rest at least PRINT_STEP taller, PRINT_X_HEIGHT as tall. A
    ``label`` before a number (already shorter than its digits: :func:`_printed_label`) may have one
    x-height letter where its tall letters are as alike ("Tel:")."""
    if len(boxes) < PRINT_LETTERS:
        return False
    tops, feet, baseline, _ = _on_baseline(boxes)
    heights = feet - tops
    tall = float(heights.max())
    standing = (np.abs(feet - baseline) <= PRINT_FOOT * tall) & (heights >= PRINT_MARK * tall)
    letters = np.sort(heights[standing])
    steps = np.flatnonzero(np.diff(letters) >= PRINT_STEP * tall)
    if letters.size < PRINT_LETTERS or steps.size == 0:
        return False
    low, high = letters[: steps[0] + 1], letters[steps[0] + 1 :]
    ratio = float(np.median(low) / np.median(high))
    spread = PRINT_SPREAD * tall + 1  # (a pixel either way: the boxes' rounding)
    even = np.ptp(low) <= spread if low.size >= 2 else label and np.ptp(high) <= spread
    return bool(even) and PRINT_X_HEIGHT[0] <= ratio <= PRINT_X_HEIGHT[1]


def _near(box: tuple[int, int, int, int], type_box: tuple[int, int, int, int]) -> bool:
    """Whether ``box``'s centre lies within PRINT_NEAR of a piece of type's height of it."""
    x, y, w, h = type_box
    reach = PRINT_NEAR * h
    centre_x, centre_y = box[0] + box[2] / 2, box[1] + box[3] / 2
    return x - reach <= centre_x <= x + w + reach and y - reach <= centre_y <= y + h + reach


def _without_print_ends(read: list, printed: list[tuple[int, int, int, int]]) -> list:
    """A line's readings without the pieces at either end that belong to a printed line beside it
    (its pieces' ``printed`` boxes): as tall as its letters at most, standing on its baseline
    (PRINT_FOOT), at most PRINT_NEAR of its height from its first or last letter."""
    tops, feet, baseline, slope = _on_baseline(printed)
    tall = float((feet - tops).max())
    xs = np.array([x + w / 2 for x, _, w, _ in printed], float)
    left, right = min(x for x, *_ in printed), max(x + w for x, _, w, _ in printed)

    def of_the_print(box: tuple[int, int, int, int]) -> bool:
        x, y, w, h = box
        centre = x + w / 2
        nearest = int(np.argmin(np.abs(xs - centre)))
        foot = baseline[nearest] + slope * (centre - xs[nearest])
        near = x - right <= PRINT_NEAR * tall and left - (x + w) <= PRINT_NEAR * tall
        return h <= tall + 1 and abs(y + h - foot) <= PRINT_FOOT * tall + 1 and near

    while read and of_the_print(read[0][0]):
        read = read[1:]
    while read and of_the_print(read[-1][0]):
        read = read[:-1]
    return read


def _printed_label(boxes: list[tuple[int, int, int, int]]) -> int:
    """How many of a line's first pieces (``boxes``, in the levelled page) are a printed label
    before handwriting ("Tel:", "Phone"): the most that are type (:func:`_printed`), each shorter
    than PRINT_BELOW of the median of the rest (at least MIN_LINE_DIGITS pieces); or none."""
    for count in range(len(boxes) - MIN_LINE_DIGITS, PRINT_LETTERS - 1, -1):
        rest = statistics.median(h for *_, h in boxes[count:])
        if max(h for *_, h in boxes[:count]) < PRINT_BELOW * rest and _printed(boxes[:count], label=True):
            return count
    return 0


def _word_group(group: list, after: list) -> bool:
    """Whether a line's first group (its readings [(box, prediction, pixels, sureness)]) is a word
    beside the digits ``after`` it (the rest of the line's readings; its first MIN_LINE_DIGITS
    stand for the number): SMALL_LETTERS small letters (:func:`_small_letters`); or, in a group of
    at most WORD_PIECES pieces, one small letter and another piece that is surely no digit
    (sureness under WORD_DOUBT: the "M" of "Mike", the "ll" of "call") or read as a digit the
    classifier doubts (WORD_UNSURE: the "J" of "Jo"); or two pieces or more before digits read
    surely (SURE_NUMBER) and either, with no small letter, each surely no digit ("dad"), or one
    wide piece surely no digit before a phone number (:func:`_wide_word`: "Ann"). (A small piece
    doubted itself may be a digit: a fragment, or a hand's small flat 0 as in "330.640".)"""
    digits = after[:MIN_LINE_DIGITS]
    small = _small_flags([box for box, *_ in group], [box for box, *_ in digits])
    if sum(small) >= SMALL_LETTERS:
        return True
    if len(group) > WORD_PIECES:
        return False
    sure_number = statistics.median(sureness for *_, sureness in digits) >= SURE_NUMBER
    if sure_number and _wide_word(group, after):
        return True
    others = [(read[1], read[3]) for read, letter in zip(group, small, strict=True) if not letter]
    if not any(small):
        return sure_number and len(others) >= 2 and all(sureness < WORD_DOUBT for _, sureness in others)
    return sum(small) == 1 and any(
        sureness < WORD_DOUBT or prediction.confidence < WORD_UNSURE for prediction, sureness in others
    )


def _wide_word(group: list, after: list) -> bool:
    """Whether a first group of two pieces or more (or of one no taller than SMALL_LETTER of the
    digits) holds a wide piece surely no digit (:func:`_wide_no_digit`) before a phone number's
    worth of pieces (PHONE_DIGITS) tall enough to tell (SMALL_WRITING): "Ann" with its "nn" run
    into the "A"; a printed "Tel" run together by bold type."""
    height = statistics.median(box[3] for box, *_ in after[:MIN_LINE_DIGITS])
    several = len(group) >= 2 or group[0][0][3] <= SMALL_LETTER * height
    return (
        height >= SMALL_WRITING and several and len(after) >= PHONE_DIGITS and any(map(_wide_no_digit, group))
    )


def _wide_no_digit(read: tuple) -> bool:
    """Whether a piece read (box, prediction, pixels, sureness) is at least WORD_WIDE times as wide
    as high, surely no digit (WORD_DOUBT) and read as one unsurely (WIDE_WORD_READING): letters run
    together."""
    (_, _, width, height), prediction, _, sureness = read
    return width >= WORD_WIDE * height and sureness < WORD_DOUBT and prediction.confidence < WIDE_WORD_READING


def _word_line(boxes: list, longest_other: list | None) -> bool:
    """Whether a line (its pieces' ``boxes``) is a word: SMALL_LETTERS small letters beside its
    own median piece (beside its tallest, any line of digits has a few); or, at most WORD_PIECES
    pieces beside a number of at least PHONE_DIGITS (``longest_other``, the longest other line),
    one small letter beside that number's digits ("Mike", "call" with its "ca" run together, "mum"
    all small above a phone number)."""
    if _small_letters(boxes, boxes) >= SMALL_LETTERS:
        return True
    tallest = max(boxes, key=lambda box: box[3])
    if longest_other is None or len(boxes) > WORD_PIECES or len(longest_other) < PHONE_DIGITS:
        return False
    height = max(tallest[3], statistics.median(h for *_, h in longest_other))
    bottom = statistics.median(y + h for _, y, _, h in boxes)
    return _count_small(boxes, height, bottom) >= 1


def _small_letters(boxes: list, beside: list) -> int:
    """How many of ``boxes`` are small letters beside the digits ``beside`` (:func:`_small_flags`)."""
    return sum(_small_flags(boxes, beside))


def _small_flags(boxes: list, beside: list) -> list[bool]:
    """Which of ``boxes`` are small letters beside the digits ``beside`` (boxes in the levelled
    page): at most SMALL_LETTER of the digits' median height high, standing on their baseline
    (within LETTER_FOOT of that height), as x-height letters do."""
    top = statistics.median(y for _, y, _, _ in beside)
    bottom = statistics.median(y + h for _, y, _, h in beside)
    return [_is_small(box, bottom - top, bottom) for box in boxes]


def _count_small(boxes: list, height: float, bottom: float) -> int:
    """How many of ``boxes`` are small letters beside digits ``height`` high on a baseline at
    ``bottom`` (:func:`_is_small`)."""
    return sum(_is_small(box, height, bottom) for box in boxes)


def _is_small(box: tuple[int, int, int, int], height: float, bottom: float) -> bool:
    """Whether a box is at most SMALL_LETTER of ``height`` high and stands on the baseline at
    ``bottom``, within LETTER_FOOT of ``height``."""
    _, y, _, h = box
    return h <= SMALL_LETTER * height and abs(y + h - bottom) <= LETTER_FOOT * height


def _group_numbers(boxes: list[tuple[int, int, int, int]]) -> list[int]:
    """The group of each digit of a line, left to right (boxes in the levelled page): a gap wider
    than GROUP_GAP of the line's median digit height starts a new group."""
    height = float(statistics.median(h for *_, h in boxes)) if boxes else 0.0
    groups = [0] * len(boxes)
    for index in range(1, len(boxes)):
        left, right = boxes[index - 1], boxes[index]
        gap = right[0] - (left[0] + left[2])
        groups[index] = groups[index - 1] + (gap > GROUP_GAP * height)
    return groups


def _part_sureness(
    part: np.ndarray, rows: np.ndarray, prediction: Prediction, sureness: float, holes: list
) -> float:
    """How surely a part cut from a piece (its mask, the ``rows`` its ink spans, the ``holes`` of
    :func:`~recognizer.segment.piece_holes` it holds) is a whole digit read right, given its
    reading: none for a short 1 (:func:`_short`), nor for a part narrower than MIN_PART_WIDTH
    unless it is a 1 surely whole (:func:`_whole_one`), nor for a part lower than MIN_PART_HEIGHT
    of the piece unless it is a 0 that is one ring (RING_PART_HEIGHT), at least RING_WHOLE times
    the 0's probability for a ring (:func:`_one_ring`)."""
    if prediction.digit == 1 and _short(rows, part.shape[0]):
        return 0.0
    low = len(rows) < MIN_PART_HEIGHT * part.shape[0]
    surer_as_ring = sureness < RING_WHOLE * prediction.confidence
    ring = prediction.digit == 0 and (low or surer_as_ring) and _one_ring(part, rows, holes)
    if low and not ring:
        return 0.0  # (a digit stands nearly as tall as its line; a small 0 in a drifting chain need not)
    if part.shape[1] < MIN_PART_WIDTH * part.shape[0] and not _whole_one(prediction, sureness):
        return 0.0  # (a sliver narrower than a digit is a 1 or nothing)
    if ring and surer_as_ring:
        return RING_WHOLE * prediction.confidence
    return sureness


class _LinePen:
    """The stroke width of a line's pen: the median of its pieces' (not the low ones'), measured
    only when first asked for (most lines hold no short 1 to weigh against it)."""

    def __init__(self, pieces: list[Piece]) -> None:
        self._pieces = pieces

    @cached_property
    def width(self) -> float:
        widths = [stroke_width(piece.mask) for piece in self._pieces if not piece.low]
        return float(np.median(widths)) if widths else 0.0


def _stray_stroke(
    piece: Piece, prediction: Prediction, sureness: float, line_height: float, pen: _LinePen
) -> bool:
    """Whether a piece read as a 1 is a stroke come apart from a digit: shorter than SHORT_ONE of
    its line's ``line_height``, and doubtful as a whole digit (DOUBTFUL_ONE) or drawn thinner than
    THIN_STROKE of the line's ``pen``."""
    if prediction.digit != 1 or piece.low or piece.box[3] >= SHORT_ONE * line_height:
        return False
    return sureness < DOUBTFUL_ONE or stroke_width(piece.mask) < THIN_STROKE * pen.width


def _end_mark(piece: Piece, line_height: float) -> bool:
    """Whether a line's last piece may be a mark after the number rather than a digit: lower than
    END_MARK of the line's ``line_height``, closing no loop (a small 0 does) and not wide enough
    for two digits (small zeros run together are)."""
    return piece.box[3] < END_MARK * line_height and not piece.wide and not closes_loop(piece.mask)


def _low_digit(prediction: Prediction, sureness: float) -> bool:
    """Whether a piece lower than the digits, read whole, is a digit: read surely (SURE_LOW) as
    any but a 1, or as a digit with a loop likely enough and fairly surely whole (SURE_LOW_LOOPED)."""
    looped = prediction.digit in LOOPED_DIGITS and prediction.confidence >= SURE_LOW
    return prediction.digit != 1 and (sureness >= SURE_LOW or (looped and sureness >= SURE_LOW_LOOPED))


def _whole_one(prediction: Prediction, sureness: float) -> bool:
    """Whether a part is read as a 1 that is surely one whole digit (ONE_CUT_OFF)."""
    return prediction.digit == 1 and sureness >= ONE_CUT_OFF


def _short(rows: np.ndarray, height: int) -> bool:
    """Whether a part's ink (its ``rows``) spans less of the piece's height than a 1 cut from
    touching digits does: a 1 stands as tall as the digit beside it, while a sliver cut off a
    digit, or the lead-in stroke of a continental 1, does not."""
    return rows[-1] - rows[0] + 1 < ONE_SPAN * height


def _joined(left: Piece, right: Piece) -> Piece | None:
    """``left`` and ``right`` (neighbours in a line) as one piece, if they may be one digit come
    apart: side by side, at most JOIN_GAP typical digit widths apart, level with each other, and
    together at most JOIN_WIDEST typical widths wide; None otherwise. A piece shaped like a
    bracket beyond doubt is none of a digit's strokes; one that only bows like one may be (the
    left side of a 9's loop, a 7's stem)."""
    if left.certain_bracket or right.certain_bracket:
        return None
    typical = left.box[2] / left.width_ratio
    box = union_box(left.box, right.box)
    gap = right.box[0] - (left.box[0] + left.box[2])
    level = min(left.box[1] + left.box[3], right.box[1] + right.box[3]) - max(left.box[1], right.box[1])
    too_wide = box[2] > JOIN_WIDEST * typical and box[2] > JOIN_ASPECT * box[3]
    if gap > JOIN_GAP * typical or too_wide or level <= 0:
        return None
    mask = np.maximum(_placed(left, box), _placed(right, box))
    return Piece(box=box, mask=mask, line=left.line, width_ratio=box[2] / typical)


def _joins(
    pair: list[Piece],
    readings: list,
    joined: Piece,
    height: float,
    confidence: float,
    sureness: float,
    on_rule: bool = False,
) -> bool:
    """Whether a ``pair`` of pieces, read apart as ``readings``, is one digit when ``joined`` reads
    as one with the classifier's ``confidence`` and ``sureness`` (probability x one whole digit):
    at least SURE_JOINED surely and JOIN_MARGIN surer than apart (one of them short, or ``on_rule``,
    read with the ink taken out as a rule under them: SHORT_SURE_JOINED and surer at all), or, one
    over the other (:func:`_stacked`), read surely (SURE_STACKED) and at least SHORT_SURE_JOINED
    surely whole."""
    (_, left_sureness, _), (_, right_sureness, _) = readings
    apart = _geometric_mean([max(left_sureness, 1e-6), max(right_sureness, 1e-6)])
    short = on_rule or _short_part(pair, joined, height)
    margin, least = (SHORT_JOIN_MARGIN, SHORT_SURE_JOINED) if short else (JOIN_MARGIN, SURE_JOINED)
    stacked = _stacked(*pair) and confidence >= SURE_STACKED
    return sureness >= max(least, apart + margin) or (stacked and sureness >= SHORT_SURE_JOINED)


def _may_join(pair: list[Piece], readings: list, joined: Piece, height: float) -> bool:
    """Whether a join candidate can be joined at all, before it is read whole: whether it would
    join read as surely as can be (:func:`_joins`), or both pieces read as 1s (a flagged 1). A
    speed-up only: the same joins, fewer pieces read and bridged (but for a pair on a rule, which
    joins more easily: read apart more surely than JOIN_MARGIN short of certain, it is not tried)."""
    (left, _, _), (right, _, _) = readings
    return left.digit == right.digit == 1 or _joins(pair, readings, joined, height, 1.0, 1.0)


def _stacked(left: Piece, right: Piece) -> bool:
    """Whether two pieces' columns overlap by at least STACKED of the narrower one's width: one
    stands over the other, as the strokes of one digit may and two digits of a line seldom do."""
    overlap = min(left.box[0] + left.box[2], right.box[0] + right.box[2]) - max(left.box[0], right.box[0])
    return overlap >= STACKED * min(left.box[2], right.box[2])


def _placed(piece: Piece, box: tuple[int, int, int, int]) -> np.ndarray:
    """``piece``'s ink on a mask the size of ``box`` (which holds it), at its place there."""
    mask = np.zeros((box[3], box[2]), np.uint8)
    x, y = piece.box[0] - box[0], piece.box[1] - box[1]
    mask[y : y + piece.box[3], x : x + piece.box[2]] = piece.mask
    return mask


def _on_rule(parts: Sequence[Piece], whole: Piece, rules: np.ndarray | None) -> Piece | None:
    """``whole``, the ``parts`` together, with the ink taken out as a rule restored where it
    touches each part: of ``rules`` (that ink, 0/255, the segmented mask's shape), the strokes in
    its columns, from its top to RULE_REACH of its height below it, that touch every part's ink,
    between the outermost places they touch it; None when there are none, or, for one part, when
    it touches them in one place only (nothing to close). A 0 written on an underline lost the
    bottom of its loop with the line: its two sides apart read as "11"; in one piece, its loop
    open, it was cut into "12"."""
    if rules is None:
        return None
    x, y, width, height = whole.box
    bottom = min(rules.shape[0], y + height + max(2, round(RULE_REACH * height)))
    window = rules[y:bottom, x : x + width]
    if not window.any():
        return None
    count, labels = cv2.connectedComponents(window, connectivity=8)
    touching, contacts = set(range(1, count)), []
    for part in parts:
        ink = np.zeros_like(window)
        ink[:height] = _placed(part, whole.box)
        near = (cv2.dilate(ink, np.ones((3, 3), np.uint8)) > 0) & (labels > 0)
        touching &= set(np.unique(labels[near]).tolist())
        contacts.append(np.flatnonzero(near.any(axis=0)))
    if not touching or (len(parts) == 1 and not (np.diff(contacts[0]) > 1).any()):
        return None
    # (between the outermost places they touch it: not the line's run on past them)
    first, last = min(map(np.min, contacts)), max(map(np.max, contacts))
    restored = np.isin(labels, list(touching))
    restored[:, :first] = restored[:, last + 1 :] = False
    mask = np.zeros_like(window)
    mask[:height] = whole.mask
    mask[restored] = 255
    rows = int(np.flatnonzero(mask.any(axis=1))[-1]) + 1
    return replace(whole, box=(x, y, width, rows), mask=mask[:rows])


def _bridged(left: Piece, right: Piece, joined: Piece) -> np.ndarray | None:
    """The ``joined`` piece's mask with the pen's stroke drawn across the gap between the nearest
    points of ``left``'s and ``right``'s ink, if that gap is at most BRIDGE_GAP of its height (the
    stroke a lifted pen left out: a 2's tail, a 6's stem and its loop apart); else None."""
    inks = [_placed(left, joined.box), _placed(right, joined.box)]
    if not (inks[0].any() and inks[1].any()):
        return None
    distance, nearest = cv2.distanceTransformWithLabels(
        cv2.compare(inks[0], 0, cv2.CMP_EQ), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(inks[1])
    index = int(np.argmin(distance[ys, xs]))
    to_y, to_x = int(ys[index]), int(xs[index])
    if distance[to_y, to_x] > BRIDGE_GAP * joined.mask.shape[0]:
        return None
    # (the labels number the left ink's pixels in row-major order)
    from_y, from_x = np.argwhere(inks[0] > 0)[nearest[to_y, to_x] - 1]
    mask = joined.mask.copy()
    cv2.line(mask, (int(from_x), int(from_y)), (to_x, to_y), 255, max(1, round(stroke_width(mask))))
    return mask


def _short_part(pair: list[Piece], joined: Piece, height: float) -> bool:
    """Whether one of a ``pair`` of pieces is far shorter than a digit (SHORT_PART of the writing's
    ``height``) and the two together are as tall as one (SHORT_JOINED_HEIGHT)."""
    shortest = min(piece.box[3] for piece in pair)
    return shortest < SHORT_PART * height and joined.box[3] >= SHORT_JOINED_HEIGHT * height


def _closed_on_rule(alone: Prediction, sureness: float, closed: Prediction, closed_sureness: float) -> bool:
    """Whether a piece is read with the ink taken out as a rule under it restored (:func:`_on_rule`),
    given both readings and their sureness: as the same digit, at least SHORT_SURE_JOINED surely,
    and surer. The line's ink closes a loop the line opened; read as another digit, it made one
    (a 7 or a 9 whose foot curls along the line, closed at its foot, read as a 2)."""
    return closed.digit == alone.digit and closed_sureness >= SHORT_SURE_JOINED and closed_sureness > sureness


def _reads_capped(alone: float, capped: float) -> bool:
    """Whether a digit is read with the flat piece beside its top (its top bar, come apart), given
    the sureness of each reading: a 7 without its bar is a very sure 1."""
    return capped >= SURE_CAPPED and capped > alone - CAPPED_MARGIN


def _cut_candidates(
    mask: np.ndarray, between: list[tuple[int, int, int, int]], within: list[tuple[int, int, int, int]]
) -> list[int]:
    """Columns where a wide piece may be cut: its ends and the local minima of its column ink
    (smoothed), at least MIN_CUT_GAP heights apart, none inside the boxes ``within`` (x, y, w, h:
    loops no cut may cross; left out first, so that a minimum inside one keeps none beside it out);
    and midway between each two loops side by side (the boxes ``between``)."""
    height, width = mask.shape

    def allowed(column: int) -> bool:
        return not any(x < column < x + w for x, _, w, _ in within)

    ink = np.convolve((mask > 0).sum(axis=0).astype(np.float32), [1, 2, 1], mode="same")
    minima = [c for c in range(1, width - 1) if ink[c] <= ink[c - 1] and ink[c] <= ink[c + 1] and allowed(c)]
    gap = max(2, int(MIN_CUT_GAP * height))
    chosen: list[int] = []
    for column in sorted(minima, key=lambda c: ink[c]):  # lowest ink first
        if all(abs(column - other) >= gap for other in chosen) and gap <= column <= width - gap:
            chosen.append(column)
    ordered = sorted(between)
    midways = {(a[0] + a[2] + b[0]) // 2 for a, b in itertools.pairwise(ordered)}
    return sorted({0, *chosen[:MAX_CUTS], *(c for c in midways if 0 < c < width and allowed(c)), width})


def _holds_loop(part: np.ndarray, left: int, rows: np.ndarray, holes: list) -> bool:
    """Whether a part cut from a piece (its mask, from the piece's column ``left``, the ``rows``
    its ink spans) encloses one of the piece's ``holes`` large enough to be its loop (CUT_LOOP of
    its ink's height squared), as a ring (:func:`_one_ring`) must."""
    height = rows[-1] - rows[0] + 1
    within = _holes_within(holes, left, left + part.shape[1])
    return any(hole[4] >= CUT_LOOP * height**2 for hole in within)


def _holes_within(holes: list, left: int, right: int) -> list:
    """The ``holes`` that a part cut from the piece's columns ``left``..``right`` still encloses
    (with their ink round them inside it), in the part's columns."""
    return [(x - left, y, w, h, area) for x, y, w, h, area in holes if left < x and x + w < right]


def _one_ring(part: np.ndarray, rows: np.ndarray, holes: list) -> bool:
    """Whether a part's ink (spanning ``rows``) is one ring: round its largest hole (of ``holes``;
    at least CUT_LOOP of the ink's height squared), within RING_REACH stroke widths of the hole's
    box, all but RING_STRAY of it."""
    height = rows[-1] - rows[0] + 1 if len(rows) else 0
    loops = [hole for hole in holes if hole[4] >= CUT_LOOP * height**2]
    if not loops:
        return False
    x, y, w, h, _ = max(loops, key=lambda hole: hole[4])
    ys, xs = np.nonzero(part)
    reach = RING_REACH * stroke_width(part)
    near = (xs >= x - reach) & (xs < x + w + reach) & (ys >= y - reach) & (ys < y + h + reach)
    return float(near.mean()) >= 1.0 - RING_STRAY


def _tail_cuts(mask: np.ndarray, cuts: list[int]) -> tuple[list[int], list[int]]:
    """The cuts a chain of digits may start and end at: the piece's first and last columns, and
    cuts that leave only a flat tail before or after them (see TAIL_HEIGHT)."""
    height = mask.shape[0]

    def flat_tail(part: np.ndarray) -> bool:
        rows = np.count_nonzero(part.any(axis=1))
        wide = part.shape[1]
        return (
            0 < wide <= TAIL_WIDTH * height and rows < TAIL_HEIGHT * height and wide >= TAIL_FLATNESS * rows
        )

    starts = [cut for cut in cuts[1:-1] if flat_tail(mask[:, :cut])]
    ends = [cut for cut in cuts[1:-1] if flat_tail(mask[:, cut:])]
    return [cuts[0], *starts], [*ends, cuts[-1]]


def _surest_chain(
    cuts: list[int],
    sureness: dict,
    most: int,
    starts: list[int] | None = None,
    ends: list[int] | None = None,
    expected: int = 2,
) -> list[int] | None:
    """The chain of cuts from a start (the first column, or past a flat tail) to an end (the
    last column, or before one), in 2..``most`` parts, whose parts' geometric-mean sureness is
    highest, less EXTRA_PART_COST for each part beyond ``expected`` (dynamic programming over
    the number of parts)."""
    starts, ends = starts or cuts[:1], ends or cuts[-1:]
    # best[k][c]: (sum of log confidences, path) of the surest k parts ending at cut c
    best: list[dict[int, tuple[float, list[int]]]] = [{start: (0.0, [start]) for start in starts}]
    for _ in range(most):
        step: dict[int, tuple[float, list[int]]] = {}
        for start, (score, path) in best[-1].items():
            for end in cuts:
                if (start, end) in sureness:
                    total = score + float(np.log(max(sureness[start, end], 1e-6)))
                    if end not in step or total > step[end][0]:
                        step[end] = (total, [*path, end])
        best.append(step)
    finished = [
        (np.exp(best[k][end][0] / k) - EXTRA_PART_COST * max(0, k - expected), best[k][end][1])
        for k in range(2, most + 1)
        for end in ends
        if end in best[k]
    ]
    return max(finished, key=lambda item: item[0])[1] if finished else None


def _flagged_one(
    left: np.ndarray, left_at: tuple[int, int], right: np.ndarray, right_at: tuple[int, int]
) -> bool:
    """Whether two neighbouring strokes (masks with their top-left corners), each read as a 1,
    are one 1 with a long flag ("/|"), as many hands outside MNIST write it: they lean towards
    each other, top to top, by at least FLAG_ANGLE and their tops meet (within FLAG_TOPS of the
    taller's height). Two ones stand apart, and parallel when one hand wrote them."""
    left_axis, right_axis = stroke_axis(left), stroke_axis(right)
    if not (left_axis and right_axis and left_axis[0] - right_axis[0] >= FLAG_ANGLE):
        return False
    tops = [_top(mask, at) for mask, at in ((left, left_at), (right, right_at))]
    height = max(left.shape[0], right.shape[0])
    return bool(np.hypot(*np.subtract(*tops)) <= FLAG_TOPS * height)


def _top(mask: np.ndarray, at: tuple[int, int]) -> tuple[float, float]:
    """The (x, y) of a stroke's top end: the middle of its highest row of ink, offset by ``at``."""
    row = int(np.argmax(mask.any(axis=1)))
    return at[0] + float(np.flatnonzero(mask[row]).mean()), float(at[1] + row)


def _as_one(first: Prediction, second: Prediction) -> Prediction:
    """One 1 read from two strokes each read as a 1: as sure as the less sure of them."""
    confidence = min(first.confidence, second.confidence)
    return Prediction(digit=1, confidence=confidence, top3=((1, confidence),))


def _geometric_mean(confidences: list[float]) -> float:
    """How sure the classifier is of a group of digits as a whole (none at all counts as 1e-6)."""
    return float(np.exp(np.mean(np.log(np.maximum(confidences, 1e-6)))))


def _split_sureness(split) -> float:
    """How surely a cut's parts are whole digits read right (geometric mean; no cut: 0)."""
    return _geometric_mean([sureness for *_, sureness in split]) if split else 0.0


def _prefer_split(piece: Piece, single: Prediction, single_sureness: float, split) -> bool:
    """Keep a cut when it reads better than the whole piece; a piece much wider than one digit
    is cut whenever the cut reads fairly well (a classifier is often sure of a wide "0"), and
    the wider it is, the less its reading as one digit counts: a run of small joined zeros four
    digits wide ("5.0000", its parts doubtful as whole digits) was read as a single "2". A piece
    narrower than one digit is cut only into parts read fairly surely (SURE_NARROW_SPLIT), or
    into a 1 and a digit the piece could not be (:func:`_one_cut_off`); one about a digit wide,
    not into a part far less sure than the whole (WEAKEST_PART); and a cut must read clearly
    better (SPLIT_FACTOR). A narrow piece read surely whole (``single``) is not cut into a 1 and
    that same digit (:func:`_own_stroke_cut_off`)."""
    split_sureness = _split_sureness(split)
    if _own_stroke_cut_off(piece, single, split) or _ring_halved(single, split):
        return False
    if piece.width_ratio > CLEARLY_WIDE:
        as_one_digit = single_sureness * CLEARLY_WIDE / piece.width_ratio
        return split_sureness > min(as_one_digit, 0.6)
    weakest = min(sureness for *_, sureness in split)
    if not piece.wide and weakest < WEAKEST_PART and single_sureness >= BEND_NOT_WHOLE:
        return False
    narrow = piece.width_ratio < NARROW_PIECE
    if narrow and split_sureness < SURE_NARROW_SPLIT and not _one_cut_off(single_sureness, split):
        return False
    return single_sureness < SURE_SINGLE and split_sureness > SPLIT_FACTOR * single_sureness


def _own_stroke_cut_off(piece: Piece, single: Prediction, split) -> bool:
    """Whether a cut through a piece narrower than one digit parts a 1 from the digit the whole
    piece reads as, at least SURE_WHOLE_READING surely, while the rest reads so less surely: the
    stroke was the digit's own. (A 1 pressed into a 7, read whole as a 7, leaves a 7 read as
    surely: "17", synthetic photo 865 of seed 11.)"""
    if piece.width_ratio >= NARROW_PIECE or single.digit == 1 or single.confidence < SURE_WHOLE_READING:
        return False
    if sorted(prediction.digit for _, prediction, _, _ in split) != sorted((1, single.digit)):
        return False
    rest = next(prediction for _, prediction, _, _ in split if prediction.digit == single.digit)
    return rest.confidence < SURE_WHOLE_READING


def _ring_halved(single: Prediction, split) -> bool:
    """Whether a piece read whole as a 0, at least SURE_WHOLE_READING surely, is cut into its two
    sides: a 1 (the left arc) and a 7 (the right arc with the top)."""
    if single.digit != 0 or single.confidence < SURE_WHOLE_READING:
        return False
    return [prediction.digit for _, prediction, _, _ in split] == [1, 7]


def _one_cut_off(single_sureness: float, split) -> bool:
    """Whether a piece read whole as surely no whole digit (under BEND_NOT_WHOLE) is cut into a
    1 (at least CUT_OFF_ONE surely whole) and another digit, the classifier sure of both
    (SURE_CUT_OFF): the digit a 1 was pressed against keeps its mark, the 1 a sliver of the
    digit, and the piece checker doubts them. Cut into two 1s, one must be surely whole
    (ONE_CUT_OFF): a 4's two strokes read as "11"."""
    if single_sureness >= BEND_NOT_WHOLE or len(split) != 2:
        return False
    ones = [sureness for _, prediction, _, sureness in split if prediction.digit == 1]
    one = any(sureness >= (CUT_OFF_ONE if len(ones) == 1 else ONE_CUT_OFF) for sureness in ones)
    return one and all(prediction.confidence >= SURE_CUT_OFF for _, prediction, _, _ in split)


def _band_across(ink: np.ndarray) -> bool:
    """Whether the page's ink lies in a band at least BAND_ACROSS times wider than high: writing
    that runs across the page (a number turned sideways stands in a column)."""
    _, _, width, height = cv2.boundingRect(ink)
    return width >= BAND_ACROSS * max(height, 1)


def _share_in_lines(reading: Reading) -> float:
    """The share of the digits read (and of the stray marks) that stand in lines of at least
    three digits (or, with fewer digits, in lines of them all)."""
    shortest = min(3, len(reading.digits))
    in_long_lines = sum(len(line) for line in reading.lines if len(line) >= shortest)
    return in_long_lines / max(1, len(reading.digits) + reading.stray)


def _runs_across(reading: Reading) -> bool:
    """Whether the upright reading's writing runs across the page, in lines of a phone number's
    length: then the page is not turned sideways (turned, its digits stand in a column, each a
    line of its own; several numbers turned together make lines as long as they are many)."""
    lengths = [len(line) for line in reading.lines]
    return (
        bool(lengths)
        and _share_in_lines(reading) >= ACROSS_SHARE
        and statistics.median(lengths) >= ACROSS_LENGTH
    )


def _as_many_digits(turned: Reading, upright: Reading) -> bool:
    """Whether a page read sideways found as many digits as its upright reading did, when that
    one read a line of three or more digits across the page (and most of its digits in such
    lines). Turned sideways, such a line becomes a column, and digits stacked in a column merge:
    two 0s one above the other read as a sure 8 (real cheque amounts: "6000" read as "8")."""
    across = upright.lines and max(map(len, upright.lines)) >= 3 and _share_in_lines(upright) >= ACROSS_SHARE
    return turned.rotation not in (90, 270) or not across or len(turned.digits) >= len(upright.digits)


def _digit_height(reading: Reading) -> float:
    """The median height of the digits read, in the photo's pixels (across the page turned)."""
    turned = reading.rotation in (90, 270)
    return float(statistics.median(digit.box[2] if turned else digit.box[3] for digit in reading.digits))


def _loses_a_sure_digit(again: Reading, best: Reading) -> bool:
    """Whether ``again`` reads fewer digits than ``best``, and nothing where ``best`` read a digit
    surely (SURE_KEPT) between two digits it reads too: a faint pencil 2 in "3210698029" that an
    enlarged look's ink finder lost, its other nine digits read surer. (Digits it leaves out side
    by side were more likely never there: type beside a number read as digits.)"""
    if len(again.digits) >= len(best.digits):
        return False
    for line in {digit.line for digit in best.digits}:
        digits = [digit for digit in best.digits if digit.line == line]
        kept = [any(_overlap(digit.box, other.box) for other in again.digits) for digit in digits]
        for index in range(1, len(digits) - 1):
            between_kept = kept[index - 1] and kept[index + 1]
            lost = not kept[index] and digits[index].digit != 1  # (see SURE_KEPT)
            if between_kept and lost and digits[index].confidence >= SURE_KEPT:
                return True
    return False


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two boxes share at least KEPT_OVERLAP of the smaller one's area."""
    across = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    down = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return across > 0 and down > 0 and across * down >= KEPT_OVERLAP * min(a[2] * a[3], b[2] * b[3])


def _writing_box(reading: Reading, margin: float) -> tuple[float, float, float, float]:
    """Left, top, right and bottom of all the digits read, ``margin`` photo pixels wider each way."""
    boxes = np.array([digit.box for digit in reading.digits], float)
    left, top = boxes[:, :2].min(axis=0) - margin
    right, bottom = (boxes[:, :2] + boxes[:, 2:]).max(axis=0) + margin
    return float(left), float(top), float(right), float(bottom)


def _negative_reads_better(negative: Reading, reading: Reading) -> bool:
    """Whether a photo's negative, read as a number (MIN_LINE_DIGITS digits or more, at least
    WEAK_READING well), reads better than the photo: where the photo reads a digit or two (a dark
    page on a lighter desk reads as one big 0); more digits, not clearly less surely
    (NEGATIVE_MARGIN); as many, clearly more surely; fewer, a phone number's (PHONE_DIGITS), only
    where the photo reads weakly too (chalk's grain read as a long row of 1s). Never a digit or two
    alone, nor fewer digits than a sure reading: the negative of a page in a dim room may read a
    few specks surely ("1281", "381"), that of a damaged JPEG's grey blocks a "1"."""
    read, digits = _score(negative), len(negative.digits)
    if read < WEAK_READING or digits < MIN_LINE_DIGITS:
        return False
    if len(reading.digits) < MIN_LINE_DIGITS:
        return True
    if digits > len(reading.digits):
        return read >= _score(reading) - NEGATIVE_MARGIN
    if digits < len(reading.digits) and (digits < PHONE_DIGITS or _score(reading) >= WEAK_READING):
        return False
    return read > _score(reading) + NEGATIVE_MARGIN


def _score(reading: Reading) -> float:
    """How well a reading reads: surely whole and surely read digits in lines of several digits
    (a page turned sideways reads as many one-digit lines), more digits breaking ties."""
    if not reading.digits:
        return 0.0
    upright_bonus = UPRIGHT_BONUS if reading.rotation == 0 and len(reading.digits) < 3 else 0.0
    return (
        reading.sureness * (0.5 + 0.5 * _share_in_lines(reading))
        + 0.001 * len(reading.digits)
        + upright_bonus
    )
