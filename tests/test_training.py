"""A tiny real training run: the model builds, trains, exports, and its two formats agree."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import render_digits

from recognizer.classifier import DigitClassifier
from recognizer.data import DigitData, sha256_of
from recognizer.evaluate import keras_probabilities
from recognizer.quantize import is_integer_model
from recognizer.train import TrainConfig, train


@pytest.fixture(scope="module")
def tiny_data() -> DigitData:
    train_x, train_y = render_digits(400, seed=11)
    test_x, test_y = render_digits(100, seed=12)
    return DigitData(train_x, train_y, test_x, test_y, "rendered", {"rendered": "0" * 64})


@pytest.fixture(scope="module")
def tiny_run(tiny_data, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("tiny")
    card = train(tiny_data, out, TrainConfig(epochs=1, batch_size=32, seed=5, version="test"), verbose=0)
    return out, card


@pytest.mark.parametrize(
    ("architecture", "parameters"), [("baseline", 887_530), ("bn", 888_874), ("strided", 326_826)]
)
def test_model_shapes(architecture: str, parameters: int) -> None:
    from recognizer.model import build_model

    model = build_model(architecture)
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    assert model.count_params() == parameters


def test_unknown_architecture_is_refused() -> None:
    from recognizer.model import build_model

    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("resnet")


def test_tiny_run_writes_model_card_and_pictures(tiny_run) -> None:
    out, _ = tiny_run
    for name in (
        "digits.keras",
        "digits.tflite",
        "model-card.json",
        "training-curves.png",
        "confusion-matrix.png",
    ):
        assert (out / name).stat().st_size > 0, name
    saved = json.loads((out / "model-card.json").read_text())
    assert saved["files"]["digits.tflite"] == sha256_of(out / "digits.tflite")
    assert saved["files"]["digits.keras"] == sha256_of(out / "digits.keras")
    assert saved["training"]["epochs_run"] == 1
    assert saved["training"]["config"]["seed"] == 5
    assert saved["data"]["checksums_sha256"] == {"rendered": "0" * 64}
    assert saved["data"]["train_samples"] + saved["data"]["validation_samples"] == 400
    assert 0.0 <= saved["test_accuracy"] <= 1.0 and saved["parameters"] == 888_874
    # The shipped .keras has no optimizer state: roughly the size of the weights alone.
    assert (out / "digits.keras").stat().st_size < 4_000_000


def test_the_served_model_computes_in_int8_and_agrees_with_its_float_twin(tiny_run, tiny_data) -> None:
    out, card = tiny_run
    assert is_integer_model(out / "digits.tflite") and "int8" in card["serving"]
    lite = DigitClassifier(out / "digits.tflite").classify_all(tiny_data.test_images)
    reference = keras_probabilities(out / "digits.keras", tiny_data.test_images)
    np.testing.assert_allclose(lite, reference, atol=0.02)
    assert (lite.argmax(1) == reference.argmax(1)).mean() >= 0.95
    np.testing.assert_allclose(lite.sum(axis=1), 1.0, atol=1e-5)  # a float softmax ...
    assert len(np.unique(lite)) > 256  # more values than an 8-bit output has


def test_same_seed_same_model_and_resume_continues(tiny_run, tiny_data, tmp_path: Path) -> None:
    first_out, _ = tiny_run
    again = tmp_path / "again"
    config = TrainConfig(epochs=1, batch_size=32, seed=5, version="test")
    train(tiny_data, again, config, verbose=0)
    a = DigitClassifier(first_out / "digits.tflite").classify_all(tiny_data.test_images)
    b = DigitClassifier(again / "digits.tflite").classify_all(tiny_data.test_images)
    np.testing.assert_allclose(a, b, atol=1e-6)

    config.epochs, config.resume = 2, True
    card = train(tiny_data, again, config, verbose=0)
    assert card["training"]["epochs_run"] == 2
    assert len(card["training"]["history"]["val_accuracy"]) == 2


def test_resume_keeps_the_best_checkpoint_unless_a_later_epoch_beats_it(tiny_data, tmp_path: Path) -> None:
    out = tmp_path / "run"
    config = TrainConfig(epochs=1, batch_size=32, seed=5, version="test")
    train(tiny_data, out, config, verbose=0)
    best = out / "checkpoints" / "best.keras"
    before = sha256_of(best)
    # the first epoch's validation accuracy, as the state remembers it, cannot be beaten
    state_path = out / "checkpoints" / "state.json"
    state = json.loads(state_path.read_text())
    state["history"]["val_accuracy"] = [1.0]
    state_path.write_text(json.dumps(state))

    config.epochs, config.resume = 2, True
    train(tiny_data, out, config, verbose=0)
    assert sha256_of(best) == before


def test_an_ensemble_averages_its_members_and_can_be_retrained(tiny_run, tiny_data, tmp_path: Path) -> None:
    """``hey-number ensemble``: the .keras output is the mean of the members' outputs, the 8-bit
    .tflite agrees with it, the card holds each member's validation figures, and the average
    is an ordinary model that ``/retrain`` can train further."""
    import keras

    from recognizer.ensemble import build_ensemble
    from recognizer.model import build_model

    trained = tiny_run[0] / "digits.keras"
    untrained = tmp_path / "untrained.keras"
    build_model("bn").save(untrained)
    card = build_ensemble([trained, untrained], tiny_data, tmp_path / "ensemble")

    images = tiny_data.test_images[..., None].astype(np.float32) / 255.0
    members = [
        keras.models.load_model(path, compile=False).predict(images, verbose=0)
        for path in (trained, untrained)
    ]
    average = keras_probabilities(tmp_path / "ensemble" / "digits.keras", tiny_data.test_images)
    np.testing.assert_allclose(average, (members[0] + members[1]) / 2, atol=1e-5)
    served = DigitClassifier(tmp_path / "ensemble" / "digits.tflite").classify_all(tiny_data.test_images)
    assert (served.argmax(axis=1) == average.argmax(axis=1)).mean() >= 0.95
    assert np.abs(served - average).max() < 0.1
    assert set(card["validation"]) == {str(trained), str(untrained), "average (keras)", "average (LiteRT)"}
    assert card["size_bytes"]["digits.tflite"] < card["size_bytes"]["digits.keras"] / 3  # 8-bit weights

    again = train(
        tiny_data,
        tmp_path / "retrained",
        TrainConfig(epochs=1, batch_size=32, seed=5, version="test"),
        initial_model=tmp_path / "ensemble" / "digits.keras",
        verbose=0,
    )
    assert again["parameters"] == card["parameters"]


def test_a_soup_is_one_network_with_the_mean_of_its_members_weights(
    tiny_run, tiny_data, tmp_path: Path
) -> None:
    """``hey-number ensemble --soup``: one network of the members' architecture (no slower than
    one), each weight the mean of the members' (batch-norm statistics too), served with int8
    convolutions; members of another shape are refused."""
    import keras

    from recognizer.ensemble import build_ensemble
    from recognizer.model import build_model

    trained = tiny_run[0] / "digits.keras"
    other = tmp_path / "other.keras"
    build_model("bn").save(other)  # (the tiny run's network, other weights)
    card = build_ensemble([trained, other], tiny_data, tmp_path / "soup", soup=True)

    soup = keras.models.load_model(tmp_path / "soup" / "digits.keras", compile=False)
    members = [keras.models.load_model(path, compile=False).get_weights() for path in (trained, other)]
    assert soup.count_params() == card["parameters"] == 888_874
    for mean, a, b in zip(soup.get_weights(), *members, strict=True):
        np.testing.assert_allclose(mean, (a + b) / 2, rtol=1e-6, atol=1e-7)
    assert is_integer_model(tmp_path / "soup" / "digits.tflite")
    assert "a soup" in card["architecture"]

    strided = tmp_path / "strided.keras"
    build_model("strided").save(strided)
    with pytest.raises(ValueError, match="same network"):
        build_ensemble([trained, strided], tiny_data, tmp_path / "mixed", soup=True)


def test_fine_tuning_can_keep_part_of_the_starting_model(tiny_run, tiny_data, tmp_path: Path) -> None:
    """With ``trained_share`` 0.5 the fine-tuned weights are averaged half and half with the
    starting model's (the same run otherwise: training is deterministic)."""
    import keras

    start = tiny_run[0] / "digits.keras"
    runs = {}
    for share in (1.0, 0.5):
        config = TrainConfig(epochs=1, batch_size=32, seed=6, version="test", trained_share=share)
        card = train(tiny_data, tmp_path / str(share), config, initial_model=start, verbose=0)
        runs[share] = keras.models.load_model(tmp_path / str(share) / "digits.keras").get_weights()
        assert ("validation_accuracy_before_blending" in card) == (share < 1.0)
    initial = keras.models.load_model(start).get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(initial, runs[1.0], strict=True))
    for a, b, half in zip(initial, runs[1.0], runs[0.5], strict=True):
        np.testing.assert_allclose(half, (a + b) / 2, rtol=1e-5, atol=1e-6)


