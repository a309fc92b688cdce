"""The phone-number check (bot.numbers) against the real libphonenumber data of the phonenumbers package."""

from __future__ import annotations

import dataclasses
import itertools
import random

import phonenumbers
import pytest

from bot import numbers
from bot.numbers import (
    NumberKind,
    check_number,
    describe_uncertainty,
    ordinal,
    region_name,
    region_of_language,
    validate_region,
)

NANP_FICTION = "This isn't a real number: 555-01xx numbers are reserved for films and books."
UK_DRAMA = "This isn't a real number: it is in a UK range Ofcom keeps for TV, radio and film drama."
AU_FICTION = "This isn't a real number: Australia's ACMA keeps it for films, TV and books."
FR_FICTION = "This isn't a real number: France's ARCEP keeps it for films and TV."


# ---------------------------------------------------------------------------------------------------------
# Valid numbers: formatted, grouped, typed and placed
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "region", "formatted", "groups", "line_type", "verdict"),
    [
        (
            "4165550200",
            "CA",
            "(416) 555-0200",
            ["416", "555", "0200"],
            "mobile or landline",
            "This looks like a real mobile or landline number in Ontario, Canada.",
        ),
        (
            "02079461018",
            "GB",
            "020 7946 1018",
            ["020", "7946", "1018"],
            "landline",
            "This looks like a real landline in London, United Kingdom.",
        ),
        (
            "0142685300",
            "FR",
            "01 42 68 53 00",
            ["01", "42", "68", "53", "00"],
            "landline",
            "This looks like a real landline in Paris, France.",
        ),
        (
            "030123456",
            "DE",
            "030 123456",
            ["030", "123456"],
            "landline",
            "This looks like a real landline in Berlin, Germany.",
        ),
        (
            "015112345678",
            "DE",
            "01511 2345678",
            ["01511", "2345678"],
            "mobile",
            "This looks like a real mobile number in Germany.",
        ),
        (
            "9812345678",
            "IN",
            "098123 45678",
            ["098123", "45678"],
            "mobile",
            "This looks like a real mobile number in India.",
        ),
        (
            "8005551212",
            "US",
            "(800) 555-1212",
            ["800", "555", "1212"],
            "toll-free",
            "This looks like a real toll-free number in North America.",
        ),
    ],
)
def test_valid_numbers_in_several_regions(digits, region, formatted, groups, line_type, verdict) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.VALID and check.is_plausible
    assert check.formatted == formatted
    assert check.groups == groups
    assert check.line_type == line_type
    assert check.verdict == verdict
    assert check.digits == digits and check.region == region


def test_valid_number_has_e164_and_a_tel_uri() -> None:
    check = check_number("4165550200", "CA")
    assert check.e164 == "+14165550200"
    assert check.tel_uri == "tel:+1-416-555-0200"
    assert check.place == "Ontario" and check.region_name == "Canada"


def test_a_run_inside_a_real_number_is_not_flagged() -> None:
    # 06 12 34 56 78 is a real French mobile range: only whole-number runs are placeholders
    check = check_number("0612345678", "FR")
    assert check.kind is NumberKind.VALID
    assert check.verdict == "This looks like a real mobile number in France."


def test_premium_rate_numbers_come_with_a_warning() -> None:
    check = check_number("9005551234", "CA")
    assert check.kind is NumberKind.VALID
    assert check.verdict == (
        "This looks like a real premium-rate number in North America: calls to it can be expensive."
    )


def test_international_numbers_without_a_country() -> None:
    check = check_number("80012345670", "CA")
    assert check.kind is NumberKind.VALID
    assert check.formatted == "+800 1234 5670"
    assert check.verdict == "This looks like a real international toll-free number."


