"""The "upright?" network: its examples, a tiny training run, and the shipped model measured on
MNIST test digits (measuring only; it was trained on training digits)."""

from __future__ import annotations

import numpy as np
from conftest import render_digits

from recognizer.data import DigitData
from recognizer.normalise import to_mnist
from recognizer.orientation import UprightChecker
from recognizer.pieces_train import PieceTrainConfig, pen_mask, train_upright_model, upright_examples


def test_examples_are_digits_half_of_them_turned_over() -> None:
    images, labels = render_digits(100, seed=3)
    digits, answers = upright_examples(images, labels, 300, np.random.default_rng(1))
    assert digits.shape == (300, 28, 28) and digits.dtype == np.uint8
    assert 0.4 < answers.mean() < 0.6
    assert all(digit.any() for digit in digits)


def test_a_tiny_run_writes_a_model_the_checker_serves(tmp_path) -> None:
    images, labels = render_digits(200, seed=4)
    data = DigitData(images, labels, None, None, "rendered", {})
    train_upright_model(data, tmp_path, PieceTrainConfig(epochs=1, examples=200), verbose=0)
    assert (tmp_path / "upright-card.json").is_file()
    checker = UprightChecker(tmp_path / "upright.tflite")
    assert np.isfinite(checker.evidence(list(images[:5])))
    assert checker.evidence([]) == 0.0


def test_shipped_checker_tells_upright_digits_from_turned_ones(mnist_test) -> None:
    """On MNIST **test** digits: a page of ten digits as written looks upright, the same page
    turned over looks upside down, nearly always (0, 1 and 8 alone say little either way)."""
    images, _ = mnist_test
    rng = np.random.default_rng(6)
    masks = [pen_mask(images[i], rng) for i in range(1000)]
    upright = [to_mnist(mask) for mask in masks]
    turned = [to_mnist(np.rot90(mask, 2)) for mask in masks]
    checker = UprightChecker()
    pages = range(0, 1000, 10)
    assert np.mean([checker.evidence(upright[p : p + 10]) > 0 for p in pages]) > 0.97
    assert np.mean([checker.evidence(turned[p : p + 10]) < 0 for p in pages]) > 0.97


def test_the_command_line_trains_it(tmp_path) -> None:
    from conftest import write_mnist_dir

    from recognizer.cli import main

    (tmp_path / "mnist").mkdir()
    data = write_mnist_dir(tmp_path / "mnist", train=200, test=20)
    out = tmp_path / "upright"
    argv = ["train-upright", "--data", str(data), "--epochs", "1", "--examples", "200", "--out", str(out)]
    assert main(argv) == 0
    assert UprightChecker(out / "upright.tflite").evidence([np.zeros((28, 28), np.uint8)]) != 0.0
