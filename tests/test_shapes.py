"""Digit shapes read by their shape: a 9 with a curled tail, which the digit model takes for an 8,
a 2 whose head curls into a loop, which it takes for a 9, an open 4, which it takes for a 6, a 1
with a long flag, which it takes for a 7, and a 9 written as a "ρ", which it takes for an 8."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from recognizer.classifier import DigitClassifier, Prediction
from recognizer.normalise import to_mnist
from recognizer.shapes import (
    curled_nine,
    flag_shaped,
    flat_based_two,
    level_seven,
    loopless,
    plain_stroke,
    read_flags_as_ones,
    read_mirrored_nines,
    reread,
)

STROKE = 5


def _drawn(loops: list[tuple], tail: list[list[int]] | None = None) -> np.ndarray:
    """A normalised digit drawn with ellipses ((centre, axes, start, end) each) and a tail."""
    mask = np.zeros((120, 90), np.uint8)
    for centre, axes, start, end in loops:
        cv2.ellipse(mask, centre, axes, 0, start, end, 255, STROKE)
    if tail:
        cv2.polylines(mask, [np.array(tail, np.int32)], False, 255, STROKE)
    return to_mnist(mask)


CURLED_NINE = _drawn([((40, 24), (14, 13), 0, 360)], [[53, 26], [48, 60], [40, 86], [30, 100], [16, 104]])
SLANTED_NINE = _drawn([((40, 24), (14, 13), 0, 360)], [[52, 30], [44, 60], [34, 90], [26, 104]])
EIGHT = _drawn([((44, 28), (14, 16), 0, 360), ((44, 74), (18, 20), 0, 360)])
EIGHT_OPEN_BELOW = _drawn([((44, 28), (14, 16), 0, 360), ((44, 74), (18, 20), -60, 240)])
SIX = _drawn([((44, 78), (16, 16), 0, 360)], [[58, 20], [40, 30], [30, 60], [29, 78]])
ZERO = _drawn([((44, 60), (22, 40), 0, 360)])
LOOPED_TWO = _drawn([((40, 30), (14, 13), 0, 360)], [[54, 30], [46, 60], [22, 100], [70, 100]])
STEMMED_NINE = _drawn([((40, 30), (14, 13), 0, 360)], [[54, 30], [52, 70], [48, 100]])
FLAGGED_ONE = _drawn([], [[18, 64], [56, 10], [52, 110]])
SHORT_FLAGGED_ONE = _drawn([], [[38, 52], [56, 10], [52, 110]])
SEVEN = _drawn([], [[14, 14], [70, 12], [34, 110]])
PLAIN_ONE = _drawn([], [[60, 10], [40, 110]])
ONE_WITH_A_FOOT = _drawn([], [[56, 10], [50, 96], [60, 106], [74, 108]])
SEVEN_BAR_SLOPING = _drawn([], [[14, 26], [70, 10], [34, 110]])
# a "ρ": the stem falls from the loop's left (a wide loop, or a foot, and it is no curled 9)
WIDE_RHO = _drawn([((50, 40), (24, 30), 0, 360)], [[26, 40], [28, 80], [30, 110]])
RHO_ON_A_FOOT = _drawn([((48, 28), (14, 13), 0, 360)], [[34, 30], [36, 100], [60, 104]])
CROSSED_SEVEN = _drawn([], [[30, 40], [70, 10], [34, 110], [52, 60], [22, 60], [76, 60]])
# an open 4: a long slanted stroke down to its bar, a short stem standing on the bar's right
OPEN_FOUR = _drawn([], [[40, 10], [18, 72], [72, 72], [62, 50], [58, 110]])


def test_a_six_closing_no_loop_with_four_as_its_runner_up_is_an_open_four() -> None:
    """Real cheques: a 4 drawn as a long slanted stroke and a short stem ("ɥ") is read as a 6, 4 the
    runner-up (0.07-0.28); a 6 closes a loop."""
    assert loopless(OPEN_FOUR) and not loopless(SIX)
    read = reread(Prediction(6, 0.71, ((6, 0.71), (4, 0.28), (5, 0.003))), OPEN_FOUR)
    assert (read.digit, read.top3) == (4, ((4, pytest.approx(0.99)), (5, 0.003)))
    for unchanged, digit in [
        (Prediction(6, 0.71, ((6, 0.71), (4, 0.28), (5, 0.003))), SIX),  # a loop
        (Prediction(6, 0.96, ((6, 0.96), (4, 0.03), (5, 0.003))), OPEN_FOUR),  # 4 too unlikely
        (Prediction(6, 0.74, ((6, 0.74), (1, 0.13), (4, 0.12))), OPEN_FOUR),  # 4 not the runner-up
    ]:
        assert reread(unchanged, digit) is unchanged


@pytest.mark.parametrize("digit", [CURLED_NINE, SLANTED_NINE], ids=["curled", "slanted"])
def test_a_loop_on_one_narrow_stroke_is_a_nines_shape(digit: np.ndarray) -> None:
    assert curled_nine(digit)


@pytest.mark.parametrize(
    "digit",
    [EIGHT, EIGHT_OPEN_BELOW, SIX, ZERO, np.zeros((28, 28), np.uint8)],
    ids=["8", "8 open", "6", "0", "blank"],
)
def test_two_loops_a_low_loop_or_a_wide_foot_are_not(digit: np.ndarray) -> None:
    assert not curled_nine(digit)


def test_an_eight_with_a_nines_shape_and_nine_as_runner_up_is_read_as_nine() -> None:
    read = reread(Prediction(8, 0.9, ((8, 0.9), (9, 0.06), (3, 0.02))), CURLED_NINE)
    assert read.digit == 9
    assert read.confidence == pytest.approx(0.96)
    assert read.top3 == ((9, pytest.approx(0.96)), (3, 0.02))


@pytest.mark.parametrize(
    ("prediction", "digit"),
    [
        (Prediction(8, 0.99, ((8, 0.99), (3, 0.006), (9, 0.004))), CURLED_NINE),  # 9 too unlikely
        (Prediction(8, 0.9, ((8, 0.9), (9, 0.06), (3, 0.02))), EIGHT),  # an 8's shape
        (Prediction(8, 0.9, ((8, 0.9), (9, 0.06), (3, 0.02))), EIGHT_OPEN_BELOW),
        (Prediction(3, 0.9, ((3, 0.9), (9, 0.06), (8, 0.02))), CURLED_NINE),  # not read as an 8
    ],
    ids=["nine unlikely", "eight", "eight open below", "a three"],
)
def test_other_readings_are_left_as_the_model_made_them(prediction: Prediction, digit: np.ndarray) -> None:
    assert reread(prediction, digit) is prediction


def test_a_two_stands_on_a_flat_base_where_a_nine_ends_in_a_stem() -> None:
    assert flat_based_two(LOOPED_TWO)
    assert not flat_based_two(STEMMED_NINE)
    assert not flat_based_two(CURLED_NINE)


def test_a_nine_on_a_flat_base_with_two_as_runner_up_is_read_as_two() -> None:
    read = reread(Prediction(9, 0.8, ((9, 0.8), (2, 0.15), (8, 0.01))), LOOPED_TWO)
    assert (read.digit, read.top3) == (2, ((2, pytest.approx(0.95)), (8, 0.01)))
    for unchanged, digit in [
        (Prediction(9, 0.8, ((9, 0.8), (2, 0.15), (8, 0.01))), STEMMED_NINE),  # a stem, no base
        (Prediction(9, 0.99, ((9, 0.99), (8, 0.005), (2, 0.005))), LOOPED_TWO),  # 2 too unlikely
    ]:
        assert reread(unchanged, digit) is unchanged


@pytest.mark.parametrize("digit", [FLAGGED_ONE, SHORT_FLAGGED_ONE], ids=["long flag", "short flag"])
def test_a_peak_with_a_steep_flag_to_its_left_is_a_flagged_ones_shape(digit: np.ndarray) -> None:
    assert flag_shaped(digit)


@pytest.mark.parametrize(
    "digit",
    [SEVEN, SEVEN_BAR_SLOPING, CROSSED_SEVEN, np.zeros((28, 28), np.uint8)],
    ids=["level bar", "bar sloping a little", "crossed", "blank"],
)
def test_a_sevens_bar_and_a_crossed_seven_are_not(digit: np.ndarray) -> None:
    assert not flag_shaped(digit)


def test_a_seven_with_a_flagged_ones_shape_and_one_as_runner_up_is_read_as_one() -> None:
    flagged = Prediction(7, 0.85, ((7, 0.85), (1, 0.14), (9, 0.01)))
    unlikely = Prediction(7, 0.9985, ((7, 0.9985), (9, 0.001), (1, 0.0005)))  # 1 too unlikely
    five = Prediction(5, 0.99, ((5, 0.99), (3, 0.01)))
    read = read_flags_as_ones(
        [five, flagged, flagged, unlikely], [EIGHT, FLAGGED_ONE, CROSSED_SEVEN, FLAGGED_ONE]
    )
    assert read[0] is five and read[2:] == [flagged, unlikely]  # (a crossed 7)
    assert (read[1].digit, read[1].top3) == (1, ((1, pytest.approx(0.99)), (9, 0.01)))


def test_a_plain_stroke_is_a_bare_one_and_a_flagged_one_is_not() -> None:
    assert plain_stroke(PLAIN_ONE)
    assert plain_stroke(ONE_WITH_A_FOOT)  # (a curl at the foot is no flag)
    assert not plain_stroke(FLAGGED_ONE)
    assert not plain_stroke(SHORT_FLAGGED_ONE)


def test_a_writer_whose_ones_are_plain_strokes_writes_sevens_with_falling_bars() -> None:
    flagged = Prediction(7, 0.85, ((7, 0.85), (1, 0.14), (9, 0.01)))
    one = Prediction(1, 0.99, ((1, 0.99), (7, 0.01)))
    assert read_flags_as_ones([one, flagged], [PLAIN_ONE, FLAGGED_ONE]) == [one, flagged]
    assert read_flags_as_ones([one, flagged], [SHORT_FLAGGED_ONE, FLAGGED_ONE])[1].digit == 1


def test_a_writer_whose_sevens_are_not_crossed_writes_sevens_with_falling_bars() -> None:
    """A hand that flags its 1s crosses its 7s, to tell them apart; one whose level-barred 7s are
    not crossed writes no flagged 1s, and a 7 with a steeply falling bar is that hand's 7."""
    flagged = Prediction(7, 0.85, ((7, 0.85), (1, 0.14), (9, 0.01)))
    seven = Prediction(7, 0.99, ((7, 0.99), (1, 0.01)))
    assert read_flags_as_ones([seven, flagged], [SEVEN, FLAGGED_ONE]) == [seven, flagged]
    assert read_flags_as_ones([seven, flagged], [CROSSED_SEVEN, FLAGGED_ONE])[1].digit == 1
    assert level_seven(SEVEN) and level_seven(SEVEN_BAR_SLOPING)
    assert not level_seven(CROSSED_SEVEN) and not level_seven(FLAGGED_ONE)


