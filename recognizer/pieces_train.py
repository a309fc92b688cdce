"""Training the reader's two small yes/no networks (TensorFlow is imported inside the functions
only): "one whole digit?" (:mod:`recognizer.pieces`) and "upright?" (:mod:`recognizer.orientation`).

Examples are made from MNIST **training** digits, drawn as pen masks (upscaled 3x and
thresholded) and normalised by :func:`recognizer.normalise.to_mnist`, exactly as the reader
normalises the pieces it cuts out of a photo. For "one whole digit?":

* one digit (label 1);
* not one digit (label 0): two digits written into one another or side by side, now and then
  three; a digit cut through (what is left of it on either side of a wrong cut); a digit with a
  slice of its neighbour still attached.

For "upright?": a digit as written (label 1) or turned 180° (label 0), slanted and sheared a
little either way so that the slant of a hand is no clue.

The validation examples are made from the digits of the same seeded 10% the digit model holds
out; the MNIST test set is not used.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from recognizer.data import DigitData, validation_split
from recognizer.normalise import to_mnist

log = logging.getLogger(__name__)

UPSCALE = 3  # MNIST digits are drawn 3x larger as masks, like a digit in a photo
MASK_THRESHOLD = 100  # of 255: where an upscaled MNIST digit counts as ink
VARIED_THRESHOLD = (50.0, 170.0)  # ... for a thicker or thinner pen (``--varied``)
MIN_PART_HEIGHT = 0.6  # the reader's rule: a cut-out part stands this tall (see reader.py)
TFLITE_NAME = "pieces.tflite"
CARD_NAME = "pieces-card.json"
UPRIGHT_TFLITE_NAME = "upright.tflite"
UPRIGHT_CARD_NAME = "upright-card.json"
UPRIGHT_TILT_DEGREES = 12.0  # upright examples are turned up to this far either way, and sheared
UPRIGHT_SHEAR = 0.3


@dataclass
class PieceTrainConfig:
    epochs: int = 8
    examples: int = 120_000  # training examples (half one digit); validation gets a tenth as many
    batch_size: int = 256
    learning_rate: float = 1e-3
    seed: int = 1
    split_seed: int = 1  # the digit model's validation split (see recognizer.train)
    varied: bool = False  # examples drawn with varied pens and slants (:func:`pen_mask`)
    start_from: str | None = None  # a .keras network of the same shape to go on training


def pen_mask(image: np.ndarray, rng: np.random.Generator, varied: bool = False) -> np.ndarray:
    """An MNIST digit as a pen mask, cropped to its ink, at a slightly random size; ``varied``:
    also drawn with a thinner or thicker pen (VARIED_THRESHOLD) and tilted and sheared a little
    either way (:func:`_tilted`), as the pieces of a photo's slanted writing are."""
    scale = UPSCALE * rng.uniform(0.85, 1.15)
    size = (round(28 * scale * rng.uniform(0.9, 1.1)), round(28 * scale))
    big = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    threshold = rng.uniform(*VARIED_THRESHOLD) if varied else MASK_THRESHOLD
    mask = np.where(big > threshold, 255, 0).astype(np.uint8)
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return mask
    mask = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return _tilted(mask, rng) if varied else mask


def _side_by_side(left: np.ndarray, right: np.ndarray, overlap: int, drop: int) -> np.ndarray:
    """Two masks on one canvas, ``right`` starting ``overlap`` columns before ``left`` ends and
    ``drop`` rows lower (negative: higher)."""
    top_left, top_right = max(0, -drop), max(0, drop)
    height = max(top_left + left.shape[0], top_right + right.shape[0])
    start = max(0, left.shape[1] - overlap)
    width = max(left.shape[1], start + right.shape[1])
    canvas = np.zeros((height, width), np.uint8)
    canvas[top_left : top_left + left.shape[0], : left.shape[1]] = left
    view = canvas[top_right : top_right + right.shape[0], start : start + right.shape[1]]
    np.maximum(view, right, out=view)
    return canvas


