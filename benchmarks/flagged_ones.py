"""How digit models read 1s written with a long flag ("/|", as much of Europe and Latin America
writes a 1), which MNIST hardly has: the first 1,000 MNIST *test* 1s, each given a flag by
``recognizer.augment.flagged_one`` (one seeded generator, in order; measuring only). Each model
alone, and with the reader's shape rules (``recognizer.shapes``: a 7 shaped like a flagged 1 is
read as a 1, each digit alone on its page); and, as the price of that rule, the first 1,000 test
7s (normalised as the reader normalises a digit) read as 7 either way.

    .venv/bin/python benchmarks/flagged_ones.py [--data ../shared/data/mnist] [MODEL.tflite ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from recognizer.augment import flagged_one  # noqa: E402
from recognizer.classifier import DigitClassifier  # noqa: E402
from recognizer.data import load_digits  # noqa: E402
from recognizer.normalise import to_mnist  # noqa: E402
from recognizer.shapes import read_flags_as_ones, reread  # noqa: E402

COUNT = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=[str(REPO / "models" / "digits.tflite")])
    parser.add_argument("--data", help="MNIST directory (default: $HEY_NUMBER_MNIST_DIR or Keras)")
    args = parser.parse_args()
    data = load_digits(args.data)
    ones = data.test_images[data.test_labels == 1][:COUNT]
    rng = np.random.default_rng(0)
    flagged = np.stack([flagged_one(one, rng) for one in ones])
    sevens = np.stack(
        [
            to_mnist(((seven > 127) * 255).astype(np.uint8))
            for seven in data.test_images[data.test_labels == 7][:COUNT]
        ]
    )
    for model in args.models:
        classifier = DigitClassifier(model)
        read = np.bincount(classifier.classify_all(flagged).argmax(axis=1), minlength=10)
        others = ", ".join(f"{count} as {digit}" for digit, count in enumerate(read) if count and digit != 1)
        print(f"{model}: {read[1]} of {len(flagged)} flagged 1s read as 1 ({others or 'none otherwise'})")
        print(f"  with the shape rules: {_count_read_as(classifier, flagged, 1)} flagged 1s read as 1")
        print(
            f"  test 7s read as 7: {_count_read_as(classifier, sevens, 7, shapes=False)} of {len(sevens)},"
            f" with the shape rules {_count_read_as(classifier, sevens, 7)}"
        )


def _count_read_as(classifier: DigitClassifier, digits: np.ndarray, digit: int, shapes: bool = True) -> int:
    predictions = classifier.predict(digits)
    if shapes:  # (each digit alone on its page)
        predictions = [
            read_flags_as_ones([reread(p, d)], [d])[0] for p, d in zip(predictions, digits, strict=True)
        ]
    return sum(prediction.digit == digit for prediction in predictions)


if __name__ == "__main__":
    main()
