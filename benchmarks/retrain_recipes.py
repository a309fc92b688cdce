"""Choosing /retrain's fine-tuning recipe on validation data only (issue #5).

The corrections come from the synthetic writer of ``benchmarks/retrain_demo.py`` (continental 1s,
crossed 7s, open 4s, slashed 0s), read and fixed exactly as there. They are then split three ways
by whole readings:

* the *gate* part: the readings :func:`recognizer.registry.held_out_mask` holds out. The bot's
  promotion rule judges candidates on these, so this script never looks at them;
* the *selection* part: about ``--selection`` of the remaining readings (a second seeded hash),
  kept out of training and used here to compare recipes;
* the rest, which each recipe trains on.

Each recipe runs ``python -m recognizer.retrain`` (one epoch by default, full MNIST training split),
starting from the shipped model, exactly as ``/retrain`` does. It is scored on the MNIST
*validation* split (the seeded 10% of the training set that training never sees; the card's
``validation_accuracy``) and on the selection corrections. The MNIST test set is not read for the
choice: ``recognizer.retrain`` measures it for the card, and this script does not print it.

The rule, the same shape as the promotion gate: among recipes whose MNIST validation accuracy is no
more than 0.05 points below the shipped model's, the best on the selection corrections; ties go to
the higher MNIST validation accuracy.

    .venv/bin/python benchmarks/retrain_recipes.py [--photos 300] [--out runs/retrain-recipes]
    .venv/bin/python benchmarks/retrain_recipes.py --blends [--out ...]

``--blends`` trains nothing: it averages each recipe's model (from an earlier run in ``--out``) with
the shipped one, keeping BLEND_SHARES of the fine-tuned weights, and scores the blends the same way.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from retrain_demo import collect  # noqa: E402

from bot.store import Store  # noqa: E402
from recognizer.classifier import DigitClassifier  # noqa: E402
from recognizer.data import load_digits, resolve_source, validation_split  # noqa: E402
from recognizer.registry import held_out_mask  # noqa: E402
from recognizer.train import TrainConfig, blend_weights  # noqa: E402

SHIPPED = REPO / "models"
SELECTION_SEED = 11  # not the gate's seed, so the two splits are independent
MAX_VALIDATION_DROP = 0.0005  # 0.05 points, as the promotion gate allows on the test set
# (name, learning rate, batch normalisation frozen, weight EMA momentum; 0 = off)
# (the first set, for 1.1.0: 1e-4 and 3e-4 frozen-BN EMA.99, 1e-4 trained-BN EMA.99, 1e-4 frozen-BN
# no-EMA; see recognizer/retrain.py)
BLEND_SHARES = (0.3, 0.5, 0.7)  # share of the fine-tuned weights kept (recognizer.retrain --trained-share)
RECIPES = (
    ("1e-4 trained-BN EMA.99", 1e-4, False, 0.99),
    ("3e-5 trained-BN EMA.99", 3e-5, False, 0.99),
    ("3e-5 frozen-BN EMA.99", 3e-5, True, 0.99),
    ("1e-4 trained-BN EMA.999", 1e-4, False, 0.999),
)


def split(ids: np.ndarray, selection: float) -> tuple[np.ndarray, np.ndarray]:
    """(train, selection) masks over the corrected digits; the gate's readings are in neither."""
    gate = held_out_mask(ids)
    chosen = held_out_mask(ids, fraction=selection, seed=SELECTION_SEED) & ~gate
    return ~gate & ~chosen, chosen


def run_recipe(recipe: tuple, corrections: Path, out: Path, args: argparse.Namespace) -> dict:
    name, learning_rate, frozen, ema = recipe
    command = [
        sys.executable,
        "-m",
        "recognizer.retrain",
        "--corrections",
        str(corrections),
        "--start-from",
        str(SHIPPED / "digits.keras"),
        "--serving",
        str(SHIPPED / "digits.tflite"),
        "--out",
        str(out),
        "--epochs",
        str(args.epochs),
        "--learning-rate",
        str(learning_rate),
        "--ema",
        str(ema),
        "--freeze-batch-norm" if frozen else "--no-freeze-batch-norm",
        "--trained-share",
        "1",  # unblended: --blends scores the blends afterwards
    ]
    if args.mnist:
        command += ["--mnist", args.mnist]
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{name}: retrain failed: {done.stdout[-500:]}")
    card = json.loads((out / "model-card.json").read_text())
    return {
        "recipe": name,
        "mnist_validation": card["validation_accuracy"],
        "minutes": (time.monotonic() - started) / 60,
    }


