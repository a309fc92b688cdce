"""Accuracy on real handwriting by other people (../shared/data/real-dev; measure only, never train).

* orand_car_a: 600 scanned check amounts — exact-string and digit-level accuracy (digits only;
  the dots and dashes on the cheques must not be read as digits);
* single_digit_photos: 25 phone photos of one digit each, read with the one-digit-per-photo rule.

    .venv/bin/python benchmarks/real_dev.py [--data ../shared/data/real-dev] [--model M] [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import difflib
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from recognizer.decode import ImageError  # noqa: E402
from recognizer.reader import Recognizer  # noqa: E402


def _labels(path: Path) -> list[tuple[str, str]]:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return [(row[0], row[1]) for row in rows[1:]]


def _digit_matches(truth: str, read: str) -> int:
    matcher = difflib.SequenceMatcher(a=truth, b=read, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def check_amounts(recognizer: Recognizer, folder: Path, limit: int | None, failures: int) -> None:
    rows = _labels(folder / "labels.csv")[:limit]
    exact = matched = total = 0
    seconds = []
    turned: dict[int, int] = {}  # the amounts are all scanned upright: any turn is a wrong one
    shown = 0
    for name, truth in rows:
        started = time.perf_counter()
        try:
            reading = recognizer.read(folder / name)
            text = reading.text
            if reading.rotation:
                turned[reading.rotation] = turned.get(reading.rotation, 0) + 1
        except ImageError:
            text = ""
        seconds.append(time.perf_counter() - started)
        exact += text == truth
        matched += _digit_matches(truth, text)
        total += len(truth)
        if text != truth and shown < failures:
            print(f"  {name}: wrote {truth!r}, read {text!r}")
            shown += 1
    print(
        f"orand_car_a: {exact}/{len(rows)} exact strings ({exact / len(rows):.1%}), "
        f"digit recall {matched / total:.1%}, median {statistics.median(seconds) * 1000:.0f} ms/image"
    )
    turns = ", ".join(f"{count} by {degrees}°" for degrees, count in sorted(turned.items())) or "none"
    print(f"  read turned (all wrongly: the scans are upright): {turns}")


def single_digits(recognizer: Recognizer, folder: Path) -> None:
    rows = _labels(folder / "labels.csv")
    correct = 0
    for name, truth in rows:
        reading = recognizer.read(folder / name)
        best = max(reading.digits, key=lambda d: d.box[2] * d.box[3], default=None)
        got = str(best.digit) if best else "?"
        correct += got == truth
        if got != truth:
            print(f"  {name}: wrote {truth}, read {got}")
    print(f"single_digit_photos: {correct}/{len(rows)} correct ({correct / len(rows):.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "real-dev")
    parser.add_argument("--model", help="a .tflite model (default: shipped)")
    parser.add_argument("--limit", type=int, help="first N check amounts only")
    parser.add_argument("--failures", type=int, default=10, help="how many misreadings to print")
    args = parser.parse_args()
    recognizer = Recognizer.load(args.model)
    single_digits(recognizer, args.data / "single_digit_photos")
    check_amounts(recognizer, args.data / "orand_car_a", args.limit, args.failures)


if __name__ == "__main__":
    main()
