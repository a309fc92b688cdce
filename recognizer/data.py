"""Step 0 (training side): load MNIST-style digit data.

Three sources, tried in this order:

* a directory of IDX ``.gz`` files (``train-images-idx3-ubyte.gz`` …), as LeCun distributed them;
* Kaggle digit-recognizer CSV files (``label,pixel0..pixel783``): a ``.csv`` path, or a directory
  holding ``train.csv`` and, optionally, a labelled ``test.csv``;
* Keras' own download, when no source is given (needs internet once).

Every problem with a file becomes a :class:`DataError` whose message names the file and what is
wrong with it, so the CLI can print one line instead of a traceback.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MNIST_DIR_ENV = "HEY_NUMBER_MNIST_DIR"
IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
IDX_IMAGES_MAGIC = 2051
IDX_LABELS_MAGIC = 2049
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class DataError(Exception):
    """A data file is missing, corrupt or not in the expected format."""


@dataclass
class DigitData:
    """Images are uint8 ``(N, 28, 28)``, white ink on black as in MNIST; labels are uint8 ``(N,)``."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray | None
    test_labels: np.ndarray | None
    source: str
    checksums: dict[str, str] = field(default_factory=dict)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_maybe_gzip(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            raise DataError(f"{path}: corrupt gzip data ({error})") from None
    return raw


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Read one IDX file (gzip or plain) and check its header against its size."""
    data = _read_maybe_gzip(path)
    if len(data) < 8:
        raise DataError(f"{path}: too short to be an IDX file ({len(data)} bytes)")
    magic = struct.unpack(">I", data[:4])[0]
    if magic != expected_magic:
        kind = "images" if expected_magic == IDX_IMAGES_MAGIC else "labels"
        raise DataError(f"{path}: not an IDX {kind} file (magic number {magic}, expected {expected_magic})")
    dims = data[3]
    header = 4 + 4 * dims
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{dims}I", data[4:header])
    expected = int(np.prod(shape))
    if len(data) - header != expected:
        raise DataError(
            f"{path}: header says {expected} bytes of data for shape {shape}, "
            f"file holds {len(data) - header} (truncated or corrupt)"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _find_idx(directory: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem, stem.replace("-idx", ".idx")):
        candidate = directory / name
        if candidate.is_file():
            return candidate
    raise DataError(f"{directory / (stem + '.gz')}: missing (expected MNIST IDX files here)")


def load_idx_dir(directory: Path) -> DigitData:
    """Load the four MNIST IDX files from ``directory``."""
    paths = {key: _find_idx(directory, stem) for key, stem in IDX_FILES.items()}
    arrays = {
        key: read_idx(path, IDX_IMAGES_MAGIC if key.endswith("images") else IDX_LABELS_MAGIC)
        for key, path in paths.items()
    }
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
            raise DataError(f"{paths[split + '_images']}: images are {images.shape[1:]}, not 28x28")
        if len(images) != len(labels):
            raise DataError(f"{paths[split + '_labels']}: {len(labels)} labels for {len(images)} images")
        if labels.size and labels.max() > 9:
            raise DataError(f"{paths[split + '_labels']}: label {labels.max()} is not a digit")
    return DigitData(
        train_images=arrays["train_images"],
        train_labels=arrays["train_labels"],
        test_images=arrays["test_images"],
        test_labels=arrays["test_labels"],
        source=str(directory),
        checksums={path.name: sha256_of(path) for path in paths.values()},
    )


def _csv_rows(path: Path, reader, require_labels: bool) -> tuple[list[np.ndarray], bool]:
    header = next(reader, None)
    if header is None:
        raise DataError(f"{path}: empty file, expected a header 'label,pixel0..pixel783'")
    header = [name.strip() for name in header]
    has_label = bool(header) and header[0] == "label"
    pixel_names = header[1:] if has_label else header
    if pixel_names != [f"pixel{i}" for i in range(PIXELS)]:
        raise DataError(f"{path}: header is not 'label,pixel0..pixel783' (Kaggle MNIST format)")
    if require_labels and not has_label:
        raise DataError(f"{path}: has no 'label' column")
    width = PIXELS + (1 if has_label else 0)
    rows = []
    for line_number, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != width:
            raise DataError(f"{path}: line {line_number} has {len(row)} values, expected {width}")
        try:
            values = np.array(row, dtype=np.int32)
        except (ValueError, OverflowError):
            raise DataError(f"{path}: line {line_number} holds a value that is not an integer") from None
        rows.append(values)
    return rows, has_label


def read_kaggle_csv(path: Path, require_labels: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a Kaggle digit-recognizer CSV (``label,pixel0..pixel783``; test files lack ``label``)."""
    try:
        with open(path, newline="") as handle:
            rows, has_label = _csv_rows(path, csv.reader(handle), require_labels)
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None
    except (UnicodeDecodeError, csv.Error):
        raise DataError(f"{path}: not a text CSV file") from None
    if not rows:
        raise DataError(f"{path}: no data rows")
    table = np.stack(rows)
    if table.min() < 0 or table[:, 1 if has_label else 0 :].max() > 255:
        raise DataError(f"{path}: pixel values must lie in 0..255")
    labels = None
    if has_label:
        labels = table[:, 0]
        if labels.max() > 9:
            raise DataError(f"{path}: label {labels.max()} is not a digit")
        labels = labels.astype(np.uint8)
        table = table[:, 1:]
    images = table.astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    return images, labels


def load_kaggle(path: Path) -> DigitData:
    """Load Kaggle CSV data: a single ``train.csv``-style file, or a directory holding one."""
    train_path = path / "train.csv" if path.is_dir() else path
    train_images, train_labels = read_kaggle_csv(train_path)
    test_images = test_labels = None
    checksums = {train_path.name: sha256_of(train_path)}
    test_path = train_path.with_name("test.csv")
    if path.is_dir() and test_path.is_file():
        images, labels = read_kaggle_csv(test_path, require_labels=False)
        if labels is not None:  # Kaggle's own test.csv is unlabelled: useless for measuring
            test_images, test_labels = images, labels
            checksums[test_path.name] = sha256_of(test_path)
    return DigitData(train_images, train_labels, test_images, test_labels, str(path), checksums)


def load_keras_download() -> DigitData:
    """Keras' own copy of MNIST (downloaded once into ``~/.keras/datasets``)."""
    from keras.datasets import mnist  # heavy import: only on this path

    try:
        (train_images, train_labels), (test_images, test_labels) = mnist.load_data()
    except Exception as error:  # network errors come in many types
        raise DataError(
            f"no MNIST directory given (--data or {MNIST_DIR_ENV}) and the Keras download failed: {error}"
        ) from None
    return DigitData(train_images, train_labels, test_images, test_labels, "keras.datasets.mnist")


def resolve_source(source: str | os.PathLike | None) -> Path | None:
    """The data source to use: the argument, else ``$HEY_NUMBER_MNIST_DIR``, else None (Keras)."""
    chosen = source or os.environ.get(MNIST_DIR_ENV)
    return Path(chosen).expanduser() if chosen else None


def load_digits(source: str | os.PathLike | None = None) -> DigitData:
    """Load digit data from an IDX directory, a Kaggle CSV (file or directory), or Keras."""
    path = resolve_source(source)
    if path is None:
        return load_keras_download()
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    if path.is_file():
        if path.suffix.lower() != ".csv":
            raise DataError(f"{path}: expected a directory of IDX files or a Kaggle .csv file")
        return load_kaggle(path)
    if (path / "train.csv").is_file() and not any(path.glob("train-images*")):
        return load_kaggle(path)
    return load_idx_dir(path)


def validation_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded, stratified split of training indices into (train, validation)."""
    rng = np.random.default_rng(seed)
    train_parts, val_parts = [], []
    for digit in range(10):
        indices = np.flatnonzero(labels == digit)
        rng.shuffle(indices)
        cut = round(len(indices) * fraction)
        val_parts.append(indices[:cut])
        train_parts.append(indices[cut:])
    return np.sort(np.concatenate(train_parts)), np.sort(np.concatenate(val_parts))


def class_counts(labels: np.ndarray) -> list[int]:
    """Number of samples of each digit 0..9."""
    return np.bincount(labels.astype(np.int64), minlength=10)[:10].tolist()
