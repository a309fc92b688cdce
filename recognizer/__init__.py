"""hey-number's recognizer: photo → digits. Knows nothing of Telegram.

The path of a photo, one module per step: :mod:`recognizer.decode` → :mod:`recognizer.ink` (with
:mod:`recognizer.shade` and :mod:`recognizer.page`) → :mod:`recognizer.segment` →
:mod:`recognizer.normalise` → :mod:`recognizer.classifier` (LiteRT), tied together by
:mod:`recognizer.reader`. Training lives
beside it (:mod:`recognizer.data`, :mod:`recognizer.augment`, :mod:`recognizer.model`,
:mod:`recognizer.train`, :mod:`recognizer.evaluate`) and is the only code that imports TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recognizer.classifier import DigitClassifier, ModelError, Prediction
    from recognizer.decode import ImageError
    from recognizer.reader import DigitReading, Reading, Recognizer

# (imported when first asked for, not with the package: the steps' modules read their limits from
# the environment as they are imported, and ``python -m recognizer.cli`` loads .env before that)
_HOMES = {
    "DigitClassifier": "recognizer.classifier",
    "DigitReading": "recognizer.reader",
    "ImageError": "recognizer.decode",
    "ModelError": "recognizer.classifier",
    "Prediction": "recognizer.classifier",
    "Reading": "recognizer.reader",
    "Recognizer": "recognizer.reader",
}
__all__ = [
    "DigitClassifier",
    "DigitReading",
    "ImageError",
    "ModelError",
    "Prediction",
    "Reading",
    "Recognizer",
]


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'recognizer' has no attribute {name!r}")