def touching_pair(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two digit masks written into one another (or nearly touching), at slightly different heights."""
    overlap = int(rng.uniform(-0.08, 0.35) * min(a.shape[1], b.shape[1]))
    drop = int(rng.uniform(-0.12, 0.12) * a.shape[0])
    return _side_by_side(a, b, overlap, drop)


def _fragment(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """What a wrong cut leaves of a digit on one side, if it still stands tall enough."""
    cut = int(rng.uniform(0.3, 0.7) * mask.shape[1])
    part = mask[:, :cut] if rng.random() < 0.5 else mask[:, cut:]
    rows = np.flatnonzero(part.any(axis=1))
    if len(rows) == 0 or rows[-1] - rows[0] + 1 < MIN_PART_HEIGHT * mask.shape[0]:
        return None
    return part


def _with_slice(digit: np.ndarray, neighbour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A digit with the near edge of its neighbour (15-45% of its width) still attached."""
    width = max(1, int(rng.uniform(0.15, 0.45) * neighbour.shape[1]))
    overlap = int(rng.uniform(0.0, 0.15) * digit.shape[1])
    drop = int(rng.uniform(-0.1, 0.1) * digit.shape[0])
    if rng.random() < 0.5:
        return _side_by_side(digit, neighbour[:, :width], overlap, drop)
    return _side_by_side(neighbour[:, -width:], digit, overlap, -drop)


def piece_examples(
    images: np.ndarray, labels: np.ndarray, count: int, rng: np.random.Generator, varied: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` normalised 28x28 examples (uint8) and their labels (1: one whole digit);
    ``varied``: each digit drawn with a varied pen and slant (:func:`pen_mask`)."""
    pieces, answers = [], []
    not_one = np.flatnonzero(labels != 1)  # half a 1 is still a 1

    def any_digit() -> np.ndarray:
        return pen_mask(images[rng.integers(len(images))], rng, varied)

    while len(pieces) < count:
        kind = rng.random()
        a = any_digit()
        if kind < 0.5:
            piece, answer = a, 1
        elif kind < 0.72:
            piece, answer = touching_pair(a, any_digit(), rng), 0
            if rng.random() < 0.15:
                piece = touching_pair(piece, any_digit(), rng)
        elif kind < 0.86:
            piece, answer = _fragment(pen_mask(images[rng.choice(not_one)], rng, varied), rng), 0
        else:
            piece, answer = _with_slice(a, any_digit(), rng), 0
        if piece is None or not piece.any():
            continue
        pieces.append(to_mnist(piece))
        answers.append(answer)
    return np.stack(pieces), np.array(answers, np.uint8)


def _tilted(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A pen mask turned up to UPRIGHT_TILT_DEGREES and sheared up to UPRIGHT_SHEAR, either way."""
    h, w = mask.shape
    side = int(np.ceil(np.hypot(h, w))) + 2
    canvas = np.zeros((side, side), np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    canvas[top : top + h, left : left + w] = mask
    turn = cv2.getRotationMatrix2D((side / 2, side / 2), rng.uniform(-1, 1) * UPRIGHT_TILT_DEGREES, 1.0)
    shear = rng.uniform(-1, 1) * UPRIGHT_SHEAR  # x moves by shear * (y - middle)
    turn[0, 1] += shear
    turn[0, 2] -= shear * side / 2
    turned = cv2.warpAffine(canvas, turn, (side, side), flags=cv2.INTER_NEAREST)
    ys, xs = np.nonzero(turned)
    return turned[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] if len(xs) else mask


def upright_examples(
    images: np.ndarray, labels: np.ndarray, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` normalised 28x28 examples (uint8) and their labels (1: upright, 0: turned 180°)."""
    pieces, answers = [], []
    while len(pieces) < count:
        mask = _tilted(pen_mask(images[rng.integers(len(images))], rng), rng)
        if not mask.any():
            continue
        answer = int(rng.random() < 0.5)
        pieces.append(to_mnist(mask if answer else np.rot90(mask, 2)))
        answers.append(answer)
    return np.stack(pieces), np.array(answers, np.uint8)


def keras_name(tflite_name: str) -> str:
    """The float Keras twin's file name of a yes/no network's LiteRT file."""
    return tflite_name.replace(".tflite", ".keras")


def build_piece_model():
    """A small CNN: 28x28 → probability of one whole digit (or of an upright one)."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1), name="digits"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.2),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(1, activation="sigmoid", name="one_digit"),
        ],
        name="pieces",
    )


