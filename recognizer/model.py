"""The digit classifier's architecture (Keras). TensorFlow is imported inside the functions only.

``baseline`` is the classic Kaggle/Keras MNIST CNN named in the foundation issue; ``bn`` is the
same network with batch normalisation after every convolution and the dense layer, which
trains faster and generalises slightly better (see the model card for what each change bought).
Input: float32 ``(N, 28, 28, 1)`` in 0..1, white ink on black. Output: 10 softmax probabilities.
"""

from __future__ import annotations

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
ARCHITECTURES = ("baseline", "bn")


def build_model(architecture: str = "bn"):
    """Build (not compile) the CNN; ``architecture`` is one of :data:`ARCHITECTURES`."""
    import keras
    from keras import layers

    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}; choose from {ARCHITECTURES}")
    batch_norm = architecture == "bn"

    def conv(filters: int, size: int) -> list:
        block = [layers.Conv2D(filters, size, padding="same", use_bias=not batch_norm)]
        if batch_norm:
            block.append(layers.BatchNormalization())
        block.append(layers.Activation("relu"))
        return block

    dense = [layers.Dense(256, use_bias=not batch_norm)]
    if batch_norm:
        dense.append(layers.BatchNormalization())
    dense.append(layers.Activation("relu"))

    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="digits"),
            *conv(32, 5),
            *conv(32, 5),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            *conv(64, 3),
            *conv(64, 3),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            *dense,
            layers.Dropout(0.5),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name=f"digits_{architecture}",
    )
