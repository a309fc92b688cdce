"""Digit classifier speed and memory: LiteRT (serving) and Keras/TensorFlow side by side.

Each measurement runs in a fresh child process, alternating LiteRT and Keras, so both see the
same machine load. Prints medians over rounds:

* cold start: from launching the process to the first classified digit (imports + model load);
* latency for 1 and for 10 digits: median of ``--runs`` calls with the model loaded (the same
  digits each call, so LiteRT's classifier remembers none of its answers: ``cache_rows=0``);
* peak RSS of the process.

    .venv/bin/python benchmarks/classifier.py [--rounds 5] [--runs 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "models" / "digits.tflite"


def child(backend: str, model_path: Path, runs: int) -> None:
    """Runs inside the child process: load, answer once, then time many calls."""
    import resource

    import numpy as np

    digits = np.random.default_rng(0).integers(0, 256, (10, 28, 28), dtype=np.uint8)
    if backend == "litert":
        sys.path.insert(0, str(REPO))
        from recognizer.classifier import DigitClassifier

        classifier = DigitClassifier(model_path, cache_rows=0)  # (the network's time: none remembered)

        def classify(batch):
            return classifier.probabilities(batch)
    else:
        import keras

        model = keras.models.load_model(model_path.with_suffix(".keras"), compile=False)

        def classify(batch):
            return model(batch[..., None].astype("float32") / 255.0, training=False).numpy()

    classify(digits[:1])
    first_answer = time.time()
    timings = {}
    for size in (1, 10):
        batch = digits[:size]
        classify(batch)
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            classify(batch)
            samples.append(time.perf_counter() - start)
        timings[size] = statistics.median(samples)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"first_answer": first_answer, "latency": timings, "peak_rss_mb": peak_rss_mb}))


def measure(backend: str, model_path: Path, runs: int) -> dict:
    launched = time.time()
    output = subprocess.run(
        [sys.executable, __file__, "--child", backend, "--model", str(model_path), "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["cold_start"] = result["first_answer"] - launched
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--child", choices=("litert", "keras"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.model, args.runs)
        return

    results: dict[str, list[dict]] = {"litert": [], "keras": []}
    for round_number in range(args.rounds):
        for backend in results:
            results[backend].append(measure(backend, args.model, args.runs))
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)

    def median(backend: str, pick) -> float:
        return statistics.median(pick(r) for r in results[backend])

    rows = [
        ("cold start, process start to first answer (s)", lambda r: r["cold_start"]),
        ("latency, 1 digit (ms)", lambda r: r["latency"]["1"] * 1000),
        ("latency, 10 digits (ms)", lambda r: r["latency"]["10"] * 1000),
        ("peak RSS (MB)", lambda r: r["peak_rss_mb"]),
    ]
    print(f"model: {args.model}  ({args.rounds} rounds, {args.runs} timed calls per size, medians)")
    print(f"{'':48} {'LiteRT':>9} {'Keras/TF':>9} {'Keras÷LiteRT':>13}")
    for label, pick in rows:
        lite, heavy = median("litert", pick), median("keras", pick)
        print(f"{label:48} {lite:9.3f} {heavy:9.3f} {heavy / lite:12.1f}x")


if __name__ == "__main__":
    main()
