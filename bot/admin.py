"""Admin commands: ``/model``, ``/retrain [epochs|cancel]`` and ``/rollback``, for ``ADMIN_IDS`` only.

This module owns the bot's side of retraining: exporting users' corrections from the store,
running ``python -m recognizer.retrain`` in a process group of its own (TensorFlow never enters
the bot), turning its JSON lines into one progress message edited once per epoch, judging the
candidate (:func:`recognizer.registry.decide`), promoting it atomically and hot-swapping the
recognizer while photos keep being read, and reporting cancellations and failures with the old
model still serving. Anyone else gets a polite refusal, and the attempt is logged with the user id.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path

import numpy as np
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler

from bot.handlers import Context, Services, in_chat_order, retrying, say, services
from recognizer import Recognizer
from recognizer.classifier import DigitClassifier
from recognizer.registry import (
    Decision,
    Figures,
    ModelRegistry,
    ModelVersion,
    RegistryError,
    decide,
    held_out_mask,
)

log = logging.getLogger(__name__)

STATE_KEY = "admin"  # application.bot_data key of the AdminState
MODELS_DIR = "models"  # under DATA_DIR
CORRECTION_KIND = "corrected"  # the store's labelled digits /retrain learns from
CORRECTIONS_SUFFIX = ".corrections.npz"  # exported beside the candidate, deleted when the job ends
MAX_EPOCHS = 50
RETRAIN_SEED = 1
PROGRESS_CELLS = 10  # the progress bar's width at most
TERMINATE_GRACE_SECONDS = 5.0  # after SIGTERM, SIGKILL
STDERR_TAIL_LINES = 30
CHILD_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}

REFUSED = "Sorry, {command} is only for the people who run this bot. Send me a photo of a phone number!"
RETRAIN_USAGE = (
    "/retrain [epochs] trains a new model (1 to {most} epochs, {default} by default); "
    "/retrain cancel stops it."
)
ALREADY_RUNNING = "A retraining is already running ({state}). /retrain cancel stops it."
NOTHING_TO_CANCEL = "No retraining is running."
STOPPING = "Stopping the retraining…"
TOO_LATE_TO_CANCEL = "The training has finished; its candidate is being judged now."
NO_CORRECTIONS = (
    "No corrected digits yet, so there is nothing new to learn. Users' fixes (✏️ Fix it) are what "
    "/retrain learns from."
)
STARTING = (
    "Retraining {name} from {serving}: {epochs} epoch{s} on MNIST plus {digits} corrected digits "
    "from {readings} readings (some held out to judge it). Starting…\n{bar} 0/{epochs}"
)
# (the validation accuracy of the weights being trained, before they are blended with the serving
# model's; the verdict gives the candidate's own figures)
PROGRESS = (
    "Retraining {name} from {serving}\n"
    "{bar} {done}/{epochs} epochs · validation {accuracy} while training · {left}"
)
PROMOTED = (
    "✅ Promoted {name}: now serving it instead of {serving} (/rollback goes back).\n{lines}\n{training}"
)
REJECTED = (
    "❌ Not promoted: {name} is kept as a candidate ({where}); still serving {serving}.\n{lines}\n{training}"
)
NOT_VERIFIED = "❌ {name} failed its final check ({reason}), so it was not promoted. Still serving {serving}."
CANCELLED = "Retraining {name} cancelled. Still serving {serving}; nothing was changed."
FAILED = (
    "⚠️ Retraining {name} failed: {reason}. Still serving {serving}; nothing was changed, and "
    "/retrain can start again."
)
ROLLBACK_BUSY = "A retraining is running: wait for it, or /retrain cancel, before /rollback."
NO_ROLLBACK = "Nothing to roll back to: {reason}. Serving {serving}."
ROLLED_BACK = "↩️ Rolled back: now serving {version} (was {was})."


@dataclass
class RetrainJob:
    """One /retrain from start to verdict; at most one exists at a time."""

    chat_id: int
    epochs: int
    serving: ModelVersion
    digits: int
    readings: int
    name: str = ""
    candidate: Path | None = None
    corrections: Path | None = None
    message_id: int | None = None
    process: asyncio.subprocess.Process | None = None
    task: asyncio.Task | None = None
    epochs_begun: int = 0  # the training process has started this many epochs (tests kill mid-epoch)
    epochs_done: int = 0
    cancelled: bool = False
    keep_candidate: bool = False
    done: dict | None = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    stderr_tail: deque[str] = field(default_factory=lambda: deque(maxlen=STDERR_TAIL_LINES))


@dataclass
class AdminState:
    """The registry and the running job; kept in ``application.bot_data[STATE_KEY]``."""

    registry: ModelRegistry
    job: RetrainJob | None = None
    python: str = sys.executable
    # TEST ONLY: hidden options passed to recognizer.retrain (--test-worse, --test-corrupt-tflite).
    test_args: list[str] = field(default_factory=list)


def admin_state(application: Application) -> AdminState:
    """The admin state, created on first use (with the registry under ``DATA_DIR/models``)."""
    state = application.bot_data.get(STATE_KEY)
    if state is None:
        hey: Services = application.bot_data["services"]
        if hey.registry is None:
            hey.registry = ModelRegistry(hey.settings.data_dir / MODELS_DIR)
        state = application.bot_data[STATE_KEY] = AdminState(hey.registry)
    return state


def add_handlers(application: Application) -> None:
    """Register the admin commands (before any catch-all handler). They stay out of the public menu."""
    for name, callback in (
        ("model", model_command),
        ("retrain", retrain_command),
        ("rollback", rollback_command),
    ):
        application.add_handler(CommandHandler(name, callback))


def admin_only(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Run ``handler`` for users in ADMIN_IDS; refuse anyone else politely and log the attempt."""

    @wraps(handler)
    async def guarded(update: Update, context: Context) -> None:
        user = update.effective_user
        if user is None or user.id not in services(context).settings.admin_ids:
            message = update.effective_message
            command = ((message.text if message else None) or "/?").split()[0].split("@")[0]
            log.warning("admin command %s refused for user %s", command, user.id if user else None)
            await say(context, update.effective_chat.id, REFUSED.format(command=command))
            return
        await handler(update, context)

    return guarded


