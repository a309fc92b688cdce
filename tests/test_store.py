"""The bot's store: a real SQLite file and real PNG files under tmp_path, and real SIGKILLs."""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import bot.store as store_module
from bot.store import (
    DB_NAME,
    STATUS_ANSWERED,
    STATUS_CONFIRMED,
    STATUS_CORRECTED,
    STATUS_READ,
    STATUS_RECEIVED,
    DigitCrop,
    Store,
    StoreError,
    UnknownReadingError,
    UserSettings,
)

REPO = Path(__file__).resolve().parent.parent
JPEG_BYTES = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4  # starts like a JPEG; content is irrelevant
RANDOM_KILLS = 30
MAX_KILL_DELAY_SECONDS = 0.05
CRASH_READINGS = 12
CRASH_DIGITS = 6
THREADS = 8
ROUNDS_PER_THREAD = 12


def make_crops(digits: str, seed: int = 0) -> list[DigitCrop]:
    """Random 28x28 uint8 crops (every pixel value can occur) read as ``digits``."""
    rng = np.random.default_rng(seed)
    return [
        DigitCrop(position, digit, float(rng.uniform(0.5, 1.0)), rng.integers(0, 256, (28, 28), np.uint8))
        for position, digit in enumerate(digits)
    ]


def new_reading(store: Store, digits: str = "01234", user_id: int = 7, seed: int = 0):
    """A photo saved and read as ``digits``; returns (reading id, crops)."""
    reading_id = store.save_photo(user_id, 100 + user_id, JPEG_BYTES, "photo")
    crops = make_crops(digits, seed)
    store.record_reading(reading_id, digits, crops)
    return reading_id, crops


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "data") as opened:
        yield opened


# --- opening ---------------------------------------------------------------------------------------


def test_creates_layout_in_wal_mode_at_current_schema(tmp_path: Path):
    data_dir = tmp_path / "new" / "data"
    Store(data_dir).close()
    assert (data_dir / "photos").is_dir() and (data_dir / "digits").is_dir()
    with sqlite3.connect(data_dir / DB_NAME) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(store_module.MIGRATIONS)