@pytest.fixture(scope="module")
def classifier() -> DigitClassifier:
    return DigitClassifier()


@pytest.mark.parametrize("digit", [WIDE_RHO, RHO_ON_A_FOOT], ids=["wide loop", "on a foot"])
def test_an_eight_whose_mirror_image_is_a_sure_nine_is_a_nine_written_as_a_rho(
    classifier: DigitClassifier, digit: np.ndarray
) -> None:
    (model,) = classifier.predict(digit)
    assert model.digit == 8 and not curled_nine(digit)  # (the model alone, and the curled 9's rule)
    (read,) = read_mirrored_nines([model], digit[None], classifier.probabilities)
    assert read.digit == 9 and read.confidence >= 0.95
    assert read.top3[0] == (9, read.confidence) and read.top3[1] == model.top3[0]


def test_eights_mirrored_stay_eights_and_other_readings_are_not_looked_at(
    classifier: DigitClassifier, mnist_test
) -> None:
    images, labels = mnist_test
    digits = np.concatenate([images[labels == 8][:500], [EIGHT, EIGHT_OPEN_BELOW], images[labels == 0][:100]])
    model = classifier.predict(digits)
    assert sum(p.digit == 8 for p in model) > 480
    read = read_mirrored_nines(model, digits, classifier.probabilities)
    assert [p.digit for p in read] == [p.digit for p in model]
    nothing = lambda batch: pytest.fail("no 8 to mirror")  # noqa: E731
    assert read_mirrored_nines(model[-100:], digits[-100:], nothing) == model[-100:]
