"""hey-number's recognizer: photo → digits. Knows nothing of Telegram.

The path of a photo, one module per step: :mod:`recognizer.decode` → :mod:`recognizer.ink` (with
:mod:`recognizer.shade` and :mod:`recognizer.page`) → :mod:`recognizer.segment` →
:mod:`recognizer.normalise` → :mod:`recognizer.classifier` (LiteRT), tied together by
:mod:`recognizer.reader`. Training lives
beside it (:mod:`recognizer.data`, :mod:`recognizer.augment`, :mod:`recognizer.model`,
:mod:`recognizer.train`, :mod:`recognizer.evaluate`) and is the only code that imports TensorFlow.
"""

from recognizer.classifier import DigitClassifier, ModelError, Prediction
from recognizer.decode import ImageError
from recognizer.reader import DigitReading, Reading, Recognizer

__all__ = [
    "DigitClassifier",
    "DigitReading",
    "ImageError",
    "ModelError",
    "Prediction",
    "Reading",
    "Recognizer",
]
