"""Measure a digit model on the MNIST test set, through the LiteRT serving path.

Optionally loads the matching ``.keras`` file too (this imports TensorFlow) and reports whether
the two formats agree digit for digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognizer import augment, metrics
from recognizer.classifier import DigitClassifier


@dataclass
class Evaluation:
    summary: dict
    degraded: dict | None = None
    keras_agreement: float | None = None
    keras_max_probability_gap: float | None = None


def keras_probabilities(keras_path: Path, images: np.ndarray) -> np.ndarray:
    """Probabilities from the ``.keras`` model (imports TensorFlow)."""
    import keras

    model = keras.models.load_model(keras_path, compile=False)
    return model.predict(images[..., None].astype(np.float32) / 255.0, batch_size=500, verbose=0)


def evaluate(
    model_path: Path,
    images: np.ndarray,
    labels: np.ndarray,
    keras_path: Path | None = None,
    degraded: bool = True,
) -> Evaluation:
    """Accuracy of ``model_path`` (LiteRT) on the test set and on its photo-like degraded copy
    (:func:`recognizer.augment.degraded_copy`), and, if given, its agreement with ``keras_path``."""
    classifier = DigitClassifier(model_path)
    probabilities = classifier.classify_all(images)
    result = Evaluation(metrics.summarise(labels, probabilities.argmax(axis=1)))
    if degraded:
        worse = classifier.classify_all(augment.degraded_copy(images)).argmax(axis=1)
        result.degraded = metrics.summarise(labels, worse)
    if keras_path is not None:
        reference = keras_probabilities(keras_path, images)
        result.keras_agreement = float((reference.argmax(1) == probabilities.argmax(1)).mean())
        result.keras_max_probability_gap = float(np.abs(reference - probabilities).max())
    return result
