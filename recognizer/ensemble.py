"""Training, step 5 (optional): average several trained digit models into one.

Networks trained with different seeds make different mistakes; the average of their
probabilities is wrong less often than either. The members are wrapped into one Keras model
(input → each member → mean), so serving, ``eval`` and ``/retrain`` see an ordinary model, and
exported to LiteRT, optionally with 8-bit weights (dynamic-range quantisation) to keep the
committed files small. That costs one network's time per member. A *soup* (``--soup``) costs
none: fine-tunes of one model (the same network, the same start, different seeds) stay close
enough in weight space that the average of their weights is itself a good network, often better
than each ("model soups", Wortsman et al., 2022); it is exported as every shipped model is, with
8-bit convolutions. Every figure that may decide anything is measured on the seeded
validation split of the training set; the test set is measured once, for the card.

TensorFlow is imported inside the functions only.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from recognizer.classifier import DigitClassifier
from recognizer.data import DigitData, validation_split
from recognizer.train import (
    KERAS_NAME,
    TFLITE_NAME,
    TrainConfig,
    calibration_sample,
    export_tflite,
    measure_on_test,
    serving_format,
    write_card,
)

# the split every member was trained with (``hey-number train``'s defaults; ``--split-seed``)
VALIDATION_FRACTION = TrainConfig.validation_fraction
SPLIT_SEED = TrainConfig.split_seed


def average_model(member_paths: list[Path]):
    """One Keras model whose output is the mean of the members' softmax outputs."""
    import keras

    inputs = keras.Input((28, 28, 1), name="digits")
    outputs = []
    for index, path in enumerate(member_paths):
        member = keras.models.load_model(path, compile=False)
        # each member becomes a named sub-model, so two copies of one architecture do not clash
        wrapped = keras.Model(member.inputs[0], member.outputs[0], name=f"member_{index}")
        outputs.append(wrapped(inputs))
    mean = keras.layers.Average(name="mean")(outputs)
    return keras.Model(inputs, mean, name="digit_ensemble")


def soup_model(member_paths: list[Path]):
    """One network with the mean of the members' weights (batch-normalisation statistics too);
    the members must be the same network."""
    import keras

    members = [keras.models.load_model(path, compile=False) for path in member_paths]
    shapes = [[w.shape for w in member.get_weights()] for member in members]
    if any(shape != shapes[0] for shape in shapes[1:]):
        raise ValueError("a soup's members must be the same network (their weights differ in shape)")
    model = members[0]
    model.set_weights(
        [np.mean(weights, axis=0) for weights in zip(*(m.get_weights() for m in members), strict=True)]
    )
    return model


def _accuracy(probabilities: np.ndarray, labels: np.ndarray) -> tuple[int, float]:
    """(right answers, mean cross-entropy)."""
    right = int((probabilities.argmax(axis=1) == labels).sum())
    picked = np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0)
    return right, float(-np.log(picked).mean())


def build_ensemble(
    member_paths: list[Path], data: DigitData, out_dir: Path, quantize: bool = True, soup: bool = False
) -> dict:
    """Write ``digits.keras``, ``digits.tflite`` and the model card of the members' average into
    ``out_dir``; returns the card, with each member's and the average's validation figures.
    ``soup``: average the weights into one network (int8 convolutions, calibrated on training
    images), not the outputs."""
    import keras

    out_dir.mkdir(parents=True, exist_ok=True)
    train_idx, val_idx = validation_split(data.train_labels, VALIDATION_FRACTION, SPLIT_SEED)
    val_x, val_y = data.train_images[val_idx], data.train_labels[val_idx]
    scaled = val_x[..., None].astype(np.float32) / 255.0

    validation = {}
    for path in member_paths:
        member = keras.models.load_model(path, compile=False)
        right, loss = _accuracy(member.predict(scaled, batch_size=500, verbose=0), val_y)
        validation[str(path)] = {"right": right, "loss": round(loss, 5)}
    model = soup_model(member_paths) if soup else average_model(member_paths)
    keras_path, tflite_path = out_dir / KERAS_NAME, out_dir / TFLITE_NAME
    tmp = out_dir / "digits.tmp.keras"
    model.save(tmp)
    os.replace(tmp, keras_path)
    if soup:
        export_tflite(
            model, tflite_path, calibration=calibration_sample(data.train_images[train_idx], SPLIT_SEED)
        )
    else:
        export_tflite(model, tflite_path, quantize=quantize)
    right, loss = _accuracy(model.predict(scaled, batch_size=500, verbose=0), val_y)
    validation["average (keras)"] = {"right": right, "loss": round(loss, 5)}
    right, loss = _accuracy(DigitClassifier(tflite_path).classify_all(val_x), val_y)
    validation["average (LiteRT)"] = {"right": right, "loss": round(loss, 5)}

    card = {
        "name": "hey-number digit classifier",
        "version": datetime.now(UTC).strftime("%Y.%m.%d-%H%M"),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "architecture": (
            f"{model.name}: the mean of {len(member_paths)} networks' weights (a soup)"
            if soup
            else f"average of {len(member_paths)} networks"
        ),
        "parameters": int(model.count_params()),
        "input": "float32 (N, 28, 28, 1), 0..1, white ink on black, MNIST-normalised",
        "output": "float32 (N, 10) softmax probabilities for digits 0..9",
        "members": [str(path) for path in member_paths],
        "soup": soup,
        "serving": serving_format(TFLITE_NAME) if soup else "8-bit weights" if quantize else "float",
        "data": {
            "source": data.source,
            "checksums_sha256": data.checksums,
            "train_samples": len(train_idx),
            "validation_samples": len(val_y),
            "validation": f"seeded stratified {VALIDATION_FRACTION:.0%} of the training set",
            "split_seed": SPLIT_SEED,
            "test_samples": 0 if data.test_labels is None else len(data.test_labels),
        },
        "validation": validation,
        "validation_accuracy": validation["average (LiteRT)"]["right"] / len(val_y),
        "checkpoint_choice": "members chosen on validation; the test set is measured only",
    }
    measure_on_test(card, data, tflite_path, out_dir)
    return write_card(card, out_dir)