def test_the_command_line_fine_tunes_a_trained_model_with_elastic_distortion(
    tiny_run, tmp_path: Path
) -> None:
    """``hey-number train --start-from M --augmentation elastic --trained-share 0.5`` starts from
    M's weights (its validation accuracy is where the run begins), averages the result with M's,
    and says so in the card."""
    from conftest import write_mnist_dir

    from recognizer.cli import main

    start = tiny_run[0] / "digits.keras"
    (tmp_path / "mnist").mkdir()
    data = write_mnist_dir(tmp_path / "mnist", train=400, test=100)
    out = tmp_path / "tuned"
    argv = ["train", "--data", str(data), "--epochs", "1", "--batch-size", "32", "--out", str(out)]
    tuning = ["--start-from", str(start), "--augmentation", "elastic", "--trained-share", "0.5"]
    assert main([*argv, *tuning]) == 0
    card = json.loads((out / "model-card.json").read_text())
    assert card["fine_tuned_from"] == str(start)
    assert card["training"]["config"]["trained_share"] == 0.5
    assert "validation_accuracy_before_blending" in card
    assert card["training"]["config"]["augmentation"] == "elastic"
    assert card["training"]["config"]["augmentation_ranges"]["elastic"]["elastic_probability"] > 0


def _float_yes_no_tflite(path: Path, seed: int) -> None:
    import keras

    from recognizer.pieces_train import build_piece_model
    from recognizer.train import export_tflite

    keras.utils.set_random_seed(seed)
    export_tflite(build_piece_model(), path)