def test_another_nanp_region_is_shown_nationally_but_placed_where_it_is() -> None:
    check = check_number("2125550200", "CA")
    assert check.kind is NumberKind.VALID
    assert check.formatted == "(212) 555-0200"  # a Canadian dials it as written
    assert check.region == "US" and check.region_name == "United States"
    assert check.verdict == "This looks like a real mobile or landline number in New York, NY, United States."


def test_a_foreign_number_is_shown_in_international_format() -> None:
    check = check_number("14165550200", "GB")
    assert check.kind is NumberKind.VALID
    assert check.formatted == "+1 416-555-0200"
    assert check.groups == ["1", "416", "555", "0200"]
    assert check.region == "CA"


def test_separators_in_the_input_are_ignored() -> None:
    assert check_number("(416) 555-0200", "CA") == check_number("4165550200", "CA")


# ---------------------------------------------------------------------------------------------------------
# Numbers written without "+", with a trunk prefix, or after an international prefix
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "region", "expected_region", "formatted"),
    [
        ("442079461018", "CA", "GB", "+44 20 7946 1018"),
        ("33142685300", "US", "FR", "+33 1 42 68 53 00"),
        ("4915112345678", "FR", "DE", "+49 1511 2345678"),
    ],
)
def test_a_country_code_written_without_plus_is_recovered(digits, region, expected_region, formatted) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.VALID
    assert check.region == expected_region
    assert check.formatted == formatted
    assert check.e164 == "+" + digits


def test_the_default_region_reading_wins_when_it_is_valid() -> None:
    # "+41 65550200" would be Swiss; the Canadian reading is valid and comes first
    assert check_number("4165550200", "CA").e164 == "+14165550200"


@pytest.mark.parametrize(
    ("digits", "region", "e164", "formatted"),
    [
        ("00442079461018", "CA", "+442079461018", "+44 20 7946 1018"),  # 00 is not Canada's prefix
        ("011442079461018", "GB", "+442079461018", "020 7946 1018"),  # 011 is not the UK's prefix
        ("01114165550200", "GB", "+14165550200", "+1 416-555-0200"),
        ("0033612345678", "DE", "+33612345678", "+33 6 12 34 56 78"),
        ("011442079461018", "CA", "+442079461018", "+44 20 7946 1018"),  # Canada's own prefix
    ],
)
def test_international_prefixes(digits, region, e164, formatted) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.VALID
    assert check.e164 == e164
    assert check.formatted == formatted


@pytest.mark.parametrize(
    ("with_trunk", "without_trunk", "region"),
    [
        ("14165550200", "4165550200", "CA"),
        ("12125550200", "2125550200", "US"),
        ("02079461018", "2079461018", "GB"),
    ],
)
def test_trunk_prefix(with_trunk, without_trunk, region) -> None:
    a, b = check_number(with_trunk, region), check_number(without_trunk, region)
    assert a.kind is b.kind is NumberKind.VALID
    assert a.e164 == b.e164
    assert a.formatted == b.formatted


# ---------------------------------------------------------------------------------------------------------
# Numbers reserved for fiction
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "region"),
    [
        ("4165550100", "CA"),  # first of the range
        ("4165550150", "CA"),
        ("4165550199", "CA"),  # last of the range
        ("14165550199", "CA"),  # with the trunk 1
        ("2125550100", "US"),  # any area code
        ("2125550199", "CA"),
        ("5550123", "US"),  # as a local number
        ("01114165550199", "GB"),  # dialled from abroad
    ],
)
def test_nanp_555_01xx_is_fiction(digits, region) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.FICTION and not check.is_plausible
    assert check.verdict == NANP_FICTION


@pytest.mark.parametrize("digits", ["4165550099", "4165550200", "4165551234"])
def test_555_numbers_outside_0100_0199_are_not_fiction(digits) -> None:
    check = check_number(digits, "CA")
    assert check.kind is NumberKind.VALID
    assert "555-01xx" not in check.verdict


