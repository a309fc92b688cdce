"""Step 5b of reading a photo: which way up is the page, upright or upside down?

The digit classifier reads many digits about as surely upside down as upright (0, 1 and 8 are the
same either way, a 6 becomes a 9, a 5 still looks like a 5), and real handwriting reads less
surely than MNIST's either way up: so "which way up reads better" alone turns upright real pages
over (34 of 600 real cheque amounts, all wrongly; 1 with this network's evidence too). A third
small network, trained on MNIST training digits upright against the same digits turned 180°
(``recognizer/pieces_train.py``), answers "is this piece upright?". A page's evidence is the mean
log-odds of its pieces; the reader turns a page upside down only when its pieces look upside
down. Serving path: LiteRT only; safe from threads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recognizer.pieces import ModelError, PieceChecker

SHIPPED_UPRIGHT_MODEL = Path(__file__).resolve().parent.parent / "models" / "upright.tflite"
SURE_ODDS = 1e-4  # probabilities are clipped to [this, 1 - this] before taking log-odds

__all__ = ["SHIPPED_UPRIGHT_MODEL", "ModelError", "UprightChecker"]


class UprightChecker(PieceChecker):
    """A LiteRT "is this digit upright?" model; ``evidence()`` takes the normalised pieces of a
    page as read upright."""

    def __init__(self, model_path: str | Path | None = None, num_threads: int = 1) -> None:
        super().__init__(model_path or SHIPPED_UPRIGHT_MODEL, num_threads)

    def evidence(self, digits: list[np.ndarray]) -> float:
        """The mean log-odds that the pieces are upright: above 0 they look upright, below 0
        upside down; 0 when there are none."""
        if not digits:
            return 0.0
        upright = np.clip(self.probabilities(np.stack(digits))[:, 0], SURE_ODDS, 1 - SURE_ODDS)
        return float(np.mean(np.log(upright / (1 - upright))))
