"""Serving many people at once: N simulated users x M photos each, through the Telegram emulator,
to the real bot running as its own process (issue #4, "Serving many people").

    .venv/bin/python benchmarks/load.py                       # 50 users x 10 photos, voice on
    .venv/bin/python benchmarks/load.py --users 5 --photos 2  # a quick trial
    .venv/bin/python benchmarks/load.py --burst               # each user sends all photos at once
    .venv/bin/python benchmarks/load.py --no-voice --json     # text answers only; one JSON object

The bot is started exactly as in production, ``python -m bot`` (real recognizer, real espeak-ng
voice notes, real SQLite store in a temporary directory), with ``TELEGRAM_BASE_URL`` and
``TELEGRAM_BASE_FILE_URL`` pointing at the local Bot API emulator of ``tests/telegram_emulator.py``,
which runs in this (the driver's) process. ``PHOTOS_PER_MINUTE`` is set high (1000) so that the
per-user rate limit does not interfere. The bot's stderr goes to ``--bot-log`` (default
``runs/load-bot.log``) and is searched for ERROR, WARNING and tracebacks at the end.

Photos are rendered before the clock starts by ``recognizer.synthetic`` from MNIST *test* digits
(``$HEY_NUMBER_MNIST_DIR``, ``--data``, else ``../shared/data/mnist``), seeded by ``--seed``; the
emulator's share of a photo upload (Telegram's thumbnails) is computed beforehand too. One bot
warm-up photo from an extra user is answered before the clock starts and left out of the figures.
Then every user sends their photos in their own thread: one after another at a person's pace (an
open loop: each user's first photo at a random moment within ``--interval`` seconds, then one every
0.5-1.5 x ``--interval`` seconds, whether or not the previous one was answered yet), or all at once
with ``--burst``; users run in parallel.

What is measured (medians and p95, not means):

* exactly once: every chat must get exactly M answers (text replies that are not "slow down",
  "something went wrong" and the like); fewer is *lost*, more is *duplicated*.
* order: the k-th answer in a chat must answer the k-th photo. Verified end to end without
  relying on timing: each answer's inline buttons carry the id of the reading it answers
  (``show:<id>``); the store keeps every photo byte-exact under that id, so the stored photo's
  SHA-256 names the photo that was sent. Answer k must carry the id of the k-th reading of that
  user, whose photo must be photo k; the user's readings in id order must be photos 0..M-1 (the
  bot took them in send order), and every reading must be marked answered. An answer without
  buttons (nothing read) must sit where the store has a reading with no digits. Also: answer k
  arrives after photo k was queued.
* latency of the text answer and of the voice note: from the moment the photo's update was queued
  in the emulator (``time.time()`` right after queueing, the clock of the emulator's ``Call.time``)
  to the moment the bot's ``sendMessage`` / ``sendVoice`` request arrived. Split into *waiting*
  (queued -> the bot's "typing" action for that photo: polling, dispatch, and the per-chat lock
  behind the user's earlier photos) and *working* (typing -> text answer). Also shown: the part
  of the waiting spent behind the same user's previous photo (until its text answer), and the
  voice note's delay after its text answer and after the bot's "record_voice" action (speech
  synthesis, including the wait for espeak-ng, which speaks one note at a time). Voice notes carry
  no reading id: a chat's j-th voice note is paired with its j-th answer that has a number.
* photos per second: answered photos / (first send -> last text answer); with the paced default
  this is bounded by the offered rate, which is printed next to it; ``--burst`` measures capacity.
* the bot's peak RSS: ``VmHWM`` of the bot process (``/proc/<pid>/status``), plus its CPU seconds
  during the run. The driver (emulator, users, rendered photos) is a separate process and not
  counted; its own peak RSS is printed for reference. Also printed: the CPU time other processes
  took during the run (from ``/proc/stat``): on a busy machine every figure is pessimistic.

Targets printed next to the figures: 0 lost or duplicated answers, answers in order, p95 text
answer latency <= 1 s, bot peak RSS <= 400 MB. Note the driver shares the machine's cores with the
bot (it renders nothing during the run, but serves every HTTP request the bot makes).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import random
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import telegram_emulator  # noqa: E402
from telegram_emulator import Call, TelegramEmulator  # noqa: E402

from bot import texts  # noqa: E402
from recognizer.data import load_digits  # noqa: E402
from recognizer.synthetic import DigitBank, random_options, random_phone_number, render_photo  # noqa: E402

log = logging.getLogger("load")

FIRST_USER = 100_001
WARMUP_USER = 99_999
TARGET_P95_SECONDS = 1.0
TARGET_RSS_MB = 400.0
BUTTON_ID = re.compile(r"^show:(\d+)$")
PYTHON_WARNING = re.compile(r"^\S+:\d+: \w*Warning: ")  # warnings.warn's "file:line: Category: text"
# Replies that are not an answer to a photo: the templates' fixed text before the first placeholder.
NOT_ANSWERS = {
    name: template.split("{", 1)[0]
    for name in ("SLOW_DOWN", "SOMETHING_WENT_WRONG", "RECOVERED", "WORKING", "EMPTY_FILE", "TOO_BIG")
    if isinstance(template := getattr(texts, name, None), str)
}


@dataclass
class Photo:
    user_id: int
    index: int
    jpeg: bytes
    text: str  # the digits written on it
    sha256: str
    upload: Any = None  # what the emulator makes of the upload (thumbnails), computed before the clock
    queued_before: float = 0.0
    queued: float = 0.0  # time.time() right after the update was queued


@dataclass
class Answer:
    call: Call
    reading_id: int | None
    typing: Call | None = None  # the "typing" action that began the bot's work on the photo
    voice: Call | None = None
    recording: Call | None = None  # the "record_voice" action that began the voice note


# --- photos ------------------------------------------------------------------------------------------


def mnist_dir(given: str | None) -> str | None:
    """--data, else $HEY_NUMBER_MNIST_DIR, else ../shared/data/mnist when it exists (else Keras)."""
    if given or os.environ.get("HEY_NUMBER_MNIST_DIR"):
        return given or os.environ["HEY_NUMBER_MNIST_DIR"]
    shared = REPO.parent / "shared" / "data" / "mnist"
    return str(shared) if (shared / "t10k-images-idx3-ubyte.gz").is_file() else None


def render_photos(bank: DigitBank, users: list[int], count: int, seed: int) -> dict[int, list[Photo]]:
    rng = np.random.default_rng(seed)
    photos: dict[int, list[Photo]] = {}
    seen: set[str] = set()
    for number, user_id in enumerate(users, start=1):
        photos[user_id] = []
        for index in range(count):
            rendered = render_photo(bank, [random_phone_number(rng)], rng, random_options(rng))
            digest = hashlib.sha256(rendered.jpeg).hexdigest()
            if digest in seen:
                raise RuntimeError("two rendered photos are byte-identical: cannot tell replies apart")
            seen.add(digest)
            photos[user_id].append(Photo(user_id, index, rendered.jpeg, rendered.text, digest))
        if number % 10 == 0 or number == len(users):
            log.info("rendered the photos of %d/%d users", number, len(users))
    return photos


def prepare_upload(photo: Photo) -> None:
    """Telegram's side of an upload (decoding, thumbnails), done before the clock when possible."""
    sizes = getattr(telegram_emulator, "_photo_sizes", None)
    photo.upload = sizes(photo.jpeg) if sizes else None