def test_libphonenumber_alone_calls_fiction_numbers_valid() -> None:
    # the reason for our own rules: these all pass libphonenumber's validation
    for text in ("+14165550150", "+442079460018", "+61491570156", "+33199001234"):
        assert phonenumbers.is_valid_number(phonenumbers.parse(text))


@pytest.mark.parametrize(
    ("digits", "region", "formatted"),
    [
        ("02079460000", "GB", "020 7946 0000"),  # London, first
        ("02079460999", "GB", "020 7946 0999"),  # London, last
        ("01164960123", "GB", "0116 496 0123"),  # Leicester
        ("01632960001", "GB", "01632 960001"),  # no area
        ("02896496123", "GB", "028 9649 6123"),  # Northern Ireland
        ("08081570123", "GB", "0808 157 0123"),  # freephone
        ("07700900123", "GB", "07700 900123"),  # mobile: libphonenumber calls it invalid
        ("447700900461", "US", "+44 7700 900461"),  # the Doctor's number, without its "+"
        ("442079460018", "CA", "+44 20 7946 0018"),
    ],
)
def test_ofcom_drama_numbers_are_fiction(digits, region, formatted) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.FICTION
    assert check.verdict == UK_DRAMA
    assert check.formatted == formatted
    assert check.region == "GB"


def test_just_past_the_london_drama_range_is_real() -> None:
    assert check_number("02079461000", "GB").kind is NumberKind.VALID


@pytest.mark.parametrize(
    ("digits", "region"),
    [
        ("0491570156", "AU"),
        ("0491579455", "AU"),
        ("61491570156", "CA"),
        ("0255501234", "AU"),  # (02) 5550 xxxx
        ("0370101234", "AU"),  # (03) 7010 xxxx
        ("1800975709", "AU"),
    ],
)
def test_acma_fiction_numbers(digits, region) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.FICTION
    assert check.verdict == AU_FICTION


def test_an_acma_neighbour_is_real() -> None:
    assert check_number("0491570155", "AU").kind is NumberKind.VALID


@pytest.mark.parametrize("digits", ["0199001234", "0536496827", "0639981234"])
def test_arcep_fiction_numbers(digits) -> None:
    check = check_number(digits, "FR")
    assert check.kind is NumberKind.FICTION
    assert check.verdict == FR_FICTION


# ---------------------------------------------------------------------------------------------------------
# Placeholders: one repeated digit, straight runs
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "region", "verdict_start"),
    [
        ("0000000000", "CA", "Every digit is a 0:"),
        ("8888888888", "US", "Every digit is an 8:"),  # a valid toll-free number to libphonenumber
        ("01111111111", "GB", "Every digit is a 1:"),  # repeated after the trunk 0
        ("9999999", "CA", "Every digit is a 9:"),
    ],
)
def test_repeated_digits(digits, region, verdict_start) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.REPEATED_DIGITS
    assert check.verdict.startswith(verdict_start)
    assert check.verdict.endswith("not a real phone number.")


@pytest.mark.parametrize(
    ("digits", "region", "direction"),
    [
        ("1234567890", "US", "up"),
        ("0123456789", "FR", "up"),
        ("9876543210", "IN", "down"),  # a valid mobile number to libphonenumber
        ("87654321", "GB", "down"),
    ],
)
def test_sequences(digits, region, direction) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.SEQUENCE
    assert check.verdict.startswith(f"The digits just count {direction} ({digits}):")


def test_short_repeats_are_left_to_the_length_check() -> None:
    assert check_number("11111", "CA").kind is not NumberKind.REPEATED_DIGITS


# ---------------------------------------------------------------------------------------------------------
# Emergency numbers and empty input
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "region", "where"),
    [
        ("911", "CA", "Canada"),
        ("911", "US", "the United States"),
        ("112", "DE", "Germany"),
        ("110", "DE", "Germany"),
        ("999", "GB", "the United Kingdom"),
        ("000", "AU", "Australia"),
        ("119", "JP", "Japan"),
        ("100", "IN", "India"),
        ("17", "FR", "France"),
    ],
)
def test_emergency_numbers_of_the_users_region(digits, region, where) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.EMERGENCY
    assert check.verdict == (
        f"{digits} is an emergency number in {where}: only call it in a real emergency, never to test."
    )
    assert check.formatted == digits and check.groups == [digits]
    assert check.e164 is None and check.tel_uri is None


