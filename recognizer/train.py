"""Training: MNIST (plus any extra labelled digits) → ``digits.keras`` + ``digits.tflite`` + model card.

The steps, in order:

1. load the data and carve a seeded, stratified 10% validation split out of the *training* set;
2. build the CNN (:mod:`recognizer.model`) and train it on augmented batches
   (:mod:`recognizer.augment`), with an exponentially decaying learning rate;
3. keep the checkpoint with the best *validation* accuracy (the test set never chooses anything),
   and save the full state after every epoch so ``--resume`` continues an interrupted run;
4. export the chosen model to LiteRT, measure it on the test set through the LiteRT path,
   and write the model card and the training-curve / confusion-matrix pictures.

TensorFlow is imported inside :func:`train` only.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from recognizer import augment, metrics
from recognizer.classifier import DigitClassifier
from recognizer.data import DigitData, class_counts, sha256_of, validation_split
from recognizer.evaluate import keras_probabilities

log = logging.getLogger(__name__)

KERAS_NAME = "digits.keras"
TFLITE_NAME = "digits.tflite"
CARD_NAME = "model-card.json"
CURVES_NAME = "training-curves.png"
CONFUSION_NAME = "confusion-matrix.png"
CHECKPOINT_DIR = "checkpoints"
AUGMENTATIONS = (
    "photo",
    "baseline",
    "elastic",
    "flagged",
    "slanted",
    "penned",
    "blurred",
    "blurred-low",
    "mirrored-nines",
    "crossed-sevens",
)

# the recipes with digits written with a pen, by name
_PENNED_RECIPES = {
    "penned": augment.PENNED_AUGMENT,
    "blurred": augment.BLURRED_AUGMENT,
    "blurred-low": augment.BLURRED_LOW_AUGMENT,
    "mirrored-nines": augment.MIRRORED_NINES_AUGMENT,
    "crossed-sevens": augment.CROSSED_SEVENS_AUGMENT,
}


@dataclass
class TrainConfig:
    """Everything that decides a training run; it is copied into the model card."""

    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 1e-3
    lr_decay_per_epoch: float = 0.85
    # Exponential moving average of the weights (0: off). Validation, checkpoints and the shipped
    # model use the averaged weights, which are smoother than the last step's.
    ema_momentum: float = 0.0
    validation_fraction: float = 0.10
    seed: int = 1
    # The validation split has its own seed, so runs with different seeds can be compared and
    # ensembled on one held-out set that none of them trained on.
    split_seed: int = 1
    architecture: str = "bn"
    # "photo" (with stroke/blur/shear), "baseline", "elastic" (photo extras and elastic
    # distortion in every epoch: for fine-tuning a trained model towards other hands), or
    # "flagged" ("photo" with half the 1s given a long flag: measured, not shipped, models/README.md),
    # or "slanted" (shear up to 0.35 and thinner strokes in every epoch: for fine-tuning, measured),
    # or "penned" ("slanted" with half the digits written with a pen, as the reader sees ink),
    # or "blurred" ("penned" with half the penned digits blurred before their ink is taken), or
    # "blurred-low" (the same, the ink taken as low as the reader takes it), or "mirrored-nines"
    # ("blurred-low" with a quarter of the 9s mirrored: a "ρ"), or "crossed-sevens" ("blurred-low"
    # with a third of the 7s crossed)
    augmentation: str = "photo"
    # Photo-like extras (shear, stroke width, blur) only in the first part of training; the last
    # epochs use the classic jitter alone, so the model settles on clean MNIST-like digits.
    photo_fraction: float = 0.3
    # Stage two (0: none): epochs on all training images, validation split included, at a low rate.
    polish_epochs: int = 0
    polish_learning_rate: float = 5e-5
    limit: int | None = None  # train on the first N samples only (smoke tests)
    resume: bool = False
    # Fine-tuning only: the share of the fine-tuned weights kept, the rest the initial model's
    # (1: all fine-tuned). Averaging the two keeps most of what the start knew (WiSE-FT).
    trained_share: float = 1.0
    # "penned" and the "blurred" ones: the share of the digits written with a pen (None: the recipe's)
    penned_share: float | None = None
    extra_note: str = ""
    version: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y.%m.%d-%H%M"))

    def augment_config(self, epoch: int = 0) -> augment.AugmentConfig:
        """The augmentation used in ``epoch`` (0-based)."""
        if self.augmentation not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {self.augmentation!r}: use one of {AUGMENTATIONS}")
        if self.augmentation == "elastic":
            return augment.ELASTIC_AUGMENT
        if self.augmentation == "slanted":
            return augment.SLANTED_AUGMENT
        if self.augmentation in _PENNED_RECIPES:
            recipe = _PENNED_RECIPES[self.augmentation]
            if self.penned_share is None:
                return recipe
            if not 0.0 <= self.penned_share <= 1.0:
                raise ValueError(f"the penned share must lie in 0..1, not {self.penned_share}")
            return replace(recipe, penned_probability=self.penned_share)
        chosen = augment.PHOTO_AUGMENT if epoch < self.photo_epochs else augment.BASELINE_AUGMENT
        if self.augmentation == "flagged":
            return replace(chosen, flag_one_probability=augment.FLAG_ONES)
        return chosen

    @property
    def photo_epochs(self) -> int:
        with_extras = self.augmentation in ("photo", "flagged")
        return round(self.epochs * self.photo_fraction) if with_extras else 0


def _digit_batches(images, labels, config: TrainConfig, epoch_holder: dict):
    """A Keras PyDataset of augmented batches whose order and jitter depend on (seed, epoch, batch)."""
    import keras

    class DigitBatches(keras.utils.PyDataset):
        def __len__(self) -> int:
            return int(np.ceil(len(images) / config.batch_size))

        def __getitem__(self, index: int):
            epoch = epoch_holder["epoch"]
            order = np.random.default_rng([config.seed, epoch]).permutation(len(images))
            chosen = order[index * config.batch_size : (index + 1) * config.batch_size]
            rng = np.random.default_rng([config.seed, epoch, index])
            batch = augment.augment_batch(images[chosen], rng, config.augment_config(epoch), labels[chosen])
            return batch[..., None].astype(np.float32) / 255.0, labels[chosen]

    return DigitBatches(workers=1, use_multiprocessing=False)


def _callbacks(config: TrainConfig, checkpoints: Path, epoch_holder: dict, history: dict, resumed: bool):
    import keras

    class EpochState(keras.callbacks.Callback):
        """Seeds each epoch's batches and saves the full state for --resume after each epoch."""

        def on_epoch_begin(self, epoch, logs=None):
            epoch_holder["epoch"] = epoch
            self.started = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                history.setdefault(key, []).append(float(value))
            history.setdefault("epoch_seconds", []).append(round(time.monotonic() - self.started, 1))
            self.model.save(checkpoints / "last.keras")
            state = {"completed_epochs": epoch + 1, "history": history, "config": asdict(config)}
            tmp = checkpoints / "state.json.tmp"
            tmp.write_text(json.dumps(state))
            os.replace(tmp, checkpoints / "state.json")

    def schedule(epoch: int, _lr: float) -> float:
        return config.learning_rate * config.lr_decay_per_epoch**epoch

    # SwapEMAWeights must come before the checkpoint so that it saves the averaged weights.
    ema = [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if config.ema_momentum else []
    if ema and resumed:
        # last.keras was saved at an epoch's end, with the averaged weights swapped into the model
        # and the raw ones in the optimizer: tell the callback, so the next epoch swaps them back.
        ema[0]._ema_weights_in_model = True
    return [
        keras.callbacks.LearningRateScheduler(schedule),
        *ema,
        keras.callbacks.ModelCheckpoint(
            checkpoints / "best.keras",
            monitor="val_accuracy",
            mode="max",
            save_best_only=True,
            # on --resume, the epochs before count too: a later epoch must beat them, not tie them
            initial_value_threshold=max(history.get("val_accuracy", []), default=None),
        ),
        EpochState(),
    ]


def export_tflite(model, path: Path, quantize: bool = False, calibration: np.ndarray | None = None) -> None:
    """Convert a Keras model to a LiteRT flatbuffer with a dynamic batch dimension.

    ``quantize`` stores the weights in 8 bits (dynamic-range quantisation: about 4x smaller).
    ``calibration`` (uint8 28x28 images the model reads, a few hundred) makes the convolutions
    compute in 8-bit integers, their activations' ranges measured on those images: LiteRT's int8
    kernels run them about 4x faster on one core. The dense head and the softmax (or sigmoid) stay
    in float, so the probabilities keep their full resolution; input and output stay float32.
    """
    import tempfile

    import tensorflow as tf

    with tempfile.TemporaryDirectory() as saved_model:
        model.export(saved_model, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
        if quantize or calibration is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if calibration is None:
            flatbuffer = converter.convert()
        else:
            flatbuffer = _integer_convolutions(converter, calibration)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(flatbuffer)
    os.replace(tmp, path)


FLOAT_OPS = ["FULLY_CONNECTED", "SOFTMAX", "LOGISTIC"]  # the head, kept in float by export_tflite


def _integer_convolutions(converter, calibration: np.ndarray) -> bytes:
    """The converter's model with everything but FLOAT_OPS in int8 (LiteRT's selective
    quantisation: the quantisation debugger's deny-list)."""
    import tensorflow as tf

    scaled = calibration.reshape(-1, 1, 28, 28, 1).astype(np.float32) / 255.0

    def examples():
        for image in scaled:
            yield [image]

    converter.representative_dataset = examples
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=FLOAT_OPS)
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter, debug_dataset=examples, debug_options=options
    )
    return debugger.get_nondebug_quantized_model()


