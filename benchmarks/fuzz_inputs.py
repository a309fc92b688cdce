"""1,000 broken and hostile inputs through the photo reader: none may raise, hang or balloon.

Prints, per kind of input, how many gave an error sentence or a reading, the slowest time, and
the process's peak RSS.

    .venv/bin/python benchmarks/fuzz_inputs.py [--count 1000] [--model M]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recognizer.decode import ImageError
from recognizer.fuzz import fuzz_cases
from recognizer.reader import Recognizer


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--model", help="a .tflite model (default: shipped)")
    args = parser.parse_args()
    recognizer = Recognizer.load(args.model)
    stats: dict[str, dict] = defaultdict(lambda: {"error": 0, "reading": 0, "digits": 0, "slowest": 0.0})
    crashes = []
    for name, data in fuzz_cases(args.count):
        started = time.perf_counter()
        try:
            reading = recognizer.read(data)
            stats[name]["reading"] += 1
            stats[name]["digits"] += len(reading.digits)
        except ImageError:
            stats[name]["error"] += 1
        except Exception as error:  # what this benchmark exists to find
            crashes.append((name, repr(error)))
        stats[name]["slowest"] = max(stats[name]["slowest"], time.perf_counter() - started)
    print(f"{'input':24} {'error':>6} {'reading':>8} {'digits read':>12} {'slowest (s)':>12}")
    for name, row in stats.items():
        print(f"{name:24} {row['error']:6} {row['reading']:8} {row['digits']:12} {row['slowest']:12.3f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.count} inputs, {len(crashes)} raised; peak RSS {peak:.0f} MB")
    for name, error in crashes[:10]:
        print(f"  raised on {name}: {error}")


if __name__ == "__main__":
    main()