@pytest.mark.parametrize(
    ("digits", "region", "named"),
    [
        ("999", "CA", "the United Kingdom"),
        ("911", "GB", "the United States, Canada"),
        ("000", "US", "Australia"),
    ],
)
def test_emergency_numbers_of_elsewhere(digits, region, named) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.EMERGENCY
    assert check.verdict.startswith(f"{digits} is an emergency number in {named} and ")
    assert "other places" in check.verdict


def test_a_longer_number_starting_like_an_emergency_number_is_not_one() -> None:
    check = check_number("9111", "CA")
    assert check.kind is NumberKind.INVALID
    assert check.verdict == "No Canadian number starts with 911: a digit may have been misread."


@pytest.mark.parametrize("digits", ["", "  -  "])
def test_empty(digits) -> None:
    check = check_number(digits, "CA")
    assert check.kind is NumberKind.EMPTY
    assert check.verdict == "I couldn't find any digits."
    assert check.formatted == "" and check.groups == [] and check.e164 is None


# ---------------------------------------------------------------------------------------------------------
# Too short, too long, possible but not valid, invalid
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "region", "verdict"),
    [
        ("41655501", "CA", "This is 2 digits short of a Canadian number: some digits may have been missed."),
        ("0207946", "GB", "This is 4 digits short of a UK number: some digits may have been missed."),
        ("01511234567", "DE", "This is 1 digit short of a German number: a digit may have been missed."),
        ("612345", "FR", "This is 3 digits short of a French number: some digits may have been missed."),
        ("5", "CA", "This is 9 digits short of a Canadian number: some digits may have been missed."),
        (
            "5550200",
            "US",
            "This is 3 digits short of a US number: the area code or some digits may be missing.",
        ),
        (
            "79460018",
            "GB",
            "This is too short for a UK number: it may be a local number without its area code.",
        ),
    ],
)
def test_too_short(digits, region, verdict) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.TOO_SHORT and not check.is_plausible
    assert check.verdict == verdict


def test_a_short_number_is_formatted_as_typed() -> None:
    check = check_number("41655501", "CA")
    assert check.formatted == "(416) 555-01"
    assert check.groups == ["416", "555", "01"]
    assert check.e164 is None  # nothing to dial


@pytest.mark.parametrize(
    ("digits", "region", "verdict", "groups"),
    [
        (
            "416555019912",
            "CA",
            "This has 2 digits too many for a Canadian number: some digits may have been read twice.",
            ["416", "555", "019", "912"],
        ),
        (
            "020794601234",
            "GB",
            "This has 1 digit too many for a UK number: a digit may have been read twice.",
            ["020", "794", "601", "234"],
        ),
        (
            "41655501994165550199",  # 20 digits: libphonenumber refuses to parse it at all
            "CA",
            "This has 10 digits too many for a Canadian number: some digits may have been read twice.",
            ["416", "555", "019", "941", "6555", "0199"],
        ),
    ],
)
def test_too_long(digits, region, verdict, groups) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.TOO_LONG
    assert check.verdict == verdict
    assert check.formatted == digits and check.groups == groups
    assert check.e164 is None


@pytest.mark.parametrize(
    ("digits", "region", "verdict"),
    [
        # North American exchanges never start with 0 or 1, area codes never with 0
        ("4160555019", "CA", "The length is right, but no Canadian number starts with 416 0."),
        ("4161555019", "US", "The length is right, but no US number starts with 416 1."),
        ("0612345678", "CA", "The length is right, but no Canadian number starts with 0."),
        ("0612345678", "GB", "The length is right, but no UK number starts with 06."),
    ],
)
def test_possible_but_not_valid(digits, region, verdict) -> None:
    check = check_number(digits, region)
    assert check.kind is NumberKind.POSSIBLE_NOT_VALID and not check.is_plausible
    assert check.verdict == verdict
    assert check.e164 is not None  # a dialable length, even if nobody answers


