"""Everything the bot keeps on disk: user settings, the photos users send, what was read, corrections.

The store owns one directory::

    data_dir/
        store.sqlite3   rows: users, readings, crops, corrections, labels (SQLite, WAL mode)
        photos/         every photo exactly as received, written before recognition starts
        digits/         every normalised 28x28 crop the model saw, as PNG (white on black)

The rules it keeps, so that nothing a user gave is lost and nothing half-written is ever seen:

* A file is made durable (temporary name, fsync, ``os.replace``, fsync of the directory) *before*
  the transaction that references it commits, and deleted only *after* the transaction that drops
  the reference commits. A row therefore never points at a missing file; a crash can at worst leave
  an unreferenced file, which :meth:`Store.vacuum_orphans` removes.
* A correction (or confirmation) and the digit labels it implies are one transaction: a kill at any
  moment leaves all of it or none of it.
* Every disk or database failure surfaces as :class:`StoreError`, one plain sentence naming the file.
* Photo bytes and the texts users type are never logged above DEBUG (only sizes and ids are).

The retraining process reads the labels through :meth:`Store.labelled_digits` while the bot runs;
WAL mode lets it read while the bot writes. No Telegram code and no image processing live here beyond
encoding the given crops as PNG and decoding them again.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np

from recognizer.decode import HEIF_BRANDS

log = logging.getLogger(__name__)

DB_NAME = "store.sqlite3"
PHOTOS_DIR = "photos"
DIGITS_DIR = "digits"
CROP_SIDE = 28
BUSY_TIMEOUT_SECONDS = 30.0
MAX_PHOTO_BYTES = 20 * 1024 * 1024  # Telegram's own limit for files a bot may download
MAX_TEXT_CHARS = 256
MAX_SETTING_CHARS = 64
MAX_SOURCE_CHARS = 32
MAX_RECOVERY_ATTEMPTS = 3
ORPHAN_GRACE_SECONDS = 3600.0
TEMP_SUFFIX = ".tmp"
FILE_MODE = 0o600  # photos are private
DIR_MODE = 0o700
UNKNOWN_PHOTO_SUFFIX = ".bin"

STATUS_RECEIVED = "received"  # photo saved, recognition not finished
STATUS_READ = "read"  # recognised, no answer sent yet
STATUS_ANSWERED = "answered"
STATUS_CORRECTED = "corrected"
STATUS_CONFIRMED = "confirmed"

LabelKind = Literal["all", "corrected", "confirmed"]
LABEL_KINDS: dict[str, int | None] = {"all": None, "corrected": 0, "confirmed": 1}

# Pragmas set on every connection. synchronous=FULL makes each commit (corrections included) durable
# before it returns; the bot writes a handful of rows per photo, so the extra fsync costs nothing
# users notice. secure_delete overwrites deleted rows on disk, which /forget relies on.
CONNECTION_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = FULL",
    "PRAGMA secure_delete = ON",
)

PHOTO_SIGNATURES = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
    (b"BM", ".bmp"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
)


class StoreError(Exception):
    """The store's files or database cannot be used; the message is one sentence naming the file."""


class UnknownReadingError(StoreError):
    """No reading has this id (it never existed, or its user asked to be forgotten)."""


@dataclass(frozen=True)
class UserSettings:
    """One user's preferences; the defaults apply to users who never changed anything."""

    voice: bool = True
    region: str | None = None
    language: str | None = None


@dataclass(frozen=True, eq=False)
class DigitCrop:
    """One digit as the model saw it: a 28x28 uint8 crop, white on black, and what it was read as."""

    position: int
    digit: str
    confidence: float
    image: np.ndarray


@dataclass(frozen=True)
class StoredCrop:
    """A crop kept on disk: what was read, where its PNG is, and its training label if it has one."""

    position: int
    digit: str
    confidence: float
    image_path: Path
    label: int | None


