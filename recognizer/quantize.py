"""Training, last step: the shipped networks' serving files, with their convolutions in int8.

``hey-number quantize`` writes ``digits.tflite``, ``pieces.tflite`` and ``upright.tflite`` in the
models directory again from their float Keras twins (``*.keras``), the convolutions computing in
8-bit integers, the dense heads and output probabilities in float
(:func:`recognizer.train.export_tflite`). The activations' ranges come from 1,000 seeded examples
of what each network reads in training: images of the digit model's training split, and the two
yes/no networks' own training examples made from that split. Never the test set.

A yes/no network shipped as float LiteRT only (before December 2026) is first read back into
Keras, weight for weight, and its ``.keras`` twin is written beside it.

    hey-number quantize --data ../shared/data/mnist [--models models]

TensorFlow is imported inside the functions only.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from recognizer.classifier import ModelError
from recognizer.data import DigitData, validation_split
from recognizer.model import INPUT_SHAPE

log = logging.getLogger(__name__)

SEED = 0  # of the calibration examples
NETWORKS = ("digits", "pieces", "upright")  # the shipped models' names


class QuantizeError(ModelError):
    """A model to convert has no float twin to convert from."""


def is_integer_model(tflite_path: Path) -> bool:
    """Whether a LiteRT file's convolutions hold int8 weights (already converted)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(tflite_path))
    dtypes = {tensor["index"]: tensor["dtype"] for tensor in interpreter.get_tensor_details()}
    kernels = [op["inputs"][1] for op in interpreter._get_ops_details() if op["op_name"] == "CONV_2D"]
    return bool(kernels) and all(dtypes[kernel] == np.int8 for kernel in kernels)


def yes_no_from_tflite(tflite_path: Path):
    """The Keras network of :func:`recognizer.pieces_train.build_piece_model` with the weights of a
    float LiteRT file of it (LiteRT keeps convolution kernels as out x h x w x in and dense
    kernels as out x in; Keras as h x w x in x out and in x out)."""
    from ai_edge_litert.interpreter import Interpreter

    from recognizer.pieces_train import build_piece_model

    interpreter = Interpreter(model_path=str(tflite_path))
    interpreter.allocate_tensors()
    weights = []
    for op in interpreter._get_ops_details():
        if op["op_name"] in ("CONV_2D", "FULLY_CONNECTED"):
            kernel = interpreter.get_tensor(op["inputs"][1])
            if kernel.dtype != np.float32:
                raise QuantizeError(f"{tflite_path}: already in 8 bits, and its float twin is missing")
            bias = op["inputs"][2]  # -1: none (all zero, folded away by the converter)
            bias = interpreter.get_tensor(bias) if bias >= 0 else np.zeros(len(kernel), np.float32)
            kernel = kernel.transpose(1, 2, 3, 0) if op["op_name"] == "CONV_2D" else kernel.T
            weights.append([kernel, bias])
    model = build_piece_model()
    layers = [layer for layer in model.layers if layer.weights]
    if len(layers) != len(weights):
        raise QuantizeError(f"{tflite_path}: not the yes/no network ({len(weights)} weighted layers)")
    for layer, pair in zip(layers, weights, strict=True):
        layer.set_weights(pair)
    return model


def _float_twin(models: Path, name: str):
    """``name``.keras in ``models``; for a yes/no network shipped without one, made from its
    float ``name``.tflite and saved."""
    import keras

    keras_path = models / f"{name}.keras"
    if keras_path.is_file():
        return keras.models.load_model(keras_path, compile=False)
    if name == "digits":
        raise QuantizeError(f"{keras_path}: not found")
    model = yes_no_from_tflite(models / f"{name}.tflite")
    model.save(keras_path)
    log.info("wrote %s from %s.tflite", keras_path, name)
    return model


def calibration_examples(name: str, data: DigitData) -> np.ndarray:
    """1,000 seeded uint8 28x28 examples of what network ``name`` reads in training."""
    from recognizer import pieces_train
    from recognizer.train import CALIBRATION_IMAGES, calibration_sample

    train_idx, _ = _training_split(data)
    images, labels = data.train_images[train_idx], data.train_labels[train_idx]
    if name == "digits":
        return calibration_sample(images, SEED)
    make = pieces_train.piece_examples if name == "pieces" else pieces_train.upright_examples
    return make(images, labels, CALIBRATION_IMAGES, np.random.default_rng(SEED))[0]


def quantize_shipped(models: Path, data: DigitData, names: tuple[str, ...] = NETWORKS) -> None:
    """Write ``models``/NAME.tflite for each name from its float twin, convolutions in int8, and
    say so in its card; the digit model's card also gets its test figures measured again through
    the new file (measured only: nothing is chosen by them) and the files' new hashes."""
    from recognizer.pieces_train import CARD_NAME, UPRIGHT_CARD_NAME
    from recognizer.train import CARD_NAME as DIGIT_CARD_NAME
    from recognizer.train import export_tflite, measure_on_test, serving_format, write_card

    cards = {"digits": DIGIT_CARD_NAME, "pieces": CARD_NAME, "upright": UPRIGHT_CARD_NAME}
    for name in names:
        model = _float_twin(models, name)
        if tuple(model.input_shape[1:]) != INPUT_SHAPE:
            raise QuantizeError(f"{name}: unexpected input {model.input_shape}")
        export_tflite(model, models / f"{name}.tflite", calibration=calibration_examples(name, data))
        log.info("wrote %s with int8 convolutions", models / f"{name}.tflite")
        card_path = models / cards[name]
        if not card_path.is_file():
            continue
        card = json.loads(card_path.read_text())
        card["serving"] = serving_format(f"{name}.tflite")
        if name == "digits":
            card["validation_right_served"] = _validation_right(models / f"{name}.tflite", data)
            measure_on_test(card, data, models / f"{name}.tflite", models)
            write_card(card, models)
        else:
            card_path.write_text(json.dumps(card, indent=2) + "\n")


def _training_split(data: DigitData) -> tuple[np.ndarray, np.ndarray]:
    """The training and validation indices every shipped network was trained with."""
    from recognizer.train import TrainConfig

    config = TrainConfig()
    return validation_split(data.train_labels, config.validation_fraction, config.split_seed)


def _validation_right(tflite_path: Path, data: DigitData) -> str:
    """How many of the held-out validation images the LiteRT file reads right, as "N of M"."""
    from recognizer.classifier import DigitClassifier

    _, val_idx = _training_split(data)
    predicted = DigitClassifier(tflite_path).classify_all(data.train_images[val_idx]).argmax(axis=1)
    return f"{int((predicted == data.train_labels[val_idx]).sum())} of {len(val_idx)}"