def blend_rows(out: Path, val: tuple, selection: tuple) -> list[dict]:
    """Each recipe's model averaged with the shipped one, scored on MNIST validation and selection."""
    import keras

    def right(model, images: np.ndarray, labels: np.ndarray) -> tuple[int, float]:
        predicted = model.predict(images[..., None].astype(np.float32) / 255.0, verbose=0, batch_size=512)
        hits = int((predicted.argmax(axis=1) == labels).sum())
        return hits, hits / len(labels)

    shipped = keras.models.load_model(SHIPPED / "digits.keras", compile=False)
    rows = []
    for number, (name, *_) in enumerate(RECIPES, start=1):
        path = out / f"recipe-{number}" / "digits.keras"
        for share in BLEND_SHARES:
            model = keras.models.load_model(path, compile=False)
            blend_weights(model, shipped, share)
            row = {
                "recipe": f"{name} x{share}",
                "mnist_validation": right(model, *val)[1],
                "selection_right": right(model, *selection)[0],
            }
            rows.append(row)
            print(
                f"{row['recipe']:<30} MNIST validation {row['mnist_validation']:.2%}  selection "
                f"{row['selection_right']}/{len(selection[1])}",
                flush=True,
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument(
        "--selection", type=float, default=0.25, help="share of non-gate readings to select on"
    )
    parser.add_argument("--mnist", help="MNIST directory (default: $HEY_NUMBER_MNIST_DIR)")
    parser.add_argument("--seed", type=int, default=7, help="the writer's seed (the demo uses 7)")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "retrain-recipes")
    parser.add_argument("--blends", action="store_true", help="score blends of an earlier run's recipes")
    args = parser.parse_args(argv)
    args.limit = 0
    args.out.mkdir(parents=True, exist_ok=True)

    with Store(args.out / "data") as store:
        if not args.blends:
            print(f"the writer writes {args.photos} numbers; the shipped model reads them", flush=True)
            collect(args, store)
        images, labels, ids = store.labelled_digits("corrected")
    train_mask, selection_mask = split(ids, args.selection)
    corrections = args.out / "train-corrections.npz"
    np.savez(corrections, images=images[train_mask], labels=labels[train_mask], reading_ids=ids[train_mask])
    print(
        f"corrected digits: {len(labels)}; trained on {train_mask.sum()}, selection "
        f"{selection_mask.sum()} ({len(np.unique(ids[selection_mask]))} readings), gate part untouched"
    )

    data = load_digits(resolve_source(args.mnist))
    config = TrainConfig()  # the split recognizer.retrain validates on: same fraction and seed
    _, val_index = validation_split(data.train_labels, config.validation_fraction, config.seed)
    val_x, val_y = data.train_images[val_index], data.train_labels[val_index]
    shipped_validation = float((DigitClassifier().classify_all(val_x).argmax(axis=1) == val_y).mean())
    sel_x, sel_y = images[selection_mask], labels[selection_mask]
    shipped_selection = int((DigitClassifier().classify_all(sel_x).argmax(axis=1) == sel_y).sum())
    if args.blends:
        rows = blend_rows(args.out, (val_x, val_y), (sel_x, sel_y))
        shipped = f"MNIST validation {shipped_validation:.2%}, selection {shipped_selection}/{len(sel_y)}"
        print(f"\nshipped: {shipped}")
        (args.out / "blends.json").write_text(json.dumps(rows, indent=2) + "\n")
        return 0
    rows = [
        {
            "recipe": "shipped (no retraining)",
            "mnist_validation": shipped_validation,
            "selection_right": shipped_selection,
            "minutes": 0.0,
        }
    ]
    for number, recipe in enumerate(RECIPES, start=1):
        row = run_recipe(recipe, corrections, args.out / f"recipe-{number}", args)
        tflite = args.out / f"recipe-{number}" / "digits.tflite"
        row["selection_right"] = int(
            (DigitClassifier(tflite).classify_all(sel_x).argmax(axis=1) == sel_y).sum()
        )
        rows.append(row)
        print(
            f"{row['recipe']:<26} MNIST validation {row['mnist_validation']:.2%}  selection "
            f"{row['selection_right']}/{len(sel_y)}  ({row['minutes']:.1f} min)",
            flush=True,
        )
    eligible = [r for r in rows[1:] if r["mnist_validation"] >= shipped_validation - MAX_VALIDATION_DROP]
    chosen = max(eligible, key=lambda r: (r["selection_right"], r["mnist_validation"]), default=None)
    print(f"\nshipped: MNIST validation {shipped_validation:.2%}, selection {shipped_selection}/{len(sel_y)}")
    print(f"chosen: {chosen['recipe'] if chosen else 'none (every recipe lost too much MNIST validation)'}")
    (args.out / "recipes.json").write_text(json.dumps({"rows": rows, "chosen": chosen}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