@dataclass(frozen=True)
class Correction:
    """A user's verdict on a reading: a corrected text, or a confirmation that the reading was right."""

    reading_id: int
    user_id: int
    corrected: str
    confirmed: bool
    labelled: int  # how many crops the verdict labelled (0 when the digit counts differ)
    created: datetime


@dataclass(frozen=True)
class Reading:
    """A photo a user sent and, once recognition finished, what was read from it."""

    id: int
    user_id: int
    chat_id: int
    source: str
    created: datetime
    photo_path: Path
    text: str | None
    status: str
    crops: tuple[StoredCrop, ...] = ()
    correction: Correction | None = None


# --- schema ------------------------------------------------------------------------------------------

SCHEMA_V1 = (
    """CREATE TABLE users (
        user_id   INTEGER PRIMARY KEY,
        voice     INTEGER NOT NULL DEFAULT 1 CHECK (voice IN (0, 1)),
        region    TEXT,
        language  TEXT,
        updated   REAL NOT NULL
    )""",
    # AUTOINCREMENT: ids are never reused after /forget, so a trainer's held-out ids stay meaningful.
    """CREATE TABLE readings (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id            INTEGER NOT NULL,
        chat_id            INTEGER NOT NULL,
        source             TEXT NOT NULL,
        photo_path         TEXT NOT NULL UNIQUE,
        photo_bytes        INTEGER NOT NULL,
        created            REAL NOT NULL,
        text               TEXT,
        read_at            REAL,
        answered_at        REAL,
        recovery_attempts  INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX readings_by_user ON readings (user_id)",
    "CREATE INDEX readings_unanswered ON readings (id) WHERE answered_at IS NULL",
    """CREATE TABLE crops (
        reading_id  INTEGER NOT NULL REFERENCES readings (id) ON DELETE CASCADE,
        position    INTEGER NOT NULL CHECK (position >= 0),
        digit       TEXT NOT NULL,
        confidence  REAL NOT NULL,
        image_path  TEXT NOT NULL UNIQUE,
        PRIMARY KEY (reading_id, position)
    )""",
    """CREATE TABLE corrections (
        reading_id  INTEGER PRIMARY KEY REFERENCES readings (id) ON DELETE CASCADE,
        user_id     INTEGER NOT NULL,
        corrected   TEXT NOT NULL,
        confirmed   INTEGER NOT NULL CHECK (confirmed IN (0, 1)),
        labelled    INTEGER NOT NULL,
        created     REAL NOT NULL
    )""",
    "CREATE INDEX corrections_by_user ON corrections (user_id)",
    # A label exists only while both its crop and the correction that gave it exist.
    """CREATE TABLE labels (
        reading_id  INTEGER NOT NULL REFERENCES corrections (reading_id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,
        label       INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        PRIMARY KEY (reading_id, position),
        FOREIGN KEY (reading_id, position) REFERENCES crops (reading_id, position) ON DELETE CASCADE
    )""",
)


def _migration_1(conn: sqlite3.Connection) -> None:
    """Version 1: the initial schema."""
    for statement in SCHEMA_V1:
        conn.execute(statement)


# MIGRATIONS[i] takes the schema from version i to i + 1. To add a column later, append a function
# running e.g. "ALTER TABLE readings ADD COLUMN model TEXT"; never edit one that has shipped.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migration_1]


def migrate(conn: sqlite3.Connection, db_path: Path) -> int:
    """Bring the schema up to date in one transaction; return the version it is at now."""
    conn.execute("BEGIN IMMEDIATE")  # two processes opening a new store at once: one migrates
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{db_path} was written by a newer hey-number (schema version {version}, "
                f"this one knows up to {len(MIGRATIONS)})."
            )
        for number in range(version + 1, len(MIGRATIONS) + 1):
            MIGRATIONS[number - 1](conn)
            conn.execute(f"PRAGMA user_version = {number}")
            log.info("Migrated %s to schema version %d.", db_path, number)
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise
    return len(MIGRATIONS)


# --- errors ------------------------------------------------------------------------------------------


def _db_error(exc: sqlite3.Error, path: Path) -> StoreError:
    """Turn an SQLite error into one plain sentence naming the database file."""
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc).lower()
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or "not a database" in text or "malformed" in text:
        return StoreError(f"{path} is not a usable hey-number database: it is corrupt or not SQLite.")
    if name == "SQLITE_FULL" or "disk is full" in text:
        return StoreError(f"The disk is full, so {path} could not be written.")
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH")) or "readonly" in text:
        return StoreError(f"hey-number has no permission to write {path}.")
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return StoreError(f"{path} could not be opened (check that its folder exists and is writable).")
    if name.startswith("SQLITE_IOERR") or "disk i/o" in text:
        return StoreError(f"The disk reported an input/output error on {path}.")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return StoreError(f"{path} stayed locked by another process for {BUSY_TIMEOUT_SECONDS:.0f} seconds.")
    return StoreError(f"{path} could not be used ({exc}).")


def _os_error(exc: OSError, path: Path) -> StoreError:
    """Turn a file-system error into one plain sentence naming the file."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreError(f"The disk is full, so {path} could not be written.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreError(f"hey-number has no permission to write {path}.")
    return StoreError(f"{path} could not be written ({exc.strerror or exc}).")


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back the open transaction, if any, without masking the error that caused it."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


# --- small helpers -----------------------------------------------------------------------------------


def _now() -> float:
    return time.time()


def _when(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _token() -> str:
    return uuid.uuid4().hex


def _digits_of(text: str) -> list[int]:
    """The decimal digits in ``text`` (any script: "٠٧٩" counts), ignoring spaces, '+', dashes."""
    return [unicodedata.decimal(char) for char in text if char.isdecimal()]


def _photo_suffix(photo: bytes) -> str:
    """A file suffix from the photo's first bytes, so the files can be opened by hand."""
    for signature, suffix in PHOTO_SIGNATURES:
        if photo.startswith(signature):
            return suffix
    if photo[:4] == b"RIFF" and photo[8:12] == b"WEBP":
        return ".webp"
    if photo[4:8] == b"ftyp" and photo[8:12] == b"avif":  # (an ISO media file, by its first brand)
        return ".avif"
    if photo[4:8] == b"ftyp" and photo[8:12] in HEIF_BRANDS:
        return ".heic"
    return UNKNOWN_PHOTO_SUFFIX


def _check_text(value: str, name: str, limit: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    return value


def _check_crops(crops: Sequence[DigitCrop]) -> list[DigitCrop]:
    """Validate crops before anything is written: 28x28 uint8 images, single digits, unique positions."""
    positions = [crop.position for crop in crops]
    if len(set(positions)) != len(positions):
        raise ValueError("two crops share a position")
    for crop in crops:
        if crop.position < 0:
            raise ValueError(f"crop position {crop.position} is negative")
        if len(crop.digit) != 1 or not crop.digit.isdecimal():
            raise ValueError(f"crop {crop.position}: digit must be one decimal digit")
        image = crop.image
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
            raise ValueError(f"crop {crop.position}: image must be a uint8 numpy array")
        if image.shape != (CROP_SIDE, CROP_SIDE):
            raise ValueError(
                f"crop {crop.position}: image must be {CROP_SIDE}x{CROP_SIDE}, not {image.shape}"
            )
    return sorted(crops, key=lambda crop: crop.position)


def _encode_png(image: np.ndarray) -> bytes:
    import cv2  # imported here: settings, photos and corrections never need OpenCV

    ok, buffer = cv2.imencode(".png", np.ascontiguousarray(image))
    if not ok:
        raise ValueError("OpenCV could not encode a crop as PNG")
    return buffer.tobytes()


def _decode_png(path: Path) -> np.ndarray | None:
    """The crop stored at ``path``, or None (with a warning) when it is missing or damaged."""
    import cv2

    try:
        data = path.read_bytes()
    except OSError as exc:
        log.warning("Skipping crop %s: %s.", path, exc.strerror or exc)
        return None
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.shape != (CROP_SIDE, CROP_SIDE) or image.dtype != np.uint8:
        log.warning("Skipping crop %s: not a %dx%d grey PNG.", path, CROP_SIDE, CROP_SIDE)
        return None
    return image


def _write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that after return it survives a crash or power cut.

    Written under a temporary name, fsynced, then renamed over ``path``: readers never see a
    half-written file. The caller fsyncs the directory to make the rename itself durable.
    """
    temporary = path.with_name(f".{path.name}{TEMP_SUFFIX}")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _status(row: sqlite3.Row, correction: Correction | None) -> str:
    if correction is not None:
        return STATUS_CONFIRMED if correction.confirmed else STATUS_CORRECTED
    if row["answered_at"] is not None:
        return STATUS_ANSWERED
    return STATUS_READ if row["text"] is not None else STATUS_RECEIVED


def _correction_from_row(row: sqlite3.Row) -> Correction:
    return Correction(
        reading_id=row["reading_id"],
        user_id=row["user_id"],
        corrected=row["corrected"],
        confirmed=bool(row["confirmed"]),
        labelled=row["labelled"],
        created=_when(row["created"]),
    )


# --- the store ---------------------------------------------------------------------------------------


class Store:
    """The bot's persistent state under one directory; safe to call from several threads.

    Concurrency: one SQLite connection per ``Store``, used under a ``threading.Lock``. A connection
    must not be used by two threads at once, and the lock makes each public call one critical section
    (so read-modify-write calls such as :meth:`update_settings` are atomic in this process). One
    long-lived connection rather than one per call because closing the last connection to a WAL
    database checkpoints it and deletes the WAL, an extra fsync on every call. Other processes (the
    retrainer) are arbitrated by SQLite itself: WAL readers never block the writer, writers take the
    write lock up front with ``BEGIN IMMEDIATE`` (a deferred transaction that upgrades can fail with
    SQLITE_BUSY at once) and wait up to ``BUSY_TIMEOUT_SECONDS`` for it. Slow file writes (photo and
    PNG fsyncs) and PNG decoding happen outside the lock.
    """

    def __init__(self, data_dir: Path | str) -> None:
        """Open the store in ``data_dir``, creating the directory, database and folders if missing."""
        self.data_dir = Path(data_dir)
        self.db_path = self.data_dir / DB_NAME
        self.photos_dir = self.data_dir / PHOTOS_DIR
        self.digits_dir = self.data_dir / DIGITS_DIR
        self._lock = threading.Lock()
        # Test hook: called inside a correction's transaction just before COMMIT, with the reading id.
        self._before_commit: Callable[[int], None] | None = None
        for directory in (self.data_dir, self.photos_dir, self.digits_dir):
            try:
                directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            except OSError as exc:
                raise _os_error(exc, directory) from exc
        self._connection: sqlite3.Connection | None = self._open()

    # -- connection and transactions

    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.db_path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise _db_error(exc, self.db_path) from exc
        try:
            conn.row_factory = sqlite3.Row
            for pragma in CONNECTION_PRAGMAS:
                conn.execute(pragma)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{self.db_path} could not be switched to WAL mode (it stays in {mode}).")
            if [row[0] for row in conn.execute("PRAGMA quick_check")] != ["ok"]:
                raise StoreError(f"{self.db_path} failed SQLite's integrity check: the file is damaged.")
            migrate(conn, self.db_path)
        except sqlite3.Error as exc:
            conn.close()
            raise _db_error(exc, self.db_path) from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Close the database connection; further calls raise :class:`StoreError`."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock; SQLite errors become :class:`StoreError`."""
        with self._lock:
            conn = self._connection
            if conn is None:
                raise StoreError(f"The store at {self.db_path} has been closed.")
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    _rollback(conn)
                    raise
            except sqlite3.Error as exc:
                raise _db_error(exc, self.db_path) from exc

    def _reading_row(self, conn: sqlite3.Connection, reading_id: int) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM readings WHERE id = ?", (reading_id,)).fetchone()
        if row is None:
            raise UnknownReadingError(f"There is no reading {reading_id} in {self.db_path}.")
        return row

    # -- files

    def _path(self, relative: str) -> Path:
        return self.data_dir / relative

    def _write_files(self, files: dict[str, bytes]) -> None:
        """Write each relative path durably, then fsync the directories holding them."""
        for relative, data in files.items():
            path = self._path(relative)
            try:
                _write_durably(path, data)
            except OSError as exc:
                self._remove_files(files)  # any already written: nothing will reference them
                raise _os_error(exc, path) from exc
        for directory in {self._path(relative).parent for relative in files}:
            try:
                _fsync_directory(directory)
            except OSError as exc:
                self._remove_files(files)
                raise _os_error(exc, directory) from exc

    def _remove_files(self, relatives: Iterable[str]) -> None:
        """Delete files no row references any more; a failure leaves an orphan for vacuum_orphans."""
        for relative in relatives:
            try:
                self._path(relative).unlink(missing_ok=True)
            except OSError as exc:
                log.warning("Could not delete %s (%s); vacuum_orphans will retry.", relative, exc.strerror)

    # -- user settings

    def get_settings(self, user_id: int) -> UserSettings:
        """The user's settings, or the defaults for a user never seen."""
        with self._transaction(write=False) as conn:
            row = conn.execute("SELECT * FROM users WHERE user_id = ?", (user_id,)).fetchone()
        if row is None:
            return UserSettings()
        return UserSettings(voice=bool(row["voice"]), region=row["region"], language=row["language"])

    def update_settings(self, user_id: int, **changes: object) -> UserSettings:
        """Change some of the user's settings (``voice=False``, ``region="DE"``…); return them all."""
        _check_setting_changes(changes)
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM users WHERE user_id = ?", (user_id,)).fetchone()
            current = (
                UserSettings()
                if row is None
                else UserSettings(voice=bool(row["voice"]), region=row["region"], language=row["language"])
            )
            settings = replace(current, **changes)
            conn.execute(
                "INSERT INTO users (user_id, voice, region, language, updated) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET voice = excluded.voice, region = excluded.region, "
                "language = excluded.language, updated = excluded.updated",
                (user_id, int(settings.voice), settings.region, settings.language, _now()),
            )
        log.debug("Updated settings %s.", sorted(changes))
        return settings

    # -- readings

    def save_photo(self, user_id: int, chat_id: int, photo: bytes, source: str) -> int:
        """Keep a photo before recognition starts; return the new reading's id.

        The bytes are durable on disk before the row is committed, so once this returns, the photo
        survives a crash and :meth:`unanswered_readings` will offer it again.
        """
        if not isinstance(photo, bytes | bytearray | memoryview) or len(photo) == 0:
            raise ValueError("photo must be non-empty bytes")
        if len(photo) > MAX_PHOTO_BYTES:
            raise ValueError(f"photo is larger than {MAX_PHOTO_BYTES} bytes")
        _check_text(source, "source", MAX_SOURCE_CHARS)
        photo = bytes(photo)
        relative = f"{PHOTOS_DIR}/{_token()}{_photo_suffix(photo)}"
        self._write_files({relative: photo})
        try:
            with self._transaction() as conn:
                cursor = conn.execute(
                    "INSERT INTO readings (user_id, chat_id, source, photo_path, photo_bytes, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (user_id, chat_id, source, relative, len(photo), _now()),
                )
                reading_id = int(cursor.lastrowid)
        except BaseException:
            self._remove_files([relative])
            raise
        log.info("Saved a %d-byte photo as reading %d.", len(photo), reading_id)
        return reading_id

    def record_reading(self, reading_id: int, text: str, digits: Sequence[DigitCrop]) -> None:
        """Store what was read from a photo and the crops the model saw (replacing any earlier ones)."""
        _check_text(text, "text")
        crops = _check_crops(digits)
        files = {
            f"{DIGITS_DIR}/r{reading_id}-p{crop.position}-{_token()}.png": _encode_png(crop.image)
            for crop in crops
        }
        self._write_files(files)
        try:
            with self._transaction() as conn:
                self._reading_row(conn, reading_id)
                old_files = [
                    row[0]
                    for row in conn.execute(
                        "SELECT image_path FROM crops WHERE reading_id = ?", (reading_id,)
                    )
                ]
                conn.execute("DELETE FROM corrections WHERE reading_id = ?", (reading_id,))
                conn.execute("DELETE FROM crops WHERE reading_id = ?", (reading_id,))
                conn.executemany(
                    "INSERT INTO crops (reading_id, position, digit, confidence, image_path) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [
                        (reading_id, crop.position, crop.digit, float(crop.confidence), relative)
                        for crop, relative in zip(crops, files, strict=True)
                    ],
                )
                conn.execute(
                    "UPDATE readings SET text = ?, read_at = ? WHERE id = ?", (text, _now(), reading_id)
                )
        except BaseException:
            self._remove_files(files)
            raise
        self._remove_files(old_files)
        log.info("Recorded reading %d: %d characters, %d crops.", reading_id, len(text), len(crops))

    def get_reading(self, reading_id: int) -> Reading | None:
        """The reading with its crops and correction, or None when there is no such reading."""
        with self._transaction(write=False) as conn:
            row = conn.execute("SELECT * FROM readings WHERE id = ?", (reading_id,)).fetchone()
            return None if row is None else self._load_reading(conn, row)

    def _load_reading(self, conn: sqlite3.Connection, row: sqlite3.Row) -> Reading:
        reading_id = row["id"]
        labels = dict(conn.execute("SELECT position, label FROM labels WHERE reading_id = ?", (reading_id,)))
        crops = tuple(
            StoredCrop(
                position=crop["position"],
                digit=crop["digit"],
                confidence=crop["confidence"],
                image_path=self._path(crop["image_path"]),
                label=labels.get(crop["position"]),
            )
            for crop in conn.execute(
                "SELECT * FROM crops WHERE reading_id = ? ORDER BY position", (reading_id,)
            )
        )
        found = conn.execute("SELECT * FROM corrections WHERE reading_id = ?", (reading_id,)).fetchone()
        correction = None if found is None else _correction_from_row(found)
        return Reading(
            id=reading_id,
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            source=row["source"],
            created=_when(row["created"]),
            photo_path=self._path(row["photo_path"]),
            text=row["text"],
            status=_status(row, correction),
            crops=crops,
            correction=correction,
        )

    def mark_answered(self, reading_id: int) -> None:
        """Note that the user got an answer for this reading (the first time counts)."""
        with self._transaction() as conn:
            self._reading_row(conn, reading_id)
            conn.execute(
                "UPDATE readings SET answered_at = COALESCE(answered_at, ?) WHERE id = ?",
                (_now(), reading_id),
            )

    def unanswered_readings(self, max_attempts: int = MAX_RECOVERY_ATTEMPTS) -> list[Reading]:
        """Readings saved but never answered (e.g. the bot crashed), oldest first; call it at startup.

        Each call counts one recovery attempt for every reading it returns, and a reading is offered
        at most ``max_attempts`` times, so a photo that crashes the bot on every try is given up on.
        """
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM readings WHERE answered_at IS NULL AND recovery_attempts < ? ORDER BY id",
                (max_attempts,),
            ).fetchall()
            conn.executemany(
                "UPDATE readings SET recovery_attempts = recovery_attempts + 1 WHERE id = ?",
                [(row["id"],) for row in rows],
            )
            readings = [self._load_reading(conn, row) for row in rows]
        if readings:
            log.info("Found %d unanswered readings.", len(readings))
        return readings

    # -- corrections

    def save_correction(self, reading_id: int, user_id: int, corrected: str) -> Correction:
        """Store the digits a user typed for a reading, replacing any earlier verdict.

        When ``corrected`` holds as many digits as the reading has crops, each crop is labelled with
        its corrected digit; otherwise the text is kept for the record and no crop is labelled.
        """
        _check_text(corrected, "corrected")
        return self._save_verdict(reading_id, user_id, corrected, confirmed=False)

    def confirm_reading(self, reading_id: int, user_id: int) -> Correction:
        """Store that the user pressed "Right": every crop is labelled with the digit it was read as."""
        return self._save_verdict(reading_id, user_id, None, confirmed=True)

    def _save_verdict(
        self, reading_id: int, user_id: int, corrected: str | None, confirmed: bool
    ) -> Correction:
        """Correction row, labels and the answered mark in one transaction: all of it or none."""
        created = _now()
        with self._transaction() as conn:
            reading = self._reading_row(conn, reading_id)
            crops = conn.execute(
                "SELECT position, digit FROM crops WHERE reading_id = ? ORDER BY position", (reading_id,)
            ).fetchall()
            if confirmed:
                if reading["text"] is None:
                    raise ValueError(f"reading {reading_id} has not been read yet, so it cannot be confirmed")
                corrected = reading["text"]
                labels = [int(crop["digit"]) for crop in crops]
            else:
                digits = _digits_of(corrected or "")
                labels = digits if len(digits) == len(crops) else []
            conn.execute(
                "INSERT INTO corrections (reading_id, user_id, corrected, confirmed, labelled, created) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (reading_id) DO UPDATE SET "
                "user_id = excluded.user_id, corrected = excluded.corrected, confirmed = excluded.confirmed, "
                "labelled = excluded.labelled, created = excluded.created",
                (reading_id, user_id, corrected, int(confirmed), len(labels), created),
            )
            conn.execute("DELETE FROM labels WHERE reading_id = ?", (reading_id,))
            conn.executemany(
                "INSERT INTO labels (reading_id, position, label) VALUES (?, ?, ?)",
                [(reading_id, crop["position"], label) for crop, label in zip(crops, labels, strict=False)],
            )
            conn.execute(
                "UPDATE readings SET answered_at = COALESCE(answered_at, ?) WHERE id = ?",
                (created, reading_id),
            )
            if self._before_commit is not None:
                self._before_commit(reading_id)
        log.info(
            "Reading %d %s: %d of %d crops labelled.",
            reading_id,
            STATUS_CONFIRMED if confirmed else STATUS_CORRECTED,
            len(labels),
            len(crops),
        )
        return Correction(reading_id, user_id, corrected or "", confirmed, len(labels), _when(created))

    # -- retraining

    def labelled_digits(self, kind: LabelKind = "all") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Labelled crops for retraining: images (N, 28, 28) uint8, labels (N,) int64, reading ids (N,).

        ``kind`` picks crops labelled by corrections, by confirmations, or both. Reading ids let the
        trainer hold out whole readings. A crop whose PNG is missing or damaged is skipped with a warning.
        """
        if kind not in LABEL_KINDS:
            raise ValueError(f"kind must be one of {', '.join(LABEL_KINDS)}, not {kind!r}")
        confirmed = LABEL_KINDS[kind]
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT labels.reading_id, labels.label, crops.image_path FROM labels "
                "JOIN crops USING (reading_id, position) JOIN corrections USING (reading_id) "
                "WHERE ? IS NULL OR corrections.confirmed = ? "
                "ORDER BY labels.reading_id, labels.position",
                (confirmed, confirmed),
            ).fetchall()
        images, labels, reading_ids = [], [], []
        for reading_id, label, relative in rows:
            image = _decode_png(self._path(relative))
            if image is not None:
                images.append(image)
                labels.append(label)
                reading_ids.append(reading_id)
        if len(images) < len(rows):
            log.warning("Skipped %d of %d labelled crops.", len(rows) - len(images), len(rows))
        stacked = np.stack(images) if images else np.zeros((0, CROP_SIDE, CROP_SIDE), np.uint8)
        return stacked, np.asarray(labels, np.int64), np.asarray(reading_ids, np.int64)

    def stats(self) -> dict[str, object]:
        """Counts: users, photos, readings, answered, corrections, confirmations, labelled digits."""
        with self._transaction(write=False) as conn:

            def count(query: str) -> int:
                return int(conn.execute(query).fetchone()[0])

            result: dict[str, object] = {
                "users": count("SELECT COUNT(*) FROM users"),
                "photos": count("SELECT COUNT(*) FROM readings"),
                "readings": count("SELECT COUNT(*) FROM readings WHERE text IS NOT NULL"),
                "answered": count("SELECT COUNT(*) FROM readings WHERE answered_at IS NOT NULL"),
                "corrections": count("SELECT COUNT(*) FROM corrections WHERE confirmed = 0"),
                "confirmations": count("SELECT COUNT(*) FROM corrections WHERE confirmed = 1"),
                "labelled_digits": count("SELECT COUNT(*) FROM labels"),
            }
            per_class = dict.fromkeys(range(10), 0)
            per_class.update(conn.execute("SELECT label, COUNT(*) FROM labels GROUP BY label"))
            result["labelled_per_class"] = per_class
        return result

    # -- privacy and housekeeping

    def forget_user(self, user_id: int) -> int:
        """Delete the user's photos, crops, readings, settings and verdicts; return readings removed."""
        with self._transaction() as conn:
            files = [
                row[0]
                for row in conn.execute(
                    "SELECT photo_path FROM readings WHERE user_id = ? UNION ALL "
                    "SELECT crops.image_path FROM crops JOIN readings ON readings.id = crops.reading_id "
                    "WHERE readings.user_id = ?",
                    (user_id, user_id),
                )
            ]
            removed = conn.execute("DELETE FROM readings WHERE user_id = ?", (user_id,)).rowcount
            conn.execute("DELETE FROM corrections WHERE user_id = ?", (user_id,))  # on others' readings
            conn.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
        self._remove_files(files)  # after the commit: no row ever points at a deleted file
        self._checkpoint()
        log.info("Forgot a user: %d readings, %d files.", removed, len(files))
        return removed

    def _checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it, so deleted rows leave no old page copies."""
        with self._lock:
            if self._connection is not None:
                try:
                    self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.Error as exc:
                    log.warning("WAL checkpoint of %s failed: %s.", self.db_path, exc)

    def vacuum_orphans(self, min_age_seconds: float = ORPHAN_GRACE_SECONDS) -> int:
        """Delete files no row references (left by a crash), older than ``min_age_seconds``; return count.

        The age limit protects files written just now whose transaction has not committed yet.
        """
        with self._transaction(write=False) as conn:
            referenced = {row[0] for row in conn.execute("SELECT photo_path FROM readings")}
            referenced.update(row[0] for row in conn.execute("SELECT image_path FROM crops"))
        cutoff = _now() - min_age_seconds
        removed = 0
        for directory in (self.photos_dir, self.digits_dir):
            for path in directory.iterdir():
                relative = f"{directory.name}/{path.name}"
                if relative in referenced or not path.is_file():
                    continue
                try:
                    if path.stat().st_mtime <= cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    log.warning("Could not delete orphan %s (%s).", path, exc.strerror)
        if removed:
            log.info("Removed %d orphan files.", removed)
        return removed


def _check_setting_changes(changes: dict[str, object]) -> None:
    """Reject unknown setting names and values of the wrong type."""
    known = {field.name for field in fields(UserSettings)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise TypeError(f"unknown setting(s): {', '.join(unknown)}")
    if "voice" in changes and not isinstance(changes["voice"], bool):
        raise TypeError("voice must be True or False")
    for name in ("region", "language"):
        value = changes.get(name)
        if value is not None:
            _check_text(value, name, MAX_SETTING_CHARS)  # type: ignore[arg-type]
