"""The photo reader on zeros written flat: "12" followed by two or three zeros two to three times
wider than high, drawn with a pen on a plain page (no MNIST digits, no camera).

Two sets of drawn variants, every combination of the listed widths, heights, gaps, counts, pens
and slants: small flat zeros after full-height digits, as on cheques ("12.000", 288 variants),
and flat zeros as tall as the digits' body, as in a hurried phone number (96 variants). Prints
how many are read exactly, and the first misreadings of each set.

    .venv/bin/python benchmarks/flat_zeros.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from recognizer.reader import Recognizer  # noqa: E402

INK = (40, 40, 120)
PAPER = 235
BASELINE = 200
# half widths, half heights, gaps between zeros (negative: overlapping), counts, pens, slants
SMALL = ((30, 36, 42, 48), (16, 20, 26), (-4, 0, 6), (2, 3), (5, 8), (0.0, 0.3))
TALL = ((60, 75), (36, 44), (-4, 0, 6), (2, 3), (5, 8), (0.0, 0.3))
# page widths for two and three zeros (the ruled-line finder's shortest line is a share of the page)
SMALL_PAGES = {2: 600, 3: 700}
TALL_PAGES = {2: 800, 3: 1000}


def page_of(
    width: int, half_width: int, half_height: int, gap: int, count: int, pen: int, lean: float
) -> np.ndarray:
    """A page ``width`` pixels wide with a "1", a "2" and ``count`` flat zeros on their baseline,
    each ``gap`` pixels from the next, their tops pushed ``lean`` pixels right per pixel of height."""
    page = np.full((300, width, 3), PAPER, np.uint8)
    one = [(60, 100), (60, 200)]
    bow = [(140 + 25 * np.cos(a), 128 + 25 * np.sin(a)) for a in np.linspace(-3.0, 0.3, 10)]
    two = [*bow, (118, 200), (172, 200)]
    strokes = [one, two]
    for k in range(count):
        centre_x, centre_y = 200 + half_width + k * (2 * half_width + gap), BASELINE - half_height
        angles = np.linspace(0, 2 * np.pi, 40)
        strokes.append(
            [
                (
                    centre_x + half_width * np.cos(a) - lean * half_height * np.sin(a),
                    centre_y + half_height * np.sin(a),
                )
                for a in angles
            ]
        )
    for points in strokes:
        cv2.polylines(page, [np.array(points, np.int32)], False, INK, pen, cv2.LINE_AA)
    return page


def measure(recognizer: Recognizer, name: str, grid: tuple, widths: dict[int, int]) -> None:
    """Read every variant of ``grid`` on a page of ``widths[count]``; print the tally."""
    right, misread = 0, []
    variants = list(itertools.product(*grid))
    for variant in variants:
        text = recognizer.read(page_of(widths[variant[3]], *variant)).text
        wanted = "12" + "0" * variant[3]
        right += text == wanted
        if text != wanted:
            misread.append((variant, text))
    print(f"{name}: {right}/{len(variants)} read exactly")
    for variant, text in misread[:5]:
        print(f"  half width, half height, gap, count, pen, slant {variant}: read {text or 'nothing'!r}")


def main() -> None:
    recognizer = Recognizer.load()
    measure(recognizer, "small flat zeros after full-height digits", SMALL, SMALL_PAGES)
    measure(recognizer, "flat zeros as tall as the digits' body", TALL, TALL_PAGES)


if __name__ == "__main__":
    main()
