"""The photo reader on N seeded, photo-like renderings of phone numbers (MNIST *test* digits only).

Conditions vary per photo (recognizer.synthetic.random_options): paper kinds and inks, rotation
up to ±30°, perspective, shading, colour casts, blur, JPEG 60–95, stroke thickness, touching
digits, slant. Prints exact-string accuracy (overall and for 10-digit numbers), digit accuracy,
the worst conditions, and per-stage latency p50/p95; and how many numbers the digit model reads
from the digits' ink as written, before paper, camera and light: what a reader that lost nothing
on the way would read.

    .venv/bin/python benchmarks/synthetic_photos.py [--count 500] [--seed 7] [--model M]
    .venv/bin/python benchmarks/synthetic_photos.py --without-piece-checker   # every piece taken as whole
    .venv/bin/python benchmarks/synthetic_photos.py --turned   # pages turned 90, 180 or 270 degrees
    .venv/bin/python benchmarks/synthetic_photos.py --rotation 45   # each note turned 45 degrees
    .venv/bin/python benchmarks/synthetic_photos.py --perspective 0.3   # taken from a low angle
    .venv/bin/python benchmarks/synthetic_photos.py --large   # 12 MP photos of small writing
    .venv/bin/python benchmarks/synthetic_photos.py --shadow 0.3   # a hard shadow across the writing
    .venv/bin/python benchmarks/synthetic_photos.py --shadow 0.3 --shadow-softness 40   # a soft one
    .venv/bin/python benchmarks/synthetic_photos.py --words   # a name above or before each number
    .venv/bin/python benchmarks/synthetic_photos.py --text-only   # words alone: no number to read
    .venv/bin/python benchmarks/synthetic_photos.py --dim 5   # a dim room: a fifth as bright, noisier
    .venv/bin/python benchmarks/synthetic_photos.py --dark-desk 0.4   # a note on a near-black desk
    .venv/bin/python benchmarks/synthetic_photos.py --shake 7   # a shaking hand: smeared 7 pixels
    .venv/bin/python benchmarks/synthetic_photos.py --light-on-dark   # chalk on a blackboard, dark mode
    .venv/bin/python benchmarks/synthetic_photos.py --black-and-white   # a scanner app's B&W page
    .venv/bin/python benchmarks/synthetic_photos.py --napkin   # written on a folded paper napkin
    .venv/bin/python benchmarks/synthetic_photos.py --printed   # type beside it: "Tel:", a header
    .venv/bin/python benchmarks/synthetic_photos.py --marked   # a box or a ring drawn round the number
    .venv/bin/python benchmarks/synthetic_photos.py --underlined   # a line drawn under the number
    .venv/bin/python benchmarks/synthetic_photos.py --clean   # ideal conditions: the reader's own losses
    .venv/bin/python benchmarks/synthetic_photos.py --write-examples examples   # the sample photos
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from recognizer.data import load_digits  # noqa: E402
from recognizer.reader import PHONE_DIGITS, Recognizer  # noqa: E402
from recognizer.shake import Smear  # noqa: E402
from recognizer.shapes import reread  # noqa: E402
from recognizer.synthetic import (  # noqa: E402
    IDEAL_CONDITIONS,
    MARKS,
    PRINT_PLACES,
    SHADOW_EDGE_SOFTNESS,
    DigitBank,
    PhotoOptions,
    RenderedPhoto,
    black_and_white_png,
    dimmed_jpeg,
    glyph_as_read,
    large_photo,
    light_on_dark_jpeg,
    on_dark_desk_jpeg,
    random_mark,
    random_options,
    random_phone_number,
    random_printed,
    render_photo,
    shadowed_jpeg,
    shaken_jpeg,
    split_bank,
)

EXAMPLES = [
    (
        "napkin-blue-ballpoint.jpg",
        ["(416) 555-0199"],
        PhotoOptions(paper="napkin", rotation_degrees=-6, shading=0.5),
    ),
    (
        "sticky-note-two-numbers.jpg",
        ["+1 212.555.0147", "020 7946 0018"],
        PhotoOptions(paper="yellow", ink="black", rotation_degrees=4, perspective=0.05),
    ),
]


def miss_kind(truth: str, read: str) -> str:
    """A rough name for how a reading went wrong."""
    if not read:
        return "nothing read"
    if len(read) > len(truth):
        return "extra digits"
    if len(read) < len(truth):
        return "missing digits"
    return "wrong digits"


def digit_edits(matcher: difflib.SequenceMatcher) -> list[str]:
    """The digit-level differences between the truth (a) and the reading (b)."""
    edits = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        truth, read = matcher.a[a0:a1], matcher.b[b0:b1]
        if tag == "replace" and len(truth) == len(read):
            edits += [f"{t}>{r}" for t, r in zip(truth, read, strict=True)]
        elif tag != "equal":
            edits += [f"-{t}" for t in truth] + [f"+{r}" for r in read]
    return edits


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else 0.0


def write_examples(bank: DigitBank, folder: Path) -> None:
    """Render the example photos shipped for the README and `make run`."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, (name, lines, options) in enumerate(EXAMPLES):
        photo = render_photo(bank, lines, np.random.default_rng(100 + index), options)
        (folder / name).write_bytes(photo.jpeg)
        print(f"wrote {folder / name}: {photo.written}")


