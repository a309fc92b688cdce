"""Loading MNIST IDX and Kaggle CSV files, and the one-line errors for broken ones."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from conftest import render_digits, write_idx

from recognizer.cli import main
from recognizer.data import DataError, class_counts, load_digits, read_idx, validation_split


def test_idx_directory_loads_images_labels_and_checksums(idx_dir: Path) -> None:
    data = load_digits(idx_dir)
    assert data.train_images.shape == (60, 28, 28) and data.train_images.dtype == np.uint8
    assert data.test_images.shape == (20, 28, 28)
    np.testing.assert_array_equal(data.train_labels, render_digits(60, seed=1)[1])
    assert set(data.checksums) == {
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    }
    assert all(len(value) == 64 for value in data.checksums.values())


def test_uncompressed_idx_is_read_too(tmp_path: Path) -> None:
    images, _ = render_digits(3)
    path = write_idx(tmp_path / "plain", images, 2051, compress=False)
    np.testing.assert_array_equal(read_idx(path, 2051), images)


def test_environment_variable_names_the_directory(idx_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("HEY_NUMBER_MNIST_DIR", str(idx_dir))
    assert load_digits().source == str(idx_dir)


def _break(idx_dir: Path, name: str, content: bytes) -> None:
    (idx_dir / name).write_bytes(content)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("train-images-idx3-ubyte.gz", b"", "too short"),
        ("train-images-idx3-ubyte.gz", b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
        (
            "train-images-idx3-ubyte.gz",
            gzip.compress(b"\x00\x00\x08\x01" + b"\x00" * 20),
            "not an IDX images",
        ),
        (
            "train-images-idx3-ubyte.gz",
            gzip.compress(b"\x00\x00\x08\x03\x00\x00\x00\x3c\x00\x00\x00\x1c\x00\x00\x00\x1c" + b"\x00" * 99),
            "truncated or corrupt",
        ),
        (
            "t10k-labels-idx1-ubyte.gz",
            gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x05" + b"\x01" * 5),
            "5 labels for 20 images",
        ),
        (
            "t10k-labels-idx1-ubyte.gz",
            gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x14" + b"\x0c" * 20),
            "not a digit",
        ),
    ],
)
def test_broken_idx_files_name_the_file_and_the_fault(idx_dir, name, content, message) -> None:
    _break(idx_dir, name, content)
    with pytest.raises(DataError) as caught:
        load_digits(idx_dir)
    assert name in str(caught.value)
    assert message in str(caught.value)


def test_missing_idx_file_is_named(idx_dir: Path) -> None:
    (idx_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: missing"):
        load_digits(idx_dir)


def _write_csv(path: Path, images: np.ndarray, labels: np.ndarray | None) -> Path:
    header = ([] if labels is None else ["label"]) + [f"pixel{i}" for i in range(784)]
    rows = [",".join(header)]
    for index, image in enumerate(images):
        values = ([] if labels is None else [str(labels[index])]) + [str(v) for v in image.ravel()]
        rows.append(",".join(values))
    path.write_text("\n".join(rows) + "\n")
    return path


def test_kaggle_csv_file_loads(tmp_path: Path) -> None:
    images, labels = render_digits(12)
    data = load_digits(_write_csv(tmp_path / "train.csv", images, labels))
    np.testing.assert_array_equal(data.train_images, images)
    np.testing.assert_array_equal(data.train_labels, labels)
    assert data.test_images is None


def test_kaggle_directory_uses_a_labelled_test_csv_and_ignores_an_unlabelled_one(tmp_path: Path) -> None:
    images, labels = render_digits(12)
    _write_csv(tmp_path / "train.csv", images, labels)
    _write_csv(tmp_path / "test.csv", images[:4], None)
    assert load_digits(tmp_path).test_images is None
    _write_csv(tmp_path / "test.csv", images[:4], labels[:4])
    np.testing.assert_array_equal(load_digits(tmp_path).test_labels, labels[:4])


def test_binary_file_named_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    with pytest.raises(DataError, match="not a text CSV file"):
        load_digits(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("label,a,b\n1,2,3\n", "header is not"),
        ("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n3,1,2\n", "line 2 has 3 values"),
        ("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n3" + ",x" * 784 + "\n", "not an integer"),
        ("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n3" + ",300" * 784 + "\n", "0..255"),
        ("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n", "no data rows"),
        (",".join(f"pixel{i}" for i in range(784)) + "\n" + ",0" * 783 + ",0\n", "no 'label' column"),
    ],
)
def test_broken_csv_names_the_file_and_the_fault(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "digits.csv"
    path.write_text(text)
    with pytest.raises(DataError) as caught:
        load_digits(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_cli_prints_one_line_not_a_traceback(idx_dir: Path, capsys) -> None:
    _break(idx_dir, "train-labels-idx1-ubyte.gz", b"\x1f\x8bnot really gzip")
    assert main(["data-report", "--data", str(idx_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "train-labels-idx1-ubyte.gz" in err


def test_data_report_prints_counts_and_writes_a_chart(idx_dir: Path, tmp_path: Path, capsys) -> None:
    chart = tmp_path / "balance.png"
    assert main(["data-report", "--data", str(idx_dir), "--chart", str(chart)]) == 0
    out = capsys.readouterr().out
    counts = class_counts(render_digits(60, seed=1)[1])
    assert f"{7:>5}  {counts[7]:>7}" in out
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_validation_split_is_seeded_stratified_and_disjoint() -> None:
    labels = np.repeat(np.arange(10), 50).astype(np.uint8)
    train, val = validation_split(labels, 0.1, seed=7)
    _, again_val = validation_split(labels, 0.1, seed=7)
    np.testing.assert_array_equal(val, again_val)
    assert not set(train) & set(val) and len(train) + len(val) == 500
    assert class_counts(labels[val]) == [5] * 10
    assert not np.array_equal(val, validation_split(labels, 0.1, seed=8)[1])