# --- /model ------------------------------------------------------------------------------------------


@in_chat_order
@admin_only
async def model_command(update: Update, context: Context) -> None:
    hey, state = services(context), admin_state(context.application)
    version = await asyncio.to_thread(state.registry.current)
    previous = await asyncio.to_thread(state.registry.previous)
    previous_label = await asyncio.to_thread(state.registry.label_of, previous) if previous else None
    images, labels, ids = await asyncio.to_thread(hey.store.labelled_digits, CORRECTION_KIND)
    classifier = hey.recognition.recognizer.classifier
    text = await asyncio.to_thread(describe_model, version, classifier, (images, labels, ids), previous_label)
    await say(context, update.effective_chat.id, text)


def describe_model(
    version: ModelVersion,
    classifier: DigitClassifier,
    corrections: tuple[np.ndarray, np.ndarray, np.ndarray],
    previous: str | None,
) -> str:
    """The serving model's card in a few lines: version, when and on what it was trained, MNIST test
    accuracy, accuracy on users' corrections (measured now, with the model that serves), size."""
    card = version.card
    origin = "shipped with the bot" if version.shipped else "retrained here"
    back = f"; /rollback goes back to {previous}" if previous else ""
    lines = [f"Serving model {version.label} ({origin}{back})"]
    lines.append(_trained_line(card))
    test = card.get("test_accuracy")
    if test is not None:
        count = card.get("data", {}).get("test_samples") or card.get("test", {}).get("count")
        lines.append(f"MNIST test accuracy: {test:.2%}" + (f" ({count:,} images, LiteRT)" if count else ""))
    lines.append(_corrections_line(classifier, *corrections))
    sizes = card.get("size_bytes") or {}
    if sizes:
        lines.append("Size: " + ", ".join(f"{name} {size / 1e6:.2f} MB" for name, size in sizes.items()))
    if classifier.model_path.resolve() != version.tflite.resolve():
        lines.append(f"Note: the recognizer serves {classifier.model_path} (HEY_NUMBER_MODEL).")
    return "\n".join(lines)