def test_a_number_that_cannot_be_fixed_by_adding_digits_is_invalid() -> None:
    check = check_number("04165550", "CA")
    assert check.kind is NumberKind.INVALID
    assert check.verdict == "No Canadian number starts with 0: a digit may have been misread."
    assert check.formatted == "04165550" and check.groups == ["0416", "5550"]


@pytest.mark.parametrize(
    ("digits", "region"),
    [("4160555019", "CA"), ("0612345678", "CA"), ("0612345678", "GB"), ("04165550", "CA"), ("9111", "CA")],
)
def test_no_number_starts_with_the_prefix_named(digits, region) -> None:
    """The prefix a verdict names really starts no valid 10-digit number: 2,000 random completions."""
    check = check_number(digits, region)
    named = check.verdict.split("starts with ", 1)[1].split(":")[0].rstrip(".").replace(" ", "")
    country_code = phonenumbers.country_code_for_region(region)
    prefix = named.removeprefix("0") if region == "GB" else named
    rng = random.Random(digits)
    for _ in range(2000):
        number = phonenumbers.parse(f"+{country_code}{prefix}{_random_digits(rng, prefix)}")
        assert not phonenumbers.is_valid_number(number), number
    # while one digit fewer does start valid numbers: the prefix named is the shortest
    shorter = prefix[:-1]
    assert any(
        phonenumbers.is_valid_number(
            phonenumbers.parse(f"+{country_code}{shorter}{_random_digits(rng, shorter)}")
        )
        for _ in range(2000)
    )


def _random_digits(rng: random.Random, prefix: str) -> str:
    """Random digits completing ``prefix`` to 10 digits."""
    return "".join(rng.choice("0123456789") for _ in range(10 - len(prefix)))


# ---------------------------------------------------------------------------------------------------------
# The shape of every answer
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "region"),
    [
        ("4165550200", "CA"),
        ("4165550150", "CA"),
        ("0000000000", "CA"),
        ("1234567890", "US"),
        ("911", "CA"),
        ("", "CA"),
        ("41655501", "CA"),
        ("416555019912", "CA"),
        ("4160555019", "CA"),
        ("04165550", "CA"),
        ("07700900123", "GB"),
        ("0142685300", "FR"),
    ],
)
def test_every_verdict_is_one_plain_sentence(digits, region) -> None:
    check = check_number(digits, region)
    assert check.verdict.endswith(".") and "\n" not in check.verdict
    assert ". " not in check.verdict  # one sentence
    assert "".join(check.groups) == "".join(c for c in check.formatted if c.isdigit())
    assert check.is_plausible == (check.kind is NumberKind.VALID)


def test_the_result_is_frozen() -> None:
    check = check_number("4165550200", "CA")
    with pytest.raises(dataclasses.FrozenInstanceError):
        check.verdict = "changed"  # type: ignore[misc]


def test_an_unsupported_region_is_refused() -> None:
    with pytest.raises(ValueError, match="XX"):
        check_number("4165550200", "XX")


def test_the_region_may_be_given_loosely() -> None:
    assert check_number("4165550200", " ca ") == check_number("4165550200", "CA")


# ---------------------------------------------------------------------------------------------------------
# Regions, ordinals, uncertain digits
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ca", "CA"),
        (" CA ", "CA"),
        ("Gb", "GB"),
        ("uk", "GB"),
        ("in", "IN"),
        ("XX", None),
        ("ZZ", None),
        ("Canada", None),
        ("1", None),
        ("001", None),
        ("", None),
        ("C", None),
    ],
)
def test_validate_region(text, expected) -> None:
    assert validate_region(text) == expected


