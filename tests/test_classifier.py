"""The LiteRT serving classifier: input checks, thread safety, no TensorFlow, the shipped model."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, render_digits

from recognizer.classifier import SHIPPED_MODEL, DigitClassifier, ModelError, as_model_input
from recognizer.data import sha256_of


@pytest.fixture(scope="module")
def classifier() -> DigitClassifier:
    return DigitClassifier()


@pytest.mark.parametrize(
    ("digits", "error", "message"),
    [
        (np.zeros((28, 27), np.uint8), ValueError, "must have shape"),
        (np.zeros((2, 3, 28, 28), np.uint8), ValueError, "must have shape"),
        (np.zeros((2, 28, 28, 3), np.uint8), ValueError, "must have shape"),
        (np.zeros((28, 28), np.int32), TypeError, "uint8"),
        (np.zeros((28, 28), np.float16), TypeError, "uint8"),
        (np.full((28, 28), 255.0, np.float32), ValueError, "0..1"),
        (np.full((28, 28), np.nan, np.float32), ValueError, "NaN"),
        ([[0] * 28] * 28, TypeError, "numpy array"),
    ],
)
def test_wrong_inputs_are_refused_clearly(classifier, digits, error, message) -> None:
    with pytest.raises(error, match=message):
        classifier.predict(digits)


def test_accepted_layouts_give_the_same_answer(classifier) -> None:
    images, _ = render_digits(4, seed=3)
    as_uint8 = classifier.probabilities(images)
    as_float = classifier.probabilities(images.astype(np.float64) / 255.0)
    with_channel = classifier.probabilities(images[..., None])
    np.testing.assert_allclose(as_uint8, as_float, atol=1e-6)
    np.testing.assert_allclose(as_uint8, with_channel, atol=1e-6)
    single = classifier.probabilities(images[0])
    np.testing.assert_allclose(single[0], as_uint8[0], atol=1e-5)
    assert as_model_input(images).shape == (4, 28, 28, 1)


def test_empty_batch_gives_empty_result(classifier) -> None:
    assert classifier.probabilities(np.zeros((0, 28, 28), np.uint8)).shape == (0, 10)
    assert classifier.predict(np.zeros((0, 28, 28), np.uint8)) == []


def test_predictions_carry_confidence_and_top3(classifier) -> None:
    images, _ = render_digits(3, seed=4)
    for prediction in classifier.predict(images):
        assert prediction.digit == prediction.top3[0][0]
        assert prediction.confidence == pytest.approx(prediction.top3[0][1])
        assert len({digit for digit, _ in prediction.top3}) == 3
        probabilities = [p for _, p in prediction.top3]
        assert probabilities == sorted(probabilities, reverse=True)


def test_concurrent_calls_match_serial_ones(classifier) -> None:
    images, _ = render_digits(64, seed=5)
    batches = [images[i : i + n] for i, n in zip(range(0, 64, 8), [1, 8, 3, 8, 5, 8, 2, 8], strict=True)]
    expected = [classifier.probabilities(batch) for batch in batches]
    results: dict[int, list[np.ndarray]] = {}

    def worker(slot: int) -> None:
        results[slot] = [classifier.probabilities(batch) for batch in batches for _ in range(5)][::5]

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for got in results.values():
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-6)


def test_digits_asked_again_are_answered_as_the_network_answers_them() -> None:
    images, _ = render_digits(6, seed=6)
    forgetful = DigitClassifier(cache_rows=3)
    expected = forgetful.classify_all(images)  # (the network itself: nothing remembered)
    assert len(forgetful._remembered) == 0
    asked = images[[0, 1, 0, 2, 1, 0]]
    np.testing.assert_array_equal(forgetful.probabilities(asked), expected[[0, 1, 0, 2, 1, 0]])
    for order in ([3, 4, 5, 0], [5, 0, 1, 2, 3, 4], [2, 2, 2]):
        np.testing.assert_array_equal(forgetful.probabilities(images[order]), expected[order])
        assert len(forgetful._remembered) <= 3
    # the oldest are forgotten first: the last three asked are remembered
    assert set(forgetful._remembered) == {
        hashlib.blake2b(row, digest_size=16).digest() for row in as_model_input(images[[3, 4, 2]])
    }


def test_missing_or_corrupt_model_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        DigitClassifier(tmp_path / "nope.tflite")
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"this is not a flatbuffer" * 10)
    with pytest.raises(ModelError, match="not a valid LiteRT model"):
        DigitClassifier(broken)


def test_serving_path_never_imports_tensorflow() -> None:
    code = (
        "import sys, numpy as np\n"
        "from recognizer import DigitClassifier\n"
        "DigitClassifier().predict(np.zeros((2, 28, 28), np.uint8))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "[]"


def test_shipped_model_card_matches_the_files() -> None:
    card = json.loads((SHIPPED_MODEL.parent / "model-card.json").read_text())
    for name, digest in card["files"].items():
        assert sha256_of(SHIPPED_MODEL.parent / name) == digest, name
    total = sum((SHIPPED_MODEL.parent / name).stat().st_size for name in card["files"])
    assert total < 10_000_000


# The foundation issue asks for 99.65%; version 1.0.0 measures 99.61% (see models/README.md).
# This floor catches a regression; raise it when a better model ships.
ACCURACY_FLOOR = 0.996


def test_shipped_model_accuracy_on_mnist_test_matches_its_card(classifier, mnist_test) -> None:
    images, labels = mnist_test
    accuracy = float((classifier.classify_all(images).argmax(axis=1) == labels).mean())
    card = json.loads((SHIPPED_MODEL.parent / "model-card.json").read_text())
    assert accuracy == pytest.approx(card["test_accuracy"], abs=1e-9)
    assert accuracy >= ACCURACY_FLOOR
