"""Hostile inputs never raise out of the reader: a plain-sentence ImageError or a reading."""

from __future__ import annotations

import pytest

from recognizer.decode import ImageError
from recognizer.fuzz import fuzz_cases
from recognizer.reader import Recognizer

NOT_WRITING = {
    "blank page",
    "folded blank page",
    "all-black page",
    "animated gif",
    "noise photo",
    "thin strip",
}


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer.load()


def test_every_hostile_input_gets_an_error_sentence_or_a_reading(recognizer) -> None:
    kinds = set()
    for name, data in fuzz_cases(52, seed=3):
        kinds.add(name)
        try:
            reading = recognizer.read(data)
        except ImageError as error:
            assert str(error).endswith(".") and "\n" not in str(error)
            continue
        if name in NOT_WRITING:
            assert reading.digits == [], name
    assert len(kinds) == 14


def test_a_garbled_photo_read_doubtfully_is_not_enlarged_into_more_digits(recognizer) -> None:
    # the 12th mutated JPEG of this seed: a few doubtful "digits" in garbled stripes; enlarged
    # twice and read again, it once gave 55. (With digit model 1.3.0 its first reading is weak
    # enough to be looked at closer, and the closer look still finds one "digit".)
    mutated = [data for name, data in fuzz_cases(400, seed=3) if name == "mutated jpeg"]
    reading = recognizer.read(mutated[11])
    assert len(reading.digits) < 10


def test_a_garbled_page_with_a_band_of_noise_is_no_black_and_white_scan(recognizer) -> None:
    # the 45th mutated JPEG of seed 0 (input 618 of the benchmark's 1,000): a white page with a
    # band of coloured noise. Taken for a scanner's black-and-white page, the band's edges were
    # rulings as dark as the pen, left out, and its inside read as 47 digits.
    mutated = [data for name, data in fuzz_cases(1000) if name == "mutated jpeg"]
    assert len(recognizer.read(mutated[44]).digits) < 10