def test_region_names() -> None:
    assert region_name("GB") == "United Kingdom"
    assert region_name("DE") == "Germany"
    assert region_name("XK") == "Kosovo"  # libphonenumber has no English name for it


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
    ],
)
def test_ordinal(n, expected) -> None:
    assert ordinal(n) == expected


def test_describe_uncertainty() -> None:
    assert describe_uncertainty(
        [(4, "7", ["1"]), (11, "8", ["3", "0"]), (2, "6", ["5", "8", "0", "5", "6"]), (22, "3", [])]
    ) == [
        "The 4th digit looks like a 7, maybe a 1.",
        "The 11th digit looks like an 8, maybe a 3 or a 0.",
        "The 2nd digit looks like a 6, maybe a 5, an 8 or a 0.",
        "The 22nd digit looks like a 3, but I'm not sure.",
    ]
    assert describe_uncertainty([]) == []


def test_describe_uncertainty_positions_are_1_based() -> None:
    with pytest.raises(ValueError, match="1-based"):
        describe_uncertainty([(0, "7", ["1"])])


# ---------------------------------------------------------------------------------------------------------
# The partial matcher behind "no number starts with …" and "N digits short"
# ---------------------------------------------------------------------------------------------------------


def test_partial_matching_agrees_with_libphonenumber() -> None:
    """For prefixes two digits short of example numbers (kept or scrambled), "some valid number starts with
    this" must match a brute-force search with phonenumbers.is_valid_number, in both directions."""
    rng = random.Random(7)
    outcomes = set()
    for region in ("CA", "US", "GB", "FR", "DE", "IN", "AU", "JP", "BR"):
        for number_type in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, number_type)
            national = phonenumbers.national_significant_number(example)
            for _ in range(4):
                kept = rng.randrange(len(national) - 2)
                prefix = national[:kept] + "".join(
                    rng.choice("0123456789") for _ in range(len(national) - 2 - kept)
                )
                brute = any(
                    phonenumbers.is_valid_number(phonenumbers.parse(f"+{example.country_code}{prefix}{a}{b}"))
                    for a, b in itertools.product("0123456789", repeat=2)
                )
                assert numbers._completable(example.country_code, prefix, len(national)) == brute, (
                    region,
                    prefix,
                )
                outcomes.add(brute)
    assert outcomes == {True, False}  # both answers were exercised


@pytest.mark.parametrize(
    ("language", "region"),
    [
        ("en-GB", "GB"),
        ("pt-br", "BR"),
        ("zh-Hant-TW", "TW"),
        ("fr_CA", "CA"),
        ("en", None),
        ("", None),
        (None, None),
        ("en-XX", None),
        ("es-419", None),
    ],
)
def test_region_of_a_telegram_language_code(language, region) -> None:
    assert region_of_language(language) == region


@pytest.mark.parametrize(
    ("groups", "formatted", "before", "after"),
    [
        (["781", "416", "979", "5000"], "(416) 979-5000", "781", ""),  # "Tel" before the number
        (["4", "0", "416", "979", "5000", "12"], "(416) 979-5000", "40", "12"),
        (["1", "800", "267", "2001"], "(800) 267-2001", "", ""),  # valid as written: nothing left out
        (["416", "555", "0199"], "(416) 555-0199", "", ""),  # fiction is a verdict, not a reason to cut
        (["781", "416", "555", "0199"], "(416) 555-0199", "781", ""),  # ... and a number of a real shape
        (["7", "911"], "7911", "", ""),  # an emergency number is never what is left
    ],
)
def test_groups_written_apart_are_left_out_only_to_find_a_well_formed_number(
    groups, formatted, before, after
):
    check, left_before, left_after = numbers.check_groups(groups, "CA")
    assert (check.formatted, left_before, left_after) == (formatted, before, after)
