"""hey-number's recognizer: photo → digits. Knows nothing of Telegram.

The path of a photo, one module per step: decode → find ink → segment → normalise to MNIST
style → classify (:mod:`recognizer.classifier`, LiteRT). Training lives beside it
(:mod:`recognizer.data`, :mod:`recognizer.augment`, :mod:`recognizer.model`,
:mod:`recognizer.train`, :mod:`recognizer.evaluate`) and is the only code that imports TensorFlow.
"""

from recognizer.classifier import DigitClassifier, ModelError, Prediction

__all__ = ["DigitClassifier", "ModelError", "Prediction"]