# --turned: the page's turn (counter-clockwise), OpenCV's rotation doing it, and the turn the reader
# must then read it at (``Reading.rotation``, clockwise)
TURNS = {
    90: (cv2.ROTATE_90_COUNTERCLOCKWISE, 90),
    180: (cv2.ROTATE_180, 180),
    270: (cv2.ROTATE_90_CLOCKWISE, 270),
}


def turned_jpeg(jpeg: bytes, degrees: int) -> bytes:
    """The photo turned ``degrees`` counter-clockwise, as a JPEG without an EXIF orientation."""
    bgr = cv2.rotate(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), TURNS[degrees][0])
    return cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


# --words: a name (or a word such as "home") hand-printed beside each number, on the line above it or
# before it on its line, in turn (recognizer.synthetic.LETTER_STROKES); chosen by a generator of its
# own, so the numbers and conditions are those of the plain run.
WORDS = ("Tom", "Ann", "Eva", "Mike", "Jo", "call", "home", "cell", "work", "mum", "dad", "Tom:", "call Ann")


def with_words(number: str, index: int, rng: np.random.Generator) -> list[str]:
    """The lines written: a word above ``number`` (even ``index``) or before it on its line (odd)."""
    word = str(rng.choice(WORDS))
    return [word, number] if index % 2 == 0 else [f"{word} {number}"]


# --text-only: no number, one or two lines of two to four hand-printed words (a note, a shopping
# list; chosen by a generator of their own, so the conditions are those of the plain run): a photo
# is read right when it reads as no digits.
TEXT_WORDS = (
    "call", "Mike", "when", "home", "Anna", "cake", "remind", "done", "worked", "Tom", "Jane", "Emma",
    "dinner", "under", "lunch", "room", "work", "drive", "come", "need", "read", "hello", "world",
    "machine", "dream", "Team", "hair", "coach", "rice", "lake", "make", "wake", "cheer", "ice", "hall",
    "near",
)  # fmt: skip


def text_lines(rng: np.random.Generator) -> list[str]:
    """One or two lines of two to four words of TEXT_WORDS."""
    lines = int(rng.integers(1, 3))
    return [" ".join(rng.choice(TEXT_WORDS, size=int(rng.integers(2, 5)))) for _ in range(lines)]


