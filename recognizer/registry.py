"""Digit-model versions on disk: which model serves, the retrained ones, and when one may replace another.

This module owns ``DATA_DIR/models/`` (no TensorFlow, no Telegram)::

    versions/<version>/   complete, verified models: digits.tflite, digits.keras, model-card.json, pictures
    candidates/<id>/      a retraining's output; moved into versions/ by one rename, only once verified
    current               a small JSON pointer {"version": ..., "history": [...]}, replaced atomically

The shipped ``models/`` directory is never written: it is the version named ``shipped`` and the
fallback whenever the pointer is missing or unreadable, or names a version whose files are missing
or do not match the sha256 recorded in its model card.

It also holds the two rules the trainer and the bot must agree on: which users' corrections are
held out from training to judge a candidate (:func:`held_out_mask`, by whole reading, stable as
corrections accumulate), and whether a candidate may be promoted (:func:`decide`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from recognizer.classifier import DigitClassifier, ModelError
from recognizer.data import sha256_of

log = logging.getLogger(__name__)

SHIPPED = "shipped"  # the name of the read-only model in the repository's models/
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "models"
VERSIONS_DIR = "versions"
CANDIDATES_DIR = "candidates"
POINTER_NAME = "current"
TFLITE_NAME = "digits.tflite"
KERAS_NAME = "digits.keras"
CARD_NAME = "model-card.json"
CURVES_NAME = "training-curves.png"
CONFUSION_NAME = "confusion-matrix.png"
REQUIRED_FILES = (TFLITE_NAME, KERAS_NAME)
MAX_HISTORY = 5  # versions /rollback can go back through; older ones are deleted
KEEP_CANDIDATES = 3  # rejected candidates kept for inspection
DIR_MODE = 0o755

HOLDOUT_FRACTION = 0.25  # share of readings whose corrected digits are never trained on
HOLDOUT_SEED = 5
# A candidate may lose at most this much accuracy (% points) on the MNIST validation split, the
# training set's tenth that no version trains on (the test set measures; it never chooses).
MAX_VALIDATION_DROP_POINTS = 0.05
_EPSILON = 1e-9


class RegistryError(Exception):
    """A model version is missing, incomplete or corrupt, or an operation is not possible now."""


@dataclass(frozen=True)
class ModelVersion:
    """One complete model: its name in the registry, its directory and its model card."""

    name: str
    directory: Path
    card: dict = field(repr=False)

    @property
    def tflite(self) -> Path:
        return self.directory / TFLITE_NAME

    @property
    def keras(self) -> Path:
        return self.directory / KERAS_NAME

    @property
    def shipped(self) -> bool:
        return self.name == SHIPPED

    @property
    def label(self) -> str:
        """The version as people read it: the card's version, e.g. ``1.0.0`` for the shipped model."""
        return str(self.card.get("version") or self.name)

    def pictures(self) -> list[Path]:
        """The confusion matrix and training curves drawn by its training run, those that exist."""
        return [
            self.directory / name
            for name in (CONFUSION_NAME, CURVES_NAME)
            if (self.directory / name).is_file()
        ]


def read_card(directory: Path) -> dict:
    """The model card of a model directory; :class:`RegistryError` if it is missing or not JSON."""
    path = directory / CARD_NAME
    try:
        card = json.loads(path.read_text())
    except FileNotFoundError:
        raise RegistryError(f"{path}: no model card") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RegistryError(f"{path}: unreadable model card ({error})") from None
    if not isinstance(card, dict):
        raise RegistryError(f"{path}: the model card is not a JSON object")
    return card


def verify(directory: Path) -> dict:
    """Check that ``directory`` holds a complete model whose files match its card's sha256; the card."""
    card = read_card(directory)
    recorded = card.get("files")
    if not isinstance(recorded, dict):
        raise RegistryError(f"{directory / CARD_NAME}: the card records no file hashes")
    for name in REQUIRED_FILES:
        path = directory / name
        if not path.is_file():
            raise RegistryError(f"{path}: missing")
        if recorded.get(name) != sha256_of(path):
            raise RegistryError(f"{path}: sha256 does not match the model card (truncated or corrupt)")
    return card


