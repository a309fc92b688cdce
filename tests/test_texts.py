"""What the bot says for a reading: numbers, verdicts, doubts, and the words of the voice note."""

from __future__ import annotations

from bot import texts
from recognizer import DigitReading, Reading


def _digit(value: int, line: int = 0, confidence: float = 0.99, runner_up: int = 1) -> DigitReading:
    alternatives = ((value, confidence), (runner_up, round(1 - confidence, 4)), (8, 0.0))
    return DigitReading(value, confidence, alternatives, (0, 0, 10, 20), line)


def _reading(*lines: str, unsure: dict[int, int] | None = None) -> Reading:
    digits, position = [], 0
    for index, line in enumerate(lines):
        for char in line:
            runner_up = (unsure or {}).get(position)
            confidence = 0.6 if runner_up is not None else 0.99
            digits.append(_digit(int(char), index, confidence, runner_up if runner_up is not None else 1))
            position += 1
    return Reading(lines=list(lines), digits=digits, timings={})


def test_one_number_with_an_unsure_digit() -> None:
    answer = texts.answer_for(_reading("4165550199", unsure={3: 1}), "CA")
    assert answer.text.splitlines()[0] == "📞 (416) 555-0199"
    assert "reserved for films and books" in answer.text
    assert "The 4th digit looks like a 5, maybe a 1." in answer.text
    assert answer.speech.startswith("4 1 6. 5 5 5. 0 1 9 9.")
    assert "5 5 5 0 1 numbers" in answer.speech and "xx" not in answer.speech
    assert answer.spoken[0][0] == "4 1 6. 5 5 5. 0 1 9 9." and "films and books" in answer.spoken[0][1]
    assert answer.speech == " ".join(answer.spoken[0])


def test_several_numbers_one_block_each_and_unsure_positions_count_per_line() -> None:
    answer = texts.answer_for(_reading("2125550147", "4165550200", unsure={12: 7}), "CA")
    assert answer.text.startswith("I found 2 numbers:")
    assert len(answer.checks) == 2 and answer.checks[1].is_plausible
    assert "The 3rd digit looks like a 6, maybe a 7." in answer.text


def test_nothing_found_gives_tips() -> None:
    answer = texts.answer_for(_reading(), "CA")
    assert answer.text == texts.NOTHING_FOUND and not answer.checks


def test_album_marks_unreadable_photos() -> None:
    digits = [_digit(int(c)) for c in "416555019"] + [None]
    answer = texts.answer_for_digits(digits, "CA")
    assert "📞 416555019?" not in answer.text
    assert "Photo 10 of the album showed no digit" in answer.text
    assert texts.answer_for_digits([None, None], "CA").text == texts.NOTHING_FOUND


def test_speakable_reads_long_numbers_digit_by_digit_but_keeps_counts() -> None:
    assert (
        texts.speakable("999 is an emergency number in 47 places")
        == "9 9 9 is an emergency number in 47 places"
    )
    assert texts.speakable("no number starts with 416 0") == "no number starts with 4 1 6 0"


def test_digits_of_typed_corrections() -> None:
    assert texts.digits_of("+1 (416) 555-0199") == "14165550199"
    assert texts.digits_of("٤١٦") == "416"
    assert texts.digits_of("four") == ""


def test_a_word_written_before_the_number_and_read_as_digits_is_left_out() -> None:
    """ "Tel" read as 781, written apart: without that group the rest is a real number."""
    groups = ["781", "416", "979", "5000"]
    digits = [
        DigitReading(int(char), 0.99, ((int(char), 0.99),), (0, 0, 10, 20), 0, group=index)
        for index, group in enumerate(groups)
        for char in group
    ]
    digits[4] = DigitReading(1, 0.6, ((1, 0.6), (7, 0.4)), (0, 0, 10, 20), 0, group=1)  # the "1" of 416
    answer = texts.answer_for(Reading(lines=["".join(groups)], digits=digits, timings={}), "CA")
    assert answer.text.splitlines()[:3] == [
        "📞 (416) 979-5000",
        "This looks like a real mobile or landline number in Toronto, ON, Canada.",
        "I left out 781, written apart before it: a word or a label, perhaps.",
    ]
    assert "The 2nd digit looks like a 1, maybe a 7." in answer.text  # counted in the number kept
    assert "I left out 7 8 1" in answer.speech
    # read as one group (no gap), the same digits are judged as written: too long
    whole = [DigitReading(d.digit, d.confidence, d.alternatives, d.box, 0) for d in digits]
    answer = texts.answer_for(Reading(lines=["".join(groups)], digits=whole, timings={}), "CA")
    assert "left out" not in answer.text and not answer.checks[0].is_plausible


def test_a_shaky_photo_is_said_once_after_the_last_number_in_text_and_voice() -> None:
    reading = _reading("2125550147", "4165550200")
    reading.shaken = True
    answer = texts.answer_for(reading, "CA")
    assert answer.text.startswith("I found 2 numbers:")
    assert answer.text.endswith(texts.SHAKY) and answer.text.count("shaking hand") == 1
    assert "shaking hand" in answer.spoken[1][1] and "shaking hand" not in answer.spoken[0][1]
    assert answer.speech == " ".join(" ".join(part) for part in answer.spoken)
    assert "shaking" not in texts.answer_for(_reading("2125550147"), "CA").text


def test_a_number_wrapped_over_two_lines_is_one_number() -> None:
    answer = texts.answer_for(_reading("416", "9795000"), "CA")
    assert answer.text.splitlines() == [
        "📞 (416) 979-5000",
        "This looks like a real mobile or landline number in Toronto, ON, Canada.",
        texts.JOINED_LINES,
    ]
    assert len(answer.checks) == 1 and answer.checks[0].is_plausible
    # lines that are numbers on their own stay apart, and so does a short line beside one
    assert len(texts.answer_for(_reading("4169795000", "2125550147"), "CA").checks) == 2
    assert len(texts.answer_for(_reading("416", "4169795000"), "CA").checks) == 2