def _trained_line(card: dict) -> str:
    training, data = card.get("training", {}), card.get("data", {})
    when = str(card.get("created", "?")).replace("T", " ").replace("+00:00", " UTC")
    members = card.get("members")
    if members and not card.get("retrain"):  # ``hey-number ensemble``: made of trained networks
        averaged = "weights" if card.get("soup") else "outputs"
        return (
            f"Made {when}: the mean of {len(members)} trained networks' {averaged}, "
            f"on {data.get('train_samples', 0):,} MNIST training images"
        )
    epochs = training.get("epochs_run")
    polish = (training.get("config") or {}).get("polish_epochs")
    epochs_text = f"{epochs} epoch{'s' if epochs != 1 else ''}" + (f" (+{polish} polish)" if polish else "")
    seconds = float(training.get("seconds") or 0) + float(training.get("polish_seconds") or 0)
    retrain = card.get("retrain")
    if retrain:
        counts = retrain.get("corrections", {})
        what = (
            f"{retrain.get('mnist_train', 0):,} MNIST images plus {counts.get('train', 0)} corrected digits "
            f"×{counts.get('repeats', 0)} ({counts.get('held_out', 0)} more held out), "
            f"from {retrain.get('from', '?')}"
        )
    else:
        what = f"{data.get('train_samples', 0):,} MNIST training images"
    return f"Trained {when}: {epochs_text} in {_duration(seconds)} on {what}"


def _corrections_line(
    classifier: DigitClassifier, images: np.ndarray, labels: np.ndarray, ids: np.ndarray
) -> str:
    if not len(labels):
        return "Users' corrections: none stored yet"
    right = classifier.classify_all(images).argmax(axis=1) == labels
    held = held_out_mask(ids)
    parts = []
    if held.any():
        parts.append(f"{right[held].mean():.1%} of {held.sum()} held-out digits")
    parts.append(f"{right.mean():.1%} of all {len(labels)}")
    return "Users' corrections: " + "; ".join(parts)


# --- /retrain ----------------------------------------------------------------------------------------


@in_chat_order
@admin_only
async def retrain_command(update: Update, context: Context) -> None:
    hey, state = services(context), admin_state(context.application)
    chat_id = update.effective_chat.id
    argument = (context.args or [""])[0].lower()
    if argument == "cancel":
        await say(context, chat_id, cancel(state))
        return
    if state.job is not None:
        await say(context, chat_id, ALREADY_RUNNING.format(state=_job_state(state.job)))
        return
    epochs = _epochs(argument, hey.settings.retrain_epochs)
    if epochs is None:
        usage = RETRAIN_USAGE.format(most=MAX_EPOCHS, default=hey.settings.retrain_epochs)
        await say(context, chat_id, usage)
        return
    images, labels, ids = await asyncio.to_thread(hey.store.labelled_digits, CORRECTION_KIND)
    if state.job is not None:  # another admin started one while the store was read
        await say(context, chat_id, ALREADY_RUNNING.format(state=_job_state(state.job)))
        return
    if not len(labels):
        await say(context, chat_id, NO_CORRECTIONS)
        return
    serving = await asyncio.to_thread(state.registry.current)
    job = RetrainJob(chat_id, epochs, serving, digits=len(labels), readings=len(np.unique(ids)))
    state.job = job
    job.task = asyncio.create_task(_run(context, hey, state, job, (images, labels, ids)))