def test_a_yes_no_network_is_read_back_from_float_litert_weight_for_weight(tiny_data, tmp_path: Path) -> None:
    from recognizer.quantize import yes_no_from_tflite

    _float_yes_no_tflite(tmp_path / "pieces.tflite", seed=3)
    model = yes_no_from_tflite(tmp_path / "pieces.tflite")
    images = tiny_data.test_images[:50]
    lite = DigitClassifier(tmp_path / "pieces.tflite").probabilities(images)
    np.testing.assert_allclose(model.predict(images[..., None] / 255.0, verbose=0), lite, atol=1e-5)


def test_quantize_writes_every_shipped_network_again_in_int8(tiny_run, tiny_data, tmp_path: Path) -> None:
    import shutil

    from recognizer.quantize import QuantizeError, quantize_shipped

    shutil.copy2(tiny_run[0] / "digits.keras", tmp_path / "digits.keras")
    for seed, name in enumerate(("pieces", "upright")):
        _float_yes_no_tflite(tmp_path / f"{name}.tflite", seed)
    before = DigitClassifier(tmp_path / "pieces.tflite").probabilities(tiny_data.test_images)
    quantize_shipped(tmp_path, tiny_data)
    for name in ("digits", "pieces", "upright"):
        assert is_integer_model(tmp_path / f"{name}.tflite"), name
        assert (tmp_path / f"{name}.keras").is_file(), name  # the float twin, to convert again from
    after = DigitClassifier(tmp_path / "pieces.tflite").probabilities(tiny_data.test_images)
    np.testing.assert_allclose(after, before, atol=0.05)

    (tmp_path / "pieces.keras").unlink()  # an int8 file alone cannot be converted again
    with pytest.raises(QuantizeError, match="float twin is missing"):
        quantize_shipped(tmp_path, tiny_data, ("pieces",))
    (tmp_path / "digits.keras").unlink()
    with pytest.raises(QuantizeError, match=r"digits\.keras: not found"):
        quantize_shipped(tmp_path, tiny_data, ("digits",))


def test_a_retrained_candidate_is_judged_on_the_validation_split_it_never_trained_on(tiny_data) -> None:
    """/retrain's gate measures the training set's held-out tenth, never the test set (which only
    measures), and none of it is among the images a retrain (even with ``--limit``) trains on."""
    from recognizer.retrain import validation_set
    from recognizer.train import _prepare

    def numbered(count: int, first: int) -> np.ndarray:  # each image tells its index
        images = np.zeros((count, 28, 28), np.uint8)
        images[:, 0, 0], images[:, 0, 1] = np.divmod(np.arange(first, first + count), 256)
        return images

    data = DigitData(
        numbered(400, 0), tiny_data.train_labels, numbered(100, 400), tiny_data.test_labels, "numbered", {}
    )
    images, labels = validation_set(data)
    trained, _, _, _ = _prepare(data, TrainConfig(limit=200))
    assert abs(len(labels) - 40) <= 1 and set(labels) == set(range(10))  # a stratified tenth of 400
    judged = {image.tobytes() for image in images}
    assert not judged & {image.tobytes() for image in trained}
    assert not judged & {image.tobytes() for image in data.test_images}
    assert judged <= {image.tobytes() for image in data.train_images}
