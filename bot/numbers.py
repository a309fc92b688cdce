"""The phone-number check step of the pipeline: digits read from a photo → formatted number + honest verdict.

This module owns everything the bot says about *the number itself*, and nothing else: no Telegram, no
images, no I/O. :func:`check_number` takes the digits the recognizer read (separators such as
``+ ( ) - .`` are already gone) and the user's default region, and returns a :class:`NumberCheck`: how
to show the number, the digit groups to speak with pauses, a :class:`NumberKind`, and one plain English
sentence saying whether the number can be real.

Validity comes from Google's libphonenumber data (the ``phonenumbers`` package). On top of it, rules of
our own catch numbers that libphonenumber calls valid (or just invalid) but that nobody can own: numbers
reserved for fiction (North American 555-0100…0199, Ofcom's UK drama ranges, ACMA's Australian ones,
ARCEP's French ones), numbers of one repeated digit, straight runs like 1234567890, and emergency numbers.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberType,
    geocoder,
    shortnumberinfo,
)

try:  # the regex parser behind ``re``; used to ask "can these digits still become a valid number?"
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - a future Python without it: verdicts just get less specific
    _sre = _sre_parse = None

__all__ = [
    "NumberCheck",
    "NumberKind",
    "check_number",
    "describe_uncertainty",
    "ordinal",
    "region_name",
    "validate_region",
]


MIN_TRIMMED_DIGITS = 7  # a number found by leaving out groups of digits keeps at least this many


class NumberKind(enum.Enum):
    """What kind of answer the check gives; only ``VALID`` numbers can be real."""

    VALID = "valid"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    POSSIBLE_NOT_VALID = "possible_not_valid"
    INVALID = "invalid"
    FICTION = "fiction"
    REPEATED_DIGITS = "repeated_digits"
    SEQUENCE = "sequence"
    EMERGENCY = "emergency"
    EMPTY = "empty"


@dataclass(frozen=True)
class NumberCheck:
    """The result of :func:`check_number`.

    ``digits`` are the digits checked. ``formatted`` is national format for numbers sharing the user's
    country code (so a +1 number for a Canadian user, which dials as written), international format
    otherwise, and the raw digits when nothing usable parses. ``groups`` are the digit groups of
    ``formatted``, for speaking with pauses (the country code is the first group when ``formatted`` starts
    with "+"). ``e164``/``tel_uri`` are set when the digits parse to a number of a dialable length, never
    for emergency numbers. ``region``/``region_name`` are the region the verdict talks about (the number's
    own when known, else the user's). ``line_type`` ("mobile", "landline", "toll-free"…) and ``place``
    (the geocoder's area, when more precise than the country) are set for valid numbers only.
    """

    digits: str
    kind: NumberKind
    verdict: str
    formatted: str
    groups: list[str]
    region: str
    region_name: str
    e164: str | None = None
    tel_uri: str | None = None
    line_type: str | None = None
    place: str | None = None

    @property
    def is_plausible(self) -> bool:
        """True only when the number can be a real, working number."""
        return self.kind is NumberKind.VALID


WELL_FORMED = (NumberKind.VALID, NumberKind.FICTION)  # numbers of a real shape (see check_groups)


# ----------------------------------------------------------------------------------------------------
# Rule tables
# ----------------------------------------------------------------------------------------------------

ASCII_DIGITS = "0123456789"
NANP_COUNTRY_CODE = 1
# Prefixes written before a country code instead of "+": most of the world, then North America.
INTERNATIONAL_PREFIXES = ("00", "011")
# A whole number of one repeated digit, or a straight run, is flagged from this length on.
MIN_PATTERN_DIGITS = 6
# A group longer than this in a number that is not valid means libphonenumber could not format it.
MAX_UNFORMATTED_GROUP = 6
# Verdicts name the first digits no number starts with only when there are this few of them (an area
# code and an exchange, say); a longer dead prefix is no help to the reader.
MAX_DEAD_PREFIX_DIGITS = 6
# Emergency numbers are checked in every region only for inputs this short.
MAX_EMERGENCY_DIGITS = 3
# Regions named first when an emergency number is not one of the user's own.
# fmt: off
EMERGENCY_NAME_ORDER = (
    "US", "CA", "GB", "AU", "IN", "DE", "FR", "JP", "CN", "KR", "BR", "MX", "ES", "IT", "NZ",
)
# fmt: on
REGION_ALIASES = {"UK": "GB"}
# Names libphonenumber has no English display name for.
REGION_NAME_FALLBACKS = {
    "AC": "Ascension Island",
    "TA": "Tristan da Cunha",
    "XK": "Kosovo",
    "001": "no single country",
}
# Region names that read "the …" in a sentence, besides "United …", "… Islands" and "… Republic".
NAMES_WITH_THE = frozenset({"Netherlands", "Philippines", "Bahamas", "Gambia", "Maldives", "Vatican"})
DEMONYMS = {
    "AT": "Austrian",
    "AU": "Australian",
    "BE": "Belgian",
    "BR": "Brazilian",
    "CA": "Canadian",
    "CH": "Swiss",
    "CN": "Chinese",
    "DE": "German",
    "DK": "Danish",
    "ES": "Spanish",
    "FI": "Finnish",
    "FR": "French",
    "GB": "UK",
    "IE": "Irish",
    "IN": "Indian",
    "IT": "Italian",
    "JP": "Japanese",
    "MX": "Mexican",
    "NL": "Dutch",
    "NO": "Norwegian",
    "NZ": "New Zealand",
    "PL": "Polish",
    "PT": "Portuguese",
    "SE": "Swedish",
    "US": "US",
    "ZA": "South African",
}
LINE_TYPES = {
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.MOBILE: "mobile number",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile or landline number",
    PhoneNumberType.TOLL_FREE: "toll-free number",
    PhoneNumberType.PREMIUM_RATE: "premium-rate number",
    PhoneNumberType.SHARED_COST: "shared-cost number",
    PhoneNumberType.VOIP: "internet (VoIP) number",
    PhoneNumberType.PERSONAL_NUMBER: "personal number",
    PhoneNumberType.PAGER: "pager number",
    PhoneNumberType.UAN: "company number",
    PhoneNumberType.VOICEMAIL: "voicemail number",
}
# What a caller should know about some types of number, added to the verdict.
TYPE_NOTES = {PhoneNumberType.PREMIUM_RATE: ": calls to it can be expensive"}
# The number descriptions of libphonenumber's metadata that make a number valid.
TYPE_DESCS = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)


# ACMA's list of numbers for creative works (mobiles and the one odd freephone number).
# fmt: off
ACMA_FICTION_NUMBERS = (
    "491 570 006", "491 570 156", "491 570 157", "491 570 158", "491 570 159", "491 570 110",
    "491 570 313", "491 570 737", "491 571 266", "491 571 491", "491 571 804", "491 572 549",
    "491 572 665", "491 572 983", "491 573 770", "491 573 087", "491 574 118", "491 574 632",
    "491 575 254", "491 575 789", "491 576 398", "491 576 801", "491 577 426", "491 577 644",
    "491 578 957", "491 578 148", "491 578 888", "491 579 212", "491 579 760", "491 579 455",
    "1800 160 401",
)
# fmt: on


@dataclass(frozen=True)
class FictionRule:
    """National significant numbers (no trunk 0) of one country code that are reserved for fiction."""

    country_code: int
    pattern: re.Pattern[str]
    verdict: str


def _numbers(*numbers: str) -> str:
    """An alternation of literal numbers written with spaces, for the rule patterns."""
    return "|".join(n.replace(" ", "") for n in numbers)


FICTION_RULES = (
    # NANP: 555-0100 to 555-0199 in any area code (and as a 7-digit local number) are for fiction.
    FictionRule(
        NANP_COUNTRY_CODE,
        re.compile(r"(?:\d{3})?55501\d{2}"),
        "This isn't a real number: 555-01xx numbers are reserved for films and books.",
    ),
    # Ofcom's "numbers for drama": 1,000 numbers per range, e.g. 020 7946 0000 to 020 7946 0999.
    FictionRule(
        44,
        re.compile(
            r"(?:11[3-8]4960|1[2-6]14960|1914980|2079460|2896496|2920180|1632960"
            r"|7700900|8081570|9098790|3069990)\d{3}"
        ),
        "This isn't a real number: it is in a UK range Ofcom keeps for TV, radio and film drama.",
    ),
    # ACMA's numbers for creative works: 30 mobiles, (0x) 5550/7010 xxxx landlines, a few 1800/1300 numbers.
    FictionRule(
        61,
        re.compile(
            _numbers(*ACMA_FICTION_NUMBERS) + r"|[2378](?:5550|7010)\d{4}|1[38]00975(?:70[7-9]|71[01])"
        ),
        "This isn't a real number: Australia's ACMA keeps it for films, TV and books.",
    ),
    # ARCEP's numbers for audiovisual works: 01 99 00, 02 61 91, 03 53 01, 04 65 71, 05 36 49, 06 39 98 + 4.
    FictionRule(
        33,
        re.compile(r"(?:19900|26191|35301|46571|53649|63998)\d{4}"),
        "This isn't a real number: France's ARCEP keeps it for films and TV.",
    ),
)


# ----------------------------------------------------------------------------------------------------
# Public helpers
# ----------------------------------------------------------------------------------------------------


def validate_region(code: str) -> str | None:
    """Normalise user input for ``/region XX`` ("ca", " CA ", "uk") to a supported region code, else None."""
    cleaned = code.strip().upper()
    cleaned = REGION_ALIASES.get(cleaned, cleaned)
    if (
        len(cleaned) == 2
        and cleaned.isascii()
        and cleaned.isalpha()
        and cleaned in phonenumbers.SUPPORTED_REGIONS
    ):
        return cleaned
    return None


def region_of_language(language: str | None) -> str | None:
    """The country of an IETF language tag as Telegram sends it ("en-GB", "pt-br" → "GB", "BR"), or
    None when the tag names no supported country ("en", "fr")."""
    subtags = (language or "").replace("_", "-").split("-")[1:]
    regions = [validate_region(subtag) for subtag in subtags if len(subtag) == 2]
    return next((region for region in regions if region), None)


def region_name(region: str) -> str:
    """The English name of a region code ("GB" → "United Kingdom"), or the code itself when none is known."""
    # libphonenumber has no public per-region name lookup; this is what its country_name_for_number uses.
    name = geocoder._region_display_name(region, "en")
    return name or REGION_NAME_FALLBACKS.get(region, region)


def ordinal(n: int) -> str:
    """English ordinal of a positive integer: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd, 101st."""
    if 11 <= n % 100 <= 13:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def describe_uncertainty(positions: Sequence[tuple[int, str, Sequence[str]]]) -> list[str]:
    """One sentence per unsure digit: (1-based position, digit read, alternatives) → "The 4th digit looks
    like a 7, maybe a 1." Alternatives equal to the digit read, or repeated, are ignored."""
    sentences = []
    for position, digit, alternatives in positions:
        if position < 1:
            raise ValueError(f"positions are 1-based, got {position}")
        others = list(dict.fromkeys(a for a in alternatives if a != digit))
        sentence = f"The {ordinal(position)} digit looks like {_a(digit)}"
        if others:
            sentence += ", maybe " + _join_or([_a(a) for a in others])
        else:
            sentence += ", but I'm not sure"
        sentences.append(sentence + ".")
    return sentences


# ----------------------------------------------------------------------------------------------------
# The check
# ----------------------------------------------------------------------------------------------------


def check_number(digits: str, region: str = "CA") -> NumberCheck:
    """Check the digits read from a photo against the numbering plans, for a user whose default region is
    ``region``; see :class:`NumberCheck`. Anything but ASCII digits in ``digits`` is ignored.

    Raises ValueError for a region that :func:`validate_region` would refuse.
    """
    user_region = validate_region(region)
    if user_region is None:
        raise ValueError(f"unsupported region {region!r}")
    digits = "".join(c for c in digits if c in ASCII_DIGITS)
    user_name = region_name(user_region)
    if not digits:
        return NumberCheck(
            digits, NumberKind.EMPTY, "I couldn't find any digits.", "", [], user_region, user_name
        )

    emergency = _emergency_verdict(digits, user_region)
    if emergency is not None:
        return NumberCheck(digits, NumberKind.EMERGENCY, emergency, digits, [digits], user_region, user_name)

    candidates = _candidates(digits, user_region)
    valid = [n for n in candidates if phonenumbers.is_valid_number(n)]
    chosen = valid[0] if valid else (candidates[0] if candidates else None)

    pattern = _pattern_verdict(digits, chosen)
    if pattern is not None:
        kind, verdict = pattern
        return _result(digits, kind, verdict, chosen, user_region)

    for number in valid[:1] or candidates:
        rule = _fiction_rule(number)
        if rule is not None:
            return _result(digits, NumberKind.FICTION, rule.verdict, number, user_region)

    if valid:
        return _valid_result(digits, valid[0], user_region)
    if chosen is None:
        return _unparsed_result(digits, user_region)
    kind, verdict = _explain_invalid(digits, chosen, user_region)
    return _result(digits, kind, verdict, chosen, user_region)


def check_groups(groups: list[str], region: str = "CA") -> tuple[NumberCheck, str, str]:
    """:func:`check_number` of digits written in ``groups`` ("416", "555", "0199"), with the digits
    left out before and after. When the whole is no well-formed number (valid, or reserved for
    fiction) but leaving out groups at its start or end leaves one (a word or label written before
    the number and read as digits: "Tel" as "78"), that one is checked instead: the fewest groups
    left out, those at the start first."""
    whole = check_number("".join(groups), region)
    if whole.kind in WELL_FORMED:
        return whole, "", ""
    for dropped in range(1, len(groups)):
        for start in range(dropped + 1):
            end = len(groups) - (dropped - start)
            kept = "".join(groups[start:end])
            if len(kept) < MIN_TRIMMED_DIGITS:
                continue
            check = check_number(kept, region)
            if check.kind in WELL_FORMED:
                return check, "".join(groups[:start]), "".join(groups[end:])
    return whole, "", ""


def _candidates(digits: str, region: str) -> list[PhoneNumber]:
    """Every reading of the digits that parses, best first: as dialled in the user's region (national, with a
    trunk prefix, or after the region's own international prefix), then as if a "+" was left off, then after
    a foreign international prefix (00 or 011)."""
    texts: list[tuple[str, str | None]] = [(digits, region), ("+" + digits, None)]
    texts += [("+" + digits[len(p) :], None) for p in INTERNATIONAL_PREFIXES if digits.startswith(p)]
    seen: set[tuple[int, str]] = set()
    numbers = []
    for text, default_region in texts:
        try:
            number = phonenumbers.parse(text, default_region)
        except NumberParseException:
            continue
        key = (number.country_code, phonenumbers.national_significant_number(number))
        if key not in seen:
            seen.add(key)
            numbers.append(number)
    return numbers


def _emergency_verdict(digits: str, user_region: str) -> str | None:
    """A sentence for an emergency number of the user's region or, for very short inputs, of anywhere."""
    if shortnumberinfo.is_emergency_number(digits, user_region):
        where = _with_the(region_name(user_region))
    elif len(digits) <= MAX_EMERGENCY_DIGITS:
        regions = [
            r
            for r in shortnumberinfo.SUPPORTED_SHORT_REGIONS
            if shortnumberinfo.is_emergency_number(digits, r)
        ]
        if not regions:
            return None
        known = [r for r in EMERGENCY_NAME_ORDER if r in regions][:2]
        named = [_with_the(region_name(r)) for r in known or sorted(regions, key=region_name)[:1]]
        rest = len(regions) - len(named)
        if rest:
            named.append(f"{rest} other place{'s' if rest > 1 else ''}")
        where = _join_and(named)
    else:
        return None
    return f"{digits} is an emergency number in {where}: only call it in a real emergency, never to test."


def _pattern_verdict(digits: str, number: PhoneNumber | None) -> tuple[NumberKind, str] | None:
    """All one digit, or a straight run up or down, in the digits as read or in the national number."""
    texts = [digits]
    if number is not None:
        texts.append(phonenumbers.national_significant_number(number))
    for text in texts:
        if len(text) < MIN_PATTERN_DIGITS:
            continue
        if len(set(text)) == 1:
            return (
                NumberKind.REPEATED_DIGITS,
                f"Every digit is {_a(text[0])}: "
                "that's almost certainly a placeholder, not a real phone number.",
            )
        steps = {(int(b) - int(a)) % 10 for a, b in pairwise(text)}
        if steps in ({1}, {9}):
            direction = "up" if steps == {1} else "down"
            return (
                NumberKind.SEQUENCE,
                f"The digits just count {direction} ({text}): "
                "that's almost certainly a placeholder, not a real phone number.",
            )
    return None


def _fiction_rule(number: PhoneNumber) -> FictionRule | None:
    """The rule reserving this number for fiction, if any."""
    national = phonenumbers.national_significant_number(number)
    for rule in FICTION_RULES:
        if number.country_code == rule.country_code and rule.pattern.fullmatch(national):
            return rule
    return None


def _valid_result(digits: str, number: PhoneNumber, user_region: str) -> NumberCheck:
    """The verdict for a number libphonenumber calls valid: its type and where it is."""
    number_type = phonenumbers.number_type(number)
    line_type = LINE_TYPES.get(number_type, "phone number")
    region = _number_region(number, user_region)
    country = region_name(region)
    place = None
    geographical = phonenumbers.is_number_type_geographical(number_type, number.country_code)
    if geographical:
        description = geocoder.description_for_number(number, "en")
        place = description if description and description != country else None
    if place:
        where = f"{place}, {country}"
    elif number.country_code == NANP_COUNTRY_CODE and not geographical:
        where = "North America"  # toll-free and other non-geographic NANP numbers work across the plan
    else:
        where = _with_the(country)
    note = TYPE_NOTES.get(number_type, "")
    verdict = f"This looks like a real {line_type} in {where}{note}."
    if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:  # +800, +808, +870, +979…: no country
        verdict = f"This looks like a real international {line_type}{note}."
    result = _result(digits, NumberKind.VALID, verdict, number, user_region)
    return replace(result, line_type=line_type.removesuffix(" number"), place=place)


def _explain_invalid(digits: str, number: PhoneNumber, user_region: str) -> tuple[NumberKind, str]:
    """Why a parsed number cannot be real: too short, too long, or nothing in that country starts so."""
    cc = number.country_code
    national = phonenumbers.national_significant_number(number)
    region = _message_region(number, user_region)
    lengths = _real_lengths(cc)
    if not lengths:
        return NumberKind.INVALID, f"+{cc} isn't a country code in use: a digit may have been misread."
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(cc, region)
    trunk = (metadata.national_prefix if metadata else None) or ""
    if trunk and national.startswith(trunk) and not any(_completable(cc, trunk, n) for n in lengths):
        # libphonenumber keeps the trunk prefix ("0") of numbers too short to be valid: judge them without it
        national = national[len(trunk) :]
    size = len(national)
    if size > max(lengths):
        return NumberKind.TOO_LONG, _too_long(size - max(lengths), region)
    written_with_trunk = bool(trunk) and digits.startswith(trunk)
    if size in _local_lengths(cc) and not written_with_trunk and any(n > size for n in lengths):
        # a local number: dialled without trunk prefix and area code
        if cc == NANP_COUNTRY_CODE:
            missing = _count(min(n for n in lengths if n > size) - size, "digit")
            return (
                NumberKind.TOO_SHORT,
                f"This is {missing} short of {_a_number(region)}: "
                "the area code or some digits may be missing.",
            )
        return (
            NumberKind.TOO_SHORT,
            f"This is too short for {_a_number(region)}: it may be a local number without its area code.",
        )
    dead = _dead_prefix(cc, national, lengths)
    length_right = _completable(cc, "", size)
    if dead is not None and dead <= MAX_DEAD_PREFIX_DIGITS:
        shown = _prefix_as_written(number, national, dead, digits)
        starts = f"{_no_number(region)} starts with {shown}"
        if length_right:
            return NumberKind.POSSIBLE_NOT_VALID, f"The length is right, but {starts}."
        return NumberKind.INVALID, f"{starts[0].upper()}{starts[1:]}: a digit may have been misread."
    longer = [n for n in lengths if n > size and _completable(cc, national, n)]
    if longer:
        return NumberKind.TOO_SHORT, _too_short(min(longer) - size, region)
    if length_right:
        return (
            NumberKind.POSSIBLE_NOT_VALID,
            f"The length is right, but it isn't in any range of {_plain_number(region)}s: "
            "a digit may have been misread.",
        )
    return (
        NumberKind.INVALID,
        f"This doesn't look like {_a_number(region)}: a digit may have been misread or missed.",
    )


def _unparsed_result(digits: str, user_region: str) -> NumberCheck:
    """Digits libphonenumber refuses to parse: how far they are from a number of the user's region."""
    metadata = PhoneMetadata.metadata_for_region(user_region)
    cc = metadata.country_code
    national = digits
    if metadata.national_prefix and digits.startswith(metadata.national_prefix):
        national = digits[len(metadata.national_prefix) :]
    lengths = _real_lengths(cc)
    longer = [n for n in lengths if n > len(national) and _completable(cc, national, n)]
    longer = longer or [n for n in lengths if n > len(national)]
    if len(national) > max(lengths):
        kind, verdict = NumberKind.TOO_LONG, _too_long(len(national) - max(lengths), user_region)
    elif longer:
        kind, verdict = NumberKind.TOO_SHORT, _too_short(min(longer) - len(national), user_region)
    else:  # pragma: no cover - libphonenumber parses every length it has no objection to
        kind = NumberKind.INVALID
        verdict = f"This doesn't look like {_a_number(user_region)}: a digit may have been misread or missed."
    return NumberCheck(digits, kind, verdict, digits, _chunk(digits), user_region, region_name(user_region))


def _too_short(missing: int, region: str) -> str:
    """'This is 2 digits short of a Canadian number: some digits may have been missed.'"""
    hint = "a digit may have been missed" if missing == 1 else "some digits may have been missed"
    return f"This is {_count(missing, 'digit')} short of {_a_number(region)}: {hint}."


def _too_long(extra: int, region: str) -> str:
    """'This has 1 digit too many for a UK number: a digit may have been read twice.'"""
    hint = "a digit may have been read twice" if extra == 1 else "some digits may have been read twice"
    return f"This has {_count(extra, 'digit')} too many for {_a_number(region)}: {hint}."


def _result(
    digits: str, kind: NumberKind, verdict: str, number: PhoneNumber | None, user_region: str
) -> NumberCheck:
    """Assemble a NumberCheck, formatting ``number`` (or the raw digits) for display."""
    if number is None:
        return NumberCheck(
            digits, kind, verdict, digits, _chunk(digits), user_region, region_name(user_region)
        )
    region = _number_region(number, user_region)
    formatted = _display(digits, number, kind, user_region)
    groups = re.findall(r"\d+", formatted) if formatted != digits else _chunk(digits)
    e164 = tel_uri = None
    if phonenumbers.is_possible_number(number):
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        tel_uri = phonenumbers.format_number(number, PhoneNumberFormat.RFC3966)
    return NumberCheck(digits, kind, verdict, formatted, groups, region, region_name(region), e164, tel_uri)


def _display(digits: str, number: PhoneNumber, kind: NumberKind, user_region: str) -> str:
    """National format when the number shares the user's country code (it dials as written), international
    otherwise. libphonenumber leaves many numbers that are not valid in one block; those are formatted as
    typed (for numbers too short or reserved for fiction), else shown as the raw digits."""
    cc = number.country_code
    national = phonenumbers.national_significant_number(number)
    own = cc == phonenumbers.country_code_for_region(user_region)
    style = PhoneNumberFormat.NATIONAL if own else PhoneNumberFormat.INTERNATIONAL
    formatted = phonenumbers.format_number(number, style)
    if kind is NumberKind.VALID or _well_grouped(formatted):
        return formatted
    typed = digits if own else f"+{cc}{national}"
    if kind in (NumberKind.TOO_SHORT, NumberKind.FICTION):
        formatter = phonenumbers.AsYouTypeFormatter(user_region)
        for char in typed:
            formatted = formatter.input_digit(char)
        trunk = PhoneMetadata.metadata_for_region(user_region).national_prefix or ""
        # as-you-type takes a leading NANP "1" for a trunk prefix even where the parse did not
        misread_trunk = own and national == digits and trunk and formatted.startswith(trunk + " ")
        if (
            _well_grouped(formatted)
            and re.sub(r"\D", "", formatted) == typed.lstrip("+")
            and not misread_trunk
        ):
            return formatted
    return digits if own else f"+{cc} " + " ".join(_chunk(national))


def _well_grouped(formatted: str) -> bool:
    """Whether a formatted number is split into groups short enough to read out."""
    groups = re.findall(r"\d+", formatted)
    return len(groups) >= 2 and max(map(len, groups)) <= MAX_UNFORMATTED_GROUP


# ----------------------------------------------------------------------------------------------------
# Regions and wording
# ----------------------------------------------------------------------------------------------------


def _number_region(number: PhoneNumber, user_region: str) -> str:
    """The region a number belongs to: its own when valid, else the user's when the country code is theirs,
    else the main region of its country code."""
    region = phonenumbers.region_code_for_number(number)
    if region and region != "ZZ":
        return region
    if number.country_code == phonenumbers.country_code_for_region(user_region):
        return user_region
    return phonenumbers.region_code_for_country_code(number.country_code)


def _message_region(number: PhoneNumber, user_region: str) -> str:
    """The region to name in a verdict: the user's own when they share the country code (a Canadian user hears
    about Canadian numbers even for a +1 number of another NANP region), else the number's."""
    if number.country_code == phonenumbers.country_code_for_region(user_region):
        return user_region
    return _number_region(number, user_region)


def _with_the(name: str) -> str:
    """'United Kingdom' → 'the United Kingdom'; 'France' → 'France'."""
    if name.startswith("The "):
        return "the " + name[4:]
    if name.startswith("United ") or name.endswith(("Islands", "Republic")) or name in NAMES_WITH_THE:
        return "the " + name
    return name


def _plain_number(region: str) -> str:
    """'Canadian number' or 'number in Brazil'."""
    demonym = DEMONYMS.get(region)
    return f"{demonym} number" if demonym else f"number in {_with_the(region_name(region))}"


def _a_number(region: str) -> str:
    """'a Canadian number', 'an Indian number', 'a number in Brazil'."""
    return _a(_plain_number(region))


def _no_number(region: str) -> str:
    """'no Canadian number', 'no number in Brazil'."""
    return "no " + _plain_number(region)


def _a(noun: str) -> str:
    """The noun with 'a' or 'an' by sound: 'an 8', 'an Indian number', 'a UK number', 'a 7'."""
    if noun.startswith(("UK", "US", "uni", "Uni")):
        return "a " + noun
    return ("an " if noun[:1].lower() in "aeiou8" else "a ") + noun


def _count(n: int, noun: str) -> str:
    """'1 digit', '2 digits'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _join_or(items: Sequence[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _join_and(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _chunk(digits: str) -> list[str]:
    """Groups of 3 then 4 digits for numbers nothing could format (10 → 3-3-4, 8 → 4-4, 11 → 3-4-4)."""
    size = len(digits)
    if size <= 4:
        return [digits] if digits else []
    if size == 5:
        return [digits[:2], digits[2:]]
    fours = size % 3
    sizes = [3] * ((size - 4 * fours) // 3) + [4] * fours
    groups, start = [], 0
    for width in sizes:
        groups.append(digits[start : start + width])
        start += width
    return groups


def _prefix_as_written(number: PhoneNumber, national: str, count: int, digits: str) -> str:
    """The first ``count`` digits of ``national`` as the user would write them: from the national format when
    it groups the number ("416 0", "020 7"), else from the digits read ("06"), trunk prefix included."""
    written = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    if not _well_grouped(written):
        written = digits
    written_digits = re.sub(r"\D", "", written)
    if not written_digits.endswith(national):
        return national[:count]
    wanted = len(written_digits) - len(national) + count
    seen = 0
    for i, char in enumerate(written):
        seen += char.isdigit()
        if seen == wanted:
            return written[: i + 1].replace("(", "").replace(")", "").rstrip(" -")
    return national[:count]  # pragma: no cover - the digits always run out inside the string


# ----------------------------------------------------------------------------------------------------
# "Can these digits still become a valid number?" — partial matching of libphonenumber's patterns
# ----------------------------------------------------------------------------------------------------


class _Unsupported(Exception):
    """A regex construct the partial matcher does not handle."""


@lru_cache(maxsize=64)
def _type_patterns(country_code: int) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """(national number pattern, possible lengths) of every number type of every region sharing the code."""
    regions = phonenumbers.region_codes_for_country_code(country_code)
    metadatas = [
        PhoneMetadata.metadata_for_nongeo_region(country_code)
        if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
        else PhoneMetadata.metadata_for_region(region)
        for region in regions
    ]
    found: dict[str, tuple[int, ...]] = {}
    for metadata in metadatas:
        if metadata is None:
            continue
        for name in TYPE_DESCS:
            desc = getattr(metadata, name)
            if desc is not None and desc.national_number_pattern:
                lengths = tuple(n for n in (desc.possible_length or ()) if n > 0)
                found.setdefault(desc.national_number_pattern, lengths)
    return tuple(found.items())


@lru_cache(maxsize=64)
def _local_lengths(country_code: int) -> frozenset[int]:
    """National-number lengths that are local numbers only (dialled without an area code) somewhere in the
    country code: 7 in North America, 4 to 8 in the UK."""
    lengths: set[int] = set()
    for region in phonenumbers.region_codes_for_country_code(country_code):
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None:
            continue
        for desc in [metadata.general_desc, *(getattr(metadata, name) for name in TYPE_DESCS)]:
            if desc is not None:
                lengths.update(desc.possible_length_local_only or ())
    return frozenset(lengths)


@lru_cache(maxsize=64)
def _real_lengths(country_code: int) -> tuple[int, ...]:
    """The national-number lengths that valid numbers of this country code can have."""
    lengths: set[int] = set()
    for pattern, possible in _type_patterns(country_code):
        candidates = possible or range(1, 18)
        lengths.update(n for n in candidates if _pattern_completable(pattern, "", n) is not False)
    return tuple(sorted(lengths))


def _completable(country_code: int, prefix: str, length: int) -> bool:
    """Whether some valid number of this country code with ``length`` national digits starts with ``prefix``.

    Exact in the direction that matters: False means no number-type pattern can match, so no valid number
    exists. (True may be too generous, since the general pattern and region selection are not checked.)
    """
    for pattern, possible in _type_patterns(country_code):
        if possible and length not in possible:
            continue
        if _pattern_completable(pattern, prefix, length) is not False:
            return True
    return False


def _dead_prefix(country_code: int, national: str, lengths: Iterable[int]) -> int | None:
    """The length of the shortest prefix of ``national`` that no valid number of any length starts with."""
    lengths = tuple(lengths)
    for size in range(1, len(national) + 1):
        prefix = national[:size]
        if not any(_completable(country_code, prefix, n) for n in lengths if n >= size):
            return size
    return None


@lru_cache(maxsize=2048)
def _parsed_pattern(pattern: str) -> object | None:
    """The parse tree of a metadata pattern, or None when the partial matcher cannot use it."""
    if _sre_parse is None:
        return None
    try:
        return _sre_parse.parse(pattern)
    except re.error:
        return None


def _pattern_completable(pattern: str, prefix: str, length: int) -> bool | None:
    """Whether ``pattern`` fully matches some digit string of ``length`` starting with ``prefix``; None when
    the pattern cannot be analysed."""
    tree = _parsed_pattern(pattern)
    if tree is None:
        return None
    try:
        return length in _advance(tree, frozenset({0}), prefix, length)
    except _Unsupported:
        return None


def _advance(items: Iterable, starts: frozenset[int], prefix: str, length: int) -> frozenset[int]:
    """The positions a regex sequence can end at from ``starts``, reading ``prefix`` then any digits up to
    ``length``. Without backreferences each position is read by one token per path, so this is exact."""
    positions = starts
    for op, arg in items:
        if not positions:
            break
        if op is _sre.LITERAL:
            positions = _step(positions, frozenset(chr(arg)), prefix, length)
        elif op is _sre.IN:
            positions = _step(positions, _class_digits(arg), prefix, length)
        elif op is _sre.BRANCH:
            positions = frozenset().union(*(_advance(branch, positions, prefix, length) for branch in arg[1]))
        elif op is _sre.SUBPATTERN:
            positions = _advance(arg[-1], positions, prefix, length)
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
            low, high, body = arg
            reached = positions if low == 0 else frozenset()
            current, count = positions, 0
            while current and count < min(high, length + 1):
                current = _advance(body, current, prefix, length)
                count += 1
                if count >= low:
                    reached |= current
            positions = reached
        else:
            raise _Unsupported(str(op))
    return positions


def _step(positions: frozenset[int], allowed: frozenset[str], prefix: str, length: int) -> frozenset[int]:
    """Advance over one character drawn from ``allowed``: the prefix digit where there is one, else any."""
    free = bool(allowed & frozenset(ASCII_DIGITS))
    return frozenset(
        p + 1 for p in positions if p < length and (prefix[p] in allowed if p < len(prefix) else free)
    )


def _class_digits(items: Iterable) -> frozenset[str]:
    """The digits a character class such as ``[02-9]`` or ``\\d`` accepts."""
    chars: set[str] = set()
    for op, arg in items:
        if op is _sre.LITERAL:
            chars.add(chr(arg))
        elif op is _sre.RANGE:
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is _sre.CATEGORY and arg is _sre.CATEGORY_DIGIT:
            chars.update(ASCII_DIGITS)
        else:  # negated classes and the like: libphonenumber's patterns use none today
            raise _Unsupported(str(op))
    return frozenset(chars) & frozenset(ASCII_DIGITS)
