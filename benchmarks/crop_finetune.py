"""Fine-tune the shipped digit model on the reader's own crops, and measure each epoch on held-out
crops and on MNIST validation images (never on the test set).

The crops come from ``python -m recognizer.photo_crops``: training crops from photos of the model's
training-split digits, held-out crops from photos of its validation tenth (``--digits validation``).
Each epoch sees every MNIST training-split image and every training crop once, with the classic
jitter, at a learning rate falling by LR_DECAY per epoch, the weights averaged (EMA) as the shipped
model's were. Each epoch's model is saved as ``epochN.keras`` and ``epochN.tflite`` in ``--out``, to
be read by the benchmarks (``synthetic_photos.py --digits validation --model``, ``real_dev.py
--model``).

    .venv/bin/python -m recognizer.photo_crops --data ../shared/data/mnist --count 6000 --seed 21 \\
        --out crops-train.npz
    .venv/bin/python -m recognizer.photo_crops --data ../shared/data/mnist --count 1500 --seed 31 \\
        --digits validation --out crops-held-out.npz
    .venv/bin/python benchmarks/crop_finetune.py --data ../shared/data/mnist \\
        --train-crops crops-train.npz --held-out-crops crops-held-out.npz --epochs 4 --out runs/crop-finetune
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from recognizer import augment  # noqa: E402
from recognizer.data import load_digits  # noqa: E402
from recognizer.train import TrainConfig, export_tflite, validation_split  # noqa: E402

LEARNING_RATE = 1e-4
LR_DECAY = 0.7
EMA_MOMENTUM = 0.99
BATCH_SIZE = 128
SEED = 5


def _scaled(images: np.ndarray) -> np.ndarray:
    return images[..., None].astype(np.float32) / 255.0


def _right(model, images: np.ndarray, labels: np.ndarray) -> int:
    return int((model.predict(_scaled(images), batch_size=512, verbose=0).argmax(axis=1) == labels).sum())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", help="MNIST directory (default: $HEY_NUMBER_MNIST_DIR or Keras)")
    parser.add_argument("--train-crops", type=Path, required=True, help=".npz from recognizer.photo_crops")
    parser.add_argument(
        "--held-out-crops", type=Path, required=True, help="... made with --digits validation"
    )
    parser.add_argument("--start-from", type=Path, default=REPO / "models" / "digits.keras")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=LEARNING_RATE)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import keras

    keras.utils.set_random_seed(SEED)
    data = load_digits(args.data)
    config = TrainConfig()
    train, validation = validation_split(data.train_labels, config.validation_fraction, config.split_seed)
    with np.load(args.train_crops) as crops:
        images = np.concatenate([data.train_images[train], crops["images"]])
        labels = np.concatenate([data.train_labels[train], crops["labels"]]).astype(np.int64)
    with np.load(args.held_out_crops) as crops:
        held_out = crops["images"], crops["labels"]
    val = data.train_images[validation], data.train_labels[validation]
    print(f"training on {len(train)} MNIST images and {len(images) - len(train)} crops")

    model = keras.models.load_model(args.start_from, compile=False)
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate, use_ema=True, ema_momentum=EMA_MOMENTUM),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )

    def report(name: str) -> None:
        print(
            f"{name}: MNIST validation {_right(model, *val)}/{len(val[1])} right, "
            f"held-out crops {_right(model, *held_out)}/{len(held_out[1])} right",
            flush=True,
        )

    report("start")
    epoch_now = {"epoch": 0}

    class Batches(keras.utils.PyDataset):
        def __len__(self) -> int:
            return int(np.ceil(len(images) / BATCH_SIZE))

        def __getitem__(self, index: int):
            order = np.random.default_rng([SEED, epoch_now["epoch"]]).permutation(len(images))
            chosen = order[index * BATCH_SIZE : (index + 1) * BATCH_SIZE]
            rng = np.random.default_rng([SEED, epoch_now["epoch"], index])
            return _scaled(augment.augment_batch(images[chosen], rng, augment.BASELINE_AUGMENT)), labels[
                chosen
            ]

    class EachEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epoch_now["epoch"], self.started = epoch, time.monotonic()

        def on_epoch_end(self, epoch, logs=None):  # (after SwapEMAWeights: the averaged weights)
            report(f"epoch {epoch + 1} ({time.monotonic() - self.started:.0f} s)")
            args.out.mkdir(parents=True, exist_ok=True)
            self.model.save(args.out / f"epoch{epoch + 1}.keras")
            export_tflite(self.model, args.out / f"epoch{epoch + 1}.tflite")

    model.fit(
        Batches(workers=1, use_multiprocessing=False),
        epochs=args.epochs,
        verbose=0,
        callbacks=[
            keras.callbacks.LearningRateScheduler(lambda epoch, _: args.learning_rate * LR_DECAY**epoch),
            keras.callbacks.SwapEMAWeights(swap_on_epoch=True),
            EachEpoch(),
        ],
    )


if __name__ == "__main__":
    main()
