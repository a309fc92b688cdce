"""Photo → Reading latency on one core, for the recognizer issue's target: a 1280x960 JPEG,
model already loaded.

Renders ``--count`` synthetic phone-number photos (MNIST test digits, seeded), fits each to exactly
1280x960 (centre crop or white margin) and saves them as JPEGs. A worker process pinned to one
core then loads the recognizer, reads three photos mirrored to warm up, and times every photo; per-stage
medians come from ``Reading.timings``. With ``--against OTHER_CHECKOUT`` (say, a ``git worktree``
of an earlier commit) the same photos are read by both checkouts' recognizers in alternating
rounds, so the two medians and their ratio come from one noisy machine at one time. With
``--photos DIR``, the JPEGs in DIR are read as they are instead (say, the real single-digit phone
photos: close-ups).

    .venv/bin/python benchmarks/latency.py [--count 60] [--rounds 3] [--core 0] [--against DIR]
    .venv/bin/python benchmarks/latency.py --photos ../shared/data/real-dev/single_digit_photos --against DIR
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from recognizer.data import load_digits  # noqa: E402
from recognizer.synthetic import (  # noqa: E402
    DigitBank,
    random_options,
    random_phone_number,
    render_photo,
)

WIDTH, HEIGHT = 1280, 960
JPEG_QUALITY = 90
WARM_UP = 3

# Runs in a fresh interpreter inside the checkout being measured: argv = checkout, photo dir, core.
WORKER = r"""
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
os.sched_setaffinity(0, {int(sys.argv[3])})
from recognizer.reader import Recognizer
photos = [path.read_bytes() for path in sorted(Path(sys.argv[2]).glob("*.jpg"))]
recognizer = Recognizer.load()
import cv2, numpy as np
for photo in photos[:3]:  # (mirrored: the digit model's cache learns none of the timed crops)
    recognizer.read(cv2.flip(cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR), 1))
rows = []
for photo in photos:
    started = time.perf_counter()
    reading = recognizer.read(photo)
    rows.append({"seconds": time.perf_counter() - started, **reading.timings})
print(json.dumps(rows))
"""


def fit(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` cropped about its centre, or framed in white, to exactly WIDTH x HEIGHT."""
    height, width = rgb.shape[:2]
    top, left = max(0, (height - HEIGHT) // 2), max(0, (width - WIDTH) // 2)
    rgb = rgb[top : top + HEIGHT, left : left + WIDTH]
    height, width = rgb.shape[:2]
    framed = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    y, x = (HEIGHT - height) // 2, (WIDTH - width) // 2
    framed[y : y + height, x : x + width] = rgb
    return framed


def write_photos(folder: Path, count: int, seed: int, data: str | None) -> None:
    mnist = load_digits(data)
    bank = DigitBank(mnist.test_images, mnist.test_labels)
    rng = np.random.default_rng(seed)
    for index in range(count):
        photo = render_photo(bank, [random_phone_number(rng, None)], rng, random_options(rng))
        bgr = cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR)
        path = folder / f"{index:04d}.jpg"
        cv2.imwrite(str(path), fit(bgr), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])


def measure(checkout: Path, folder: Path, core: int) -> list[dict[str, float]]:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(checkout), str(folder), str(core)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(rows: list[dict[str, float]]) -> dict[str, float]:
    """Median milliseconds per stage (stages missing from a photo count as 0) and the p95 total."""
    stages = {key for row in rows for key in row}
    medians = {key: statistics.median(row.get(key, 0.0) for row in rows) * 1000 for key in stages}
    medians["p95"] = float(np.percentile([row["seconds"] for row in rows], 95)) * 1000
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per checkout (median of rounds)")
    parser.add_argument("--core", type=int, default=0, help="the CPU core the readers run on")
    parser.add_argument("--data", help="MNIST directory (default: $HEY_NUMBER_MNIST_DIR or Keras)")
    parser.add_argument("--against", type=Path, help="another checkout to measure side by side")
    parser.add_argument("--photos", type=Path, help="read the JPEGs in this directory as they are")
    args = parser.parse_args()
    checkouts = [REPO] + ([args.against.resolve()] if args.against else [])
    rounds: dict[Path, list[dict[str, float]]] = {checkout: [] for checkout in checkouts}
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.photos.resolve() if args.photos else Path(scratch)
        if not args.photos:
            write_photos(folder, args.count, args.seed, args.data)
        for _ in range(args.rounds):
            for checkout in checkouts:
                rounds[checkout].append(summary(measure(checkout, folder, args.core)))
        count = len(list(folder.glob("*.jpg")))
    shown = f"JPEGs of {args.photos}" if args.photos else f"photos of {WIDTH}x{HEIGHT}"
    print(f"{count} {shown}, one core (#{args.core}), {args.rounds} rounds")
    results = {}
    for checkout, runs in rounds.items():
        keys = sorted(runs[0], key=lambda key: (key in ("seconds", "p95", "total"), key))
        result = {key: statistics.median(run.get(key, 0.0) for run in runs) for key in keys}
        stages = ", ".join(f"{key} {result[key]:.1f}" for key in keys if key not in ("seconds", "p95"))
        print(f"  {checkout}: p50 {result['seconds']:.1f} ms, p95 {result['p95']:.1f} ms")
        print(f"    stage medians, ms: {stages}")
        results[checkout] = result
    if args.against:
        ratio = results[REPO]["seconds"] / results[args.against.resolve()]["seconds"]
        print(f"p50 ratio, this checkout / {args.against}: {ratio:.2f}")


if __name__ == "__main__":
    main()
