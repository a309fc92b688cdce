"""The hey-number command line: train and eval end to end on tiny data, and its failure modes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recognizer.cli import main
from recognizer.data import DataError, load_digits


def test_train_then_eval_from_the_command_line(idx_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    command = ["train", "--data", str(idx_dir), "--epochs", "1", "--batch-size", "16", "--out", str(out)]
    assert main([*command, "--polish-epochs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "validation accuracy:" in printed and "test accuracy (LiteRT):" in printed
    card = json.loads((out / "model-card.json").read_text())
    assert card["data"]["source"] == str(idx_dir)
    assert "1 more epochs on all 60 training images" in card["polish"]  # the optional second stage

    assert main(["eval", "--data", str(idx_dir), "--model", str(out / "digits.tflite")]) == 0
    report = capsys.readouterr().out
    assert "per digit:" in report
    assert ".keras vs .tflite: 100.00% identical predictions" in report

    assert main(["eval", "--data", str(idx_dir), "--model", str(out / "digits.tflite"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["count"] == 20 and result["keras_agreement"] == 1.0
    assert result["accuracy"] == pytest.approx(card["test_accuracy"])


def test_eval_with_a_missing_model_is_one_line(idx_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["eval", "--data", str(idx_dir), "--model", str(tmp_path / "none.tflite")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "none.tflite" in err


def test_missing_data_directory_is_one_line(tmp_path: Path, capsys) -> None:
    assert main(["data-report", "--data", str(tmp_path / "absent")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_keras_download_failure_is_a_data_error(monkeypatch) -> None:
    from keras.datasets import mnist

    def offline():
        raise OSError("network unreachable")

    monkeypatch.delenv("HEY_NUMBER_MNIST_DIR", raising=False)
    monkeypatch.setattr(mnist, "load_data", offline)
    with pytest.raises(DataError, match="Keras download failed: network unreachable"):
        load_digits(None)


def _rendered_photo(tmp_path: Path, mnist_test, lines: list[str], name: str, seed: int = 2) -> Path:
    import numpy as np

    from recognizer.synthetic import DigitBank, render_photo

    photo = render_photo(DigitBank(*mnist_test), lines, np.random.default_rng(seed))
    path = tmp_path / name
    path.write_bytes(photo.jpeg)
    return path


def test_read_json_and_an_unreadable_file(tmp_path: Path, mnist_test, capsys) -> None:
    good = _rendered_photo(tmp_path, mnist_test, ["416-555-0199"], "note.jpg")
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4 not a photo")
    annotated = tmp_path / "annotated"
    status = main(["read", str(good), str(bad), "--json", "--annotate", str(annotated)])
    assert status == 1  # one file failed
    first, second = (json.loads(line) for line in capsys.readouterr().out.strip().splitlines())
    assert first["file"] == str(good) and first["text"] == "4165550199" and first["lines"] == ["4165550199"]
    assert {"digit", "confidence", "box", "line"} <= set(first["digits"][0]) and first["seconds"] > 0
    assert second == {"file": str(bad), "error": second["error"]} and "PDF" in second["error"]
    assert (annotated / "note.annotated.png").read_bytes()[:4] == b"\x89PNG"


def test_one_digit_per_image_reads_photos_in_the_given_order(tmp_path: Path, mnist_test, capsys) -> None:
    photos = [
        str(_rendered_photo(tmp_path, mnist_test, [d], f"{i}.jpg", seed=i)) for i, d in enumerate("5307")
    ]
    assert main(["read", "--one-digit-per-image", *photos]) == 0
    assert capsys.readouterr().out.strip() == "5307"


def test_to_csv_then_predict_csv(tmp_path: Path, mnist_test, capsys, monkeypatch) -> None:
    photo = _rendered_photo(tmp_path, mnist_test, ["555 0147"], "note.jpg")
    assert main(["to-csv", str(photo)]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].startswith("pixel0,pixel1,") and len(rows) == 1 + 7
    assert all(len(row.split(",")) == 784 for row in rows[1:])
    csv_path = tmp_path / "new_data.csv"
    csv_path.write_text("\n".join(rows) + "\n")
    assert main(["predict-csv", str(csv_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "ImageId,Label"
    assert "".join(line.split(",")[1] for line in lines[1:]) == "5550147"


def test_an_unexpected_failure_on_one_photo_does_not_stop_the_others(
    tmp_path: Path, mnist_test, capsys, monkeypatch
):
    from recognizer.reader import Recognizer

    good = _rendered_photo(tmp_path, mnist_test, ["416-555-0199"], "good.jpg")
    cursed = _rendered_photo(tmp_path, mnist_test, ["555 0147"], "cursed.jpg")
    original = Recognizer.read

    def flaky(self, image):
        if str(image).endswith("cursed.jpg"):
            raise RuntimeError("a bug")
        return original(self, image)

    monkeypatch.setattr(Recognizer, "read", flaky)
    assert main(["read", "--json", str(cursed), str(good)]) == 1
    captured = capsys.readouterr()
    first, second = (json.loads(line) for line in captured.out.strip().splitlines())
    assert first["error"] == "Something went wrong reading this photo."
    assert second["text"] == "4165550199"


def test_quantize_from_the_command_line(idx_dir: Path, tmp_path: Path, capsys) -> None:
    from recognizer.quantize import is_integer_model

    out = tmp_path / "run"
    command = ["train", "--data", str(idx_dir), "--epochs", "1", "--batch-size", "16", "--out", str(out)]
    assert main(command) == 0
    (out / "digits.tflite").unlink()
    capsys.readouterr()
    assert main(["quantize", "--data", str(idx_dir), "--models", str(out), "--only", "digits"]) == 0
    printed = capsys.readouterr().out
    assert "wrote digits.tflite in" in printed and "validation images right" in printed
    assert is_integer_model(out / "digits.tflite")
    card = json.loads((out / "model-card.json").read_text())
    assert "int8" in card["serving"] and card["files"]["digits.tflite"]  # the new file's hash
    assert card["validation_right_served"].endswith(f"of {card['data']['validation_samples']}")

    (out / "digits.keras").unlink()
    assert main(["quantize", "--data", str(idx_dir), "--models", str(out), "--only", "digits"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "digits.keras: not found" in err
