"""Step 5a of reading a photo: is a piece of ink one whole digit?

The digit classifier answers "which digit" with near certainty even for two touching digits or
half a digit (it has only ever seen single digits). A second, small network answers "is this one
whole digit at all", trained on MNIST digits against touching pairs and fragments cut out of
them (``recognizer/pieces_train.py``). The reader uses it to choose between reading a wide piece
whole and cutting it. Serving path: LiteRT only, never TensorFlow; safe to call from threads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recognizer.classifier import DigitClassifier, ModelError

SHIPPED_PIECE_MODEL = Path(__file__).resolve().parent.parent / "models" / "pieces.tflite"

__all__ = ["SHIPPED_PIECE_MODEL", "ModelError", "PieceChecker"]


class PieceChecker(DigitClassifier):
    """A LiteRT "one whole digit?" model; ``one_digit()`` takes a batch of MNIST-style digits."""

    def __init__(self, model_path: str | Path | None = None, num_threads: int = 1) -> None:
        super().__init__(model_path or SHIPPED_PIECE_MODEL, num_threads)
        if tuple(self._output["shape"][1:]) != (1,):
            raise ModelError(f"{self.model_path}: not a one-digit model (output {self._output['shape']})")

    def one_digit(self, digits: np.ndarray) -> np.ndarray:
        """The probability, for each 28x28 digit of the batch, that it is one whole digit."""
        return self.probabilities(digits)[:, 0]
