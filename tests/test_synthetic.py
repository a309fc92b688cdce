"""Synthetic phone photos: determinism, the ground truth they carry, paper, ink and photo effects."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import cv2
import numpy as np
import pytest
from conftest import render_digits

from recognizer.synthetic import (
    INKS,
    NAPKIN_COLOUR,
    PAPER_COLOURS,
    DigitBank,
    Mark,
    PhotoOptions,
    Printed,
    RenderedPhoto,
    glyph_as_read,
    random_options,
    random_phone_number,
    render_photo,
)

SMALL = PhotoOptions(size=(480, 360), digit_height=32)
ALLOWED = set("0123456789 -./()+")
TWO_LINES = ["(416) 555-0199", "+1 020/7946.0018"]


@pytest.fixture(scope="module")
def bank() -> DigitBank:
    images, labels = render_digits(300, seed=11)
    assert set(labels.tolist()) == set(range(10))
    return DigitBank(images, labels)


def render(bank: DigitBank, lines: list[str], seed: int = 0, **changes) -> RenderedPhoto:
    return render_photo(bank, lines, np.random.default_rng(seed), replace(SMALL, **changes))


def grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def ink_mask(photo: RenderedPhoto, darkness: float = 0.6) -> np.ndarray:
    """Pixels clearly darker than the paper (the bright end of the photo)."""
    gray = grey(photo.image)
    return gray < darkness * np.percentile(gray, 90)


def inside_boxes(photo: RenderedPhoto, pad: int = 0) -> np.ndarray:
    covered = np.zeros(photo.image.shape[:2], bool)
    for x, y, w, h in photo.digit_boxes:
        covered[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad] = True
    return covered


def box_centres(photo: RenderedPhoto) -> np.ndarray:
    return np.array([(x + w / 2, y + h / 2) for x, y, w, h in photo.digit_boxes])


def assert_boxes_hold_ink(photo: RenderedPhoto) -> None:
    height, width = photo.image.shape[:2]
    gray = grey(photo.image)
    paper = np.percentile(gray, 90)  # the page may fill less than half of a warped photo
    assert len(photo.digit_boxes) == len(photo.text)
    for x, y, w, h in photo.digit_boxes:
        assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= width and y + h <= height
        assert gray[y : y + h, x : x + w].min() < 0.6 * paper, (x, y, w, h)


def test_same_seed_gives_the_same_photo(bank: DigitBank) -> None:
    effects = dict(rotation_degrees=20, perspective=0.1, shading=0.6, colour_cast=0.5, noise=3, touching=0.5)
    first, second = render(bank, TWO_LINES, 5, **effects), render(bank, TWO_LINES, 5, **effects)
    assert np.array_equal(first.image, second.image)
    assert first.jpeg == second.jpeg
    assert first.digit_boxes == second.digit_boxes
    assert not np.array_equal(first.image, render(bank, TWO_LINES, 6, **effects).image)


def test_text_and_lines_are_the_written_digits(bank: DigitBank) -> None:
    photo = render(bank, TWO_LINES)
    assert photo.written == TWO_LINES
    assert photo.lines == ["4165550199", "102079460018"]
    assert photo.text == "4165550199102079460018"


def test_one_box_per_digit_in_reading_order(bank: DigitBank) -> None:
    photo = render(bank, TWO_LINES, jpeg_quality=None)
    assert_boxes_hold_ink(photo)
    centres = box_centres(photo)
    first, second = centres[:10], centres[10:]
    assert np.all(np.diff(first[:, 0]) > 0) and np.all(np.diff(second[:, 0]) > 0)
    assert second[:, 1].min() > first[:, 1].max()  # the second line is below the first
    heights = np.array([h for *_, h in photo.digit_boxes])
    assert np.all((heights > 0.7 * SMALL.digit_height) & (heights < 1.3 * SMALL.digit_height))


def test_each_digit_comes_with_its_ink_as_written(bank: DigitBank) -> None:
    # (what a reader that lost nothing to paper, camera and light would read: the "as written" figure)
    photo = render(bank, TWO_LINES, jpeg_quality=None)
    assert len(photo.digit_glyphs) == len(photo.text)
    for glyph, (*_, height) in zip(photo.digit_glyphs, photo.digit_boxes, strict=True):
        assert glyph.dtype == np.float32 and glyph.min() >= 0 and glyph.max() > 0.9
        assert abs(glyph.shape[0] - height) <= 0.15 * height  # unturned, the box is the glyph's
    assert render(bank, []).digit_glyphs == []


def test_boxes_hold_all_digit_ink_but_no_separator(bank: DigitBank) -> None:
    plain = render(bank, ["555 0199"], jpeg_quality=None)
    assert not np.any(ink_mask(plain) & ~inside_boxes(plain, pad=2))
    dashed = render(bank, ["555-0199"], jpeg_quality=None)
    outside = ink_mask(dashed) & ~inside_boxes(dashed, pad=2)
    assert outside.sum() > 10  # the dash is ink, and not part of any digit box


def test_boxes_follow_rotation_and_perspective(bank: DigitBank) -> None:
    photo = render(bank, TWO_LINES, 3, rotation_degrees=30, perspective=0.12, blur_sigma=0.6)
    assert_boxes_hold_ink(photo)


def test_rotation_by_90_swaps_width_and_height(bank: DigitBank) -> None:
    upright = render(bank, ["4165550199"], rotation_degrees=0)
    turned = render(bank, ["4165550199"], rotation_degrees=90)
    assert upright.image.shape == (360, 480, 3)
    assert turned.image.shape == (480, 360, 3)
    assert_boxes_hold_ink(turned)
    centres = box_centres(turned)
    assert np.all(np.diff(centres[:, 1]) < 0)  # counter-clockwise: the line now runs upwards
    assert np.ptp(centres[:, 0]) < SMALL.digit_height
    assert render(bank, ["4165550199"], rotation_degrees=180).image.shape == (360, 480, 3)
    diagonal = render(bank, ["4165550199"], rotation_degrees=45).image.shape
    assert diagonal[:2] == (round(840 / np.sqrt(2)),) * 2  # grown to hold the whole page


def test_baseline_angle_tilts_the_line_of_writing(bank: DigitBank) -> None:
    photo = render(bank, ["4165550199"], baseline_angle=20)
    assert_boxes_hold_ink(photo)
    centres = box_centres(photo)
    slope = np.polyfit(centres[:, 0], centres[:, 1], 1)[0]
    assert -0.55 < slope < -0.2  # image y grows downwards: a rising line has a negative slope


def test_stroke_scale_changes_thickness() -> None:
    ring = np.zeros((28, 28), np.uint8)  # an MNIST-like "0": 2 px strokes, 20 px tall
    cv2.ellipse(ring, (14, 14), (7, 10), 0, 0, 360, 255, 2, cv2.LINE_AA)
    rings = DigitBank(np.stack([ring] * 10), np.arange(10))

    def ink_pixels(stroke_scale: float) -> int:
        photo = render(rings, ["0000"], stroke_scale=stroke_scale, digit_height=48, jpeg_quality=None)
        return int(ink_mask(photo).sum())

    thin, normal, thick = ink_pixels(0.6), ink_pixels(1.0), ink_pixels(2.0)
    assert 1.2 * thin < normal and 1.7 * normal < thick


def test_thinning_a_thick_digit_keeps_its_slim_stem() -> None:
    # a "6" drawn with a fat pen but a slim stem: thinned to a pencil's width as a whole, the stem
    # vanished and the digit became a blob, which no reader can take for a 6
    six = np.zeros((28, 28), np.uint8)
    cv2.ellipse(six, (14, 18), (6, 5), 0, 0, 360, 255, -1, cv2.LINE_AA)
    cv2.line(six, (10, 4), (9, 17), 255, 1, cv2.LINE_AA)
    sixes = DigitBank(np.stack([six] * 10), np.arange(10))
    photo = render(sixes, ["6"], stroke_scale=0.6, digit_height=64, jpeg_quality=None)
    rows = np.flatnonzero(ink_mask(photo).any(axis=1))
    assert rows[-1] - rows[0] > 0.85 * 64


def test_touching_digits_overlap(bank: DigitBank) -> None:
    def overlaps(photo: RenderedPhoto) -> list[bool]:
        boxes = photo.digit_boxes
        return [nxt[0] < box[0] + box[2] for box, nxt in pairwise(boxes)]

    assert all(overlaps(render(bank, ["0123456789"], touching=1.0)))
    assert not any(overlaps(render(bank, ["0123456789"], touching=0.0)))


@pytest.mark.parametrize("paper", sorted(PAPER_COLOURS))
def test_each_paper_renders(bank: DigitBank, paper: str) -> None:
    blank = render(bank, [], paper=paper, jpeg_quality=None)
    assert blank.digit_boxes == [] and blank.text == ""
    median = np.median(blank.image.reshape(-1, 3), axis=0)
    assert np.all(np.abs(median - PAPER_COLOURS[paper]) < 12)
    image = blank.image.astype(np.float32)
    red_rows = image[:, :, 0].mean(axis=1) < median[0] - 10
    red_cols = image[:, :, 0].mean(axis=0) < median[0] - 10
    if paper == "ruled":  # light blue lines across the page
        assert red_rows.sum() >= 5
        assert image[red_rows, :, 2].mean() > image[red_rows, :, 0].mean() + 10
    elif paper == "squared":
        assert red_rows.sum() >= 5 and red_cols.sum() >= 5
    else:
        assert not red_rows.any() and not red_cols.any()
    assert_boxes_hold_ink(render(bank, TWO_LINES, paper=paper))


def test_a_napkin_is_embossed_folded_and_soaks_up_the_ink(bank: DigitBank) -> None:
    napkin, paper = (render(bank, [], paper=kind, jpeg_quality=None) for kind in ("napkin", "white"))
    median = np.median(napkin.image.reshape(-1, 3), axis=0)
    assert np.all(np.abs(median - NAPKIN_COLOUR) < 12)

    def relief(photo: RenderedPhoto) -> float:  # light changing over a few pixels: grooves, dots
        light = grey(photo.image).astype(np.float32)
        return float(np.abs(light - cv2.GaussianBlur(light, (0, 0), 4)).mean())

    assert relief(napkin) > 2 * relief(paper)

    def crease(photo: RenderedPhoto, axis: int) -> float:  # a band across the middle, each way
        means = grey(photo.image).astype(np.float32).mean(axis=axis)
        middle = means[int(0.35 * len(means)) : int(0.65 * len(means))]
        return float(np.abs(middle - np.median(means)).max())

    assert min(crease(napkin, 0), crease(napkin, 1)) > 2 * max(crease(paper, 0), crease(paper, 1))
    written = [render(bank, ["0123456789"], paper=kind, jpeg_quality=None) for kind in ("napkin", "white")]
    inked = [np.count_nonzero(ink_mask(photo, 0.8)) for photo in written]
    assert inked[0] > 1.1 * inked[1]  # the ink spreads into the tissue
    assert_boxes_hold_ink(written[0])


@pytest.mark.parametrize("ink", sorted(INKS))
def test_each_ink_renders(bank: DigitBank, ink: str) -> None:
    photo = render(bank, ["0123456789"], ink=ink, jpeg_quality=None)
    assert_boxes_hold_ink(photo)
    red, green, blue = photo.image[ink_mask(photo, 0.75) & inside_boxes(photo)].astype(float).mean(axis=0)
    if ink == "blue":
        assert blue > red + 40
    elif ink == "black":
        assert max(red, green, blue) < 110 and abs(blue - red) < 25
    elif ink == "pencil":  # grey, lighter than pen
        assert 80 < green < 200 and abs(blue - red) < 25
    else:
        assert min(red, green, blue) < 90


def test_pencil_is_lighter_than_black_ink(bank: DigitBank) -> None:
    def darkest(ink: str) -> float:
        photo = render(bank, ["0123456789"], ink=ink, jpeg_quality=None)
        return float(np.percentile(grey(photo.image)[inside_boxes(photo)], 5))

    assert darkest("pencil") > darkest("black") + 30


def test_corner_placement_leaves_the_page_mostly_empty(bank: DigitBank) -> None:
    width, height = SMALL.size
    for seed in range(4):
        boxes = np.array(render(bank, ["4165550199"], seed, placement="corner").digit_boxes)
        left, top = boxes[:, :2].min(axis=0)
        right, bottom = (boxes[:, :2] + boxes[:, 2:]).max(axis=0)
        assert right - left < 0.45 * width and bottom - top < 0.4 * height
        assert (right < width / 2 or left > width / 2) and (bottom < height / 2 or top > height / 2)
    centred = box_centres(render(bank, ["4165550199"], placement="centre")).mean(axis=0)
    assert np.all(np.abs(centred - np.array([width, height]) / 2) < 0.2 * np.array([width, height]))


def test_jpeg_bytes_decode_to_the_image(bank: DigitBank) -> None:
    photo = render(bank, TWO_LINES, jpeg_quality=70)
    assert photo.jpeg is not None and photo.jpeg[:2] == b"\xff\xd8"
    decoded = cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), photo.image)
    raw = render(bank, TWO_LINES, jpeg_quality=None)
    assert raw.jpeg is None and raw.image.dtype == np.uint8 and raw.image.shape == (360, 480, 3)


def test_random_phone_numbers_look_written() -> None:
    rng = np.random.default_rng(0)
    numbers = [random_phone_number(rng) for _ in range(300)]
    counts = [sum(c.isdigit() for c in number) for number in numbers]
    assert min(counts) == 7 and max(counts) == 13
    for number in numbers:
        assert set(number) <= ALLOWED and number == number.strip() and "  " not in number
        assert number[0] in "0123456789(+"
    for separator in " -./(":
        assert any(separator in number for number in numbers), separator
    assert any(number.isdigit() for number in numbers)
    for digits in range(1, 14):
        for _ in range(20):
            number = random_phone_number(rng, digits)
            assert sum(c.isdigit() for c in number) == digits and number[-1].isdigit(), number


def test_random_options_vary_within_their_ranges(bank: DigitBank) -> None:
    rng = np.random.default_rng(1)
    options = [random_options(rng) for _ in range(200)]
    assert {o.paper for o in options} == set(PAPER_COLOURS)
    assert {o.ink for o in options} == set(INKS)
    assert all(-30 <= o.rotation_degrees <= 30 and 0 <= o.perspective <= 0.15 for o in options)
    assert all(35 <= o.digit_height <= 110 and 60 <= (o.jpeg_quality or 0) <= 95 for o in options)
    assert sum(o.size == (1280, 960) for o in options) > len(options) / 2
    assert any(o.touching > 0 for o in options) and any(o.placement == "corner" for o in options)
    photo = render_photo(bank, TWO_LINES, rng, replace(options[0], size=(480, 360), digit_height=32))
    assert len(photo.digit_boxes) == len(photo.text)


def test_a_word_beside_the_number_is_ink_but_no_digit(bank: DigitBank) -> None:
    plain = render(bank, ["555 0199"], jpeg_quality=None)
    named = render(bank, ["Tom: 555 0199"], jpeg_quality=None)
    assert named.lines == ["5550199"] and len(named.digit_boxes) == 7
    outside = ink_mask(named) & ~inside_boxes(named, pad=2)
    assert outside.sum() > 20 * max(1, (ink_mask(plain) & ~inside_boxes(plain, pad=2)).sum())
    assert_boxes_hold_ink(named)


def test_printed_text_is_ink_above_or_before_the_number_but_no_digit(bank: DigitBank) -> None:
    """``--printed`` type: ink outside the digits' boxes, where it was asked for while the page has
    room (above the writing when it has none before it), the photo otherwise the same."""
    plain = render(bank, ["555 0199"], jpeg_quality=None)
    top = min(y for _, y, _, _ in plain.digit_boxes)
    left = min(x for x, _, _, _ in plain.digit_boxes)
    for place, text in (("above", "Hotel Astoria"), ("before", "Tel:"), ("before", "From the desk of")):
        printed = render_photo(
            bank,
            ["555 0199"],
            np.random.default_rng(0),
            replace(SMALL, jpeg_quality=None),
            Printed(text, place),
        )
        assert printed.lines == plain.lines and printed.digit_boxes == plain.digit_boxes
        outside = ink_mask(printed) & ~inside_boxes(printed, pad=2)
        assert outside.sum() > 20 * max(1, (ink_mask(plain) & ~inside_boxes(plain, pad=2)).sum())
        ys, xs = np.nonzero(outside)
        assert xs.min() > 0 and xs.max() < SMALL.size[0] - 1, "cut off by the page's edge"
        if place == "before" and text == "Tel:":
            assert xs.max() < left and ys.max() > top
        else:
            assert ys.max() < top


def _ink_beside_writing(bank: DigitBank, mark: Mark) -> tuple[np.ndarray, np.ndarray, tuple, np.ndarray]:
    """A photo of "555 0199" with ``mark``: its ink outside the digits' boxes (rows, columns), the
    writing's extent (left, top, right, bottom) and the digits' boxes."""
    options = replace(SMALL, jpeg_quality=None)
    photo = render_photo(bank, ["555 0199"], np.random.default_rng(0), options, None, mark)
    assert photo.lines == ["5550199"]
    assert_boxes_hold_ink(photo)
    ys, xs = np.nonzero(ink_mask(photo) & ~inside_boxes(photo, pad=2))
    boxes = np.array(photo.digit_boxes)
    left, top = boxes[:, :2].min(axis=0)
    right, bottom = (boxes[:, :2] + boxes[:, 2:]).max(axis=0)
    return ys, xs, (left, top, right, bottom), boxes


@pytest.mark.parametrize("kind", ["box", "ring"])
def test_a_mark_is_ink_round_the_number(bank: DigitBank, kind: str) -> None:
    """``--marked``: a box or a ring drawn round the writing, ink on every side of it."""
    ys, xs, (left, top, right, bottom), _ = _ink_beside_writing(bank, Mark(kind, (0.3,) * 4, overlap=10.0))
    assert ys.min() < top and ys.max() > bottom
    middle = (ys > top) & (ys < bottom)
    assert (xs[middle] < left).any() and (xs[middle] > right).any(), "no sides beside the writing"


def test_an_underline_is_ink_under_the_number(bank: DigitBank) -> None:
    """``--underlined``: a line drawn under the writing, running past its ends, no ink above it."""
    mark = Mark("underline", margins=(0.4, 0.3, 0.4, 0.6))
    ys, xs, (left, top, right, bottom), boxes = _ink_beside_writing(bank, mark)
    assert ys.min() > top + np.median(boxes[:, 3]) / 2, "ink above the writing's middle"
    assert xs.min() < left and xs.max() > right
    assert np.median(ys) > bottom - 2


@pytest.mark.parametrize("seed", range(20))
def test_an_underline_lies_along_the_writings_feet(seed: int) -> None:
    """Drawn with any margins, an underline lies within UNDERLINE_GAP, its tilt and its bow of
    the line through the digits' feet, and runs from before the writing's start to past its end."""
    from recognizer.synthetic import UNDERLINE_BOW, UNDERLINE_GAP, UNDERLINE_TILT, _mark_strokes, random_mark

    mark = random_mark(np.random.default_rng(seed), "underline")
    slope, offset = 0.06, 0.3  # (writing that drifts down a little)
    (points,) = _mark_strokes(mark, (0, -1, 8.5, 0), (slope, offset))
    below = points[:, 1] - (slope * points[:, 0] + offset)
    reach = UNDERLINE_TILT + UNDERLINE_BOW + 0.05  # (and the hand's wobble)
    assert UNDERLINE_GAP[0] - reach <= below.min() and below.max() <= UNDERLINE_GAP[1] + reach
    assert points[:, 0].min() <= 0.05 and points[:, 0].max() >= 8.45


@pytest.mark.parametrize(("kind", "clear"), [("box", -0.15), ("ring", 0.1)])
def test_a_mark_stays_clear_of_the_writing(kind: str, clear: float) -> None:
    """Drawn with the narrowest margins and drifting in, a ring lies outside the writing's extent
    by at least a tenth of a digit height; a tight box may touch its ends, but reaches no further
    into it than its wobble."""
    from recognizer.synthetic import MARK_MARGIN, RING_DRIFT, _mark_strokes

    for seed in range(20):
        low = (MARK_MARGIN[0],) * 4
        mark = Mark(kind, margins=low, start=seed * 37.0, overlap=40.0, drift=-RING_DRIFT, seed=seed)
        for extent in ((0, -1, 8.5, 0), (0, -1, 3, 0), (0, -2.6, 10, 0)):
            (points,) = _mark_strokes(mark, extent)
            inside_x = (points[:, 0] > extent[0] - clear) & (points[:, 0] < extent[2] + clear)
            inside_y = (points[:, 1] > extent[1] - clear) & (points[:, 1] < extent[3] + clear)
            assert not (inside_x & inside_y).any(), (kind, seed, extent)


def test_bad_input_is_rejected(bank: DigitBank) -> None:
    with pytest.raises(ValueError, match="x"):
        render(bank, ["555-01x9"])
    with pytest.raises(ValueError, match="paper"):
        render(bank, ["5550199"], paper="papyrus")
    with pytest.raises(ValueError, match="ink"):
        render(bank, ["5550199"], ink="crayon")


def test_digit_bank_samples_the_requested_digit() -> None:
    labels = np.array([3, 7, 3, 7], np.uint8)
    images = np.stack([np.full((28, 28), label, np.uint8) for label in labels])
    bank = DigitBank(images, labels)
    rng = np.random.default_rng(0)
    assert all(bank.sample(7, rng).max() == 7 for _ in range(10))
    with pytest.raises(ValueError, match="no image of 5"):
        bank.sample(5, rng)
    with pytest.raises(ValueError):
        DigitBank(images, labels[:3])


def test_a_glyph_is_read_as_the_ink_that_reaches_the_level_normalised() -> None:
    glyph = np.zeros((60, 40), np.float32)
    glyph[5:55, 18:24] = 0.8  # a stem of ink ...
    glyph[5:12, 5:35] = 0.3  # ... and a light bar, ink only at a lower level
    stem, seven = glyph_as_read(glyph), glyph_as_read(glyph, level=0.25)
    assert stem.shape == seven.shape == (28, 28) and stem.dtype == np.uint8
    rows, columns = np.nonzero(stem > 127)
    assert np.ptp(rows) + 1 >= 18 and np.ptp(columns) + 1 <= 8  # the stem alone, 20 pixels tall
    assert np.count_nonzero(seven > 127) > np.count_nonzero(stem > 127)  # with its bar
    assert not glyph_as_read(glyph, level=0.9).any()  # no ink reaches it