def queue_photo(emulator: TelegramEmulator, photo: Photo) -> None:
    """The user sends the photo; with prepared thumbnails, only the update is queued now."""
    photo.queued_before = time.time()
    if photo.upload is not None:
        emulator._user_message(photo.user_id, emulator._photo_content(photo.upload, None))
    else:
        emulator.user_sends_photo(photo.user_id, photo.jpeg)
    photo.queued = time.time()


# --- the bot process ----------------------------------------------------------------------------------


def start_bot(
    emulator: TelegramEmulator, workdir: Path, args: argparse.Namespace, stderr
) -> subprocess.Popen:
    """``python -m bot`` in an empty directory, every setting the benchmark depends on set explicitly
    (an environment variable wins over a ``.env`` the bot might find)."""
    env = dict(os.environ)
    env.update(
        TELEGRAM_BOT_TOKEN=emulator.token,
        TELEGRAM_BASE_URL=emulator.base_url,
        TELEGRAM_BASE_FILE_URL=emulator.base_file_url,
        DATA_DIR=str(workdir / "data"),
        PHOTOS_PER_MINUTE=str(args.photos_per_minute),
        RECOGNITION_WORKERS=str(args.workers),
        HEY_NUMBER_MODEL=args.model or "",
        DEFAULT_REGION="CA",
        WEBHOOK_URL="",
        ADMIN_IDS="",
        LOG_LEVEL=args.bot_log_level,
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=stderr,
        stderr=stderr,
    )