def check_loads(tflite: Path) -> None:
    """Load a LiteRT model and run it once on a blank digit; :class:`RegistryError` if that fails."""
    try:
        output = DigitClassifier(tflite).probabilities(np.zeros((1, 28, 28), np.uint8))
    except (ModelError, ValueError, RuntimeError) as error:
        raise RegistryError(f"{tflite}: does not load ({error})") from None
    if output.shape != (1, 10) or not np.isfinite(output).all():
        raise RegistryError(f"{tflite}: unexpected output {output.shape}")


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(directory: Path) -> None:
    """Flush every file of a directory tree, then the directories themselves, to disk."""
    for path in sorted(directory.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        _fsync_path(path)
    _fsync_path(directory)


def write_json_atomically(path: Path, payload: dict) -> None:
    """Write JSON next to ``path``, flush it to disk, then rename it over ``path`` (all or nothing)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as handle:
        handle.write(json.dumps(payload, indent=2) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_path(path.parent)


class ModelRegistry:
    """The model versions under ``root`` (``DATA_DIR/models``), with ``shipped`` as the read-only fallback.

    Safe to use from several threads: changes of the pointer are serialised by a lock.
    """

    def __init__(self, root: Path, shipped: Path = SHIPPED_DIR) -> None:
        self.root = Path(root)
        self.shipped_dir = Path(shipped)
        self.versions_dir = self.root / VERSIONS_DIR
        self.candidates_dir = self.root / CANDIDATES_DIR
        self.pointer = self.root / POINTER_NAME
        self._lock = threading.Lock()

    # --- reading --------------------------------------------------------------------------------

    def shipped(self) -> ModelVersion:
        """The model in the repository's ``models/`` (not verified: it is the last resort)."""
        try:
            card = read_card(self.shipped_dir)
        except RegistryError:
            log.exception("the shipped model card is unreadable")
            card = {}
        return ModelVersion(SHIPPED, self.shipped_dir, card)

    def _read_pointer(self) -> dict:
        if not self.pointer.exists():
            return {"version": SHIPPED, "history": []}
        try:
            pointer = json.loads(self.pointer.read_text())
            if not isinstance(pointer.get("version"), str) or not isinstance(
                pointer.get("history", []), list
            ):
                raise ValueError("no version")
        except (OSError, ValueError, AttributeError) as error:
            log.error("model pointer %s is unreadable (%s): serving the shipped model", self.pointer, error)
            return {"version": SHIPPED, "history": []}
        pointer.setdefault("history", [])
        return pointer

    def get(self, name: str) -> ModelVersion:
        """A verified version by name (``shipped`` included); :class:`RegistryError` if it is not sound."""
        if name == SHIPPED:
            return self.shipped()
        if not name or "/" in name or name.startswith("."):
            raise RegistryError(f"{name!r} is not a version name")
        directory = self.versions_dir / name
        return ModelVersion(name, directory, verify(directory))

    def current(self) -> ModelVersion:
        """The version to serve: the pointer's, verified; the shipped model if anything is wrong with it."""
        name = self._read_pointer()["version"]
        try:
            return self.get(name)
        except RegistryError as error:
            log.error(
                "model version %s cannot be served (%s): falling back to the shipped model", name, error
            )
            return self.shipped()

    def previous(self) -> str | None:
        """The version ``/rollback`` would go back to, if any."""
        history = self._read_pointer()["history"]
        return history[-1] if history else None

    def label_of(self, name: str) -> str:
        """A version's human label (its card's version) without verifying its files."""
        if name == SHIPPED:
            return self.shipped().label
        try:
            return str(read_card(self.versions_dir / name).get("version") or name)
        except RegistryError:
            return name

    # --- candidates ---------------------------------------------------------------------------------

    def new_candidate(self, name: str | None = None) -> tuple[str, Path]:
        """A fresh, empty candidate directory and its name (a UTC timestamp unless given)."""
        base = name or datetime.now(UTC).strftime("%Y.%m.%d-%H%M%S")
        self.candidates_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        for suffix in ["", *(f"-{n}" for n in range(2, 100))]:
            candidate = base + suffix
            if (self.versions_dir / candidate).exists():
                continue
            try:
                (self.candidates_dir / candidate).mkdir(mode=DIR_MODE)
            except FileExistsError:
                continue
            return candidate, self.candidates_dir / candidate
        raise RegistryError(f"no free candidate name for {base}")

    def discard_candidate(self, directory: Path) -> None:
        """Delete a failed or cancelled candidate (only ever inside ``candidates/``)."""
        if directory.parent.resolve() != self.candidates_dir.resolve():
            raise RegistryError(f"{directory} is not a candidate directory")
        shutil.rmtree(directory, ignore_errors=True)

    def prune_candidates(self, keep: int = KEEP_CANDIDATES) -> None:
        """Delete all but the ``keep`` newest candidate directories (and stray files there)."""
        if not self.candidates_dir.is_dir():
            return
        entries = sorted(self.candidates_dir.iterdir(), key=lambda path: path.stat().st_mtime, reverse=True)
        directories = [entry for entry in entries if entry.is_dir()]
        for stale in directories[keep:]:
            shutil.rmtree(stale, ignore_errors=True)
        for stray in entries:
            if stray.is_file():
                stray.unlink(missing_ok=True)

    # --- switching ----------------------------------------------------------------------------------

    def promote(self, candidate: Path) -> ModelVersion:
        """Make a finished candidate the serving version: verify it (hashes, and it loads in LiteRT),
        move it into ``versions/`` by one rename, then switch the pointer by another."""
        with self._lock:
            card = verify(candidate)
            check_loads(candidate / TFLITE_NAME)
            name = candidate.name
            target = self.versions_dir / name
            if target.exists():
                raise RegistryError(f"{target} already exists")
            self.versions_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
            _fsync_tree(candidate)
            os.rename(candidate, target)
            _fsync_path(self.versions_dir)
            _fsync_path(self.candidates_dir)
            pointer = self._read_pointer()
            history = [*pointer["history"], pointer["version"]][-MAX_HISTORY:]
            self._switch(name, history)
            log.info("promoted model version %s (previous %s)", name, pointer["version"])
            return ModelVersion(name, target, card)

    def rollback(self) -> ModelVersion:
        """Serve the previous version again; :class:`RegistryError` if there is none or it is not sound."""
        with self._lock:
            pointer = self._read_pointer()
            if not pointer["history"]:
                raise RegistryError("there is no earlier version to go back to")
            *older, previous = pointer["history"]
            version = self.get(previous)
            self._switch(previous, older)
            log.info("rolled back from model version %s to %s", pointer["version"], previous)
            return version

    def _switch(self, name: str, history: list[str]) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        payload = {
            "version": name,
            "history": history,
            "switched": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_json_atomically(self.pointer, payload)
        self._prune_versions({name, *history})

    def _prune_versions(self, keep: set[str]) -> None:
        if not self.versions_dir.is_dir():
            return
        for directory in self.versions_dir.iterdir():
            if directory.is_dir() and directory.name not in keep:
                log.info("deleting model version %s (no longer reachable by /rollback)", directory.name)
                shutil.rmtree(directory, ignore_errors=True)


# --- held-out corrections and the promotion rule ------------------------------------------------------


def held_out_mask(
    reading_ids: np.ndarray, fraction: float = HOLDOUT_FRACTION, seed: int = HOLDOUT_SEED
) -> np.ndarray:
    """True for the digits of readings held out from training. Whole readings go one way or the
    other, decided by a seeded hash of the reading id, so a reading keeps its side as more arrive."""

    def held(reading_id: int) -> bool:
        digest = hashlib.sha256(f"{seed}:{int(reading_id)}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < fraction

    ids = np.asarray(reading_ids)
    verdicts = {int(reading_id): held(reading_id) for reading_id in np.unique(ids)}
    return np.array([verdicts[int(reading_id)] for reading_id in ids], dtype=bool)


@dataclass(frozen=True)
class Figures:
    """A model measured on the MNIST validation split and on the held-out corrections."""

    validation_accuracy: float
    validation_count: int
    held_out_correct: int
    held_out_count: int

    @classmethod
    def from_dict(cls, figures: dict) -> Figures:
        return cls(
            validation_accuracy=float(figures["validation_accuracy"]),
            validation_count=int(figures["validation_count"]),
            held_out_correct=int(figures["held_out_correct"]),
            held_out_count=int(figures["held_out_count"]),
        )

    @property
    def held_out_accuracy(self) -> float | None:
        return self.held_out_correct / self.held_out_count if self.held_out_count else None


@dataclass(frozen=True)
class Decision:
    """Whether to promote, and one plain line per criterion with its figures."""

    promote: bool
    lines: list[str]


def decide(
    serving: Figures, candidate: Figures, max_drop_points: float = MAX_VALIDATION_DROP_POINTS
) -> Decision:
    """Promote only if MNIST validation accuracy drops by at most ``max_drop_points`` percentage
    points and the held-out corrections do not get worse (fewer digits right)."""
    drop = (serving.validation_accuracy - candidate.validation_accuracy) * 100
    mnist_ok = drop <= max_drop_points + _EPSILON
    change = "no change" if abs(drop) < 0.005 else f"{-drop:+.2f} points".replace("-", "−")
    verdict = "within" if mnist_ok else "more than"
    lines = [
        f"MNIST validation ({candidate.validation_count:,} images held out of training): "
        f"{serving.validation_accuracy:.2%} → {candidate.validation_accuracy:.2%} "
        f"({change}; {verdict} the −{max_drop_points:.2f} allowed)"
    ]
    corrections_ok = candidate.held_out_correct >= serving.held_out_correct
    if serving.held_out_count:
        worse = "" if corrections_ok else " — worse"
        lines.append(
            f"held-out corrections ({candidate.held_out_count} digits): {serving.held_out_correct} → "
            f"{candidate.held_out_correct} right ({serving.held_out_accuracy:.1%} → "
            f"{candidate.held_out_accuracy:.1%}){worse}"
        )
    else:
        lines.append("held-out corrections: none yet (too few corrected readings), so only MNIST judges")
    return Decision(mnist_ok and corrections_ok, lines)
