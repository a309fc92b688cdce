"""The retraining process: MNIST plus users' corrections → a candidate model, with progress as JSON lines.

The bot's ``/retrain`` runs this in a process of its own, so TensorFlow is imported here and never
in the bot::

    python -m recognizer.retrain --mnist DIR --corrections X.npz --start-from digits.keras \\
        --serving digits.tflite --out CANDIDATE_DIR --epochs N [--limit N] [--seed S]

The corrections file holds ``images`` (N, 28, 28) uint8, ``labels`` (N,) and ``reading_ids`` (N,).
Whole readings are held out (:func:`recognizer.registry.held_out_mask`) and never trained on; the
rest are oversampled to about :data:`CORRECTION_SHARE` of each epoch and augmented with the MNIST
images by :func:`recognizer.train.train`, which fine-tunes the serving model's ``.keras`` (learning
rate 1e-4, ×0.7 per epoch, weight EMA 0.99).

The candidate (``--out``) is then measured through LiteRT on the MNIST validation split (the tenth
of the training set that training holds out: the test set measures, it never chooses) and the
held-out corrections, beside the serving model (``--serving``) on the same images. Its directory ends up
holding what a registry version holds; its card gains a ``retrain`` section with those figures.

Protocol: stdout carries one JSON object per line and nothing else (whatever the libraries print
goes to stderr)::

    {"event": "started", "epochs": 3, "mnist_train": 54000, "corrections": {...}}
    {"event": "epoch_begin", "epoch": 1, "epochs": 3}
    {"event": "epoch", "epoch": 1, "epochs": 3, "val_accuracy": 0.991, "accuracy": ..., "loss": ...,
     "seconds": 212.0, "eta_seconds": 424.0}
    {"event": "evaluating"}
    {"event": "done", "version": ..., "out": ..., "serving": {...}, "candidate": {...}, "seconds": ...}
    {"event": "error", "message": "one plain sentence"}

The exit status is 0 after ``done`` and 1 after ``error``; anything else (a signal) is a failure
the caller reports. Nothing outside ``--out`` is written.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from recognizer.classifier import DigitClassifier, ModelError
from recognizer.data import DataError, DigitData, load_digits, validation_split
from recognizer.registry import (
    CARD_NAME,
    TFLITE_NAME,
    RegistryError,
    held_out_mask,
    read_card,
    write_json_atomically,
)

log = logging.getLogger("recognizer.retrain")

CORRECTION_SHARE = 0.08  # training corrections, repeated, make up about this share of an epoch
MAX_REPEATS = 100  # never repeat one correction more often than this per epoch
# Fine-tuning, not training: small steps, the weights averaged (EMA) as the shipped model was, and
# the result blended with the serving model. Chosen on validation data only by
# benchmarks/retrain_recipes.py: among recipes within 0.05 points of the serving model's MNIST
# validation accuracy, the one that reads the most selection corrections (ties: higher validation).
# For 1.1.0 (one epoch on full MNIST plus 880 corrected digits of the demo writer): 1e-4 with batch
# normalisation trained and EMA 0.99 (99.37% kept; 3e-4, frozen BN or no EMA: 99.28-99.33%).
# For 1.2.0 (520 corrected digits) every unblended recipe lost 0.14-0.17 points (99.42% ->
# 99.25-99.28%; only the last layer trained: 99.32%), so none could pass the promotion gate.
# Averaging the fine-tuned weights half and half with the serving model's (WiSE-FT) keeps most of
# the gain: 3e-5, BN trained, EMA 0.99, half blended: 99.42% and 197 of 200 selection digits
# (serving model 177; unblended 200) — `retrain_recipes.py --blends`.
FINE_TUNE_LEARNING_RATE = 3e-5
FINE_TUNE_LR_DECAY = 0.7
FREEZE_BATCH_NORM = False
FINE_TUNE_EMA = 0.99
TRAINED_LAYERS = 0
TRAINED_SHARE = 0.5
DEFAULT_EPOCHS = 1
DEFAULT_SEED = 1
CHECKPOINTS = "checkpoints"
START_NAME = "start.keras"  # the starting model as prepared for fine-tuning (deleted afterwards)
# Test-only hooks (hidden options): a candidate trained to be worse, or a truncated tflite file.
WORSE_LEARNING_RATE = 1e-2

Emit = Callable[..., None]


class CorrectionsError(Exception):
    """The corrections file is missing or not in the expected format."""


@dataclass(frozen=True)
class Corrections:
    images: np.ndarray
    labels: np.ndarray
    reading_ids: np.ndarray


def load_corrections(path: Path) -> Corrections:
    """Read and check an ``.npz`` of corrected digits (as the bot exports them from its store)."""
    try:
        with np.load(path) as archive:
            images, labels, ids = archive["images"], archive["labels"], archive["reading_ids"]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise CorrectionsError(f"{path}: not a corrections file ({error})") from None
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise CorrectionsError(f"{path}: images must be uint8 (N, 28, 28), got {images.dtype} {images.shape}")
    if not len(images) == len(labels) == len(ids):
        raise CorrectionsError(f"{path}: {len(images)} images, {len(labels)} labels, {len(ids)} reading ids")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise CorrectionsError(f"{path}: labels must be digits 0..9")
    return Corrections(images, labels.astype(np.uint8), ids.astype(np.int64))


def oversampling(corrections: int, mnist: int, share: float = CORRECTION_SHARE) -> int:
    """How many times each training correction is repeated so they make up about ``share`` of an epoch."""
    if corrections == 0:
        return 0
    wanted = share / (1 - share) * mnist
    return int(min(MAX_REPEATS, max(1, round(wanted / corrections))))


def accuracy_on(classifier: DigitClassifier, images: np.ndarray, labels: np.ndarray) -> tuple[int, int]:
    """(digits right, digits) of a LiteRT model on a labelled set."""
    if len(images) == 0:
        return 0, 0
    predicted = classifier.classify_all(images).argmax(axis=1)
    return int((predicted == labels).sum()), len(labels)


def validation_set(data: DigitData) -> tuple[np.ndarray, np.ndarray]:
    """The MNIST validation split (the training set's seeded tenth that training holds out, as
    :class:`recognizer.train.TrainConfig` makes it, whatever ``--limit``): what judges a candidate."""
    from recognizer.train import TrainConfig

    config = TrainConfig()
    _, held = validation_split(data.train_labels, config.validation_fraction, config.split_seed)
    return data.train_images[held], data.train_labels[held]


def figures(
    classifier: DigitClassifier, validation: tuple[np.ndarray, np.ndarray], held: Corrections
) -> dict:
    """The figures the promotion rule compares (see :class:`recognizer.registry.Figures`)."""
    right, count = accuracy_on(classifier, *validation)
    correct, held_count = accuracy_on(classifier, held.images, held.labels)
    return {
        "validation_accuracy": right / count,
        "validation_count": count,
        "held_out_correct": correct,
        "held_out_count": held_count,
    }


def progress_callback(emit: Emit, epochs: int):
    """A Keras callback that reports each epoch's start and end (with time left) as events."""
    import keras

    class Progress(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.durations: list[float] = []
            self.started = time.monotonic()

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.monotonic()
            emit("epoch_begin", epoch=epoch + 1, epochs=epochs)

        def on_epoch_end(self, epoch, logs=None):
            self.durations.append(time.monotonic() - self.started)
            logs = {key: float(value) for key, value in (logs or {}).items()}
            remaining = epochs - (epoch + 1)
            emit(
                "epoch",
                epoch=epoch + 1,
                epochs=epochs,
                val_accuracy=logs.get("val_accuracy"),
                accuracy=logs.get("accuracy"),
                loss=logs.get("loss"),
                val_loss=logs.get("val_loss"),
                seconds=round(self.durations[-1], 1),
                eta_seconds=round(float(np.mean(self.durations)) * remaining, 1),
            )

        def on_train_end(self, logs=None):
            emit("evaluating")

    return Progress()


def start_model(keras_path: Path, out: Path, freeze_batch_norm: bool, trained_layers: int = 0) -> Path:
    """The model to start from: the serving ``.keras``, or a copy whose batch-normalisation layers
    are frozen (statistics and scale kept as trained on all of MNIST; the rest fine-tunes), or of
    which only the last ``trained_layers`` layers with weights train (0: all of them)."""
    if not freeze_batch_norm and not trained_layers:
        return keras_path
    import keras

    model = keras.models.load_model(keras_path, compile=False)
    weighted = [layer for layer in model.layers if layer.weights]
    for index, layer in enumerate(weighted):
        kept = trained_layers and index < len(weighted) - trained_layers
        if kept or (freeze_batch_norm and isinstance(layer, keras.layers.BatchNormalization)):
            layer.trainable = False
    model.save(out / START_NAME)
    return out / START_NAME


def retrain(args: argparse.Namespace, emit: Emit) -> dict:
    """Train the candidate into ``args.out`` and measure it beside the serving model; the done payload."""
    from recognizer.train import TrainConfig, train

    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    data = load_digits(args.mnist)
    validation = validation_set(data)  # (before the test-only hook below shuffles the labels)
    corrections = load_corrections(args.corrections)
    held = held_out_mask(corrections.reading_ids)
    train_set = Corrections(
        corrections.images[~held], corrections.labels[~held], corrections.reading_ids[~held]
    )
    held_set = Corrections(corrections.images[held], corrections.labels[held], corrections.reading_ids[held])
    mnist_train = min(args.limit, len(data.train_labels)) if args.limit else len(data.train_labels)
    repeats = oversampling(len(train_set.labels), mnist_train)
    extra_images = np.repeat(train_set.images, repeats, axis=0)
    extra_labels = np.repeat(train_set.labels, repeats, axis=0)
    learning_rate = args.learning_rate
    if args.test_worse:  # TEST ONLY: shuffled labels at a high rate make a clearly worse candidate
        rng = np.random.default_rng(args.seed)
        data.train_labels = rng.permutation(data.train_labels)
        extra_labels = rng.permutation(extra_labels)
        learning_rate = WORSE_LEARNING_RATE
        args.ema = 0.0  # averaging would pull it back towards the serving model
        args.trained_share = 1.0  # ... and so would blending
    counts = {
        "total": len(corrections.labels),
        "readings": len(np.unique(corrections.reading_ids)),
        "train": len(train_set.labels),
        "held_out": len(held_set.labels),
        "held_out_readings": len(np.unique(held_set.reading_ids)),
        "repeats": repeats,
    }
    emit("started", epochs=args.epochs, mnist_train=mnist_train, corrections=counts)

    config = TrainConfig(
        epochs=args.epochs,
        learning_rate=learning_rate,
        lr_decay_per_epoch=FINE_TUNE_LR_DECAY,
        ema_momentum=args.ema,
        trained_share=args.trained_share,
        seed=args.seed,
        limit=args.limit or None,
        version=args.version or args.out.name,
        extra_note=(
            f"retrained from {args.start_from} on MNIST plus {counts['train']} corrected digits "
            f"(x{repeats}); {counts['held_out']} held out"
        ),
    )
    card = train(
        data,
        args.out,
        config,
        extra=(extra_images, extra_labels),
        initial_model=start_model(args.start_from, args.out, args.freeze_batch_norm, args.trained_layers),
        verbose=0,
        callbacks=[progress_callback(emit, args.epochs)],
    )
    shutil.rmtree(args.out / CHECKPOINTS, ignore_errors=True)  # optimizer state: not part of a version
    (args.out / START_NAME).unlink(missing_ok=True)

    candidate = figures(DigitClassifier(args.out / TFLITE_NAME), validation, held_set)
    serving = figures(DigitClassifier(args.serving), validation, held_set)
    card["retrain"] = {
        "started_from": str(args.start_from),
        "from": _version_of(args.start_from),
        "mnist_train": mnist_train,
        "serving": serving,
        "candidate": candidate,
        "corrections": counts,
        "learning_rate": learning_rate,
        "batch_norm_frozen": args.freeze_batch_norm,
        "ema_momentum": args.ema,
        "trained_layers": args.trained_layers,
        "trained_share": args.trained_share,
    }
    card["corrections_accuracy"] = (
        candidate["held_out_correct"] / candidate["held_out_count"] if candidate["held_out_count"] else None
    )
    write_json_atomically(args.out / CARD_NAME, card)
    if args.test_corrupt_tflite:  # TEST ONLY: a candidate damaged after it was measured
        path = args.out / TFLITE_NAME
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return {
        "version": config.version,
        "out": str(args.out),
        "serving": serving,
        "candidate": candidate,
        "corrections": counts,
        "epochs": args.epochs,
        "train_seconds": card["training"]["seconds"],
        "seconds": round(time.monotonic() - started, 1),
    }


def _version_of(keras_path: Path) -> str:
    """The version of the model we started from, per the card beside it."""
    try:
        return str(read_card(keras_path.parent).get("version") or keras_path.parent.name)
    except RegistryError:
        return keras_path.parent.name


def _event_stream() -> TextIO:
    """The real stdout for events; file descriptor 1 (and ``sys.stdout``) now lead to stderr, so
    nothing TensorFlow or Keras prints can break the protocol."""
    events = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return events


def _emitter(stream: TextIO) -> Emit:
    def emit(event: str, **fields: Any) -> None:
        stream.write(json.dumps({"event": event, **fields}) + "\n")
        stream.flush()

    return emit


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m recognizer.retrain", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mnist", type=Path, help="MNIST IDX directory or Kaggle CSV (default: $HEY_NUMBER_MNIST_DIR)"
    )
    parser.add_argument("--corrections", type=Path, required=True, help=".npz: images, labels, reading_ids")
    parser.add_argument("--start-from", type=Path, required=True, help="the serving model's digits.keras")
    parser.add_argument("--serving", type=Path, required=True, help="the serving model's digits.tflite")
    parser.add_argument("--out", type=Path, required=True, help="the candidate directory (created)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--limit", type=int, default=0, help="train on this many MNIST images only (tests)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--version", help="the candidate's version (default: the --out directory's name)")
    parser.add_argument("--learning-rate", type=float, default=FINE_TUNE_LEARNING_RATE)
    parser.add_argument(
        "--freeze-batch-norm",
        action=argparse.BooleanOptionalAction,
        default=FREEZE_BATCH_NORM,
        help="keep the batch-normalisation layers as they are",
    )
    parser.add_argument("--ema", type=float, default=FINE_TUNE_EMA, help="weight EMA momentum (0: off)")
    parser.add_argument(
        "--trained-share",
        type=float,
        default=TRAINED_SHARE,
        help="share of the fine-tuned weights kept, the rest the serving model's (1: all fine-tuned)",
    )
    parser.add_argument(
        "--trained-layers",
        type=int,
        default=TRAINED_LAYERS,
        help="train only the last N layers with weights (0: all)",
    )
    parser.add_argument("--test-worse", action="store_true", help=argparse.SUPPRESS)  # test only
    parser.add_argument("--test-corrupt-tflite", action="store_true", help=argparse.SUPPRESS)  # test only
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if not 0.0 < args.trained_share <= 1.0:
        parser.error("--trained-share must be in (0, 1]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    emit = _emitter(_event_stream())
    try:
        done = retrain(args, emit)
    except (DataError, CorrectionsError, ModelError, OSError) as error:
        log.exception("retraining failed")
        emit("error", message=str(error))
        return 1
    except Exception as error:  # anything TensorFlow raises: report it in one line, trace on stderr
        log.exception("retraining failed")
        emit("error", message=f"{type(error).__name__}: {error}")
        return 1
    emit("done", **done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
