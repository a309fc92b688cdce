"""The digit model on MNIST digits as the synthetic renderer writes them, one way at a time.

No paper, camera or light: each digit is written (``recognizer.synthetic.written_digit``), taken
as ink where at least half, normalised and classified as the reader does. Prints how many are
misread as MNIST has them and as written upright, leaning, at a pencil's or a marker's width, or
small: what each of the renderer's ways of writing costs the model (the synthetic benchmark's
figure "as written" is the sum of them). With ``--model``, also the model's MNIST validation
images right through LiteRT (the split that chose the shipped model). With ``--blur SIGMA``, also
the digits blurred as a camera out of focus does and their ink taken at several levels (a share of
the darkest): how low a reader must take a blurred digit's ink (the ink finder's weak bar).

    .venv/bin/python benchmarks/written_digits.py [--count 5000] [--digits test|validation] [--model M]
    .venv/bin/python benchmarks/written_digits.py --digits validation --count 3000 --blur 1.5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from recognizer.classifier import DigitClassifier  # noqa: E402
from recognizer.data import load_digits, validation_split  # noqa: E402
from recognizer.shapes import reread  # noqa: E402
from recognizer.synthetic import (  # noqa: E402
    STROKE_FRACTION,
    blurred_glyph_as_read,
    glyph_as_read,
    written_digit,
)
from recognizer.train import TrainConfig  # noqa: E402

HEIGHT = 60  # pixels: a digit in the middle of the benchmark's range (35-110)
# (name, height, stroke width as a share of a ballpoint's, slant in degrees: positive leans right)
WAYS = (
    ("upright, ballpoint", HEIGHT, 1.0, 0.0),
    ("leaning 10 degrees right", HEIGHT, 1.0, 10.0),
    ("leaning 20 degrees right", HEIGHT, 1.0, 20.0),
    ("leaning 12 degrees left", HEIGHT, 1.0, -12.0),
    ("pencil width (0.6)", HEIGHT, 0.6, 0.0),
    ("marker width (1.75)", HEIGHT, 1.75, 0.0),
    ("small (35 pixels)", 35, 1.0, 0.0),
)
BLURRED_WAYS = (
    ("upright, ballpoint", HEIGHT, 1.0),
    ("small (40 pixels)", 40, 1.0),
    ("pencil width", HEIGHT, 0.6),
)
INK_LEVELS = (0.25, 0.35, 0.5, 0.65)  # shares of a blurred digit's darkest ink


def misread(classifier: DigitClassifier, digits: np.ndarray, labels: np.ndarray) -> int:
    """How many normalised digits (uint8, N x 28 x 28) the model reads as another digit, with the
    reader's second look at 8s and 9s (``recognizer.shapes.reread``)."""
    predictions = classifier.predict(digits)
    return sum(reread(p, d).digit != label for p, d, label in zip(predictions, digits, labels, strict=True))


def written(
    images: np.ndarray,
    height: float,
    stroke_share: float,
    slant: float,
    blur: float = 0.0,
    level: float = 0.5,
) -> np.ndarray:
    """``images`` written one way, as the reader would normalise their ink; with ``blur`` (a
    Gaussian's sigma, pixels), blurred first and taken as ink at ``level`` of the darkest."""
    width = STROKE_FRACTION * height * stroke_share
    glyphs = (written_digit(image, height, width, slant) for image in images)
    if blur:
        return np.stack([blurred_glyph_as_read(glyph, blur, level) for glyph in glyphs])
    return np.stack([glyph_as_read(glyph, level) for glyph in glyphs])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=5000, help="the first N digits")
    parser.add_argument("--digits", choices=("test", "validation"), default="test")
    parser.add_argument("--data", help="MNIST directory (default: $HEY_NUMBER_MNIST_DIR or Keras)")
    parser.add_argument("--model", help="a .tflite model (default: shipped)")
    parser.add_argument("--blur", type=float, default=0.0, help="also blurred by this sigma (pixels)")
    args = parser.parse_args()
    data = load_digits(args.data)
    config = TrainConfig()
    _, validation = validation_split(data.train_labels, config.validation_fraction, config.split_seed)
    if args.digits == "test":
        images, labels = data.test_images, data.test_labels
    else:
        images, labels = data.train_images[validation], data.train_labels[validation]
    images, labels = images[: args.count], labels[: args.count]
    classifier = DigitClassifier(args.model)
    print(f"{len(images)} MNIST {args.digits} digits, misread by {classifier.model_path.name}:")
    print(f"  {'as MNIST has them':28} {misread(classifier, images, labels):5}")
    for name, height, stroke_share, slant in WAYS:
        print(f"  {name:28} {misread(classifier, written(images, height, stroke_share, slant), labels):5}")
    if args.blur:
        shares = ", ".join(f"{level:.2f}" for level in INK_LEVELS)
        print(f"blurred (sigma {args.blur} px), ink taken at {shares} of the darkest:")
        for name, height, stroke_share in BLURRED_WAYS:
            counts = [
                misread(classifier, written(images, height, stroke_share, 0.0, args.blur, level), labels)
                for level in INK_LEVELS
            ]
            print(f"  {name:28} " + " ".join(f"{count:5}" for count in counts))
    if args.model:
        # (the model alone, as its card counts: no second look at 8s and 9s)
        best = classifier.classify_all(data.train_images[validation]).argmax(axis=1)
        right = int((best == data.train_labels[validation]).sum())
        print(f"MNIST validation images right (LiteRT): {right} of {len(validation)}")


if __name__ == "__main__":
    main()
