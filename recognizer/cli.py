"""The ``hey-number`` command line: data-report, train, eval, read, to-csv, predict-csv.

The bot adds ``bot`` and ``run`` (:mod:`bot.cli`).

Every command reads ``.env`` first. Expected failures (a missing or corrupt data file, a missing
model) print one line on stderr and exit with status 2; there is no traceback for those.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dotenv import find_dotenv, load_dotenv

# .env (of the directory the command runs in) before anything of the recognizer: its modules read
# their limits from the environment as they are imported (``python -m recognizer.cli`` read them
# before .env, as ``hey-number`` once did: :mod:`bot.cli`)
load_dotenv(find_dotenv(usecwd=True))

from recognizer.classifier import SHIPPED_MODEL, ModelError  # noqa: E402
from recognizer.data import MNIST_DIR_ENV, DataError  # noqa: E402
from recognizer.model import ARCHITECTURES  # noqa: E402
from recognizer.train import AUGMENTATIONS  # noqa: E402

log = logging.getLogger("hey-number")
DATA_HELP = (
    f"MNIST IDX .gz directory, or Kaggle CSV file/directory (default: ${MNIST_DIR_ENV}, "
    "else Keras' own download)"
)


def cmd_data_report(args: argparse.Namespace) -> int:
    from recognizer.data import class_counts, load_digits
    from recognizer.metrics import plot_class_balance

    data = load_digits(args.data)
    splits = {"train": class_counts(data.train_labels)}
    if data.test_labels is not None:
        splits["test"] = class_counts(data.test_labels)
    print(f"source: {data.source}")
    print("digit  " + "  ".join(f"{name:>7}" for name in splits))
    for digit in range(10):
        row = "  ".join(f"{counts[digit]:>7}" for counts in splits.values())
        print(f"{digit:>5}  {row}")
    print("total  " + "  ".join(f"{sum(counts):>7}" for counts in splits.values()))
    for name, counts in splits.items():
        ratio = max(counts) / min(counts)
        print(f"{name}: smallest class {min(counts)}, largest {max(counts)}, ratio {ratio:.2f}")
    plot_class_balance(splits, Path(args.chart))
    print(f"bar chart: {args.chart}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from recognizer.data import load_digits
    from recognizer.train import TrainConfig, train

    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
        split_seed=args.split_seed,
        architecture=args.architecture,
        augmentation=args.augmentation,
        limit=args.limit,
        resume=args.resume,
        polish_epochs=args.polish_epochs,
        lr_decay_per_epoch=args.lr_decay,
        ema_momentum=args.ema_momentum,
        photo_fraction=args.photo_fraction,
        extra_note=args.note,
        trained_share=args.trained_share,
        penned_share=args.penned_share,
    )
    out = Path(args.out)
    card = train(load_digits(args.data), out, config, initial_model=args.start_from)
    print(f"validation accuracy: {card['validation_accuracy'] * 100:.2f}%")
    return _report_written(card, out, args.install)


def _report_written(card: dict, out: Path, install_it: bool) -> int:
    """The test figure (measured only), what was written, and the copy into models/ if asked."""
    from recognizer.train import install

    if "test_accuracy" in card:
        print(f"test accuracy (LiteRT): {card['test_accuracy'] * 100:.2f}%")
    print(f"wrote {out}/digits.keras, digits.tflite, model-card.json and the pictures")
    if install_it:
        install(out, SHIPPED_MODEL.parent)
        print(f"installed into {SHIPPED_MODEL.parent}")
    return 0


def cmd_ensemble(args: argparse.Namespace) -> int:
    from recognizer.data import load_digits
    from recognizer.ensemble import build_ensemble

    out = Path(args.out)
    members, data = [Path(m) for m in args.members], load_digits(args.data)
    card = build_ensemble(members, data, out, not args.no_quantize, soup=args.soup)
    for name, figures in card["validation"].items():
        total = card["data"]["validation_samples"]
        print(f"validation {name}: {figures['right']}/{total}, loss {figures['loss']}")
    return _report_written(card, out, args.install)


def cmd_train_pieces(args: argparse.Namespace) -> int:
    """``train-pieces`` ("one whole digit?") and ``train-upright`` ("upright?"): ``args.kind``."""
    import shutil

    from recognizer import pieces_train
    from recognizer.data import load_digits
    from recognizer.pieces import SHIPPED_PIECE_MODEL

    if args.kind == "upright":
        names = (pieces_train.UPRIGHT_TFLITE_NAME, pieces_train.UPRIGHT_CARD_NAME)
        train_it, question = pieces_train.train_upright_model, "upright or turned over"
    else:
        names = (pieces_train.TFLITE_NAME, pieces_train.CARD_NAME)
        train_it, question = pieces_train.train_piece_model, "one digit or not"
    out = Path(args.out)
    config = pieces_train.PieceTrainConfig(
        epochs=args.epochs,
        examples=args.examples,
        learning_rate=args.learning_rate,
        seed=args.seed,
        varied=getattr(args, "varied", False),
        start_from=args.start_from,
    )
    card = train_it(load_digits(args.data), out, config)
    print(f"validation accuracy ({question}): {card['validation_accuracy'] * 100:.2f}%")
    print(f"wrote {out / names[0]} and {out / names[1]}")
    if args.install:
        for name in (*names, pieces_train.keras_name(names[0])):
            shutil.copy2(out / name, SHIPPED_PIECE_MODEL.parent / name)
        print(f"installed into {SHIPPED_PIECE_MODEL.parent}")
    return 0


def cmd_quantize(args: argparse.Namespace) -> int:
    from recognizer.data import load_digits
    from recognizer.quantize import NETWORKS, quantize_shipped

    models, names = Path(args.models), tuple(args.only or NETWORKS)
    quantize_shipped(models, load_digits(args.data), names)
    print(f"wrote {', '.join(f'{name}.tflite' for name in names)} in {models}, convolutions in int8")
    card = json.loads((models / "model-card.json").read_text()) if "digits" in names else {}
    if "validation_right_served" in card:
        print(f"digits.tflite: validation images right {card['validation_right_served']}")
    if "test_accuracy" in card:
        print(f"digits.tflite: test accuracy (LiteRT, measured only) {card['test_accuracy'] * 100:.2f}%")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from recognizer.data import load_digits
    from recognizer.evaluate import evaluate
    from recognizer.metrics import format_summary

    model = Path(args.model)
    data = load_digits(args.data)
    if data.test_images is None:
        raise DataError(f"{data.source}: holds no labelled test set to measure on")
    keras_path = None if args.skip_keras else model.with_suffix(".keras")
    if keras_path is not None and not keras_path.is_file():
        print(f"note: {keras_path} not found, skipping the .keras comparison")
        keras_path = None
    result = evaluate(model, data.test_images, data.test_labels, keras_path)
    if args.json:
        summary = dict(result.summary, model=str(model))
        summary["keras_agreement"] = result.keras_agreement
        if result.degraded:
            summary["degraded_accuracy"] = result.degraded["accuracy"]
        print(json.dumps(summary))
        return 0
    print(format_summary(result.summary, f"{model} on {data.source} test set (LiteRT)"))
    if result.degraded:
        print(
            format_summary(result.degraded, "same test set, photo-like degraded copy (slant, stroke, blur)")
        )
    if result.keras_agreement is not None:
        print(
            f".keras vs .tflite: {result.keras_agreement * 100:.2f}% identical predictions, "
            f"largest probability gap {result.keras_max_probability_gap:.2e}"
        )
    return 0


def _reading_json(name: str, reading, seconds: float) -> dict:
    return {
        "file": name,
        "lines": reading.lines,
        "text": reading.text,
        "digits": [
            {"digit": d.digit, "confidence": d.confidence, "box": list(d.box), "line": d.line}
            for d in reading.digits
        ],
        "seconds": round(seconds, 4),
    }


def _read_all(recognizer, photos: list[str]):
    """Yield (photo, reading or None, error sentence or None, seconds) for each photo."""
    import time

    from recognizer.decode import ImageError

    for photo in photos:
        started = time.perf_counter()
        try:
            reading = recognizer.read(Path(photo))
        except ImageError as error:
            yield photo, None, str(error), time.perf_counter() - started
            continue
        except Exception:  # a bug of ours must not cost the user the other photos
            log.exception("reading %s failed", photo)
            yield photo, None, "Something went wrong reading this photo.", time.perf_counter() - started
            continue
        yield photo, reading, None, time.perf_counter() - started


def cmd_read(args: argparse.Namespace) -> int:
    from recognizer.reader import Recognizer

    recognizer = Recognizer.load(args.model)
    failures = 0
    chosen: list[str] = []
    annotate = Path(args.annotate) if args.annotate else None
    if annotate:
        annotate.mkdir(parents=True, exist_ok=True)
    for photo, reading, error, seconds in _read_all(recognizer, args.photos):
        if error is not None:
            failures += 1
            if args.json:
                print(json.dumps({"file": photo, "error": error}))
            else:
                print(f"{photo}: {error}")
            continue
        if annotate:
            (annotate / (Path(photo).stem + ".annotated.png")).write_bytes(reading.annotated())
        if args.one_digit_per_image:
            best = reading.largest_digit()
            chosen.append(str(best.digit) if best else "?")
        if args.json:
            print(json.dumps(_reading_json(photo, reading, seconds)))
        elif not args.one_digit_per_image:
            text = " / ".join(reading.lines) if reading.lines else "(no digits found)"
            print(f"{photo}: {text}   [{seconds * 1000:.0f} ms]")
    if args.one_digit_per_image:
        number = "".join(chosen)
        print(json.dumps({"text": number}) if args.json else number)
    return 1 if failures else 0


def cmd_to_csv(args: argparse.Namespace) -> int:
    from recognizer.reader import Recognizer

    recognizer = Recognizer.load(args.model)
    print(",".join(f"pixel{i}" for i in range(784)))
    failures = 0
    for photo, reading, error, _ in _read_all(recognizer, args.photos):
        if error is not None:
            failures += 1
            print(f"{photo}: {error}", file=sys.stderr)
            continue
        for digit in reading.digits:
            print(",".join(str(int(v)) for v in digit.pixels.ravel()))
    return 1 if failures else 0


def cmd_predict_csv(args: argparse.Namespace) -> int:
    from recognizer.classifier import DigitClassifier
    from recognizer.data import read_kaggle_csv

    images, _ = read_kaggle_csv(Path(args.csv), require_labels=False)
    predicted = DigitClassifier(args.model).classify_all(images).argmax(axis=1)
    print("ImageId,Label")
    for index, label in enumerate(predicted, start=1):
        print(f"{index},{label}")
    return 0


def build_parser(extend: Callable[[Any], None] | None = None) -> argparse.ArgumentParser:
    """The command line; ``extend`` may add sub-commands (the bot adds ``bot`` and ``run``)."""
    parser = argparse.ArgumentParser(prog="hey-number", description="Read handwritten phone numbers.")
    parser.add_argument(
        "--log-level", default=None, help="DEBUG, INFO, WARNING (default: $LOG_LEVEL or WARNING)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    report = commands.add_parser("data-report", help="class balance of the digit data, printed and as a PNG")
    report.add_argument("--data", help=DATA_HELP)
    report.add_argument("--chart", default="class-balance.png", help="where to write the bar chart")
    report.set_defaults(handler=cmd_data_report)

    train = commands.add_parser("train", help="train the digit CNN; writes .keras, .tflite, model card, PNGs")
    train.add_argument("--data", help=DATA_HELP)
    train.add_argument("--epochs", type=int, default=20)
    train.add_argument("--out", default="runs/latest", help="output directory (checkpoints go inside)")
    train.add_argument("--seed", type=int, default=1, help="weights, batch order and augmentation")
    train.add_argument("--split-seed", type=int, default=1, help="which 10%% is held out for validation")
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--lr-decay", type=float, default=0.85, help="learning-rate factor per epoch")
    train.add_argument(
        "--ema-momentum", type=float, default=0.0, help="average the weights (e.g. 0.998; 0: off)"
    )
    train.add_argument(
        "--photo-fraction", type=float, default=0.3, help="share of epochs with photo-like extras"
    )
    train.add_argument("--note", default="", help="a sentence for the model card")
    train.add_argument("--architecture", choices=ARCHITECTURES, default="bn")
    train.add_argument("--augmentation", choices=AUGMENTATIONS, default="photo")
    train.add_argument(
        "--penned-share",
        type=float,
        help="with --augmentation penned or blurred: the share of digits written with a pen (0.5)",
    )
    train.add_argument(
        "--start-from", type=Path, help="fine-tune this trained .keras model instead of a new network"
    )
    train.add_argument(
        "--trained-share",
        type=float,
        default=1.0,
        help="with --start-from: keep this share of the fine-tuned weights, the rest the start's (WiSE-FT)",
    )
    train.add_argument("--limit", type=int, help="train on the first N samples only (quick trials)")
    train.add_argument(
        "--polish-epochs",
        type=int,
        default=0,
        help="after choosing the checkpoint on validation, this many low-rate epochs on all training "
        "images (measured to buy nothing; off by default)",
    )
    train.add_argument("--resume", action="store_true", help="continue from the last saved epoch in --out")
    train.add_argument("--install", action="store_true", help="copy the result into models/ when done")
    train.set_defaults(handler=cmd_train)

    ensemble = commands.add_parser(
        "ensemble", help="average trained models into one (.keras + .tflite + card)"
    )
    ensemble.add_argument("members", nargs="+", help="trained .keras models (same validation split)")
    ensemble.add_argument("--data", help=DATA_HELP)
    ensemble.add_argument("--out", default="runs/ensemble", help="output directory")
    ensemble.add_argument("--no-quantize", action="store_true", help="keep 32-bit weights in the .tflite")
    ensemble.add_argument(
        "--soup",
        action="store_true",
        help="average the weights into one network (fine-tunes of one model: no slower than one)",
    )
    ensemble.add_argument("--install", action="store_true", help="copy the result into models/")
    ensemble.set_defaults(handler=cmd_ensemble)

    # the reader's two small yes/no networks: (command, what it is for, epochs, examples, negatives)
    for kind, purpose, epochs, examples, negatives in (
        ("pieces", "the 'one whole digit?' network the reader cuts with", 8, 120_000, "not one digit"),
        (
            "upright",
            "the 'upright or turned over?' network the reader turns pages with",
            6,
            60_000,
            "turned over",
        ),
    ):
        network = commands.add_parser(f"train-{kind}", help=f"train {purpose}")
        network.add_argument("--data", help=DATA_HELP)
        network.add_argument("--epochs", type=int, default=epochs)
        network.add_argument(
            "--examples", type=int, default=examples, help=f"training examples (half {negatives})"
        )
        network.add_argument("--seed", type=int, default=1)
        network.add_argument("--learning-rate", type=float, default=1e-3, help="at the first epoch")
        network.add_argument("--start-from", help="a .keras network of the same shape to go on training")
        if kind == "pieces":
            network.add_argument(
                "--varied", action="store_true", help="draw the examples with varied pens and slants"
            )
        network.add_argument("--out", default=f"runs/{kind}", help="output directory")
        network.add_argument("--install", action="store_true", help="copy the result into models/")
        network.set_defaults(handler=cmd_train_pieces, kind=kind)

    quantize = commands.add_parser(
        "quantize", help="write the models' .tflite files again from their .keras twins, convolutions in int8"
    )
    quantize.add_argument("--data", help=DATA_HELP)
    quantize.add_argument("--models", default=str(SHIPPED_MODEL.parent), help="models directory")
    quantize.add_argument(
        "--only",
        nargs="+",
        choices=("digits", "pieces", "upright"),
        help="these networks only (default: all)",
    )
    quantize.set_defaults(handler=cmd_quantize)

    evaluate = commands.add_parser("eval", help="test accuracy, per digit, most confused pairs")
    evaluate.add_argument("--data", help=DATA_HELP)
    evaluate.add_argument("--model", default=str(SHIPPED_MODEL), help="a .tflite model (default: shipped)")
    evaluate.add_argument("--skip-keras", action="store_true", help="do not compare with the .keras twin")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(handler=cmd_eval)

    read = commands.add_parser("read", help="read the handwritten digits on photos")
    read.add_argument("photos", nargs="+", help="photo files (JPEG, PNG, ...)")
    read.add_argument("--json", action="store_true", help="one JSON object per photo")
    read.add_argument("--annotate", metavar="DIR", help="write each photo with its boxes and digits here")
    read.add_argument(
        "--one-digit-per-image",
        action="store_true",
        help="each photo holds one digit: print them as one number",
    )
    read.add_argument("--model", help="a .tflite model (default: shipped)")
    read.set_defaults(handler=cmd_read)

    to_csv = commands.add_parser("to-csv", help="normalised digits of photos as Kaggle pixel0..pixel783 rows")
    to_csv.add_argument("photos", nargs="+")
    to_csv.add_argument("--model", help="a .tflite model (default: shipped)")
    to_csv.set_defaults(handler=cmd_to_csv)

    predict_csv = commands.add_parser(
        "predict-csv", help="classify a Kaggle-format CSV: prints ImageId,Label"
    )
    predict_csv.add_argument("csv")
    predict_csv.add_argument("--model", help="a .tflite model (default: shipped)")
    predict_csv.set_defaults(handler=cmd_predict_csv)

    if extend:
        extend(commands)
    return parser


def configure_logging(level: str | None) -> None:
    """Log to stderr; keep httpx at WARNING (its INFO lines carry URLs with the bot token)."""
    import os

    logging.basicConfig(
        level=(level or os.environ.get("LOG_LEVEL") or "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


def main(argv: list[str] | None = None, extend: Callable[[Any], None] | None = None) -> int:
    args = build_parser(extend).parse_args(argv)
    configure_logging(args.log_level)
    try:
        return args.handler(args)
    except (DataError, ModelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
