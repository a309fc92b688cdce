"""Shared fixtures: tiny IDX/CSV files written on the fly, rendered digits, the MNIST location."""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


def write_idx(path: Path, array: np.ndarray, magic: int, compress: bool = True) -> Path:
    """Write ``array`` (uint8) as an IDX file, gzip-compressed unless told otherwise."""
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


def render_digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Digits drawn with OpenCV's Hershey fonts, MNIST-style (white on black, 28x28), jittered."""
    rng = np.random.default_rng(seed)
    fonts = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX]
    images = np.zeros((count, 28, 28), np.uint8)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    for image, label in zip(images, labels, strict=True):
        font = fonts[rng.integers(len(fonts))]
        x, y = int(rng.integers(5, 9)), int(rng.integers(20, 24))
        cv2.putText(image, str(label), (x, y), font, 0.8, 255, int(rng.integers(2, 4)), cv2.LINE_AA)
    return images, labels


def write_mnist_dir(directory: Path, train: int, test: int) -> Path:
    """Write an MNIST-layout directory (the four IDX .gz files) of rendered digits."""
    train_x, train_y = render_digits(train, seed=1)
    test_x, test_y = render_digits(test, seed=2)
    write_idx(directory / "train-images-idx3-ubyte.gz", train_x, 2051)
    write_idx(directory / "train-labels-idx1-ubyte.gz", train_y, 2049)
    write_idx(directory / "t10k-images-idx3-ubyte.gz", test_x, 2051)
    write_idx(directory / "t10k-labels-idx1-ubyte.gz", test_y, 2049)
    return directory


@pytest.fixture
def idx_dir(tmp_path: Path) -> Path:
    """A valid MNIST-layout directory with 60 train and 20 test rendered digits."""
    return write_mnist_dir(tmp_path, train=60, test=20)


def mnist_location() -> Path | None:
    """The full MNIST directory: $HEY_NUMBER_MNIST_DIR, else ../shared/data/mnist beside the repo."""
    for candidate in (os.environ.get("HEY_NUMBER_MNIST_DIR"), REPO.parent / "shared" / "data" / "mnist"):
        if candidate and (Path(candidate) / "t10k-images-idx3-ubyte.gz").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def mnist():
    """Full MNIST, read once (skips where the data is not on this machine)."""
    from recognizer.data import load_idx_dir

    location = mnist_location()
    if location is None:
        pytest.skip("full MNIST not found: set HEY_NUMBER_MNIST_DIR")
    return load_idx_dir(location)


@pytest.fixture(scope="session")
def mnist_test(mnist):
    """The 10,000 MNIST test images and labels."""
    return mnist.test_images, mnist.test_labels