def reads_as_written(recognizer: Recognizer, photo: RenderedPhoto) -> bool:
    """Whether the digit model reads every digit of ``photo`` from its ink as written (each
    digit's alpha before paper, camera and light, taken as ink where at least half, normalised and
    classified as the reader does): about the best a reader using this model can do (not
    strictly: the reader's own path to the model's input reads a few such digits right)."""
    if not photo.digit_glyphs:
        return not photo.text
    digits = np.stack([glyph_as_read(glyph) for glyph in photo.digit_glyphs])
    predictions = map(reread, recognizer.classifier.predict(digits), digits)
    return "".join(str(prediction.digit) for prediction in predictions) == photo.text


def benchmark(
    bank: DigitBank,
    recognizer: Recognizer,
    count: int,
    seed: int,
    failures: Path | None = None,
    turned: bool = False,
    large: bool = False,
    shadow: float = 0.0,
    shadow_softness: float = SHADOW_EDGE_SOFTNESS,
    words: bool = False,
    clean: bool = False,
    dim: float = 1.0,
    dark_desk: float = 0.0,
    black_and_white: bool = False,
    shake: float = 0.0,
    rotation: float | None = None,
    perspective: float | None = None,
    napkin: bool = False,
    light_on_dark: bool = False,
    text_only: bool = False,
    printed: bool = False,
    marked: bool = False,
    underlined: bool = False,
) -> None:
    rng = np.random.default_rng(seed)
    exact = exact10 = count10 = digits_ok = digits_total = right_way_up = 0
    written_right = written_right10 = misread_as_written = number_long = 0
    stages: dict[str, list[float]] = defaultdict(list)
    misses_by: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    kinds: dict[str, int] = defaultdict(int)
    edits: dict[str, int] = defaultdict(int)
    for index in range(count):
        digits = 10 if rng.random() < 0.5 else None
        lines = [random_phone_number(rng, digits)]
        if words:
            lines = with_words(lines[0], index, np.random.default_rng([seed, index, 1]))
        if text_only:
            lines = text_lines(np.random.default_rng([seed, index, 2]))
        options = random_options(rng)
        if large:
            options = large_photo(options, rng)
        if clean:
            options = dataclasses.replace(options, **IDEAL_CONDITIONS)
        if rotation is not None:
            options = dataclasses.replace(options, rotation_degrees=rotation)
        if perspective is not None:
            options = dataclasses.replace(options, perspective=perspective)
        if napkin:
            options = dataclasses.replace(options, paper="napkin")
        # (printed text from a generator of its own: the photos are otherwise the same photos)
        label = random_printed(np.random.default_rng([seed, index, 3]), PRINT_PLACES[index % 2])
        # (the mark round the number from one of its own too; where it falls on the page changes
        # what the photo's generator draws after it, so these are other photos than without it)
        kind = "underline" if underlined else MARKS[index % 2]
        mark = random_mark(np.random.default_rng([seed, index, 4]), kind) if marked or underlined else None
        photo = render_photo(bank, lines, rng, options, label if printed else None, mark)
        lighting_rng = np.random.default_rng([seed, index])
        jpeg = shadowed_jpeg(photo, shadow, lighting_rng, shadow_softness) if shadow else photo.jpeg
        if dim > 1:
            jpeg = dimmed_jpeg(photo, dim, lighting_rng)
        if dark_desk:
            jpeg = on_dark_desk_jpeg(photo, dark_desk, lighting_rng)
        if black_and_white:
            jpeg = black_and_white_png(photo)
        if shake:
            jpeg = shaken_jpeg(photo, Smear(shake, lighting_rng.uniform(0.0, np.pi)))
        if light_on_dark:
            jpeg = light_on_dark_jpeg(photo, lighting_rng)
        page_turn = list(TURNS)[index % len(TURNS)] if turned else 0
        reading = recognizer.read(turned_jpeg(jpeg, page_turn) if turned else jpeg)
        right_way_up += reading.rotation == (TURNS[page_turn][1] if turned else 0)
        right = reading.text == photo.text
        exact += right
        number_long += max(map(len, reading.lines), default=0) >= PHONE_DIGITS
        as_written = reads_as_written(recognizer, photo)
        written_right += as_written
        misread_as_written += not right and not as_written
        if len(photo.text) == 10:
            count10 += 1
            exact10 += right
            written_right10 += as_written
        matcher = difflib.SequenceMatcher(a=photo.text, b=reading.text, autojunk=False)
        digits_ok += sum(block.size for block in matcher.get_matching_blocks())
        digits_total += len(photo.text)
        if not right:
            kinds[miss_kind(photo.text, reading.text)] += 1
            for edit in digit_edits(matcher):
                edits[edit] += 1
            if failures:
                failures.mkdir(parents=True, exist_ok=True)
                # (named by the ink, and "lost" when the digit model reads the ink as written right)
                lost = "-lost" if as_written else ""
                name = f"{index:04d}-{photo.text}-read-{reading.text or 'nothing'}-{options.ink}{lost}"
                (failures / f"{name}.png").write_bytes(reading.annotated())
                (failures / f"{name}.jpg").write_bytes(jpeg)
        for stage, seconds in reading.timings.items():
            stages[stage].append(seconds)
        turn = "turned >8°" if abs(options.rotation_degrees) > 8 else "turned ≤8°"
        for condition in (
            f"paper={options.paper}",
            f"ink={options.ink}",
            turn,
            f"placement={options.placement}",
            *([f"printed={label.place}"] if printed else []),
            *([f"marked={mark.kind}"] if mark else []),
            *([f"page turned {page_turn}°"] if turned else []),
        ):
            misses_by[condition][0] += not right
            misses_by[condition][1] += 1
    digit_share = digits_ok / max(digits_total, 1)
    print(f"{count} photos (seed {seed}): exact strings {exact / count:.1%}, digits {digit_share:.1%}")
    print(f"10-digit numbers: {exact10}/{count10} exact ({exact10 / max(count10, 1):.1%})")
    if text_only:
        print(f"words alone read as no digits: {exact}/{count}; as {PHONE_DIGITS}+ digits: {number_long}")
    print(f"read the right way up: {right_way_up}/{count}")
    print(
        f"the digits' ink as written (no paper, camera or light), read by the digit model: "
        f"{written_right}/{count} numbers ({written_right / count:.1%}), "
        f"10-digit {written_right10}/{count10} ({written_right10 / max(count10, 1):.1%}); "
        f"{misread_as_written} of the {count - exact} photos misread are misread so"
    )
    print("kinds of misreads:", dict(sorted(kinds.items(), key=lambda kv: -kv[1])))
    common = sorted(edits.items(), key=lambda kv: -kv[1])[:15]
    print("commonest edits (+d: extra digit, -d: missed digit, a>b: a read as b):", dict(common))
    print("misread share by condition:")
    for condition, (missed, total) in sorted(misses_by.items(), key=lambda kv: -kv[1][0] / kv[1][1]):
        print(f"  {condition:22} {missed:4}/{total:<4} ({missed / total:.0%})")
    print("latency per stage, ms (p50 / p95):")
    for stage, values in stages.items():
        print(f"  {stage:10} {percentile(values, 50):7.1f} / {percentile(values, 95):7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", help="MNIST directory (default: $HEY_NUMBER_MNIST_DIR or Keras)")
    parser.add_argument("--model", help="a .tflite model (default: shipped)")
    parser.add_argument(
        "--digits",
        choices=("test", "validation"),
        default="test",
        help="render MNIST test digits (default) or the digit model's validation tenth of the training set",
    )
    parser.add_argument(
        "--write-examples", type=Path, metavar="DIR", help="render the example photos and stop"
    )
    parser.add_argument("--failures", type=Path, metavar="DIR", help="write each misread, annotated")
    parser.add_argument(
        "--without-piece-checker", action="store_true", help="take every piece as one whole digit"
    )
    parser.add_argument(
        "--turned", action="store_true", help="turn each page 90, 180 or 270 degrees (in turn), no EXIF"
    )
    parser.add_argument(
        "--large",
        action="store_true",
        help="12 MP photos (4000x3000) of small writing: digits 14-35 pixels tall in the working copy",
    )
    taken = parser.add_mutually_exclusive_group()  # (how the photo reaches the reader)
    taken.add_argument(
        "--shadow",
        type=float,
        default=0.0,
        metavar="DEPTH",
        help="a hard-edged shadow this deep (0.3: 70%% of the light) across half of each number",
    )
    parser.add_argument(
        "--shadow-softness",
        type=float,
        default=SHADOW_EDGE_SOFTNESS,
        metavar="PIXELS",
        help="the shadow's edge blurred over this many pixels (a Gaussian's sigma; 40: a soft shadow)",
    )
    parser.add_argument(
        "--rotation",
        type=float,
        metavar="DEGREES",
        help="each note turned DEGREES counter-clockwise (45: along the diagonal), not at random up to 30",
    )
    parser.add_argument(
        "--perspective",
        type=float,
        metavar="STRENGTH",
        help="each page's corners moved in by up to STRENGTH of the photo (0.3: a low angle), not up to 0.12",
    )
    parser.add_argument("--words", action="store_true", help="a name above or before each number")
    parser.add_argument("--text-only", action="store_true", help="hand-printed words alone, no number")
    parser.add_argument(
        "--printed",
        action="store_true",
        help="type beside each number, before it (a form's 'Tel:') or above it (a notepad's header)",
    )
    parser.add_argument(
        "--marked",
        action="store_true",
        help="a box or a ring drawn round each number with the writing's pen (boxes and rings alternate)",
    )
    parser.add_argument(
        "--underlined",
        action="store_true",
        help="a line drawn under each number with the writing's pen, along its feet, through or below them",
    )
    parser.add_argument(
        "--napkin",
        action="store_true",
        help="every number written on a paper napkin: embossed quilt, creases, a pen skipping and bleeding",
    )
    parser.add_argument(
        "--clean", action="store_true", help="ideal conditions: white paper, blue ink, level, sharp, apart"
    )
    taken.add_argument(
        "--dim",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="a dim room's photo: its light divided by FACTOR (5: a fifth as bright), with sensor noise",
    )
    taken.add_argument(
        "--dark-desk",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="the photo shrunk to SHARE of its area on a near-black desk (a note seen from further away)",
    )
    taken.add_argument(
        "--black-and-white",
        action="store_true",
        help="each photo as a scanner app's black-and-white page (PNG): ruled lines as black as the pen",
    )
    taken.add_argument(
        "--shake",
        type=float,
        default=0.0,
        metavar="PIXELS",
        help="a shaking hand's photo: smeared along a line PIXELS long at a random angle",
    )
    taken.add_argument(
        "--light-on-dark",
        action="store_true",
        help="the writing light on a dark ground: chalk on a blackboard, a dark-mode screenshot",
    )
    args = parser.parse_args()
    data = load_digits(args.data)
    if args.digits == "validation":  # for choosing between models: the test set only measures
        bank = split_bank(data.train_images, data.train_labels, "validation")
    else:
        bank = DigitBank(data.test_images, data.test_labels)  # test digits only: the model never saw them
    if args.write_examples:
        write_examples(bank, args.write_examples)
        return
    recognizer = Recognizer.load(args.model)
    if args.without_piece_checker:
        recognizer.pieces = AllWhole()
    benchmark(
        bank,
        recognizer,
        args.count,
        args.seed,
        args.failures,
        args.turned,
        args.large,
        args.shadow,
        args.shadow_softness,
        args.words,
        args.clean,
        args.dim,
        args.dark_desk,
        args.black_and_white,
        args.shake,
        args.rotation,
        args.perspective,
        args.napkin,
        args.light_on_dark,
        args.text_only,
        args.printed,
        args.marked,
        args.underlined,
    )


class AllWhole:
    """A stand-in for the piece checker that judges every piece one whole digit."""

    def one_digit(self, digits: np.ndarray) -> np.ndarray:
        return np.ones(len(digits), np.float32)


if __name__ == "__main__":
    main()
