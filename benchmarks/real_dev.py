"""Accuracy on real handwriting by other people (../shared/data/real-dev; measure only, never train).

* orand_car_a: 600 scanned check amounts — exact-string and digit-level accuracy (digits only;
  the dots and dashes on the cheques must not be read as digits);
* single_digit_photos: 25 phone photos of one digit each, read with the one-digit-per-photo rule;
  with ``--stress``, also each photo as a worse camera or hand would have taken it (STRESSES:
  halved and quartered, blurred, shaded across, darker, tilted 20 degrees either way, JPEG at
  quality 30, sensor noise (and a dim room's), turned a quarter either way with no EXIF turn to say so).

    .venv/bin/python benchmarks/real_dev.py [--data ../shared/data/real-dev] [--model M] [--limit N]
    .venv/bin/python benchmarks/real_dev.py --stress   # the single-digit photos under STRESSES only
"""

from __future__ import annotations

import argparse
import csv
import difflib
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from recognizer.decode import ImageError, decode  # noqa: E402
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
    swaps: dict[str, int] = {}  # "1>7": a 1 read as a 7, in readings of the right length
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
        if len(text) == len(truth):
            for wrote, read in zip(truth, text, strict=True):
                if wrote != read:
                    swaps[f"{wrote}>{read}"] = swaps.get(f"{wrote}>{read}", 0) + 1
        if text != truth and shown < failures:
            print(f"  {name}: wrote {truth!r}, read {text!r}")
            shown += 1
    print(
        f"orand_car_a: {exact}/{len(rows)} exact strings ({exact / len(rows):.1%}), "
        f"digit recall {matched / total:.1%}, median {statistics.median(seconds) * 1000:.0f} ms/image"
    )
    turns = ", ".join(f"{count} by {degrees}°" for degrees, count in sorted(turned.items())) or "none"
    print(f"  read turned (all wrongly: the scans are upright): {turns}")
    commonest = sorted(swaps.items(), key=lambda item: -item[1])[:10]
    print("  commonest misread digits (a>b: a read as b, readings of the right length):", dict(commonest))


def single_digits(recognizer: Recognizer, folder: Path) -> None:
    rows = _labels(folder / "labels.csv")
    correct = 0
    seconds = []
    for name, truth in rows:
        started = time.perf_counter()
        got = _largest_digit(recognizer.read(folder / name))
        seconds.append(time.perf_counter() - started)
        correct += got == truth
        if got != truth:
            print(f"  {name}: wrote {truth}, read {got}")
    print(
        f"single_digit_photos: {correct}/{len(rows)} correct ({correct / len(rows):.1%}), "
        f"median {statistics.median(seconds) * 1000:.0f} ms/photo, slowest {max(seconds) * 1000:.0f} ms"
    )


def _tilted(rgb: np.ndarray, degrees: float) -> np.ndarray:
    middle = (rgb.shape[1] / 2, rgb.shape[0] / 2)
    turn = cv2.getRotationMatrix2D(middle, degrees, 1.0)
    return cv2.warpAffine(rgb, turn, (rgb.shape[1], rgb.shape[0]), borderMode=cv2.BORDER_REPLICATE)


def _shaded(rgb: np.ndarray) -> np.ndarray:
    """Light falling from 100% at the right edge to 45% at the left."""
    return (rgb * np.linspace(0.45, 1.0, rgb.shape[1])[None, :, None]).astype(np.uint8)


def _noisy(rgb: np.ndarray, grey_levels: float) -> np.ndarray:
    """Sensor noise: each channel of each pixel off by Gaussian noise of this many grey levels
    (seeded: every run the same)."""
    noise = np.random.default_rng(0).normal(0.0, grey_levels, rgb.shape)
    return np.clip(rgb + noise, 0, 255).astype(np.uint8)


def _jpeg(rgb: np.ndarray, quality: int) -> bytes:
    return cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])[
        1
    ].tobytes()


STRESSES = {
    "as taken": lambda rgb: rgb,
    "half size": lambda rgb: cv2.resize(rgb, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
    "quarter size": lambda rgb: cv2.resize(rgb, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA),
    "blurred (sigma 2.5 px)": lambda rgb: cv2.GaussianBlur(rgb, (0, 0), 2.5),
    "shaded across": _shaded,
    "half as bright": lambda rgb: (rgb // 2).astype(np.uint8),
    "tilted 20° left": lambda rgb: _tilted(rgb, 20),
    "tilted 20° right": lambda rgb: _tilted(rgb, -20),
    "JPEG quality 30": lambda rgb: _jpeg(rgb, 30),
    "noisy (25 grey levels)": lambda rgb: _noisy(rgb, 25),
    "dim and noisy": lambda rgb: _noisy(rgb // 3, 6),  # a third as bright, 6 grey levels
    "turned 90°, no EXIF": lambda rgb: np.ascontiguousarray(np.rot90(rgb, 1)),
    "turned 270°, no EXIF": lambda rgb: np.ascontiguousarray(np.rot90(rgb, 3)),
}


def stressed_single_digits(recognizer: Recognizer, folder: Path) -> None:
    """The single-digit photos read as taken and under each of STRESSES: right answers of 25."""
    rows = _labels(folder / "labels.csv")
    photos = [(decode(folder / name).original, truth, name) for name, truth in rows]
    for stress, make in STRESSES.items():
        wrong = []
        for rgb, truth, name in photos:
            got = _largest_digit(recognizer.read(make(rgb)))
            if got != truth:
                wrong.append(f"{name} read {got}")
        print(f"  {stress:23} {len(photos) - len(wrong):3}/{len(photos)}  {', '.join(wrong)}")


def _largest_digit(reading) -> str:
    best = max(reading.digits, key=lambda d: d.box[2] * d.box[3], default=None)
    return str(best.digit) if best else "?"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "real-dev")
    parser.add_argument("--model", help="a .tflite model (default: shipped)")
    parser.add_argument("--limit", type=int, help="first N check amounts only")
    parser.add_argument("--failures", type=int, default=10, help="how many misreadings to print")
    parser.add_argument("--stress", action="store_true", help="the single-digit photos made worse, only")
    args = parser.parse_args()
    recognizer = Recognizer.load(args.model)
    if args.stress:
        print("single_digit_photos, made worse (right of 25):")
        stressed_single_digits(recognizer, args.data / "single_digit_photos")
        return
    single_digits(recognizer, args.data / "single_digit_photos")
    check_amounts(recognizer, args.data / "orand_car_a", args.limit, args.failures)


if __name__ == "__main__":
    main()
