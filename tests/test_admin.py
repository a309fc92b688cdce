"""Admin commands end to end: the real Application against the Bot API emulator, with real training
processes (``python -m recognizer.retrain``) on a tiny budget: a few hundred rendered digits as
"MNIST", one or two epochs, and corrections put in the store as the fix flow would."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pytest
from conftest import render_digits, write_mnist_dir
from PIL import Image
from telegram_emulator import Call, TelegramEmulator, polling

from bot import admin
from bot.app import build_application
from bot.handlers import COMMANDS, Services
from bot.limits import RateLimiter
from bot.recognition import RecognitionService
from bot.settings import Settings
from bot.speech import Speaker
from bot.store import DigitCrop, Store
from recognizer import Recognizer
from recognizer.data import sha256_of
from recognizer.registry import SHIPPED_DIR, ModelRegistry
from recognizer.synthetic import DigitBank, PhotoOptions, render_photo

pytest_plugins = ["emulator_fixtures"]

ADMIN = 4242
USER = 5150
TRAIN_TIMEOUT = 240.0  # one tiny retraining takes ~25 s on two busy cores (TensorFlow import included)
LIMIT = 300  # MNIST images per retraining
READINGS = 20  # corrected readings in the store, 10 digits each
SHIPPED_CARD = json.loads((SHIPPED_DIR / "model-card.json").read_text())
SHIPPED_LABEL = SHIPPED_CARD["version"]  # e.g. 1.1.0


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory) -> Path:
    """An MNIST-layout directory of rendered digits: 400 to train on, 200 to test on."""
    return write_mnist_dir(tmp_path_factory.mktemp("mnist"), train=400, test=200)


@pytest.fixture(scope="module")
def speaker() -> Speaker:
    with Speaker() as running:
        yield running


@pytest.fixture(scope="module", autouse=True)
def shipped_models_untouched() -> None:
    """Whatever the admin does, the shipped models/ directory is never written."""
    before = {path.name: sha256_of(path) for path in SHIPPED_DIR.iterdir() if path.is_file()}
    yield
    assert {path.name: sha256_of(path) for path in SHIPPED_DIR.iterdir() if path.is_file()} == before


def small_jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    pixels = np.random.default_rng(seed).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(buffer, format="JPEG")
    return buffer.getvalue()


def add_corrections(store: Store, readings: int = READINGS, seed: int = 9) -> None:
    """Readings whose 10 digit crops a user corrected (as the ✏️ Fix it flow stores them)."""
    images, labels = render_digits(readings * 10, seed=seed)
    for reading in range(readings):
        reading_id = store.save_photo(USER, USER, small_jpeg(reading), "photo")
        rows = range(reading * 10, reading * 10 + 10)
        crops = [DigitCrop(i, str((labels[r] + 1) % 10), 0.6, images[r]) for i, r in enumerate(rows)]
        store.record_reading(reading_id, "".join(c.digit for c in crops), crops)
        store.save_correction(reading_id, USER, "".join(str(labels[r]) for r in rows))


@asynccontextmanager
async def running_bot(
    emulator: TelegramEmulator, speaker: Speaker, data_dir: Path, mnist: Path, **overrides
) -> AsyncIterator[tuple[Services, admin.AdminState]]:
    settings = Settings(
        token=emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.base_file_url,
        data_dir=data_dir,
        admin_ids=frozenset({ADMIN}),
        mnist_dir=mnist,
        retrain_epochs=1,
        retrain_limit=LIMIT,
        **overrides,
    )
    store = Store(data_dir)
    store.update_settings(USER, voice=False)
    registry = ModelRegistry(data_dir / "models")
    recognition = RecognitionService.load(registry.current().tflite)  # each test its own: it is hot-swapped
    hey = Services(settings, recognition, speaker, store, RateLimiter(60), registry=registry)
    application = build_application(settings, hey)
    application.post_shutdown = None  # the speaker is shared by the module's tests
    try:
        async with polling(application):
            await application.post_init(application)
            yield hey, admin.admin_state(application)
            await admin.shutdown(application)
    finally:
        recognition.close()
        store.close()


async def sent(
    emulator: TelegramEmulator, fragment: str, chat_id: int = ADMIN, timeout: float = 20.0, since: int = 0
) -> str:
    """The text of the first message to ``chat_id`` containing ``fragment`` (waiting for it)."""

    def matches(call: Call) -> bool:
        return (
            call.method == "sendMessage"
            and call.params.get("chat_id") == chat_id
            and fragment in call.params["text"]
        )

    [call, *_] = await emulator.wait_for_async(matches, timeout=timeout, since=since)
    return call.params["text"]


async def until(condition: Callable[[], bool], timeout: float = TRAIN_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def counting(recognizer: Recognizer) -> list[object]:
    """Record every photo ``recognizer`` reads."""
    calls: list[object] = []
    read = recognizer.read

    def recorded(photo):
        calls.append(photo)
        return read(photo)

    recognizer.read = recorded
    return calls


def a_photo() -> bytes:
    bank = DigitBank(*render_digits(300, seed=4))
    options = PhotoOptions(size=(640, 480), digit_height=60)
    return render_photo(bank, ["416 555 0199"], np.random.default_rng(1), options).jpeg


def candidate_dirs(hey: Services) -> list[str]:
    folder = hey.registry.candidates_dir
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def version_dirs(hey: Services) -> list[str]:
    folder = hey.registry.versions_dir
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# --- who may ----------------------------------------------------------------------------------------


async def test_non_admins_get_a_polite_refusal_and_the_attempt_is_logged(
    emulator, speaker, tmp_path, tiny_mnist, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.admin")
    async with running_bot(emulator, speaker, tmp_path, tiny_mnist) as (hey, state):
        add_corrections(hey.store, readings=2)
        for count, command in enumerate(["/model", "/retrain", "/retrain cancel", "/rollback"], start=1):
            emulator.user_sends_command(USER, command)
            await emulator.wait_for_async("sendMessage", chat_id=USER, count=count, timeout=10)
        assert state.job is None and not candidate_dirs(hey)
        emulator.user_sends_command(ADMIN, "/retrain lots")
        assert "/retrain [epochs]" in await sent(emulator, "epochs")
        emulator.user_sends_command(ADMIN, "/retrain cancel")
        assert await sent(emulator, "No retraining") == admin.NOTHING_TO_CANCEL
        emulator.user_sends_command(ADMIN, "/rollback")
        assert "Nothing to roll back to" in await sent(emulator, "roll back")
    refusals = [call.params["text"] for call in emulator.calls("sendMessage", chat_id=USER)]
    assert refusals == [
        admin.REFUSED.format(command=c) for c in ("/model", "/retrain", "/retrain", "/rollback")
    ]
    logged = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert logged == [
        f"admin command {c} refused for user {USER}" for c in ("/model", "/retrain", "/retrain", "/rollback")
    ]
    menu = {c["command"] for c in emulator.calls("setMyCommands")[0].params["commands"]}
    assert not menu & {"model", "retrain", "rollback"} and len(menu) == len(COMMANDS)


async def test_retrain_without_corrections_says_there_is_nothing_to_learn(
    emulator, speaker, tmp_path, tiny_mnist
) -> None:
    async with running_bot(emulator, speaker, tmp_path, tiny_mnist) as (hey, state):
        emulator.user_sends_command(ADMIN, "/retrain")
        assert await sent(emulator, "No corrected digits") == admin.NO_CORRECTIONS
        assert state.job is None and not candidate_dirs(hey)


async def test_model_shows_the_serving_models_card(emulator, speaker, tmp_path, tiny_mnist) -> None:
    async with running_bot(emulator, speaker, tmp_path, tiny_mnist) as (hey, _):
        add_corrections(hey.store)
        emulator.user_sends_command(ADMIN, "/model")
        text = await sent(emulator, "Serving model")
    card, training = SHIPPED_CARD, SHIPPED_CARD["training"]
    lines = text.splitlines()
    assert lines[0] == f"Serving model {SHIPPED_LABEL} (shipped with the bot)"
    created = card["created"].replace("T", " ").replace("+00:00", " UTC")
    assert lines[1].startswith(f"Trained {created}: {training['epochs_run']} epochs")
    assert lines[1].endswith(f"on {card['data']['train_samples']:,} MNIST training images")
    assert lines[2] == f"MNIST test accuracy: {card['test_accuracy']:.2%} (10,000 images, LiteRT)"
    assert lines[3].startswith("Users' corrections: ") and "held-out digits" in lines[3]
    assert "of all 200" in lines[3]
    sizes = ", ".join(f"{name} {size / 1e6:.2f} MB" for name, size in card["size_bytes"].items())
    assert lines[4] == f"Size: {sizes}"


def test_a_soups_card_says_it_was_made_from_trained_networks() -> None:
    """A model made by ``hey-number ensemble --soup`` (1.4.0) trained nothing itself: /model says
    what it is the mean of, not "0 epochs"."""
    from bot.admin import _trained_line

    card = {
        "created": "2026-12-04T23:20:16+00:00",
        "members": ["a/digits.keras", "b/digits.keras"],
        "soup": True,
        "data": {"train_samples": 54001},
    }
    assert _trained_line(card) == (
        "Made 2026-12-04 23:20:16 UTC: the mean of 2 trained networks' weights, "
        "on 54,001 MNIST training images"
    )
    assert "networks' outputs" in _trained_line({**card, "soup": False})


# --- retraining -------------------------------------------------------------------------------------


async def test_retrain_edits_progress_per_epoch_promotes_hot_swaps_and_rolls_back(
    emulator, speaker, tmp_path, tiny_mnist
) -> None:
    async with running_bot(emulator, speaker, tmp_path, tiny_mnist) as (hey, state):
        add_corrections(hey.store)
        old = hey.recognition.recognizer
        old_reads = counting(old)
        emulator.user_sends_command(ADMIN, "/retrain 2")
        starting = await sent(emulator, "Starting")
        assert "2 epochs on MNIST plus 200 corrected digits from 20 readings" in starting
        assert starting.endswith("░░ 0/2")
        promoted = await sent(emulator, "Promoted", timeout=TRAIN_TIMEOUT)
        pictures = await emulator.wait_for_async("sendPhoto", chat_id=ADMIN, count=2, timeout=30)
        await until(lambda: state.job is None)

        name = version_dirs(hey)[0]
        assert promoted.startswith(f"✅ Promoted {name}: now serving it instead of {SHIPPED_LABEL}")
        judged = r"MNIST validation \(4[01] images held out of training\): [\d.]+% → [\d.]+%"
        assert re.search(judged + r" \(.+; within", promoted)
        assert "held-out corrections (50 digits): " in promoted
        assert hey.registry.current().name == name and hey.registry.previous() == "shipped"
        assert not candidate_dirs(hey) and not list(hey.registry.candidates_dir.glob("*.npz"))

        # one progress message, edited once per epoch
        [progress] = [
            c for c in emulator.calls("sendMessage", chat_id=ADMIN) if "Starting" in c.params["text"]
        ]
        edits = emulator.calls("editMessageText", chat_id=ADMIN)
        assert [e.params["message_id"] for e in edits] == [progress.result["message_id"]] * 2
        first, second = (e.params["text"] for e in edits)
        assert "▓░ 1/2 epochs · validation " in first and "while training" in first and " left" in first
        assert "▓▓ 2/2 epochs · validation " in second and "measuring the candidate" in second

        # the confusion matrix and training curves, as pictures
        assert [p.params["caption"] for p in pictures] == [
            f"{name}: confusion matrix on the MNIST test set",
            f"{name}: training curves",
        ]
        assert all(Image.open(io.BytesIO(p.files["photo"])).format == "PNG" for p in pictures)

        # hot swap: the next photo is read by the new version, without a restart
        new = hey.recognition.recognizer
        assert (
            new is not old and new.classifier.model_path == hey.registry.versions_dir / name / "digits.tflite"
        )
        new_reads = counting(new)
        emulator.user_sends_photo(USER, a_photo())
        await emulator.wait_for_async("sendMessage", chat_id=USER, timeout=30)
        assert len(new_reads) == 1 and not old_reads

        emulator.user_sends_command(ADMIN, "/model")
        card = await sent(emulator, "Serving model")
        assert card.startswith(
            f"Serving model {name} (retrained here; /rollback goes back to {SHIPPED_LABEL})"
        )
        assert "2 epochs in " in card and "MNIST test accuracy: " in card
        assert (
            f"on {LIMIT} MNIST images plus 150 corrected digits ×1 (50 more held out), from {SHIPPED_LABEL}"
            in card
        )

        emulator.user_sends_command(ADMIN, "/rollback")
        assert (
            await sent(emulator, "Rolled back") == f"↩️ Rolled back: now serving {SHIPPED_LABEL} (was {name})."
        )
        assert hey.registry.current().shipped
        assert hey.recognition.recognizer.classifier.model_path == SHIPPED_DIR / "digits.tflite"


async def test_a_worse_candidate_is_kept_and_explained_and_a_corrupt_one_is_never_promoted(
    emulator, speaker, tmp_path, tiny_mnist
) -> None:
    async with running_bot(emulator, speaker, tmp_path, tiny_mnist) as (hey, state):
        add_corrections(hey.store)
        serving = hey.recognition.recognizer
        state.test_args = ["--test-worse"]  # shuffled labels at a high learning rate
        emulator.user_sends_command(ADMIN, "/retrain")
        rejected = await sent(emulator, "Not promoted", timeout=TRAIN_TIMEOUT)
        await emulator.wait_for_async("sendPhoto", chat_id=ADMIN, count=2, timeout=30)
        await until(lambda: state.job is None)
        [kept] = candidate_dirs(hey)
        assert rejected.startswith(f"❌ Not promoted: {kept} is kept as a candidate (candidates/{kept})")
        assert f"still serving {SHIPPED_LABEL}" in rejected
        assert re.search(
            r"MNIST validation \(4[01] images held out of training\): [\d.]+% → [\d.]+% "
            r"\(−[\d.]+ points; more than",
            rejected,
        )
        assert hey.registry.current().shipped and not version_dirs(hey)
        assert hey.recognition.recognizer is serving

        mark = emulator.mark()
        state.test_args = ["--test-corrupt-tflite"]  # the tflite is cut in half after it was measured
        emulator.user_sends_command(ADMIN, "/retrain")
        refused = await sent(emulator, "final check", timeout=TRAIN_TIMEOUT, since=mark)
        await until(lambda: state.job is None)
        assert "sha256 does not match" in refused and refused.endswith(f"Still serving {SHIPPED_LABEL}.")
        assert hey.registry.current().shipped and not version_dirs(hey)
        assert candidate_dirs(hey) == [kept]  # the corrupt one is gone, the rejected one kept
        assert hey.recognition.recognizer is serving


async def test_a_second_retrain_is_refused_while_one_runs_and_cancel_stops_it(
    emulator, speaker, tmp_path, tiny_mnist
) -> None:
    async with running_bot(emulator, speaker, tmp_path, tiny_mnist) as (hey, state):
        add_corrections(hey.store)
        emulator.user_sends_command(ADMIN, "/retrain")
        await sent(emulator, "Starting")
        emulator.user_sends_command(ADMIN, "/retrain 3")
        assert "already running" in await sent(emulator, "already running")
        emulator.user_sends_command(ADMIN, "/rollback")
        assert await sent(emulator, "wait for it") == admin.ROLLBACK_BUSY
        await until(lambda: state.job.process is not None)
        process = state.job.process
        emulator.user_sends_command(ADMIN, "/retrain cancel")
        assert await sent(emulator, "Stopping") == admin.STOPPING
        cancelled = await sent(emulator, "cancelled", timeout=30)
        await until(lambda: state.job is None, timeout=30)
    assert cancelled.endswith(f"Still serving {SHIPPED_LABEL}; nothing was changed.")
    assert process.returncode == -signal.SIGTERM
    assert hey.registry.current().shipped and not candidate_dirs(hey) and not version_dirs(hey)
    assert not emulator.calls("editMessageText")


async def test_a_training_process_killed_mid_epoch_is_reported_and_the_next_retrain_works(
    emulator, speaker, tmp_path, tiny_mnist
) -> None:
    async with running_bot(emulator, speaker, tmp_path, tiny_mnist) as (hey, state):
        add_corrections(hey.store)
        serving = hey.recognition.recognizer
        emulator.user_sends_command(ADMIN, "/retrain")
        await until(lambda: state.job is not None and state.job.epochs_begun >= 1)
        os.kill(state.job.process.pid, signal.SIGKILL)  # the OOM killer, mid-epoch
        failed = await sent(emulator, "failed", timeout=30)
        assert not emulator.calls("editMessageText")  # it died before its first epoch ended
        await until(lambda: state.job is None, timeout=30)
        assert "the training process was killed (SIGKILL)" in failed
        assert failed.endswith(
            f"Still serving {SHIPPED_LABEL}; nothing was changed, and /retrain can start again."
        )
        assert hey.registry.current().shipped and not candidate_dirs(hey) and not version_dirs(hey)
        assert hey.recognition.recognizer is serving
        emulator.user_sends_photo(USER, a_photo())
        await emulator.wait_for_async("sendMessage", chat_id=USER, timeout=30)  # still serving

        mark = emulator.mark()
        emulator.user_sends_command(ADMIN, "/retrain")
        promoted = await sent(emulator, "Promoted", timeout=TRAIN_TIMEOUT, since=mark)
        await until(lambda: state.job is None)
        assert (
            f"instead of {SHIPPED_LABEL}" in promoted and hey.registry.current().name == version_dirs(hey)[0]
        )


# --- hot swap, in isolation ---------------------------------------------------------------------------


class _SlowRecognizer:
    def __init__(self, name: str, gate: asyncio.Event, loop: asyncio.AbstractEventLoop) -> None:
        self.name, self.gate, self.loop = name, gate, loop

    def read(self, photo):
        asyncio.run_coroutine_threadsafe(self.gate.wait(), self.loop).result(timeout=10)
        return self.name


async def test_a_reading_in_flight_finishes_on_the_model_it_started_with() -> None:
    loop = asyncio.get_running_loop()
    gate = asyncio.Event()
    service = RecognitionService(_SlowRecognizer("old", gate, loop))
    try:
        in_flight = asyncio.create_task(service.read(b"photo"))
        await asyncio.sleep(0.05)
        service.swap(_SlowRecognizer("new", gate, loop))
        next_one = asyncio.create_task(service.read(b"photo"))
        gate.set()
        assert await in_flight == "old" and await next_one == "new"
    finally:
        service.close()


def test_retrain_settings_are_read_from_the_environment() -> None:
    token = "123456:" + "A" * 35
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": token,
            "RETRAIN_EPOCHS": "2",
            "RETRAIN_LIMIT": "500",
            "HEY_NUMBER_MNIST_DIR": "/m",
        }
    )
    assert (settings.retrain_epochs, settings.retrain_limit, settings.mnist_dir) == (2, 500, Path("/m"))
    defaults = Settings.from_env({"TELEGRAM_BOT_TOKEN": token, "RETRAIN_LIMIT": "0"})
    assert (defaults.retrain_epochs, defaults.retrain_limit, defaults.mnist_dir) == (1, None, None)


def test_progress_bar() -> None:
    assert admin.progress_bar(3, 7) == "▓▓▓░░░░"
    assert admin.progress_bar(0, 1) == "░" and admin.progress_bar(1, 1) == "▓"
    assert admin.progress_bar(12, 40) == "▓▓▓░░░░░░░"  # ten cells at most


# --- the training process's protocol, without training ---------------------------------------------


def test_retrain_process_reports_a_bad_corrections_file_as_one_error_event(tmp_path, tiny_mnist) -> None:
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not really")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "recognizer.retrain",
            "--mnist",
            str(tiny_mnist),
            "--corrections",
            str(tmp_path / "bad.npz"),
            "--start-from",
            str(SHIPPED_DIR / "digits.keras"),
            "--serving",
            str(SHIPPED_DIR / "digits.tflite"),
            "--out",
            str(tmp_path / "candidate"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    [line] = result.stdout.splitlines()
    event = json.loads(line)
    assert event["event"] == "error" and "not a corrections file" in event["message"]
    assert "Traceback" in result.stderr  # the details go to stderr, never into the protocol


def test_corrections_are_oversampled_to_a_share_of_the_epoch(tmp_path) -> None:
    from recognizer.retrain import (
        CORRECTION_SHARE,
        MAX_REPEATS,
        CorrectionsError,
        load_corrections,
        oversampling,
    )

    assert oversampling(0, 54_000) == 0
    assert oversampling(5_000, 100) == 1  # never fewer than once
    assert oversampling(1, 54_000) == MAX_REPEATS
    repeats = oversampling(1_000, 54_000)
    assert abs(1_000 * repeats / (54_000 + 1_000 * repeats) - CORRECTION_SHARE) < 0.01
    images, labels = render_digits(30, seed=3)
    np.savez(
        tmp_path / "ok.npz", images=images, labels=labels.astype(np.int64), reading_ids=np.arange(30) // 10
    )
    loaded = load_corrections(tmp_path / "ok.npz")
    assert loaded.images.shape == (30, 28, 28) and loaded.labels.dtype == np.uint8
    np.savez(tmp_path / "bad.npz", images=images, labels=labels + 10, reading_ids=np.arange(30))
    with pytest.raises(CorrectionsError, match=r"digits 0\.\.9"):
        load_corrections(tmp_path / "bad.npz")


def test_a_restarted_bot_serves_the_registrys_current_version(tmp_path) -> None:
    from test_registry import make_candidate

    from bot.app import build_services

    registry = ModelRegistry(tmp_path / "models")
    version = registry.promote(make_candidate(registry, "v1"))
    settings = Settings(token="123456:" + "A" * 35, data_dir=tmp_path)
    hey = build_services(settings)
    try:
        assert hey.registry.current().name == "v1"
        assert hey.recognition.recognizer.classifier.model_path == version.tflite
    finally:
        hey.recognition.close()
        hey.speaker.close()
        hey.store.close()
