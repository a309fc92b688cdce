"""Training digits as the reader sees them: synthetic photos of phone numbers, rendered from MNIST
**training** digits (by default the digit model's training split; never the test set), are read by
the reader, and each digit's normalised crop is labelled with the digit that was written.

MNIST digits are clean scans; the reader's crops went through a camera's blur, JPEG, ink finding
and segmentation first (filled loops, thinned pencil strokes). Fine-tuning on these crops
(``python -m recognizer.retrain --corrections CROPS.npz``) teaches the model the reader's own
view of a digit. Only photos whose digit count was read right are used, so every crop is paired
with its written digit; the misread ones are the crops that teach the most.

    python -m recognizer.photo_crops --data ../shared/data/mnist --count 2000 --seed 1 --out crops.npz

``--digits validation`` draws the digits from the validation tenth instead: held-out crops to
measure a model on (benchmarks/crop_finetune.py), never to train on.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

from recognizer.data import load_digits
from recognizer.reader import Recognizer
from recognizer.synthetic import DigitBank, random_options, random_phone_number, render_photo, split_bank

log = logging.getLogger(__name__)


def photo_crops(
    bank: DigitBank, recognizer: Recognizer, count: int, seed: int, first_id: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Render ``count`` photos and read them: (crops, labels, photo ids, counts). A photo's crops
    are kept when the reader found as many digits as were written."""
    rng = np.random.default_rng(seed)
    crops, labels, ids = [], [], []
    counts = {"photos": count, "used": 0, "misread_digits": 0}
    for index in range(count):
        photo = render_photo(bank, [random_phone_number(rng, None)], rng, random_options(rng))
        reading = recognizer.read(photo.jpeg)
        if len(reading.digits) != len(photo.text):
            continue
        counts["used"] += 1
        for digit, written in zip(reading.digits, photo.text, strict=True):
            crops.append(digit.pixels)
            labels.append(int(written))
            ids.append(first_id + index)
            counts["misread_digits"] += digit.digit != int(written)
    empty = np.zeros((0, 28, 28), np.uint8)
    return (
        np.stack(crops) if crops else empty,
        np.array(labels, np.uint8),
        np.array(ids, np.int64),
        counts,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", help="MNIST directory (default: $HEY_NUMBER_MNIST_DIR or Keras)")
    parser.add_argument("--count", type=int, default=2000, help="photos to render")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first-id", type=int, default=0, help="id of the first photo (to join runs)")
    parser.add_argument("--model", help="the .tflite digit model reading the photos (default: shipped)")
    parser.add_argument("--out", type=Path, required=True, help=".npz: images, labels, reading_ids")
    parser.add_argument(
        "--digits",
        choices=("train", "validation"),
        default="train",
        help="draw the digits from the model's training split (to train on) or its validation tenth"
        " (held-out crops, to choose a model by)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = load_digits(args.data)
    bank = split_bank(data.train_images, data.train_labels, args.digits)
    crops, labels, ids, counts = photo_crops(
        bank, Recognizer.load(args.model), args.count, args.seed, args.first_id
    )
    np.savez_compressed(args.out, images=crops, labels=labels, reading_ids=ids)
    log.info(
        "%s: %d crops from %d of %d photos (%d misread)",
        args.out,
        len(crops),
        counts["used"],
        counts["photos"],
        counts["misread_digits"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
