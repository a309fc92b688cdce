"""Classify step: 28x28 MNIST-style digits → probabilities, with the LiteRT runtime.

This is the serving path: it imports ``ai_edge_litert`` only, never TensorFlow. One interpreter
is shared behind a lock, so a :class:`DigitClassifier` is safe to call from several threads.
A photo's reading classifies many crops more than once (a piece read whole and again as one part
of a cut, the same pieces found again at another ink bar or way up): the network's answers for
the last CACHE_ROWS distinct digits are remembered. LiteRT's answer for a digit does not depend on
the batch it came in (bit for bit), so a remembered answer is the one the network would give.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SIDE = 28
SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "models" / "digits.tflite"
CACHE_ROWS = 4096  # distinct digits whose answers are remembered (a photo asks for 20 to a few hundred)


class ModelError(Exception):
    """The model file is missing or cannot be loaded."""


@dataclass(frozen=True)
class Prediction:
    """The most likely digit, its probability, and the three best (digit, probability) pairs."""

    digit: int
    confidence: float
    top3: tuple[tuple[int, float], ...]


def as_model_input(digits: np.ndarray) -> np.ndarray:
    """Check a batch of digits and convert it to the model's float32 ``(N, 28, 28, 1)`` in 0..1.

    Accepts ``(28, 28)``, ``(N, 28, 28)`` or ``(N, 28, 28, 1)``; uint8 (0..255) or float (0..1),
    white ink on black like MNIST.
    """
    if not isinstance(digits, np.ndarray):
        raise TypeError(f"digits must be a numpy array, got {type(digits).__name__}")
    if digits.dtype == np.uint8:
        scaled = digits.astype(np.float32) / 255.0
    elif digits.dtype in (np.float32, np.float64):
        if digits.size and not np.isfinite(digits).all():
            raise ValueError("digits contain NaN or infinite values")
        if digits.size and (digits.min() < 0.0 or digits.max() > 1.0):
            raise ValueError("float digits must lie in 0..1 (uint8 digits in 0..255)")
        scaled = digits.astype(np.float32, copy=False)
    else:
        raise TypeError(f"digits must be uint8 (0..255) or float32/float64 (0..1), got {digits.dtype}")
    if scaled.ndim == 2:
        scaled = scaled[None]
    if scaled.ndim == 4 and scaled.shape[-1] == 1:
        scaled = scaled[..., 0]
    if scaled.ndim != 3 or scaled.shape[1:] != (SIDE, SIDE):
        raise ValueError(
            f"digits must have shape (28, 28), (N, 28, 28) or (N, 28, 28, 1), got {digits.shape}"
        )
    return np.ascontiguousarray(scaled[..., None])


class DigitClassifier:
    """A LiteRT digit model; ``probabilities()`` and ``predict()`` take a batch of digits."""

    def __init__(
        self, model_path: str | Path | None = None, num_threads: int = 1, cache_rows: int = CACHE_ROWS
    ) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.model_path = Path(model_path) if model_path else SHIPPED_MODEL
        if not self.model_path.is_file():
            raise ModelError(f"{self.model_path}: model file not found")
        try:
            self._interpreter = Interpreter(model_path=str(self.model_path), num_threads=num_threads)
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"{self.model_path}: not a valid LiteRT model ({error})") from None
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self._batch = int(self._input["shape"][0])
        self._lock = threading.Lock()
        self._cache_rows = cache_rows
        self._remembered: OrderedDict[bytes, np.ndarray] = OrderedDict()  # digest -> output row

    def probabilities(self, digits: np.ndarray) -> np.ndarray:
        """Softmax output ``(N, 10)`` for a batch of digits (see :func:`as_model_input`); each
        distinct digit not among the last ``cache_rows`` classified is run through the network."""
        batch = as_model_input(digits)
        if len(batch) == 0:
            return np.zeros((0, 10), np.float32)
        keys = [hashlib.blake2b(row, digest_size=16).digest() for row in batch]
        with self._lock:
            new = {key: index for index, key in enumerate(keys) if key not in self._remembered}
            if new:
                outputs = self._run(batch[list(new.values())])
                for key, output in zip(new, outputs, strict=True):
                    self._remembered[key] = output
            for key in keys:
                self._remembered.move_to_end(key)
            rows = np.stack([self._remembered[key] for key in keys])
            while len(self._remembered) > self._cache_rows:
                self._remembered.popitem(last=False)
            return rows

    def _run(self, batch: np.ndarray) -> np.ndarray:
        """The network's output for a checked batch (see :func:`as_model_input`); under the lock."""
        if len(batch) != self._batch:
            self._interpreter.resize_tensor_input(self._input["index"], list(batch.shape))
            self._interpreter.allocate_tensors()
            self._batch = len(batch)
        self._interpreter.set_tensor(self._input["index"], batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"]).copy()

    def predict(self, digits: np.ndarray) -> list[Prediction]:
        """The best digit, its confidence and the top-3 alternatives for each digit of the batch."""
        results = []
        for row in self.probabilities(digits):
            order = np.argsort(row)[::-1][:3]
            top3 = tuple((int(d), float(row[d])) for d in order)
            results.append(Prediction(digit=top3[0][0], confidence=top3[0][1], top3=top3))
        return results

    def classify_all(self, digits: np.ndarray, chunk: int = 1000) -> np.ndarray:
        """Probabilities for a large set (e.g. the 10,000 MNIST test images), in chunks, none of
        them remembered."""
        parts = []
        for start in range(0, len(digits), chunk):
            batch = as_model_input(digits[start : start + chunk])
            with self._lock:
                parts.append(self._run(batch))
        return np.concatenate(parts) if parts else np.zeros((0, 10), np.float32)
