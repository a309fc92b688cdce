"""/retrain, demonstrated: a writer whose continental 1s the shipped model reads as 7s, before and after.

1. A synthetic writer with a continental hand (1 with a long flag, crossed 7, open 4, slashed 0)
   writes ``--photos`` ten-digit phone numbers, each rendered as a photo
   (:func:`recognizer.synthetic.render_photo` with a bank of this writer's digits; no MNIST digit
   is drawn, and the MNIST test set is never trained on).
2. The serving (shipped) recognizer reads every photo. Where it found ten digits but got the
   number wrong, the user fixes it: the crops and the typed number go into a :class:`bot.store.Store`
   exactly as the bot's ✏️ Fix it flow stores them.
3. The real bot (:func:`bot.app.build_application`) runs against the local Bot API emulator
   (``tests/telegram_emulator.py``) and the admin sends one ``/retrain``: the bot exports the
   corrections, runs ``python -m recognizer.retrain`` on MNIST plus them, judges the candidate and
   promotes it or not. Its messages are printed as they arrive.
4. Before and after, on what was never trained on: MNIST validation accuracy (the gate's), MNIST
   test accuracy (10,000 images, LiteRT; measured only),
   digit accuracy on the held-out corrections (whole readings), exact numbers read from the
   held-out photos, and from the photos the shipped model already read right (no regressions).

    .venv/bin/python benchmarks/retrain_demo.py [--photos 300] [--epochs 1] [--limit 0] [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the Bot API emulator lives with the tests

from telegram_emulator import TelegramEmulator, polling  # noqa: E402

from bot import admin  # noqa: E402
from bot.app import build_application  # noqa: E402
from bot.handlers import Services  # noqa: E402
from bot.limits import RateLimiter  # noqa: E402
from bot.recognition import RecognitionService  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.speech import Speaker  # noqa: E402
from bot.store import DigitCrop, Store  # noqa: E402
from recognizer.classifier import DigitClassifier  # noqa: E402
from recognizer.data import resolve_source  # noqa: E402
from recognizer.normalise import to_mnist  # noqa: E402
from recognizer.reader import Recognizer  # noqa: E402
from recognizer.registry import ModelRegistry, held_out_mask  # noqa: E402
from recognizer.synthetic import DigitBank, PhotoOptions, random_phone_number, render_photo  # noqa: E402

ADMIN = 1
WRITER = 2
SAMPLES_PER_DIGIT = 150
GLYPH_PIXELS = 96
RETRAIN_TIMEOUT_SECONDS = 3 * 3600
QUIRKY = (0, 1, 4, 7)
SHOWN = ("sendMessage", "editMessageText", "sendPhoto")
VERDICTS = ("Promoted", "Not promoted", "failed", "final check", "No corrected digits")

Stroke = np.ndarray


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 28) -> Stroke:
    angles = np.deg2rad(np.linspace(start, end, n))
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)


def _bezier(p0, p1, p2, p3, n: int = 28) -> Stroke:
    t = np.linspace(0, 1, n)[:, None]
    p0, p1, p2, p3 = (np.asarray(p, float) for p in (p0, p1, p2, p3))
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3


def _line(*points: tuple[float, float]) -> Stroke:
    return np.array(points, float)


def _one(rng: np.random.Generator) -> list[Stroke]:
    """The continental 1: a long flag up to the top of the stem."""
    flag = (rng.uniform(0.0, 0.12), rng.uniform(0.28, 0.45))
    return [_line(flag, (0.45, 0.0), (0.45, 1.0))]


# The writer's digits as pen strokes in a box about 0.6 wide and 1 high (y grows downwards).
STROKES: dict[int, Callable[[np.random.Generator], list[Stroke]]] = {
    0: lambda rng: [_arc(0.3, 0.5, 0.27, 0.48, 0, 360, 40), _line((0.52, 0.1), (0.08, 0.9))],  # slashed
    1: _one,
    2: lambda rng: [
        np.vstack(
            [
                _arc(0.3, 0.27, 0.26, 0.25, 190, 360),
                _bezier((0.56, 0.27), (0.55, 0.5), (0.2, 0.75), (0.04, 1)),
            ]
        ),
        _line((0.04, 1.0), (0.6, 1.0)),
    ],
    3: lambda rng: [
        np.vstack([_arc(0.3, 0.26, 0.25, 0.24, 200, 450), _arc(0.3, 0.74, 0.28, 0.26, 270, 520)])
    ],
    4: lambda rng: [_line((0.36, 0.0), (0.04, 0.62), (0.62, 0.62)), _line((0.47, 0.28), (0.47, 1.0))],  # open
    5: lambda rng: [_line((0.56, 0.0), (0.12, 0.0), (0.09, 0.44)), _arc(0.3, 0.69, 0.27, 0.29, 230, 490)[6:]],
    6: lambda rng: [
        np.vstack(
            [
                _bezier((0.5, 0.0), (0.2, 0.15), (0.03, 0.45), (0.04, 0.72)),
                _arc(0.3, 0.72, 0.26, 0.27, 180, 540),
            ]
        )
    ],
    7: lambda rng: [
        _line((0.04, 0.03), (0.6, 0.03), (0.22, 1.0)),
        _line((0.16, 0.52), (0.56, 0.52)),
    ],  # crossed
    8: lambda rng: [_arc(0.3, 0.25, 0.22, 0.24, 90, 450), _arc(0.3, 0.73, 0.27, 0.26, -90, 270)],
    9: lambda rng: [_arc(0.3, 0.27, 0.26, 0.26, 0, 360), _line((0.56, 0.27), (0.5, 1.0))],
}


def writer_digit(digit: int, rng: np.random.Generator) -> np.ndarray:
    """One of the writer's digits, MNIST-style 28x28: slanted right, wobbly, varying pen width."""
    shear, turn, squeeze = rng.uniform(0.05, 0.3), np.deg2rad(rng.uniform(-5, 5)), rng.uniform(0.85, 1.15)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    matrix = rotation @ np.array([[squeeze, -shear], [0.0, 1.0]])
    strokes = [(s + rng.normal(0, 0.015, s.shape) - [0.3, 0.5]) @ matrix.T for s in STROKES[digit](rng)]
    every = np.vstack(strokes)
    low, high = every.min(axis=0), every.max(axis=0)
    scale = GLYPH_PIXELS / (high - low).max()
    margin = 12
    width, height = (np.ceil((high - low) * scale).astype(int) + 2 * margin).tolist()
    canvas = np.zeros((height, width), np.uint8)
    thickness = max(2, round(rng.uniform(0.07, 0.11) * GLYPH_PIXELS))
    for stroke in strokes:
        points = np.round(((stroke - low) * scale + margin) * 16).astype(np.int32)
        cv2.polylines(canvas, [points], False, 255, thickness, cv2.LINE_AA, 4)
    return to_mnist(((canvas > 100) * 255).astype(np.uint8))


