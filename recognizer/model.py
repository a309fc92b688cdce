"""The digit classifier's architecture (Keras). TensorFlow is imported inside the functions only.

``baseline`` is the classic Kaggle/Keras MNIST CNN named in the foundation issue; ``bn`` is the
same network with batch normalisation after every convolution and the dense layer, which
trains faster and generalises slightly better (see the model card for what each change bought).
``strided`` is a deeper, narrower network with batch normalisation everywhere that downsamples
with learned 5×5 stride-2 convolutions instead of max pooling and ends in a 4×4 convolution
instead of a wide dense layer: a third of the parameters for about the same computation.
Input: float32 ``(N, 28, 28, 1)`` in 0..1, white ink on black. Output: 10 softmax probabilities.
"""

from __future__ import annotations

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
ARCHITECTURES = ("baseline", "bn", "strided")


def build_model(architecture: str = "bn"):
    """Build (not compile) the CNN; ``architecture`` is one of :data:`ARCHITECTURES`."""
    import keras
    from keras import layers

    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}; choose from {ARCHITECTURES}")
    if architecture == "strided":
        return _strided_model()
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


def _strided_model():
    """28×28 → Conv 32 3×3 ×2 → Conv 32 5×5 stride 2 → 12×12, dropout; the same with 64 filters →
    4×4; Conv 128 4×4 → 1×1; dropout; softmax. Batch normalisation after every convolution."""
    import keras
    from keras import layers

    def conv(filters: int, size: int, strides: int = 1, padding: str = "valid") -> list:
        return [
            layers.Conv2D(filters, size, strides=strides, padding=padding, use_bias=False),
            layers.BatchNormalization(),
            layers.Activation("relu"),
        ]

    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE, name="digits"),
            *conv(32, 3),
            *conv(32, 3),
            *conv(32, 5, strides=2, padding="same"),
            layers.Dropout(0.4),
            *conv(64, 3),
            *conv(64, 3),
            *conv(64, 5, strides=2, padding="same"),
            layers.Dropout(0.4),
            *conv(128, 4),
            layers.Flatten(),
            layers.Dropout(0.4),
            layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities"),
        ],
        name="digits_strided",
    )