def train_piece_model(data: DigitData, out_dir: Path, config: PieceTrainConfig, verbose: int = 1) -> dict:
    """Make the examples, train, keep the epoch with the best validation accuracy, and write
    ``pieces.tflite`` and ``pieces-card.json`` into ``out_dir``. Returns the card."""
    what = "probability that a normalised 28x28 piece of ink is one whole digit"
    return _train_yes_no(data, out_dir, config, piece_examples, (TFLITE_NAME, CARD_NAME), what, verbose)


def train_upright_model(data: DigitData, out_dir: Path, config: PieceTrainConfig, verbose: int = 1) -> dict:
    """As :func:`train_piece_model`, for the "upright?" network: ``upright.tflite`` and
    ``upright-card.json``."""
    what = "probability that a normalised 28x28 digit is upright, not turned 180 degrees"
    names = (UPRIGHT_TFLITE_NAME, UPRIGHT_CARD_NAME)
    return _train_yes_no(data, out_dir, config, upright_examples, names, what, verbose)


def _train_yes_no(
    data, out_dir: Path, config: PieceTrainConfig, make_examples, names, what: str, verbose: int
) -> dict:
    import keras

    from recognizer.train import calibration_sample, export_tflite, serving_format

    started = time.time()
    keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    train_idx, val_idx = validation_split(data.train_labels, 0.1, config.split_seed)
    if config.varied:
        make_examples = partial(make_examples, varied=True)
    x_train, y_train = make_examples(
        data.train_images[train_idx], data.train_labels[train_idx], config.examples, rng
    )
    x_val, y_val = make_examples(
        data.train_images[val_idx], data.train_labels[val_idx], max(200, config.examples // 10), rng
    )
    log.info(
        "made %d training and %d validation examples in %.0f s",
        len(x_train),
        len(x_val),
        time.time() - started,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    tflite_name, card_name = names
    best = out_dir / tflite_name.replace(".tflite", "-best.keras")
    model = keras.models.load_model(config.start_from) if config.start_from else build_piece_model()
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x_train[..., None] / 255.0,
        y_train,
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_data=(x_val[..., None] / 255.0, y_val),
        callbacks=[
            keras.callbacks.ModelCheckpoint(best, monitor="val_accuracy", save_best_only=True),
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: config.learning_rate * 0.8**epoch),
        ],
        verbose=verbose,
    )
    model = keras.models.load_model(best, compile=False)
    model.save(out_dir / keras_name(tflite_name))
    export_tflite(model, out_dir / tflite_name, calibration=calibration_sample(x_train, config.seed))
    card = {
        "what": what,
        "trained_on": f"{len(x_train)} examples from MNIST training digits (source: {data.source})",
        "validation_examples": len(x_val),
        "validation_accuracy": round(max(history.history["val_accuracy"]), 4),
        "history": {key: [round(v, 4) for v in values] for key, values in history.history.items()},
        "config": asdict(config),
        "parameters": model.count_params(),
        "serving": serving_format(tflite_name),
        "seconds": round(time.time() - started),
        "date": time.strftime("%Y-%m-%d"),
    }
    (out_dir / card_name).write_text(json.dumps(card, indent=2) + "\n")
    return card