def writer_bank(rng: np.random.Generator) -> DigitBank:
    digits = np.repeat(np.arange(10), SAMPLES_PER_DIGIT)
    return DigitBank(np.stack([writer_digit(int(d), rng) for d in digits]), digits)


def photo_options(rng: np.random.Generator) -> PhotoOptions:
    """Ordinary phone photos: a few papers and pens, a small turn, some shading, JPEG."""
    return PhotoOptions(
        paper=str(rng.choice(["white", "yellow", "ruled", "squared"])),
        ink=str(rng.choice(["blue", "black"])),
        rotation_degrees=float(rng.uniform(-5, 5)),
        shading=float(rng.uniform(0, 0.5)),
        jpeg_quality=int(rng.integers(75, 96)),
        digit_height=int(rng.integers(50, 90)),
        size=(1280, 960),
    )


def digits_only(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def collect(args: argparse.Namespace, store: Store) -> list[dict]:
    """Render and read the writer's photos; store the fixes of the misread ones. One record per photo."""
    rng = np.random.default_rng(args.seed)
    bank = writer_bank(rng)
    recognizer = Recognizer.load()
    photos = []
    for index in range(args.photos):
        written = random_phone_number(rng, 10)
        rendered = render_photo(bank, [written], rng, photo_options(rng))
        reading = recognizer.read(rendered.jpeg)
        truth = digits_only(written)
        record = {
            "index": index,
            "truth": truth,
            "read": reading.text,
            "jpeg": rendered.jpeg,
            "reading_id": None,
        }
        if reading.text != truth and len(reading.digits) == len(truth):
            reading_id = store.save_photo(WRITER, WRITER, rendered.jpeg, "photo")
            crops = [DigitCrop(i, str(d.digit), d.confidence, d.pixels) for i, d in enumerate(reading.digits)]
            store.record_reading(reading_id, reading.text, crops)
            store.save_correction(reading_id, WRITER, truth)  # the user's ✏️ Fix it
            record["reading_id"] = reading_id
        photos.append(record)
        if (index + 1) % 50 == 0:
            print(f"  read {index + 1}/{args.photos} photos", flush=True)
    return photos


async def _show_until_verdict(emulator: TelegramEmulator, state: admin.AdminState) -> None:
    """Print the bot's messages, edits and pictures to the admin until the job has ended."""
    printed, finished = 0, False
    deadline = time.monotonic() + RETRAIN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        calls = [c for c in emulator.calls() if c.method in SHOWN and c.params.get("chat_id") == ADMIN]
        for call in calls[printed:]:
            print(
                f"  bot → admin [{call.method}]: {call.params.get('text') or call.params.get('caption')}",
                flush=True,
            )
        printed = len(calls)
        texts = [c.params.get("text") or "" for c in calls if c.method == "sendMessage"]
        finished = finished or any(verdict in text for text in texts for verdict in VERDICTS)
        if finished and state.job is None:
            return
        await asyncio.sleep(0.5)
    raise TimeoutError("no verdict from /retrain")


async def one_retrain(args: argparse.Namespace, data_dir: Path) -> tuple[list[str], RecognitionService]:
    """Run the bot on the emulator, send /retrain, print its messages; the bot's messages and its
    recognition service afterwards (hot-swapped if the candidate was promoted)."""
    with TelegramEmulator() as emulator, Speaker() as speaker:
        settings = Settings(
            token=emulator.token,
            base_url=emulator.base_url,
            base_file_url=emulator.base_file_url,
            data_dir=data_dir,
            admin_ids=frozenset({ADMIN}),
            mnist_dir=resolve_source(args.mnist),
            retrain_epochs=args.epochs,
            retrain_limit=args.limit or None,
        )
        store = Store(data_dir)
        registry = ModelRegistry(data_dir / admin.MODELS_DIR)
        recognition = RecognitionService.load(registry.current().tflite)
        hey = Services(settings, recognition, speaker, store, RateLimiter(60), registry=registry)
        application = build_application(settings, hey)
        application.post_shutdown = None
        async with polling(application):
            state = admin.admin_state(application)
            emulator.user_sends_command(ADMIN, "/retrain")
            await _show_until_verdict(emulator, state)
            for number, call in enumerate(emulator.calls("sendPhoto", chat_id=ADMIN), start=1):
                (args.out / f"picture-{number}.png").write_bytes(call.files["photo"])
        store.close()
        messages = [c.params["text"] for c in emulator.calls("sendMessage", chat_id=ADMIN)]
    return messages, recognition


def exact(recognizer: Recognizer, photos: list[dict]) -> int:
    return sum(recognizer.read(p["jpeg"]).text == p["truth"] for p in photos)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="MNIST images to train on (0: all)")
    parser.add_argument("--mnist", help="MNIST directory (default: $HEY_NUMBER_MNIST_DIR)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "retrain-demo")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    data_dir = args.out / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)

    print(f"1. the writer writes {args.photos} phone numbers; the shipped model reads them", flush=True)
    with Store(data_dir) as store:
        photos = collect(args, store)
        images, labels, ids = store.labelled_digits("corrected")
    corrected = [p for p in photos if p["reading_id"] is not None]
    already_right = [p for p in photos if p["read"] == p["truth"]]
    held = held_out_mask(np.array([p["reading_id"] for p in corrected], np.int64))
    held_photos = [p for p, h in zip(corrected, held, strict=True) if h]
    print(
        f"   read right: {len(already_right)}; misread with ten digits found, so fixed by the user: "
        f"{len(corrected)} ({len(labels)} labelled digits); misread otherwise: "
        f"{len(photos) - len(already_right) - len(corrected)}"
    )

    print(f"2. the admin sends /retrain (RETRAIN_EPOCHS={args.epochs}, MNIST limit {args.limit or 'none'})")
    started = time.monotonic()
    messages, recognition = asyncio.run(one_retrain(args, data_dir))
    minutes = (time.monotonic() - started) / 60

    print("3. before and after, on images never trained on")
    registry = ModelRegistry(data_dir / admin.MODELS_DIR)
    serving_now = registry.current()
    promoted = not serving_now.shipped
    candidate = serving_now.directory if promoted else _newest_candidate(registry)
    card = json.loads((candidate / "model-card.json").read_text())
    summary: dict = {
        "photos": len(photos),
        "corrected_readings": len(corrected),
        "labelled_digits": len(labels),
        "retrain_minutes": round(minutes, 1),
        "candidate": candidate.name,
        "promoted": promoted,
        "retrain": card.get("retrain"),
    }
    held_digits = held_out_mask(ids)
    truth = labels[held_digits]
    for name, classifier in (
        ("before", DigitClassifier()),
        ("after", DigitClassifier(candidate / "digits.tflite")),
    ):
        predicted = classifier.classify_all(images[held_digits]).argmax(axis=1)
        quirky, ones, right = np.isin(truth, QUIRKY), truth == 1, predicted == truth
        summary[name] = {
            "held_out_digits": f"{right.sum()}/{len(truth)} ({right.mean():.1%})",
            "held_out_quirky_0147": f"{(predicted[quirky] == truth[quirky]).mean():.1%} of {quirky.sum()}",
            "held_out_ones": f"{(predicted[ones] == 1).mean():.1%} of {ones.sum()}",
        }
    # after a promotion, the bot's own hot-swapped recognizer reads the photos
    reader_after = recognition.recognizer if promoted else Recognizer.load(candidate / "digits.tflite")
    for name, reader in (("before", Recognizer.load()), ("after", reader_after)):
        summary[name]["held_out_photos_exact"] = f"{exact(reader, held_photos)}/{len(held_photos)}"
        summary[name]["already_right_photos_exact"] = f"{exact(reader, already_right)}/{len(already_right)}"
    recognition.close()
    shipped_card = json.loads((REPO / "models" / "model-card.json").read_text())
    for side, key, tested in (("before", "serving", shipped_card), ("after", "candidate", card)):
        figures = summary["retrain"][key]  # (what the gate judged by)
        judged = f"{figures['validation_accuracy']:.2%} of {figures['validation_count']:,}"
        summary[side]["mnist_validation"] = judged
        summary[side]["mnist_test"] = f"{tested['test_accuracy']:.2%} of 10,000 (measured only)"
    summary["bot_messages"] = messages
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: summary[k] for k in ("before", "after", "promoted", "retrain_minutes")}, indent=2))
    print(f"summary and the bot's pictures: {args.out}/")
    return 0


def _newest_candidate(registry: ModelRegistry) -> Path:
    return max(registry.candidates_dir.glob("*/model-card.json"), key=lambda p: p.stat().st_mtime).parent


if __name__ == "__main__":
    sys.exit(main())
