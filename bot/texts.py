"""Everything the bot says, as text and as speech: the reply step of the pipeline.

Pure functions from what was read (:class:`recognizer.Reading`) and checked
(:class:`bot.numbers.NumberCheck`) to the words a user reads or hears. No Telegram calls here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.numbers import WELL_FORMED, NumberCheck, check_groups, check_number, describe_uncertainty
from bot.speech import spoken_number
from recognizer import DigitReading, Reading

UNSURE_BELOW = 0.9  # digits read less confidently than this are named with their alternatives
ALTERNATIVE_AT_LEAST = 0.05  # an alternative must have this probability to be mentioned

START = (
    "Hi! Send me a photo of a handwritten phone number — a napkin, a sticky note, a page — and I'll "
    "answer with the number as text, tell you whether it can be a real number, and read it aloud in a "
    "voice note.\n\n"
    "For a good photo: dark ink, digits large in the frame, even light, phone held flat above the "
    "paper. Several numbers on one page are fine.\n"
    "Voice replies are {voice}; /voice off turns them off. /help lists everything."
)
HELP = (
    "Send a photo (or an image as a file, for full resolution). An album of photos with one digit "
    "each is read as one number, in order.\n\n"
    "/voice on|off — voice replies\n"
    "/region XX — your country, for formatting and checking numbers (now {region})\n"
    "/language xx — the language of voice notes (now {language})\n"
    "/forget — delete your photos, corrections and settings\n"
    "Under each answer: “Show what I read” draws what I saw, “✅ Right” and “✏️ Fix it” help me learn."
)
JOINED_LINES = "It was written over two lines; I read them as one number."
SHAKY = (
    "The photo looks smeared, as by a shaking hand. If a digit is wrong, hold the phone still, or "
    "rest it on something, and send another."
)
LEFT_OUT = "I left out {digits}, written apart {where} it: a word or a label, perhaps."
NOTHING_FOUND = (
    "I couldn't find a handwritten number in this photo. Try: dark ink on plain paper, the digits "
    "large in the frame, even light without shadows, and the phone held flat above the page."
)
SEND_A_PHOTO = "I read handwritten phone numbers from photos: send me a photo of one (or /help)."
NOT_AN_IMAGE = (
    "That file isn't a photo I can read. Please send a photo (JPEG or PNG) of the handwritten number."
)
EMPTY_FILE = "That file is empty. Please send a photo of the handwritten number."
TOO_BIG = "That file is too big for me ({megabytes:.0f} MB). Please send it as a photo instead."
SLOW_DOWN = "You've sent a lot of photos in a minute — please wait {seconds} seconds and send it again."
SOMETHING_WENT_WRONG = "Sorry, something went wrong on my side. Please try again."
WORKING = "Reading your photo…"
ASK_FOR_FIX = "Please type the right number (just the digits; spaces and dashes are fine). /cancel to stop."
FIX_NEEDS_DIGITS = "I need the digits of the number, for example 416 555 0199. /cancel to stop."
FIX_SAVED = "Thank you! I saved your correction; {labelled} digit pictures will help me learn."
FIX_SAVED_UNLABELLED = (
    "Thank you! I saved your correction. It has {wanted} digits where I found {found}, so I can't "
    "learn the single digits from it, but it is kept."
)
FIX_CANCELLED = "OK, nothing changed."
CONFIRMED = "Thanks for confirming!"
READING_GONE = "I no longer have that photo, sorry."
VOICE_STATE = "Voice replies are now {state}."
VOICE_USAGE = "Use /voice on or /voice off (now {state})."
REGION_SET = "Numbers are now checked for {name} ({code})."
REGION_USAGE = "Use /region followed by a two-letter country code, e.g. /region CA (now {code})."
LANGUAGE_SET = "Voice notes are now in {language}."
LANGUAGE_UNKNOWN = (
    "I have no voice for {language!r}; voice notes stay in {current}. Try a code like en, fr, de, es."
)
LANGUAGE_USAGE = "Use /language followed by a language code, e.g. /language fr (now {current})."
FORGOTTEN = "Done: I deleted {count} photos of yours, your corrections and your settings."
RECOVERED = "Sorry for the delay — here is what I read on the photo you sent earlier:"
ALBUM_PHOTO_UNREADABLE = "Photo {position} of the album showed no digit I could read, so I marked it “?”."


@dataclass(frozen=True)
class Answer:
    """The reply to one photo: the message text and the words of the voice note."""

    text: str
    speech: str  # the numbers, their verdicts and doubts (English)
    checks: tuple[NumberCheck, ...]
    # per number: its digits to speak and its sentences (English), for voices in other languages
    spoken: tuple[tuple[str, str], ...] = ()


def answer_for(reading: Reading, region: str) -> Answer:
    """The reply to a photo: each number found (formatted, one per line), its verdict, unsure digits."""
    if not reading.lines:
        return Answer(NOTHING_FOUND, NOTHING_FOUND, ())
    blocks, parts, checks = [], [], []
    for lines, (check, before, after) in _numbers_written(reading, region):
        apart = ((before, "before"), (after, "after"))
        notes = [LEFT_OUT.format(digits=digits, where=where) for digits, where in apart if digits]
        notes += [JOINED_LINES] if len(lines) > 1 else []
        written = [d for index in lines for d in reading.digits if d.line == index]
        doubts = describe_uncertainty(_unsure(written[len(before) : len(written) - len(after)]))
        checks.append(check)
        blocks.append("\n".join([f"📞 {check.formatted}", check.verdict, *notes, *doubts]))
        sentences = " ".join(map(speakable, [check.verdict, *notes, *doubts]))
        parts.append((spoken_number(check.groups), sentences))
    if reading.shaken and parts:  # (said once, after the last number)
        blocks.append(SHAKY)
        parts[-1] = (parts[-1][0], f"{parts[-1][1]} {speakable(SHAKY)}")
    intro = f"I found {len(checks)} numbers:\n\n" if len(checks) > 1 else ""
    speech = " ".join(f"{number} {sentences}" for number, sentences in parts)
    return Answer(intro + "\n\n".join(blocks), speech, tuple(checks), tuple(parts))


def _numbers_written(reading: Reading, region: str) -> list[tuple[list[int], tuple[NumberCheck, str, str]]]:
    """The lines of each number on the photo, in order, with its :func:`check_groups`: one line each,
    except that two lines in a row that are no number of real shape alone but are one together (a
    number wrapped on a narrow note) are one number."""
    checked: dict[tuple[int, ...], tuple[NumberCheck, str, str]] = {}

    def check(lines: list[int]) -> tuple[NumberCheck, str, str]:
        if tuple(lines) not in checked:
            groups = [group for index in lines for group in reading.groups(index)]
            checked[tuple(lines)] = check_groups(groups, region)
        return checked[tuple(lines)]

    def well_formed(lines: list[int]) -> bool:
        return check(lines)[0].kind in WELL_FORMED

    numbers, index = [], 0
    while index < len(reading.lines):
        pair = [index, index + 1]
        if index + 1 < len(reading.lines) and not any(well_formed([i]) for i in pair) and well_formed(pair):
            numbers.append((pair, check(pair)))
            index += 2
        else:
            numbers.append(([index], check([index])))
            index += 1
    return numbers


def answer_for_digits(digits: list[DigitReading | None], region: str) -> Answer:
    """The reply to an album with one digit per photo, read in order ("?" for an unreadable photo)."""
    text = "".join(str(d.digit) if d else "?" for d in digits)
    known = text.replace("?", "")
    if not known:
        return Answer(NOTHING_FOUND, NOTHING_FOUND, ())
    check = check_number(known, region)
    notes = [ALBUM_PHOTO_UNREADABLE.format(position=i + 1) for i, d in enumerate(digits) if d is None]
    doubts = describe_uncertainty(_unsure([d for d in digits if d is not None]))
    body = "\n".join([f"📞 {check.formatted}", check.verdict, *doubts, *notes])
    sentences = " ".join(map(speakable, [check.verdict, *doubts]))
    number = spoken_number(check.groups)
    return Answer(body, f"{number} {sentences}", (check,), ((number, sentences),))


NUMBER_IN_TEXT = re.compile(r"\d[\d-]*\d")


def speakable(sentence: str) -> str:
    """A sentence as it should be spoken: numbers in it digit by digit ("555-01xx" → "5 5 5 0 1"),
    not as "five hundred and fifty-five minus one"; placeholder x's dropped."""
    sentence = re.sub(r"(?<=\d)x+\b", "", sentence)

    def digit_by_digit(match: re.Match) -> str:
        digits = [ch for ch in match.group() if ch.isdigit()]
        return " ".join(digits) if len(digits) >= 3 else match.group()  # "47 places" stays a count

    return NUMBER_IN_TEXT.sub(digit_by_digit, sentence)


def _unsure(digits: list[DigitReading]) -> list[tuple[int, str, list[str]]]:
    """(position, digit, alternatives) of the digits read without confidence."""
    unsure = []
    for position, digit in enumerate(digits, start=1):
        if digit.confidence >= UNSURE_BELOW:
            continue
        alternatives = [
            str(d) for d, p in digit.alternatives if d != digit.digit and p >= ALTERNATIVE_AT_LEAST
        ]
        unsure.append((position, str(digit.digit), alternatives))
    return unsure


def digits_of(text: str) -> str:
    """The ASCII digits in what a user typed (any script's decimal digits count)."""
    return "".join(str(int(char)) for char in text if char.isdecimal())