def test_migration_adds_a_column_and_keeps_rows(tmp_path: Path, monkeypatch):
    with Store(tmp_path) as old:
        old.update_settings(1, region="FR")

    def add_column(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE users ADD COLUMN nickname TEXT")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*store_module.MIGRATIONS, add_column])
    with Store(tmp_path) as new:
        assert new.get_settings(1).region == "FR"
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert "nickname" in [row[1] for row in conn.execute("PRAGMA table_info(users)")]


def test_newer_schema_is_refused(tmp_path: Path):
    Store(tmp_path).close()
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer hey-number"):
        Store(tmp_path)


def assert_one_sentence_naming(error: StoreError, path: Path) -> None:
    message = str(error)
    assert str(path) in message
    assert "\n" not in message and message.endswith(".")


def test_non_sqlite_file_is_a_store_error(tmp_path: Path):
    db_path = tmp_path / DB_NAME
    db_path.write_text("phone numbers, one a line\n" * 100)
    with pytest.raises(StoreError) as caught:
        Store(tmp_path)
    assert_one_sentence_naming(caught.value, db_path)


def test_damaged_sqlite_file_is_a_store_error(tmp_path: Path):
    with Store(tmp_path) as store:
        for user_id in range(50):
            store.update_settings(user_id, region="DE")
    db_path = tmp_path / DB_NAME
    data = bytearray(db_path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    data[page_size : page_size * 3] = b"\xaa" * (page_size * 2)  # pages 2 and 3: the first tables
    db_path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as caught:
        Store(tmp_path)
    assert_one_sentence_naming(caught.value, db_path)


def test_data_dir_that_is_a_file_is_a_store_error(tmp_path: Path):
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as caught:
        Store(blocker)
    assert_one_sentence_naming(caught.value, blocker)


# --- settings --------------------------------------------------------------------------------------


def test_settings_default_round_trip_and_persist(tmp_path: Path):
    with Store(tmp_path) as store:
        assert store.get_settings(42) == UserSettings(voice=True, region=None, language=None)
        changed = store.update_settings(42, voice=False, region="DE")
        assert changed == UserSettings(voice=False, region="DE", language=None)
        assert store.update_settings(42, language="de") == UserSettings(False, "DE", "de")
        assert store.get_settings(43) == UserSettings()
    with Store(tmp_path) as reopened:
        assert reopened.get_settings(42) == UserSettings(voice=False, region="DE", language="de")


def test_settings_reject_unknown_names_and_wrong_types(store: Store):
    with pytest.raises(TypeError, match="colour"):
        store.update_settings(1, colour="blue")
    with pytest.raises(TypeError, match="voice"):
        store.update_settings(1, voice="yes")
    assert store.get_settings(1) == UserSettings()


# --- readings --------------------------------------------------------------------------------------


def test_photo_is_kept_before_recognition_and_unanswered_until_answered(tmp_path: Path):
    with Store(tmp_path) as store:
        reading_id = store.save_photo(5, 6, JPEG_BYTES, "document")
    # A new process after a crash: the photo is on disk and offered again.
    with Store(tmp_path) as store:
        [pending] = store.unanswered_readings()
        assert (pending.id, pending.user_id, pending.chat_id, pending.source) == (
            reading_id,
            5,
            6,
            "document",
        )
        assert pending.status == STATUS_RECEIVED and pending.text is None
        assert pending.photo_path.read_bytes() == JPEG_BYTES
        assert pending.photo_path.suffix == ".jpg"
        store.record_reading(reading_id, "0123", make_crops("0123"))
        [pending] = store.unanswered_readings()
        assert pending.status == STATUS_READ and pending.text == "0123"
        store.mark_answered(reading_id)
        assert store.unanswered_readings() == []
        assert store.get_reading(reading_id).status == STATUS_ANSWERED
    assert not list((tmp_path / "photos").glob(".*"))  # no temporary files left behind


def test_photos_are_kept_under_their_kinds_suffix(store: Store):
    """Photos sent as files keep a suffix that opens them by hand: an iPhone's HEIC, an AVIF."""
    kinds = {b"\x00\x00\x00\x18ftypheic": ".heic", b"\x00\x00\x00\x1cftypavif": ".avif"}
    kinds |= {JPEG_BYTES: ".jpg", b"\x00\x00\x00\x18ftypisom": ".bin", b"%PDF-1.4": ".bin"}
    for head, suffix in kinds.items():
        reading_id = store.save_photo(1, 1, head + b"\x00" * 64, "document")
        assert store.get_reading(reading_id).photo_path.suffix == suffix


def test_unanswered_reading_is_given_up_after_max_attempts(store: Store):
    reading_id = store.save_photo(1, 1, JPEG_BYTES, "photo")
    assert [r.id for r in store.unanswered_readings(max_attempts=2)] == [reading_id]
    assert [r.id for r in store.unanswered_readings(max_attempts=2)] == [reading_id]
    assert store.unanswered_readings(max_attempts=2) == []


def test_get_reading_unknown_is_none_and_writes_to_it_raise(store: Store):
    assert store.get_reading(999) is None
    with pytest.raises(UnknownReadingError):
        store.save_correction(999, 1, "123")
    with pytest.raises(UnknownReadingError):
        store.mark_answered(999)
    unread = store.save_photo(1, 1, JPEG_BYTES, "photo")
    with pytest.raises(ValueError, match="not been read"):
        store.confirm_reading(unread, 1)  # nothing was read yet, so there is nothing to confirm


def test_bad_crops_are_refused_before_any_file_is_written(store: Store):
    reading_id = store.save_photo(1, 1, JPEG_BYTES, "photo")
    wrong_shape = DigitCrop(0, "1", 0.9, np.zeros((28, 27), np.uint8))
    wrong_dtype = DigitCrop(0, "1", 0.9, np.zeros((28, 28), np.float32))
    not_a_digit = DigitCrop(0, "x", 0.9, np.zeros((28, 28), np.uint8))
    for crop in (wrong_shape, wrong_dtype, not_a_digit):
        with pytest.raises(ValueError):
            store.record_reading(reading_id, "1", [crop])
    assert list(store.digits_dir.iterdir()) == []


# --- corrections and labels ------------------------------------------------------------------------


def test_correction_labels_crops_with_exact_pixels(store: Store):
    reading_id, crops = new_reading(store, "01234", seed=3)
    stored = store.get_reading(reading_id).crops
    for crop, kept in zip(crops, stored, strict=True):
        assert kept.image_path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert np.array_equal(np.asarray(Image.open(kept.image_path)), crop.image)  # a real PNG
        assert (kept.digit, kept.confidence, kept.label) == (crop.digit, crop.confidence, None)

    correction = store.save_correction(reading_id, 7, "+0 (12) 3-5")
    assert (correction.labelled, correction.confirmed, correction.corrected) == (5, False, "+0 (12) 3-5")

    images, labels, reading_ids = store.labelled_digits()
    assert images.dtype == np.uint8 and images.shape == (5, 28, 28)
    assert np.array_equal(images, np.stack([crop.image for crop in crops]))
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1, 2, 3, 5]
    assert reading_ids.tolist() == [reading_id] * 5
    reading = store.get_reading(reading_id)
    assert reading.status == STATUS_CORRECTED and [c.label for c in reading.crops] == [0, 1, 2, 3, 5]


def test_correction_in_another_script_labels_too(store: Store):
    reading_id, _ = new_reading(store, "0123")
    assert store.save_correction(reading_id, 7, "٠١٢٩").labelled == 4  # Arabic-Indic digits
    assert store.labelled_digits()[1].tolist() == [0, 1, 2, 9]


def test_length_mismatch_keeps_text_but_labels_nothing(store: Store):
    reading_id, _ = new_reading(store, "01234")
    correction = store.save_correction(reading_id, 7, "012345")
    assert correction.labelled == 0
    reading = store.get_reading(reading_id)
    assert reading.correction.corrected == "012345" and reading.status == STATUS_CORRECTED
    assert all(crop.label is None for crop in reading.crops)
    images, labels, reading_ids = store.labelled_digits()
    assert images.shape == (0, 28, 28) and labels.size == 0 and reading_ids.size == 0
    assert store.stats()["corrections"] == 1


def test_second_correction_replaces_the_first(store: Store):
    reading_id, _ = new_reading(store, "0123")
    store.save_correction(reading_id, 7, "0129")
    store.save_correction(reading_id, 7, "8123")
    assert store.labelled_digits()[1].tolist() == [8, 1, 2, 3]
    assert store.get_reading(reading_id).correction.corrected == "8123"
    store.save_correction(reading_id, 7, "81234")  # now a mismatch: the old labels must go too
    assert store.labelled_digits()[1].size == 0
    stats = store.stats()
    assert (stats["corrections"], stats["labelled_digits"]) == (1, 0)


def test_confirmation_labels_with_what_was_read(store: Store):
    confirmed_id, confirmed_crops = new_reading(store, "4567", seed=1)
    corrected_id, _ = new_reading(store, "12", seed=2)
    store.save_correction(corrected_id, 7, "13")
    correction = store.confirm_reading(confirmed_id, 7)
    assert (correction.confirmed, correction.labelled, correction.corrected) == (True, 4, "4567")
    assert store.get_reading(confirmed_id).status == STATUS_CONFIRMED

    images, labels, reading_ids = store.labelled_digits("confirmed")
    assert labels.tolist() == [4, 5, 6, 7] and set(reading_ids.tolist()) == {confirmed_id}
    assert np.array_equal(images, np.stack([crop.image for crop in confirmed_crops]))
    assert store.labelled_digits("corrected")[1].tolist() == [1, 3]
    assert store.labelled_digits("all")[1].tolist() == [4, 5, 6, 7, 1, 3]
    stats = store.stats()
    assert (stats["corrections"], stats["confirmations"], stats["labelled_digits"]) == (1, 1, 6)
    assert stats["labelled_per_class"] == {0: 0, 1: 1, 2: 0, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 0, 9: 0}
    with pytest.raises(ValueError):
        store.labelled_digits("everything")


def test_reading_again_replaces_crops_and_drops_the_old_verdict(store: Store):
    reading_id, _ = new_reading(store, "012")
    old_files = [crop.image_path for crop in store.get_reading(reading_id).crops]
    store.confirm_reading(reading_id, 7)
    store.record_reading(reading_id, "9876", make_crops("9876", seed=5))
    reading = store.get_reading(reading_id)
    assert [crop.digit for crop in reading.crops] == list("9876") and reading.correction is None
    assert not any(path.exists() for path in old_files)
    assert store.labelled_digits()[1].size == 0


# --- crash safety ----------------------------------------------------------------------------------

# Runs corrections and confirmations forever, in a random order, printing "start" before each call
# and "done" after it returns. argv: data dir, seed, reading ids, the reading id whose commit kills
# the child (-1: none), digits per reading.
CHILD_SCRIPT = """
import json, os, signal, sys
import numpy as np
from bot.store import Store

data_dir, seed, ids, kill_at = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
length = int(sys.argv[5])
store = Store(data_dir)
if kill_at >= 0:
    store._before_commit = lambda rid: rid == kill_at and os.kill(os.getpid(), signal.SIGKILL)
rng = np.random.default_rng(seed)
print("ready", flush=True)
while True:
    for rid in rng.permutation(ids).tolist():
        choice = int(rng.integers(3))
        digits = "".join(str(d) for d in rng.integers(0, 10, length + (choice == 2)))
        corrected = None if choice == 0 else "+" + digits[:2] + " " + digits[2:]
        print(json.dumps(["start", rid, corrected]), flush=True)
        if corrected is None:
            store.confirm_reading(rid, 1)
        else:
            store.save_correction(rid, 1, corrected)
        print(json.dumps(["done", rid]), flush=True)
"""


def crash_fixture(data_dir: Path) -> dict[int, str]:
    """A store with readings of CRASH_DIGITS crops each; returns {reading id: text read}."""
    texts = ["".join(str((i + k) % 10) for k in range(CRASH_DIGITS)) for i in range(CRASH_READINGS)]
    with Store(data_dir) as store:
        return {new_reading(store, text, 1, seed=i)[0]: text for i, text in enumerate(texts)}


def run_child(data_dir: Path, seed: int, ids: list[int], kill_at: int = -1, delay: float | None = None):
    """Start the child, SIGKILL it ``delay`` seconds after it is ready (or let its hook do it).

    Returns (committed, in_flight): the verdict the child saw commit last for each reading, and the
    (reading id, verdict) it was inside when it died, if any. A verdict is the corrected text, or
    None for a confirmation.
    """
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD_SCRIPT,
            str(data_dir),
            str(seed),
            json.dumps(ids),
            str(kill_at),
            str(CRASH_DIGITS),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "ready"
    if delay is not None:
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
    output = process.stdout.read()
    assert process.wait(timeout=30) == -signal.SIGKILL
    committed: dict[int, str | None] = {}
    in_flight = None
    for line in output.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            break  # the last line may be cut by the kill
        if event[0] == "start":
            in_flight = (event[1], event[2])
        else:
            committed[in_flight[0]] = in_flight[1]
            in_flight = None
    return committed, in_flight


def verdicts_in_database(db_path: Path) -> dict[int, tuple[str, bool] | None]:
    """Check the database with plain SQL and return each reading's verdict (text, confirmed) or None.

    Every verdict must be whole: labels exactly as the verdict implies, or none when it has none.
    """
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        verdicts = {}
        for (reading_id,) in conn.execute("SELECT id FROM readings ORDER BY id").fetchall():
            read = [int(d) for (d,) in conn.execute(
                "SELECT digit FROM crops WHERE reading_id = ? ORDER BY position", (reading_id,)
            )]  # fmt: skip
            labels = [label for (label,) in conn.execute(
                "SELECT label FROM labels WHERE reading_id = ? ORDER BY position", (reading_id,)
            )]  # fmt: skip
            row = conn.execute(
                "SELECT corrected, confirmed, labelled FROM corrections WHERE reading_id = ?", (reading_id,)
            ).fetchone()
            if row is None:
                assert labels == [], f"reading {reading_id}: labels without a correction"
                verdicts[reading_id] = None
                continue
            corrected, confirmed, labelled = row
            typed = [int(char) for char in corrected if char.isdigit()]
            expected = read if confirmed else (typed if len(typed) == len(read) else [])
            assert labels == expected and labelled == len(expected), f"reading {reading_id} is half-written"
            verdicts[reading_id] = (corrected, bool(confirmed))
        return verdicts
    finally:
        conn.close()


def as_verdict(corrected: str | None, read_text: str) -> tuple[str, bool]:
    return (read_text, True) if corrected is None else (corrected, False)


def check_after_kill(data_dir: Path, expected: dict, committed: dict, in_flight, texts: dict) -> dict:
    """Everything committed is there, the interrupted call is all-or-nothing; returns the new state."""
    Store(data_dir).close()  # opens (and recovers the WAL) without error
    found = verdicts_in_database(data_dir / DB_NAME)
    for reading_id, corrected in committed.items():
        expected[reading_id] = as_verdict(corrected, texts[reading_id])
    if in_flight is not None:
        reading_id, corrected = in_flight
        allowed = {expected.get(reading_id), as_verdict(corrected, texts[reading_id])}
        assert found[reading_id] in allowed
        expected[reading_id] = found[reading_id]
    assert found == {reading_id: expected.get(reading_id) for reading_id in found}
    return expected


def test_corrections_survive_random_sigkills_whole_or_not_at_all(tmp_path: Path):
    texts = crash_fixture(tmp_path)
    ids = list(texts)
    rng = np.random.default_rng(2024)
    expected: dict = {}
    interrupted = 0
    for run in range(RANDOM_KILLS):
        delay = float(rng.uniform(0, MAX_KILL_DELAY_SECONDS))
        committed, in_flight = run_child(tmp_path, seed=run, ids=ids, delay=delay)
        interrupted += in_flight is not None
        expected = check_after_kill(tmp_path, expected, committed, in_flight, texts)
    assert interrupted > RANDOM_KILLS // 2  # the kills really did land in the middle of calls
    assert any(verdict is not None for verdict in expected.values())


@pytest.mark.parametrize("already_corrected", [False, True])
def test_kill_inside_the_transaction_leaves_the_old_state(tmp_path: Path, already_corrected: bool):
    texts = crash_fixture(tmp_path)
    ids = list(texts)
    victim = ids[3]
    with Store(tmp_path) as store:
        if already_corrected:
            store.save_correction(victim, 2, "old 999")
        before = store.get_reading(victim)
    committed, in_flight = run_child(tmp_path, seed=7, ids=ids, kill_at=victim)
    assert in_flight is not None and in_flight[0] == victim  # killed inside the victim's transaction
    found = verdicts_in_database(tmp_path / DB_NAME)
    assert found[victim] == (("old 999", False) if already_corrected else None)
    for reading_id, corrected in committed.items():
        assert found[reading_id] == as_verdict(corrected, texts[reading_id])
    with Store(tmp_path) as store:
        assert store.get_reading(victim) == before


# --- concurrency, failures, privacy ----------------------------------------------------------------


def test_eight_threads_on_two_store_objects_lose_no_rows(tmp_path: Path):
    stores = [Store(tmp_path), Store(tmp_path)]  # two connections: the lock and SQLite's locking
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        store = stores[thread % 2]
        try:
            start.wait()
            for round_ in range(ROUNDS_PER_THREAD):
                reading_id, _ = new_reading(store, "12", user_id=thread, seed=round_)
                store.save_correction(reading_id, thread, "13")
                store.update_settings(thread, region=f"R{round_}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(thread,)) for thread in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == []
    total = THREADS * ROUNDS_PER_THREAD
    with Store(tmp_path) as store:
        stats = store.stats()
        assert (stats["photos"], stats["readings"], stats["corrections"]) == (total, total, total)
        assert stats["labelled_digits"] == 2 * total
        assert all(store.get_settings(t).region == f"R{ROUNDS_PER_THREAD - 1}" for t in range(THREADS))
        assert len(list(store.photos_dir.iterdir())) == total
        assert len(list(store.digits_dir.iterdir())) == 2 * total


@pytest.mark.parametrize(
    ("function", "code", "words"),
    [("fsync", errno.ENOSPC, "disk is full"), ("replace", errno.EACCES, "no permission")],
)
def test_file_errors_become_store_errors_and_leave_nothing(store: Store, monkeypatch, function, code, words):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(store_module.os, function, fail)
    with pytest.raises(StoreError, match=words) as caught:
        store.save_photo(1, 1, JPEG_BYTES, "photo")
    monkeypatch.undo()
    assert "\n" not in str(caught.value) and str(store.photos_dir) in str(caught.value)
    assert list(store.photos_dir.iterdir()) == []
    assert store.stats()["photos"] == 0


def test_full_database_is_a_store_error_and_leaves_no_orphan_photo(store: Store):
    pages = store._connection.execute("PRAGMA page_count").fetchone()[0]
    store._connection.execute(f"PRAGMA max_page_count = {pages}")  # the database cannot grow
    with pytest.raises(StoreError, match="disk is full"):
        for _ in range(1000):
            store.save_photo(1, 1, JPEG_BYTES, "photo")
    assert len(list(store.photos_dir.iterdir())) == store.stats()["photos"]


def test_logs_never_hold_photo_bytes_or_typed_text(store: Store, caplog):
    secret_text = "0176 5550 1234 my number"
    with caplog.at_level(logging.DEBUG, logger="bot.store"):
        reading_id = store.save_photo(1, 1, JPEG_BYTES, "photo")
        store.record_reading(reading_id, "0176", make_crops("0176"))
        store.save_correction(reading_id, 1, secret_text)
        store.update_settings(1, region="DE")
    assert caplog.records  # something was logged
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert secret_text not in logged and "0176" not in logged
    assert repr(JPEG_BYTES[:16]) not in logged and "\\xff\\xd8" not in logged


def test_forget_user_removes_files_rows_and_their_verdicts(tmp_path: Path):
    with Store(tmp_path) as store:
        mine, _ = new_reading(store, "123", user_id=1)
        also_mine, _ = new_reading(store, "45", user_id=1, seed=1)
        theirs, _ = new_reading(store, "67", user_id=2, seed=2)
        store.save_correction(mine, 1, "0176 5550 9999")
        store.save_correction(theirs, 1, "68")  # user 1 corrected user 2's reading
        store.update_settings(1, region="DE")
        my_files = [store.get_reading(r).photo_path for r in (mine, also_mine)]
        my_files += [crop.image_path for r in (mine, also_mine) for crop in store.get_reading(r).crops]
        assert all(path.exists() for path in my_files)

        assert store.forget_user(1) == 2
        assert not any(path.exists() for path in my_files)
        assert store.get_reading(mine) is None and store.get_reading(also_mine) is None
        assert store.get_settings(1) == UserSettings()
        kept = store.get_reading(theirs)
        assert kept.correction is None and kept.photo_path.exists() and len(kept.crops) == 2
        assert store.labelled_digits()[1].size == 0
        assert store.stats()["photos"] == 1
    on_disk = b"".join(path.read_bytes() for path in tmp_path.glob(DB_NAME + "*"))
    assert b"0176 5550 9999" not in on_disk  # secure_delete and the checkpoint wiped the text


def test_vacuum_orphans_removes_only_old_unreferenced_files(store: Store):
    reading_id, _ = new_reading(store, "12")
    old_orphan = store.photos_dir / "left-by-a-crash.jpg"
    new_orphan = store.digits_dir / "being-written-now.png"
    for path in (old_orphan, new_orphan):
        path.write_bytes(b"x")
    an_hour_ago = time.time() - 2 * store_module.ORPHAN_GRACE_SECONDS
    os.utime(old_orphan, (an_hour_ago, an_hour_ago))
    for crop in store.get_reading(reading_id).crops:  # referenced files stay, however old
        os.utime(crop.image_path, (an_hour_ago, an_hour_ago))

    assert store.vacuum_orphans() == 1
    assert not old_orphan.exists() and new_orphan.exists()
    reading = store.get_reading(reading_id)
    assert reading.photo_path.exists() and all(crop.image_path.exists() for crop in reading.crops)