CALIBRATION_IMAGES = 1000  # training images that set an int8 model's activation ranges


def serving_format(tflite_name: str) -> str:
    """What a model card says of a network's two files (see :func:`export_tflite`)."""
    keras_name = tflite_name.replace(".tflite", ".keras")
    return (
        f"{tflite_name}: convolutions in int8 (activation ranges from {CALIBRATION_IMAGES:,} seeded "
        f"training examples), dense layers and output in float; {keras_name}: the float network"
    )


def calibration_sample(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """A seeded sample of CALIBRATION_IMAGES training images (all of them, if fewer)."""
    if len(images) <= CALIBRATION_IMAGES:
        return images
    return images[np.random.default_rng(seed).choice(len(images), CALIBRATION_IMAGES, replace=False)]


def _prepare(data: DigitData, config: TrainConfig):
    train_idx, val_idx = validation_split(data.train_labels, config.validation_fraction, config.split_seed)
    if config.limit:
        train_idx = train_idx[: config.limit]
        val_idx = val_idx[: max(config.limit // 5, 50)]
    return (
        data.train_images[train_idx],
        data.train_labels[train_idx],
        data.train_images[val_idx],
        data.train_labels[val_idx],
    )


def train(
    data: DigitData,
    out_dir: Path,
    config: TrainConfig,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
    initial_model: Path | None = None,
    verbose: int = 1,
    callbacks: Sequence[Any] = (),
) -> dict:
    """Train, export and document a digit model in ``out_dir``; returns the model card.

    ``callbacks`` are extra Keras callbacks run after the built-in ones (e.g. progress reports).
    """
    import keras
    import tensorflow as tf

    from recognizer.model import build_model

    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoints = out_dir / CHECKPOINT_DIR
    checkpoints.mkdir(exist_ok=True)
    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()

    train_x, train_y, val_x, val_y = _prepare(data, config)
    if extra is not None and len(extra[0]):
        train_x = np.concatenate([train_x, extra[0]])
        train_y = np.concatenate([train_y, extra[1]])

    history: dict[str, list[float]] = {}
    initial_epoch = 0
    state_path = checkpoints / "state.json"
    if config.resume and state_path.is_file() and (checkpoints / "last.keras").is_file():
        state = json.loads(state_path.read_text())
        initial_epoch = int(state["completed_epochs"])
        history = state["history"]
        model = keras.models.load_model(checkpoints / "last.keras")
        log.info("resuming after epoch %d", initial_epoch)
    else:
        model = keras.models.load_model(initial_model) if initial_model else build_model(config.architecture)
        model.compile(
            optimizer=keras.optimizers.Adam(
                config.learning_rate,
                use_ema=config.ema_momentum > 0,
                ema_momentum=config.ema_momentum or 0.99,
            ),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )

    epoch_holder = {"epoch": initial_epoch}
    started = time.monotonic()
    if initial_epoch < config.epochs:
        model.fit(
            _digit_batches(train_x, train_y, config, epoch_holder),
            validation_data=(val_x[..., None].astype(np.float32) / 255.0, val_y),
            epochs=config.epochs,
            initial_epoch=initial_epoch,
            callbacks=[
                *_callbacks(config, checkpoints, epoch_holder, history, initial_epoch > 0),
                *callbacks,
            ],
            verbose=verbose,
        )
    train_seconds = time.monotonic() - started

    best = checkpoints / "best.keras"
    chosen = best if best.is_file() else checkpoints / "last.keras"
    stage_one_validation = float((keras_probabilities(chosen, val_x).argmax(axis=1) == val_y).mean())
    if config.polish_epochs:
        chosen = _polish(chosen, np.concatenate([train_x, val_x]), np.concatenate([train_y, val_y]), config)
    model = keras.models.load_model(chosen, compile=False)  # no optimizer state: 1/3 of the size
    blended = initial_model is not None and config.trained_share < 1.0
    if blended:
        blend_weights(model, keras.models.load_model(initial_model, compile=False), config.trained_share)
    keras_path, tflite_path = out_dir / KERAS_NAME, out_dir / TFLITE_NAME
    tmp = out_dir / "digits.tmp.keras"
    model.save(tmp)
    os.replace(tmp, keras_path)
    export_tflite(model, tflite_path, calibration=calibration_sample(train_x, config.seed))

    card = _model_card(data, config, model, history, train_seconds, len(train_x), len(val_x), out_dir)
    card["validation_accuracy"] = stage_one_validation
    if initial_model is not None:
        card["fine_tuned_from"] = str(initial_model)
    if blended:
        card["validation_accuracy"] = _tflite_accuracy(tflite_path, val_x, val_y)
        card["validation_accuracy_before_blending"] = stage_one_validation
    if config.polish_epochs:
        card["validation_accuracy_after_polish"] = _tflite_accuracy(tflite_path, val_x, val_y)
        card["polish"] = (
            f"after choosing the checkpoint on validation, {config.polish_epochs} more epochs on all "
            f"{len(train_x) + len(val_x)} training images at learning rate {config.polish_learning_rate} "
            "(fixed length, no choice made); validation accuracy after polishing is no longer held out"
        )
    measure_on_test(card, data, tflite_path, out_dir)
    if history:
        metrics.plot_curves(history, out_dir / CURVES_NAME)
    return write_card(card, out_dir)


def blend_weights(model, start, share: float) -> None:
    """Set ``model``'s weights (batch-norm statistics too) to ``share`` of its own plus the rest
    of ``start``'s, a model of the same network (WiSE-FT)."""
    model.set_weights(
        [(1 - share) * a + share * b for a, b in zip(start.get_weights(), model.get_weights(), strict=True)]
    )


def measure_on_test(card: dict, data: DigitData, tflite_path: Path, out_dir: Path) -> None:
    """Add the test figures (measured only, through LiteRT) to ``card`` and draw the test
    confusion matrix; nothing when the data holds no test set."""
    if data.test_images is None:
        return
    probabilities = DigitClassifier(tflite_path).classify_all(data.test_images)
    summary = metrics.summarise(data.test_labels, probabilities.argmax(axis=1))
    card["test"] = {k: v for k, v in summary.items() if k != "confusion_matrix"}
    card["test_accuracy"] = summary["accuracy"]
    degraded = DigitClassifier(tflite_path).classify_all(augment.degraded_copy(data.test_images))
    card["test_degraded_accuracy"] = float((degraded.argmax(axis=1) == data.test_labels).mean())
    metrics.plot_confusion(
        np.asarray(summary["confusion_matrix"]),
        out_dir / CONFUSION_NAME,
        f"MNIST test, {summary['accuracy'] * 100:.2f}% ({summary['errors']} errors)",
    )


def write_card(card: dict, out_dir: Path) -> dict:
    """Record the model files' hashes and sizes in ``card`` and write it as ``model-card.json``."""
    card["files"] = {name: sha256_of(out_dir / name) for name in (KERAS_NAME, TFLITE_NAME)}
    card["size_bytes"] = {name: (out_dir / name).stat().st_size for name in (KERAS_NAME, TFLITE_NAME)}
    (out_dir / CARD_NAME).write_text(json.dumps(card, indent=2) + "\n")
    return card


def _polish(chosen: Path, images: np.ndarray, labels: np.ndarray, config: TrainConfig) -> Path:
    """Stage two: a fixed number of low-learning-rate epochs on every training image (the
    validation split included, now that it has chosen the checkpoint). Resumable too."""
    import keras

    folder = chosen.parent / "polish"
    folder.mkdir(exist_ok=True)
    done_marker = folder / "done.json"
    final = folder / "polished.keras"
    if done_marker.is_file() and final.is_file():
        return final
    model = keras.models.load_model(chosen)
    model.optimizer.learning_rate.assign(config.polish_learning_rate)
    epoch_holder = {"epoch": config.epochs}

    class Seed(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epoch_holder["epoch"] = config.epochs + epoch

    model.fit(
        _digit_batches(images, labels, config, epoch_holder),
        epochs=config.polish_epochs,
        callbacks=[Seed()],
        verbose=2,
    )
    model.save(final)
    done_marker.write_text(json.dumps({"epochs": config.polish_epochs}))
    return final


def _tflite_accuracy(tflite_path: Path, images: np.ndarray, labels: np.ndarray) -> float:
    predicted = DigitClassifier(tflite_path).classify_all(images).argmax(axis=1)
    return float((predicted == labels).mean())


def _model_card(data, config, model, history, seconds, n_train, n_val, out_dir) -> dict:
    import keras
    import tensorflow as tf

    best_epoch = int(np.argmax(history["val_accuracy"])) + 1 if history.get("val_accuracy") else None
    return {
        "name": "hey-number digit classifier",
        "version": config.version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "architecture": config.architecture,
        "parameters": int(model.count_params()),
        "input": "float32 (N, 28, 28, 1), 0..1, white ink on black, MNIST-normalised",
        "output": "float32 (N, 10) softmax probabilities for digits 0..9",
        "serving": serving_format(TFLITE_NAME),
        "data": {
            "source": data.source,
            "checksums_sha256": data.checksums,
            "train_samples": n_train,
            "validation_samples": n_val,
            "validation": f"seeded stratified {config.validation_fraction:.0%} of the training set",
            "train_class_counts": class_counts(data.train_labels),
            "test_samples": 0 if data.test_labels is None else len(data.test_labels),
        },
        "training": {
            "config": {
                **asdict(config),
                "photo_augmentation_epochs": config.photo_epochs,
                "augmentation_ranges": {
                    "photo": augment.PHOTO_AUGMENT.as_dict(),
                    "baseline": augment.BASELINE_AUGMENT.as_dict(),
                    "elastic": augment.ELASTIC_AUGMENT.as_dict(),
                    "slanted": augment.SLANTED_AUGMENT.as_dict(),
                    "penned": {**augment.PENNED_AUGMENT.as_dict(), "pen_height": augment.PEN_HEIGHT},
                    "blurred": {**augment.BLURRED_AUGMENT.as_dict(), "pen_blur_sigma": augment.PEN_BLUR},
                    "blurred-low": {
                        **augment.BLURRED_LOW_AUGMENT.as_dict(),
                        "pen_blur_sigma": augment.PEN_BLUR,
                    },
                    "crossed_sevens": {
                        "share": augment.CROSSED_SEVENS,
                        "height": augment.CROSS_HEIGHT,
                        "length": augment.CROSS_LENGTH,
                        "offset": augment.CROSS_OFFSET,
                        "slope_degrees": augment.CROSS_SLOPE,
                    },
                    "flagged_ones": {
                        "share": augment.FLAG_ONES,
                        "degrees_to_stem": augment.FLAG_TO_STEM,
                        "lowest_degrees": augment.FLAG_LOWEST,
                        "length": augment.FLAG_LENGTH,
                    },
                },
            },
            "epochs_run": len(history.get("loss", [])),
            "best_epoch_by_validation": best_epoch,
            "seconds": round(sum(history.get("epoch_seconds", [])) or seconds, 1),
            "history": history,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
        "checkpoint_choice": "best validation accuracy; the test set is measured only",
        "note": config.extra_note,
        "out_dir": str(out_dir),
    }


def install(out_dir: Path, target: Path) -> None:
    """Copy a trained model's files (model, card, pictures) into ``target`` (e.g. ``models/``)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in (KERAS_NAME, TFLITE_NAME, CARD_NAME, CURVES_NAME, CONFUSION_NAME):
        if (out_dir / name).is_file():
            shutil.copy2(out_dir / name, target / name)