def wait_until_polling(emulator: TelegramEmulator, bot: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not emulator.calls("getUpdates"):
        if bot.poll() is not None:
            raise RuntimeError(f"the bot exited with status {bot.returncode} before polling (see its log)")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the bot did not start polling within {timeout:.0f} s")
        time.sleep(0.1)


def stop_bot(bot: subprocess.Popen, timeout: float = 60.0) -> int:
    """SIGINT, as Ctrl-C: PTB stops polling, finishes and shuts down cleanly."""
    if bot.poll() is None:
        bot.send_signal(signal.SIGINT)
        try:
            bot.wait(timeout)
        except subprocess.TimeoutExpired:
            log.error("the bot did not stop within %.0f s of SIGINT; killing it", timeout)
            bot.kill()
            bot.wait()
    return bot.returncode


def proc_status_kb(pid: int, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def machine_cpu_seconds() -> float:
    """CPU seconds all processes have used (``/proc/stat``), to see what else ran during the run."""
    with contextlib.suppress(OSError, ValueError):
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
        )
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    return 0.0


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


class RssSampler(threading.Thread):
    """Samples the bot's VmRSS; VmHWM (the kernel's own peak) is read at the end as well."""

    def __init__(self, pid: int, every: float = 0.25):
        super().__init__(name="rss-sampler", daemon=True)
        self.pid, self.every, self.peak_kb = pid, every, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.peak_kb = max(self.peak_kb, proc_status_kb(self.pid, "VmRSS"))


# --- users --------------------------------------------------------------------------------------------


def schedule(users: list[int], count: int, interval: float, burst: bool, seed: int) -> dict[int, list[float]]:
    """Seconds after the start at which each user sends each photo (all 0 with --burst)."""
    rng = random.Random(seed)
    plan: dict[int, list[float]] = {}
    for user_id in users:
        moment = 0.0 if burst else rng.uniform(0, interval)
        plan[user_id] = []
        for _ in range(count):
            plan[user_id].append(moment)
            if not burst:
                moment += rng.uniform(0.5, 1.5) * interval
    return plan


def run_users(
    emulator: TelegramEmulator, photos: dict[int, list[Photo]], plan: dict[int, list[float]]
) -> None:
    go = threading.Event()
    start: list[float] = []

    def user(user_id: int) -> None:
        go.wait()
        for photo, offset in zip(photos[user_id], plan[user_id], strict=True):
            delay = start[0] + offset - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            queue_photo(emulator, photo)

    threads = [threading.Thread(target=user, args=(u,), name=f"user-{u}") for u in photos]
    for thread in threads:
        thread.start()
    start.append(time.monotonic())
    go.set()
    for thread in threads:
        thread.join()


def is_answer(call: Call) -> bool:
    text = str(call.params.get("text", ""))
    return not any(prefix and text.startswith(prefix) for prefix in NOT_ANSWERS.values())


def reading_id_of(call: Call) -> int | None:
    markup = call.params.get("reply_markup")
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    for row in rows:
        for button in row:
            if match := BUTTON_ID.match(str(button.get("callback_data", ""))):
                return int(match.group(1))
    return None


def wait_for_answers(
    emulator: TelegramEmulator,
    bot: subprocess.Popen,
    users: list[int],
    count: int,
    since: int,
    timeout: float,
    settle: float,
) -> None:
    """Until every chat has ``count`` answers and nothing more arrived for ``settle`` seconds."""
    wanted = set(users)
    deadline = time.monotonic() + timeout
    last_total, quiet_since, last_report = -1, time.monotonic(), 0.0
    while time.monotonic() < deadline and bot.poll() is None:
        calls = [
            c
            for c in emulator.calls(include_failed=True)[since:]
            if c.chat_id in wanted and c.method in ("sendMessage", "sendVoice")
        ]
        answers = Counter(c.chat_id for c in calls if c.method == "sendMessage" and c.ok and is_answer(c))
        done = sum(min(answers[u], count) for u in users)
        if len(calls) != last_total:
            last_total, quiet_since = len(calls), time.monotonic()
        if time.monotonic() - last_report > 10:
            log.info("%d/%d photos answered", done, count * len(users))
            last_report = time.monotonic()
        if done == count * len(users) and time.monotonic() - quiet_since >= settle:
            return
        time.sleep(0.2)
    if bot.poll() is not None:
        log.error("the bot exited with status %s during the run", bot.returncode)
    else:
        log.error("timed out: not every photo was answered within %.0f s of the last send", timeout)


# --- analysis -----------------------------------------------------------------------------------------


def stored_readings(data_dir: Path) -> dict[int, list[dict[str, Any]]]:
    """Every reading in the bot's SQLite store, per user, in id order, with its photo's SHA-256."""
    connection = sqlite3.connect(data_dir / "store.sqlite3")
    connection.row_factory = sqlite3.Row
    try:
        rows = connection.execute(
            "SELECT id, user_id, photo_path, text, answered_at FROM readings ORDER BY id"
        ).fetchall()
    finally:
        connection.close()
    readings: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        path = data_dir / row["photo_path"]
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        readings.setdefault(row["user_id"], []).append({**dict(row), "sha256": digest})
    return readings


def chat_answers(emulator: TelegramEmulator, chat_id: int, since: int) -> tuple[list[Answer], dict[str, int]]:
    """The answers in a chat in arrival order, each with the "typing" action that began it and its
    voice note; plus counts of other replies (not answers), failed calls and unpaired voice notes.

    The bot may send a voice note after the *next* photo's text answer (voice notes are spoken
    outside the chat's turn, one chat's notes in order), so notes are paired with answers by
    position: every answer with a number (buttons) gets a "record_voice" action, then its voice
    note unless speech failed; the j-th such action belongs to the j-th answer with a number, and
    the voice note that follows it (before the chat's next action) is that answer's.
    """
    calls = [c for c in emulator.calls(chat_id=chat_id, include_failed=True) if c.seq >= since]
    answers: list[Answer] = []
    recordings: list[list[Call | None]] = []  # [record_voice action, its voice note or None]
    other: Counter[str] = Counter()
    typing: Call | None = None
    for call in calls:
        action = call.params.get("action") if call.method == "sendChatAction" else None
        if not call.ok:
            other[f"failed {call.method} ({call.error_code})"] += 1
        elif action == "typing":
            typing = call
        elif action == "record_voice":
            recordings.append([call, None])
        elif call.method == "sendMessage" and is_answer(call):
            answers.append(Answer(call, reading_id_of(call), typing))
            typing = None
        elif call.method == "sendMessage":
            name = next(n for n, p in NOT_ANSWERS.items() if str(call.params["text"]).startswith(p))
            other[f"{name} reply"] += 1
        elif call.method == "sendVoice":
            if recordings and recordings[-1][1] is None:
                recordings[-1][1] = call
            else:
                other["voice note without its own record_voice action"] += 1
    speaking = [answer for answer in answers if answer.reading_id is not None]
    for answer, (began, voice) in zip(speaking, recordings, strict=False):
        answer.recording, answer.voice = began, voice
        if began is not None and began.seq < answer.call.seq:
            other["record_voice before its text answer"] += 1
    if len(recordings) > len(speaking):
        other["record_voice actions beyond the answers with a number"] += len(recordings) - len(speaking)
    return answers, dict(other)


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None, "count": 0}
    array = np.asarray(values)
    return {
        "p50": round(float(np.percentile(array, 50)), 3),
        "p95": round(float(np.percentile(array, 95)), 3),
        "max": round(float(array.max()), 3),
        "count": len(values),
    }


