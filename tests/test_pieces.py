"""The "one whole digit?" network: its examples, a tiny training run, and the shipped model
measured on MNIST test digits (measuring only; it was trained on training digits)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import render_digits

from recognizer.classifier import SHIPPED_MODEL, ModelError
from recognizer.data import DigitData
from recognizer.normalise import stroke_width, to_mnist
from recognizer.pieces import PieceChecker
from recognizer.pieces_train import (
    PieceTrainConfig,
    pen_mask,
    piece_examples,
    touching_pair,
    train_piece_model,
)


def test_examples_are_normalised_digits_half_of_them_whole() -> None:
    images, labels = render_digits(200, seed=3)
    pieces, answers = piece_examples(images, labels, 400, np.random.default_rng(1))
    assert pieces.shape == (400, 28, 28) and pieces.dtype == np.uint8
    assert set(np.unique(answers)) == {0, 1}
    assert 0.4 < answers.mean() < 0.6
    assert all(piece.any() for piece in pieces)  # no empty example


def test_a_tiny_run_writes_a_model_the_checker_serves(tmp_path) -> None:
    images, labels = render_digits(300, seed=4)
    data = DigitData(images, labels, None, None, "rendered", {})
    card = train_piece_model(data, tmp_path, PieceTrainConfig(epochs=1, examples=300), verbose=0)
    assert (
        json.loads((tmp_path / "pieces-card.json").read_text())["validation_examples"]
        == card["validation_examples"]
    )
    checker = PieceChecker(tmp_path / "pieces.tflite")
    whole = checker.one_digit(images[:5])
    assert whole.shape == (5,) and ((whole >= 0) & (whole <= 1)).all()
    assert checker.one_digit(np.zeros((0, 28, 28), np.uint8)).shape == (0,)


def test_varied_examples_are_drawn_with_thinner_and_thicker_pens_and_slants() -> None:
    images, _ = render_digits(1, seed=5)

    def spread(varied: bool) -> tuple[float, float]:
        """How much the pen's width (to the digit's height) and the lean vary over 40 drawings."""
        rng = np.random.default_rng(2)
        masks = [pen_mask(images[0], rng, varied) for _ in range(40)]
        widths = [stroke_width(mask) / mask.shape[0] for mask in masks]
        leans = [np.polyfit(*np.nonzero(mask), 1)[0] for mask in masks]  # columns per row
        return float(np.ptp(widths) / np.mean(widths)), float(np.ptp(leans))

    (plain_width, plain_lean), (varied_width, varied_lean) = spread(False), spread(True)
    assert varied_width > 2 * plain_width
    assert varied_lean > 3 * plain_lean


def test_a_run_goes_on_from_the_network_it_starts_from(tmp_path) -> None:
    """With nothing to learn (a learning rate of 0) the network written is the one started from."""
    images, labels = render_digits(200, seed=4)
    data = DigitData(images, labels, None, None, "rendered", {})
    train_piece_model(data, tmp_path / "first", PieceTrainConfig(epochs=1, examples=200), verbose=0)
    started = str(tmp_path / "first" / "pieces.keras")
    config = PieceTrainConfig(
        epochs=1, examples=200, learning_rate=0.0, seed=7, varied=True, start_from=started
    )
    card = train_piece_model(data, tmp_path / "second", config, verbose=0)
    assert card["config"]["start_from"] == started and card["config"]["varied"]
    fresh = train_piece_model(data, tmp_path / "fresh", replace(config, start_from=None), verbose=0)
    assert fresh["config"]["start_from"] is None
    import keras

    first, second, third = (
        keras.models.load_model(tmp_path / run / "pieces.keras").get_weights()
        for run in ("first", "second", "fresh")
    )
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, third, strict=True))


def test_the_digit_model_is_not_taken_for_a_piece_checker() -> None:
    with pytest.raises(ModelError, match="not a one-digit model"):
        PieceChecker(SHIPPED_MODEL)


def test_shipped_checker_tells_digits_from_touching_pairs(mnist_test) -> None:
    """On MNIST **test** digits (the checker never saw them): single digits are whole, two
    digits written into one another are not."""
    images, _ = mnist_test
    rng = np.random.default_rng(5)
    singles = np.stack([to_mnist(pen_mask(images[i], rng)) for i in range(500)])
    pairs = np.stack(
        [
            to_mnist(touching_pair(pen_mask(images[i], rng), pen_mask(images[i + 500], rng), rng))
            for i in range(500)
        ]
    )
    checker = PieceChecker()
    assert (checker.one_digit(singles) > 0.5).mean() > 0.95
    assert (checker.one_digit(pairs) < 0.5).mean() > 0.9
