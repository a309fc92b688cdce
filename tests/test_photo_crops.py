"""Training digits as the reader sees them: crops of rendered photos, labelled with what was written."""

from __future__ import annotations

import numpy as np

from recognizer.photo_crops import photo_crops
from recognizer.reader import Recognizer
from recognizer.synthetic import split_bank


def test_validation_and_training_banks_do_not_share_an_image() -> None:
    labels = np.repeat(np.arange(10), 50)
    images = np.zeros((500, 28, 28), np.uint8)
    images[:, 0, 0], images[:, 0, 1] = np.divmod(np.arange(500), 256)  # each image's number

    def numbers(bank) -> set[int]:
        return {int(image[0, 0]) * 256 + int(image[0, 1]) for image in bank.images}

    train, validation = split_bank(images, labels, "train"), split_bank(images, labels, "validation")
    assert len(numbers(train)) == 450 and len(numbers(validation)) == 50
    assert not numbers(train) & numbers(validation)


def test_crops_are_labelled_with_the_written_digits(mnist_test) -> None:
    images, labels = mnist_test
    bank = split_bank(images, labels, "train")  # (test digits stand in for the training set here)
    crops, written, ids, counts = photo_crops(bank, Recognizer.load(), count=6, seed=3, first_id=500)
    assert counts["photos"] == 6 and 4 <= counts["used"] <= 6
    assert crops.shape == (len(written), 28, 28) and crops.dtype == np.uint8 and len(ids) == len(written)
    assert set(ids) <= set(range(500, 506)) and len(set(ids)) == counts["used"]
    assert len(written) >= 7 * counts["used"]  # phone numbers have 7 to 13 digits
    # the classifier agrees with the labels on nearly every crop: they are the digits written
    agreed = np.mean(Recognizer.load().classifier.probabilities(crops).argmax(axis=1) == written)
    assert agreed > 0.9
