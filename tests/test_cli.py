"""The hey-number command line: train and eval end to end on tiny data, and its failure modes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recognizer.cli import main
from recognizer.data import DataError, load_digits


def test_train_then_eval_from_the_command_line(idx_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert (
        main(["train", "--data", str(idx_dir), "--epochs", "1", "--batch-size", "16", "--out", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    assert "validation accuracy:" in printed and "test accuracy (LiteRT):" in printed
    card = json.loads((out / "model-card.json").read_text())
    assert card["data"]["source"] == str(idx_dir)

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