def _epochs(argument: str, default: int) -> int | None:
    if not argument:
        return default
    if argument.isdigit() and 1 <= int(argument) <= MAX_EPOCHS:
        return int(argument)
    return None


def _job_state(job: RetrainJob) -> str:
    if job.process is None:
        return "starting"
    if job.process.returncode is not None or job.epochs_done == job.epochs:
        return "judging its candidate"
    return f"epoch {max(job.epochs_begun, 1)} of {job.epochs}"


def cancel(state: AdminState) -> str:
    """Stop the running retraining (its job then reports it); what to answer the admin at once."""
    job = state.job
    if job is None:
        return NOTHING_TO_CANCEL
    if job.process is not None and job.process.returncode is not None:
        return TOO_LATE_TO_CANCEL
    job.cancelled = True
    if job.process is not None:
        _signal_group(job.process, signal.SIGTERM)
        asyncio.get_running_loop().call_later(
            TERMINATE_GRACE_SECONDS, _signal_group, job.process, signal.SIGKILL
        )
    return STOPPING


def _signal_group(process: asyncio.subprocess.Process, signum: int) -> None:
    """Signal the training process's whole group (it leads its own session), if it is still running."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)


async def _run(
    context: Context,
    hey: Services,
    state: AdminState,
    job: RetrainJob,
    corrections: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """The job: export, start the training process, follow it, judge; the old model serves throughout."""
    registry = state.registry
    try:
        await asyncio.to_thread(registry.prune_candidates)
        job.name, job.candidate = await asyncio.to_thread(registry.new_candidate)
        job.corrections = job.candidate.parent / (job.name + CORRECTIONS_SUFFIX)
        await asyncio.to_thread(_export, job.corrections, *corrections)
        message = await say(context, job.chat_id, _starting_text(job))
        job.message_id = message.message_id
        if not job.cancelled:
            job.process = await asyncio.create_subprocess_exec(
                *_command(state, hey, job),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                env={**os.environ, **CHILD_ENV},
            )
            log.info("retraining %s started (pid %d, %d epochs)", job.name, job.process.pid, job.epochs)
            await _follow(context, job)
        await _conclude(context, hey, state, job)
    except Exception:
        log.exception("retraining %s failed in the bot", job.name)
        with contextlib.suppress(Exception):
            reason = "an unexpected error in the bot (see its log)"
            await say(
                context, job.chat_id, FAILED.format(name=job.name, reason=reason, serving=job.serving.label)
            )
    finally:
        if job.process is not None:
            _signal_group(job.process, signal.SIGKILL)
        if job.corrections is not None:
            job.corrections.unlink(missing_ok=True)
        if job.candidate is not None and not job.keep_candidate:
            registry.discard_candidate(job.candidate)
        state.job = None


def _export(path: Path, images: np.ndarray, labels: np.ndarray, ids: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        np.savez(handle, images=images, labels=labels, reading_ids=ids)
    os.replace(tmp, path)


def _command(state: AdminState, hey: Services, job: RetrainJob) -> list[str]:
    settings = hey.settings
    command = [
        state.python,
        "-m",
        "recognizer.retrain",
        "--corrections",
        str(job.corrections.resolve()),
        "--start-from",
        str(job.serving.keras.resolve()),
        "--serving",
        str(job.serving.tflite.resolve()),
        "--out",
        str(job.candidate.resolve()),
        "--epochs",
        str(job.epochs),
        "--seed",
        str(RETRAIN_SEED),
    ]
    if settings.mnist_dir is not None:
        command += ["--mnist", str(settings.mnist_dir.resolve())]
    if settings.retrain_limit:
        command += ["--limit", str(settings.retrain_limit)]
    return command + state.test_args


async def _follow(context: Context, job: RetrainJob) -> None:
    """Read the training process's events until it exits; keep the tail of its stderr for the log."""
    process = job.process
    drain = asyncio.create_task(_drain(process.stderr, job.stderr_tail))
    try:
        async for raw in process.stdout:
            event = _parse(raw)
            if event is not None:
                await _on_event(context, job, event)
        await process.wait()
    finally:
        await drain