def analyse(
    emulator: TelegramEmulator,
    photos: dict[int, list[Photo]],
    readings: dict[int, list[dict[str, Any]]],
    since: int,
    voice: bool,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The figures, and one row per answer (times are ``time.time()`` seconds) for ``--raw``."""
    count = len(next(iter(photos.values())))
    lost = duplicated = order_violations = late_causality = 0
    unanswered_readings = exact = voice_missing = 0
    problems: list[str] = []
    other: Counter[str] = Counter()
    text_latency, voice_latency, waiting, working, slowest, rows = [], [], [], [], [], []
    behind_earlier, voice_after_text, speaking = [], [], []
    last_answer = 0.0
    for user_id, sent in photos.items():
        answers, others = chat_answers(emulator, user_id, since)
        other.update(others)
        stored = readings.get(user_id, [])
        index_of = {p.sha256: p.index for p in sent}
        stored_order = [index_of.get(r["sha256"]) for r in stored]
        if stored_order != list(range(count)):
            order_violations += 1
            problems.append(
                f"user {user_id}: stored readings are photos {stored_order}, expected 0..{count - 1}"
            )
        unanswered_readings += sum(r["answered_at"] is None for r in stored)
        lost += max(0, count - len(answers))
        duplicated += max(0, len(answers) - count)
        ids = [a.reading_id for a in answers if a.reading_id is not None]
        if len(ids) != len(set(ids)):
            duplicated += len(ids) - len(set(ids))
            problems.append(f"user {user_id}: a reading answered twice: {ids}")
        for k, answer in enumerate(answers[:count]):
            photo = sent[k]
            reading = stored[k] if k < len(stored) else None
            if answer.reading_id is not None:
                in_order = reading is not None and reading["id"] == answer.reading_id
                in_order = in_order and reading["sha256"] == photo.sha256
            else:  # nothing read: the store must hold no digits for the k-th reading
                in_order = reading is not None and not reading["text"] and reading["sha256"] == photo.sha256
            if not in_order:
                order_violations += 1
                problems.append(
                    f"user {user_id}: answer {k} carries reading {answer.reading_id}, not photo {k}"
                )
            if answer.call.time < photo.queued_before:
                late_causality += 1
                problems.append(f"user {user_id}: answer {k} arrived before photo {k} was sent")
            if reading is not None and reading["text"] == photo.text:
                exact += 1
            latency = answer.call.time - photo.queued
            text_latency.append(latency)
            slowest.append((latency, user_id, k))
            last_answer = max(last_answer, answer.call.time)
            if answer.typing is not None:
                waiting.append(answer.typing.time - photo.queued)
                working.append(answer.call.time - answer.typing.time)
                # the chat's turn passes on about when the earlier photo's text answer went out
                previous = answers[k - 1].call.time if k > 0 else photo.queued
                behind_earlier.append(min(max(previous - photo.queued, 0.0), waiting[-1]))
            rows.append(
                {
                    "user": user_id,
                    "photo": k,
                    "queued": photo.queued,
                    "typing": answer.typing.time if answer.typing else None,
                    "text": answer.call.time,
                    "record_voice": answer.recording.time if answer.recording else None,
                    "voice": answer.voice.time if answer.voice else None,
                    "reading_id": answer.reading_id,
                    "written": photo.text,
                    "read": reading["text"] if reading else None,
                    "in_order": in_order,
                }
            )
            if answer.voice is not None:
                voice_latency.append(answer.voice.time - photo.queued)
                voice_after_text.append(answer.voice.time - answer.call.time)
                if answer.recording is not None:
                    speaking.append(answer.voice.time - answer.recording.time)
            elif voice and answer.reading_id is not None:
                voice_missing += 1
    first_sent = min(p.queued_before for sent in photos.values() for p in sent)
    last_sent = max(p.queued for sent in photos.values() for p in sent)
    answered = len(text_latency)
    wall = last_answer - first_sent if answered else 0.0
    total = count * len(photos)
    return {
        "sent": total,
        "answered": answered,
        "lost": lost,
        "duplicated": duplicated,
        "order_violations": order_violations,
        "answers_before_their_photo": late_causality,
        "readings_not_marked_answered": unanswered_readings,
        "other_replies_and_failed_calls": dict(other),
        "voice_notes": len(voice_latency),
        "voice_notes_missing": voice_missing,
        "exact_readings": exact,
        "text_latency_s": percentiles(text_latency),
        "voice_latency_s": percentiles(voice_latency),
        "waiting_s": percentiles(waiting),
        "working_s": percentiles(working),
        "waiting_behind_earlier_photo_s": percentiles(behind_earlier),
        "voice_after_text_s": percentiles(voice_after_text),
        "speaking_s": percentiles(speaking),
        "slowest_answers": [
            {"user": u, "photo": k, "seconds": round(s, 3)} for s, u, k in sorted(slowest, reverse=True)[:5]
        ],
        "wall_seconds": round(wall, 2),
        "photos_per_second": round(answered / wall, 2) if wall > 0 else None,
        "offered_per_second": round(total / (last_sent - first_sent), 2) if last_sent > first_sent else None,
        "problems": problems[:20],
    }, rows


def scan_log(path: Path) -> dict[str, Any]:
    lines = path.read_text(errors="replace").splitlines() if path.is_file() else []
    errors = [line for line in lines if " ERROR " in line or " CRITICAL " in line]
    warnings = [line for line in lines if " WARNING " in line or PYTHON_WARNING.search(line)]
    return {
        "path": str(path),
        "lines": len(lines),
        "errors": len(errors),
        "warnings": len(warnings),
        "tracebacks": sum(line.startswith("Traceback") for line in lines),
        "first_errors": errors[:5],
        "first_warnings": warnings[:5],
    }


# --- report -------------------------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def print_table(result: dict[str, Any]) -> None:
    r, text, voice = result, result["text_latency_s"], result["voice_latency_s"]
    mode = "all at once (--burst)" if r["burst"] else f"one every ~{r['interval']:g} s"
    print(
        f"\nhey-number under load: {r['users']} users x {r['photos']} photos, {mode}, "
        f"voice {'on' if r['voice'] else 'off'}, seed {r['seed']}\n"
    )
    rows = [
        ("photos answered", f"{r['answered']}/{r['sent']}", ""),
        (
            "lost / duplicated answers",
            f"{r['lost']} / {r['duplicated']}",
            f"target 0 / 0: {verdict(r['targets']['exactly_once'])}",
        ),
        (
            "answers in per-chat order",
            f"{r['order_violations']} violations",
            f"target 0: {verdict(r['targets']['in_order'])}",
        ),
        ("readings left unanswered in the store", str(r["readings_not_marked_answered"]), ""),
        (
            "text answer latency p50 / p95",
            f"{seconds(text['p50'])} / {seconds(text['p95'])} (max {seconds(text['max'])})",
            f"target p95 <= 1 s: {verdict(r['targets']['p95_text_latency'])}",
        ),
        (
            "  of which waiting (queued -> typing) p50 / p95",
            _pair(r["waiting_s"]),
            f"behind the user's earlier photo: {_pair(r['waiting_behind_earlier_photo_s'])}",
        ),
        ("  of which working (typing -> answer) p50 / p95", _pair(r["working_s"]), ""),
        (
            "voice note latency p50 / p95",
            f"{seconds(voice['p50'])} / {seconds(voice['p95'])} (max {seconds(voice['max'])})",
            f"{_pair(r['voice_after_text_s'])} after the text, "
            f"{_pair(r['speaking_s'])} from record_voice; "
            f"{r['voice_notes']} notes, {r['voice_notes_missing']} missing",
        ),
        (
            "photos per second",
            f"{r['photos_per_second']}",
            ("all sent at once" if r["burst"] else f"offered {r['offered_per_second']}/s")
            + f"; {r['wall_seconds']} s first send -> last answer",
        ),
        (
            "bot peak RSS (VmHWM)",
            f"{r['bot_peak_rss_mb']:.0f} MB",
            f"target <= 400 MB: {verdict(r['targets']['bot_peak_rss'])}; "
            f"{r['bot_rss_at_start_mb']:.0f} MB when ready",
        ),
        (
            "bot CPU during the run",
            f"{r['bot_cpu_seconds']:.1f} s",
            f"{r['bot_cpu_ms_per_photo']:.0f} ms/photo; the driver {r['driver_cpu_seconds']:.1f} s",
        ),
        (
            "other processes' CPU during the run",
            f"{r['other_processes_cpu_seconds']:.1f} s",
            f"{r['other_processes_cores']:.2f} of {r['cores']} cores on average"
            + (
                " -- the machine was busy: figures are pessimistic"
                if r["other_processes_cores"] > 0.2
                else ""
            ),
        ),
        ("driver peak RSS (emulator, users)", f"{r['driver_peak_rss_mb']:.0f} MB", "not the bot's"),
        ("exact readings", f"{r['exact_readings']}/{r['answered']}", "what was read == what was written"),
        (
            "bot log",
            f"{r['bot_log']['errors']} errors, {r['bot_log']['tracebacks']} tracebacks",
            f"{r['bot_log']['warnings']} warnings; {r['bot_log']['path']}",
        ),
    ]
    width = max(len(name) for name, _, _ in rows)
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:<34} {note}")
    if r["other_replies_and_failed_calls"]:
        print(f"\n  other replies / failed calls: {r['other_replies_and_failed_calls']}")
    print(
        "  slowest answers: "
        + ", ".join(
            f"user {s['user']} photo {s['photo']} {seconds(s['seconds'])}" for s in r["slowest_answers"]
        )
    )
    for problem in r["problems"]:
        print(f"  problem: {problem}")
    for line in r["bot_log"]["first_errors"] + r["bot_log"]["first_warnings"]:
        print(f"  bot log: {line}")
    print(f"  bot exit status after SIGINT: {r['bot_exit_status']}")


def _pair(values: dict[str, float | None]) -> str:
    return f"{seconds(values['p50'])} / {seconds(values['p95'])}"


# --- main ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50, help="simulated users (default 50)")
    parser.add_argument("--photos", type=int, default=10, help="photos per user (default 10)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--burst", action="store_true", help="each user sends all photos at once")
    parser.add_argument(
        "--interval", type=float, default=10.0, help="mean seconds between one user's photos (default 10)"
    )
    parser.add_argument("--no-voice", dest="voice", action="store_false", help="users send /voice off first")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument(
        "--data", help="MNIST directory (default: $HEY_NUMBER_MNIST_DIR, ../shared/data/mnist)"
    )
    parser.add_argument("--model", help="a .tflite model for the bot (default: the shipped one)")
    parser.add_argument("--workers", type=int, default=2, help="the bot's RECOGNITION_WORKERS (default 2)")
    parser.add_argument("--photos-per-minute", type=int, default=1000, help="the bot's rate limit")
    parser.add_argument("--bot-log", type=Path, default=REPO / "runs" / "load-bot.log")
    parser.add_argument("--bot-log-level", default="WARNING", help="the bot's LOG_LEVEL (default WARNING)")
    parser.add_argument("--raw", type=Path, help="write one JSON row per answer (all its times) here")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait after the last send")
    parser.add_argument("--settle", type=float, default=3.0, help="quiet seconds that end the run")
    args = parser.parse_args(argv)
    if args.users < 1 or args.photos < 1 or args.interval <= 0:
        parser.error("--users and --photos must be at least 1, --interval above 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    users = [FIRST_USER + i for i in range(args.users)]
    data = load_digits(mnist_dir(args.data))
    bank = DigitBank(data.test_images, data.test_labels)  # test digits only: the model never saw them
    log.info("rendering %d x %d photos (seed %d)", args.users, args.photos, args.seed)
    photos = render_photos(bank, [WARMUP_USER, *users], args.photos, args.seed)
    warmup = photos.pop(WARMUP_USER)[0]
    for photo in [warmup, *(p for sent in photos.values() for p in sent)]:
        prepare_upload(photo)
    plan = schedule(users, args.photos, args.interval, args.burst, args.seed)
    del data, bank

    args.bot_log.parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="hey-number-load-") as workdir,
        TelegramEmulator() as emulator,
        args.bot_log.open("w") as bot_log,
    ):
        for user_id in [WARMUP_USER, *users]:
            emulator.add_user(user_id, language_code="en")
        bot = start_bot(emulator, Path(workdir), args, bot_log)
        sampler = RssSampler(bot.pid)
        try:
            wait_until_polling(emulator, bot)
            log.info("bot %d is polling; warming it up with one photo", bot.pid)
            queue_photo(emulator, warmup)
            emulator.wait_for("sendMessage", chat_id=WARMUP_USER, timeout=120)
            if args.voice:
                emulator.wait_for("sendVoice", chat_id=WARMUP_USER, timeout=120)
            if not args.voice:
                mark = emulator.mark()
                for user_id in users:
                    emulator.user_sends_command(user_id, "/voice off")
                for user_id in users:
                    emulator.wait_for("sendMessage", chat_id=user_id, since=mark, timeout=120)
            time.sleep(1.0)
            rss_at_start = proc_status_kb(bot.pid, "VmRSS")
            since = emulator.mark()
            cpu_before = cpu_seconds(bot.pid)
            machine_before, own_before, wall_before = (
                machine_cpu_seconds(),
                own_cpu_seconds(),
                time.monotonic(),
            )
            sampler.start()
            log.info(
                "clock starts: %d users x %d photos, %s",
                args.users,
                args.photos,
                "all at once" if args.burst else f"one every ~{args.interval:g} s",
            )
            run_users(emulator, photos, plan)
            log.info("all %d photos sent; waiting for the answers", args.users * args.photos)
            wait_for_answers(emulator, bot, users, args.photos, since, args.timeout, args.settle)
            cpu_used = cpu_seconds(bot.pid) - cpu_before
            driver_used = own_cpu_seconds() - own_before
            others_used = machine_cpu_seconds() - machine_before - cpu_used - driver_used
            run_seconds = time.monotonic() - wall_before
            peak_kb = max(proc_status_kb(bot.pid, "VmHWM"), sampler.peak_kb)
        finally:
            sampler.stopped.set()
            status = stop_bot(bot)
        log.info("bot stopped (exit status %s); checking the store", status)
        readings = stored_readings(Path(workdir) / "data")
        result, rows = analyse(emulator, photos, readings, since, args.voice)
    if args.raw:
        args.raw.parent.mkdir(parents=True, exist_ok=True)
        args.raw.write_text(json.dumps(rows, ensure_ascii=False, indent=0))
        log.info("wrote %d answers' times to %s", len(rows), args.raw)
    result.update(
        users=args.users,
        photos=args.photos,
        seed=args.seed,
        burst=args.burst,
        interval=args.interval,
        voice=args.voice,
        bot_peak_rss_mb=round(peak_kb / 1024, 1),
        bot_rss_at_start_mb=round(rss_at_start / 1024, 1),
        bot_cpu_seconds=round(cpu_used, 1),
        bot_cpu_ms_per_photo=round(1000 * cpu_used / max(result["answered"], 1), 1),
        driver_cpu_seconds=round(driver_used, 1),
        other_processes_cpu_seconds=round(max(others_used, 0.0), 1),
        other_processes_cores=round(max(others_used, 0.0) / max(run_seconds, 1e-9), 2),
        cores=os.cpu_count(),
        driver_peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        bot_exit_status=status,
        bot_log=scan_log(args.bot_log),
    )
    p95 = result["text_latency_s"]["p95"]
    result["targets"] = {
        "exactly_once": result["lost"] == 0 and result["duplicated"] == 0,
        "in_order": result["order_violations"] == 0 and result["answers_before_their_photo"] == 0,
        "p95_text_latency": p95 is not None and p95 <= TARGET_P95_SECONDS,
        "bot_peak_rss": 0 < result["bot_peak_rss_mb"] <= TARGET_RSS_MB,
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print_table(result)
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
