"""One digit per photo, as the original write-up's workflow takes them: close-ups of MNIST *test*
digits (``recognizer.synthetic.close_up_photo``: written large, paper filling the photo), the
camera turned by each of ``--angles``. Prints, per angle, how many read exactly as the digit, with
the reader as it is and with no tilts tried for pages of one or two digits
(``recognizer.reader.TILTS`` emptied), side by side, and how many changed each way.

    .venv/bin/python benchmarks/close_ups.py [--count 600] [--start 0] [--angles -20 -10 0 10 20]
    .venv/bin/python benchmarks/close_ups.py --ink-share 0.25 --blur 2 --angles 0   # light, out of focus
    .venv/bin/python benchmarks/close_ups.py --noise 40 --angles 0   # noisy (a dim room, a cheap camera)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from recognizer import reader  # noqa: E402
from recognizer.data import load_digits  # noqa: E402
from recognizer.synthetic import close_up_photo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", help="MNIST directory (default: $HEY_NUMBER_MNIST_DIR or Keras)")
    parser.add_argument("--count", type=int, default=600, help="test digits, from --start on")
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--angles", type=float, nargs="+", default=[-20, -10, 0, 10, 20])
    parser.add_argument("--ink-share", type=float, default=1.0, help="ink this share as dark (light pencil)")
    parser.add_argument("--blur", type=float, default=0.0, help="Gaussian blur, pixels (out of focus)")
    parser.add_argument("--noise", type=float, default=0.0, help="sensor noise, grey levels (a dim room)")
    args = parser.parse_args()
    data = load_digits(args.data)
    recognizer = reader.Recognizer.load()
    tilts = reader.TILTS
    indices = range(args.start, args.start + args.count)
    print(f"{args.count} close-ups of MNIST test digits {args.start}..{indices[-1]}, read exactly:")
    print(f"  {'turned':>7}  {'with tilts':>10}  {'without':>8}  {'gained':>6}  {'lost':>4}")
    for degrees in args.angles:
        right = {True: 0, False: 0}
        gained = lost = 0
        for index in indices:
            photo = close_up_photo(data.test_images[index], degrees, args.ink_share, args.blur, args.noise)
            truth = str(data.test_labels[index])
            verdicts = {}
            for tilted in (True, False):
                reader.TILTS = tilts if tilted else ()
                verdicts[tilted] = recognizer.read(photo).text == truth
                right[tilted] += verdicts[tilted]
            gained += verdicts[True] and not verdicts[False]
            lost += verdicts[False] and not verdicts[True]
        reader.TILTS = tilts
        print(f"  {degrees:>6.0f}°  {right[True]:>10}  {right[False]:>8}  {gained:>6}  {lost:>4}")


if __name__ == "__main__":
    main()