async def _drain(stream: asyncio.StreamReader, tail: deque[str]) -> None:
    async for raw in stream:
        line = raw.decode(errors="replace").rstrip()
        tail.append(line)
        log.debug("retrain: %s", line)


def _parse(raw: bytes) -> dict | None:
    try:
        event = json.loads(raw)
    except ValueError:
        log.debug("retrain printed a line that is not an event: %r", raw[:200])
        return None
    return event if isinstance(event, dict) and "event" in event else None


async def _on_event(context: Context, job: RetrainJob, event: dict) -> None:
    kind = event["event"]
    if kind == "epoch_begin":
        job.epochs_begun = int(event.get("epoch", 0))
    elif kind == "epoch":
        job.epochs_done = int(event.get("epoch", 0))
        await _edit_progress(context, job, _progress_text(job, event))
    elif kind == "done":
        job.done = event
    elif kind == "error":
        job.error = str(event.get("message") or "unknown error")


async def _edit_progress(context: Context, job: RetrainJob, text: str) -> None:
    try:
        await retrying(
            lambda: context.bot.edit_message_text(text, chat_id=job.chat_id, message_id=job.message_id)
        )
    except TelegramError as error:  # progress is a courtesy: never let it stop the job
        log.warning("could not edit the retraining progress message: %s", error)


async def _conclude(context: Context, hey: Services, state: AdminState, job: RetrainJob) -> None:
    """Tell the admin how it ended; promote and hot-swap when the rule allows."""
    returncode = job.process.returncode if job.process is not None else None
    if job.cancelled:
        log.info("retraining %s cancelled", job.name)
        await say(context, job.chat_id, CANCELLED.format(name=job.name, serving=job.serving.label))
        return
    if job.done is None or returncode != 0:
        reason = _failure_reason(job, returncode)
        log.warning(
            "retraining %s failed: %s; stderr tail:\n%s", job.name, reason, "\n".join(job.stderr_tail)
        )
        await say(
            context, job.chat_id, FAILED.format(name=job.name, reason=reason, serving=job.serving.label)
        )
        return
    decision = decide(Figures.from_dict(job.done["serving"]), Figures.from_dict(job.done["candidate"]))
    if decision.promote:
        await _promote(context, hey, state, job, decision)
    else:
        job.keep_candidate = True
        where = f"{state.registry.candidates_dir.name}/{job.name}"
        text = REJECTED.format(
            name=job.name,
            where=where,
            serving=job.serving.label,
            lines=_bullets(decision),
            training=_training(job),
        )
        log.info("retraining %s not promoted: %s", job.name, "; ".join(decision.lines))
        await say(context, job.chat_id, text)
        await _send_pictures(context, job.chat_id, job.name, job.candidate)


def _failure_reason(job: RetrainJob, returncode: int | None) -> str:
    if job.error:
        return job.error
    if returncode is not None and returncode < 0:
        return f"the training process was killed ({signal.Signals(-returncode).name})"
    if returncode:
        return f"the training process exited with status {returncode}"
    return "the training process ended without a result"


async def _promote(
    context: Context, hey: Services, state: AdminState, job: RetrainJob, decision: Decision
) -> None:
    try:
        version = await asyncio.to_thread(state.registry.promote, job.candidate)
    except (RegistryError, OSError) as error:
        log.error("candidate %s not promoted: %s", job.name, error)
        text = NOT_VERIFIED.format(name=job.name, reason=error, serving=job.serving.label)
        await say(context, job.chat_id, text)
        return
    job.keep_candidate = True  # it lives in versions/ now
    try:
        recognizer = await asyncio.to_thread(Recognizer.load, version.tflite)
    except Exception:
        await asyncio.to_thread(state.registry.rollback)
        raise
    hey.recognition.swap(recognizer)  # readings in flight finish on the recognizer they started with
    log.info("now serving model version %s", version.name)
    text = PROMOTED.format(
        name=job.name, serving=job.serving.label, lines=_bullets(decision), training=_training(job)
    )
    await say(context, job.chat_id, text)
    await _send_pictures(context, job.chat_id, job.name, version.directory)


async def _send_pictures(context: Context, chat_id: int, name: str, directory: Path) -> None:
    captions = {
        "confusion-matrix.png": f"{name}: confusion matrix on the MNIST test set",
        "training-curves.png": f"{name}: training curves",
    }
    for file_name, caption in captions.items():
        path = directory / file_name
        if path.is_file():
            picture = await asyncio.to_thread(path.read_bytes)
            await retrying(lambda p=picture, c=caption: context.bot.send_photo(chat_id, p, caption=c))


def _bullets(decision: Decision) -> str:
    return "\n".join(f"• {line}" for line in decision.lines)


def _training(job: RetrainJob) -> str:
    done = job.done or {}
    counts = done.get("corrections", {})
    return (
        f"Trained {job.epochs} epoch{'s' if job.epochs != 1 else ''} on MNIST plus {counts.get('train', 0)} "
        f"corrected digits (×{counts.get('repeats', 0)}); {_duration(float(done.get('seconds', 0)))} in all."
    )


def _starting_text(job: RetrainJob) -> str:
    return STARTING.format(
        name=job.name,
        serving=job.serving.label,
        epochs=job.epochs,
        s="s" if job.epochs != 1 else "",
        digits=job.digits,
        readings=job.readings,
        bar=progress_bar(0, job.epochs),
    )


def _progress_text(job: RetrainJob, event: dict) -> str:
    done, epochs = int(event["epoch"]), int(event["epochs"])
    accuracy = event.get("val_accuracy")
    left = (
        "now measuring the candidate"
        if done >= epochs
        else f"about {_duration(float(event.get('eta_seconds') or 0))} left"
    )
    return PROGRESS.format(
        name=job.name,
        serving=job.serving.label,
        bar=progress_bar(done, epochs),
        done=done,
        epochs=epochs,
        accuracy=f"{accuracy:.2%}" if accuracy is not None else "?",
        left=left,
    )


def progress_bar(done: int, total: int, cells: int = PROGRESS_CELLS) -> str:
    """``▓▓▓░░░░`` with one cell per epoch (at most ``cells`` cells)."""
    width = max(1, min(total, cells))
    filled = round(width * done / total) if total else 0
    return "▓" * filled + "░" * (width - filled)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


# --- /rollback ---------------------------------------------------------------------------------------


@in_chat_order
@admin_only
async def rollback_command(update: Update, context: Context) -> None:
    hey, state = services(context), admin_state(context.application)
    chat_id = update.effective_chat.id
    if state.job is not None:
        await say(context, chat_id, ROLLBACK_BUSY)
        return
    current = await asyncio.to_thread(state.registry.current)
    try:
        version = await asyncio.to_thread(state.registry.rollback)
    except RegistryError as error:
        await say(context, chat_id, NO_ROLLBACK.format(reason=error, serving=current.label))
        return
    recognizer = await asyncio.to_thread(Recognizer.load, version.tflite)
    hey.recognition.swap(recognizer)
    log.info("rolled back to model version %s", version.name)
    await say(context, chat_id, ROLLED_BACK.format(version=version.label, was=current.label))


# --- life cycle ----------------------------------------------------------------------------------------


async def shutdown(application: Application) -> None:
    """Stop a running retraining when the bot stops (its candidate is discarded)."""
    state: AdminState | None = application.bot_data.get(STATE_KEY)
    job = state.job if state else None
    if job is None:
        return
    job.cancelled = True
    if job.process is not None:
        _signal_group(job.process, signal.SIGKILL)
    if job.task is not None:
        job.task.cancel()
        with contextlib.suppress(BaseException):
            await job.task
