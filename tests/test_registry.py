"""The model registry: versions, atomic pointer, fallback to the shipped model, rollback, the
held-out split of corrections and the promotion rule. No TensorFlow, no Telegram."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from recognizer.data import sha256_of
from recognizer.registry import (
    SHIPPED,
    SHIPPED_DIR,
    Figures,
    ModelRegistry,
    RegistryError,
    decide,
    held_out_mask,
    verify,
)

SHIPPED_FILES = (
    "digits.tflite",
    "digits.keras",
    "model-card.json",
    "training-curves.png",
    "confusion-matrix.png",
)


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models")


def make_candidate(registry: ModelRegistry, version: str) -> Path:
    """A complete candidate: the shipped files under a new version name."""
    name, directory = registry.new_candidate(version)
    for file_name in SHIPPED_FILES:
        shutil.copy2(SHIPPED_DIR / file_name, directory / file_name)
    card = json.loads((directory / "model-card.json").read_text())
    card["version"] = name
    (directory / "model-card.json").write_text(json.dumps(card))
    return directory


def shipped_hashes() -> dict[str, str]:
    return {name: sha256_of(SHIPPED_DIR / name) for name in SHIPPED_FILES}


def test_without_a_pointer_the_shipped_model_serves(registry: ModelRegistry) -> None:
    current = registry.current()
    shipped_version = json.loads((SHIPPED_DIR / "model-card.json").read_text())["version"]
    assert current.shipped and current.name == SHIPPED and current.label == shipped_version
    assert current.tflite == SHIPPED_DIR / "digits.tflite"
    assert registry.previous() is None
    assert [p.name for p in current.pictures()] == ["confusion-matrix.png", "training-curves.png"]


def test_promote_moves_the_candidate_and_switches_the_pointer(registry: ModelRegistry) -> None:
    before = shipped_hashes()
    candidate = make_candidate(registry, "2026.01.01-000001")
    version = registry.promote(candidate)
    assert not candidate.exists()
    assert version.directory == registry.versions_dir / "2026.01.01-000001"
    assert registry.current().name == "2026.01.01-000001" and registry.current().label == "2026.01.01-000001"
    pointer = json.loads(registry.pointer.read_text())
    assert pointer["version"] == "2026.01.01-000001" and pointer["history"] == [SHIPPED]
    assert registry.previous() == SHIPPED
    assert not list(registry.root.glob("*.tmp"))
    assert shipped_hashes() == before  # models/ is never written


def test_a_truncated_candidate_is_never_promoted(registry: ModelRegistry) -> None:
    candidate = make_candidate(registry, "bad")
    tflite = candidate / "digits.tflite"
    tflite.write_bytes(tflite.read_bytes()[:1000])
    with pytest.raises(RegistryError, match="sha256 does not match"):
        registry.promote(candidate)
    assert candidate.is_dir() and not (registry.versions_dir / "bad").exists()
    assert registry.current().shipped and not registry.pointer.exists()


@pytest.mark.parametrize("damage", ["no card", "card not json", "no hashes", "keras missing"])
def test_incomplete_candidates_are_refused(registry: ModelRegistry, damage: str) -> None:
    candidate = make_candidate(registry, "incomplete")
    card = candidate / "model-card.json"
    if damage == "no card":
        card.unlink()
    elif damage == "card not json":
        card.write_text('{"version": "incompl')  # killed while writing
    elif damage == "no hashes":
        card.write_text(json.dumps({"version": "incomplete"}))
    else:
        (candidate / "digits.keras").unlink()
    with pytest.raises(RegistryError):
        registry.promote(candidate)
    assert registry.current().shipped


def test_a_tflite_that_matches_its_card_but_does_not_load_is_refused(registry: ModelRegistry) -> None:
    candidate = make_candidate(registry, "garbage")
    (candidate / "digits.tflite").write_bytes(b"not a flatbuffer" * 100)
    card = json.loads((candidate / "model-card.json").read_text())
    card["files"]["digits.tflite"] = sha256_of(candidate / "digits.tflite")
    (candidate / "model-card.json").write_text(json.dumps(card))
    with pytest.raises(RegistryError, match="does not load"):
        registry.promote(candidate)
    assert registry.current().shipped


def test_a_version_damaged_after_promotion_falls_back_to_shipped(registry: ModelRegistry, caplog) -> None:
    version = registry.promote(make_candidate(registry, "v1"))
    with open(version.tflite, "r+b") as handle:
        handle.seek(5000)
        handle.write(b"\x00" * 16)
    caplog.set_level(logging.ERROR)
    assert registry.current().shipped
    assert "falling back to the shipped model" in caplog.text
    shutil.rmtree(version.directory)
    assert registry.current().shipped


def test_an_unreadable_pointer_falls_back_to_shipped(registry: ModelRegistry) -> None:
    registry.root.mkdir(parents=True)
    for garbage in ("", "{", "[]", '{"version": 3}', '{"version": "../../etc"}'):
        registry.pointer.write_text(garbage)
        assert registry.current().shipped, garbage


def test_a_crash_while_switching_leaves_the_old_pointer(registry: ModelRegistry, monkeypatch) -> None:
    registry.promote(make_candidate(registry, "v1"))
    candidate = make_candidate(registry, "v2")

    def crash(*args, **kwargs):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        registry.promote(candidate)
    monkeypatch.undo()
    assert registry.current().name == "v1"  # the pointer was never half-written
    assert (registry.versions_dir / "v2").is_dir()  # complete, just not pointed at


def test_rollback_walks_back_through_history_to_shipped(registry: ModelRegistry) -> None:
    with pytest.raises(RegistryError, match="no earlier version"):
        registry.rollback()
    registry.promote(make_candidate(registry, "v1"))
    registry.promote(make_candidate(registry, "v2"))
    assert json.loads(registry.pointer.read_text())["history"] == [SHIPPED, "v1"]
    assert registry.rollback().name == "v1"
    assert registry.current().name == "v1" and registry.previous() == SHIPPED
    assert registry.rollback().shipped
    assert registry.current().shipped
    with pytest.raises(RegistryError):
        registry.rollback()


def test_rollback_refuses_a_damaged_previous_version(registry: ModelRegistry) -> None:
    registry.promote(make_candidate(registry, "v1"))
    registry.promote(make_candidate(registry, "v2"))
    (registry.versions_dir / "v1" / "digits.keras").write_bytes(b"")
    with pytest.raises(RegistryError, match="sha256"):
        registry.rollback()
    assert registry.current().name == "v2"


def test_old_versions_and_candidates_are_pruned(registry: ModelRegistry) -> None:
    for n in range(8):
        registry.promote(make_candidate(registry, f"v{n}"))
    kept = sorted(p.name for p in registry.versions_dir.iterdir())
    assert kept == ["v2", "v3", "v4", "v5", "v6", "v7"]  # current + 5 to roll back through
    for n in range(5):
        path = registry.new_candidate(f"c{n}")[1]
        os.utime(path, (n, n))
    (registry.candidates_dir / "c0.corrections.npz").write_bytes(b"x")
    registry.prune_candidates(keep=3)
    assert sorted(p.name for p in registry.candidates_dir.iterdir()) == ["c2", "c3", "c4"]


def test_candidate_names_never_collide(registry: ModelRegistry) -> None:
    first, _ = registry.new_candidate("same")
    second, _ = registry.new_candidate("same")
    assert (first, second) == ("same", "same-2")
    with pytest.raises(RegistryError):
        registry.discard_candidate(registry.root)  # only candidates can be discarded


def test_verify_names_the_bad_file(tmp_path: Path) -> None:
    for name in SHIPPED_FILES:
        shutil.copy2(SHIPPED_DIR / name, tmp_path / name)
    assert verify(tmp_path)["version"] == json.loads((SHIPPED_DIR / "model-card.json").read_text())["version"]
    (tmp_path / "digits.tflite").write_bytes(b"")
    with pytest.raises(RegistryError, match=r"digits\.tflite"):
        verify(tmp_path)


def test_held_out_corrections_are_whole_readings_seeded_and_stable() -> None:
    ids = np.repeat(np.arange(400), 10)
    held = held_out_mask(ids)
    per_reading = held.reshape(400, 10)
    assert (per_reading.all(axis=1) | ~per_reading.any(axis=1)).all()  # whole readings
    assert 0.18 < held.mean() < 0.32
    np.testing.assert_array_equal(held, held_out_mask(ids))
    more = held_out_mask(np.repeat(np.arange(500), 10))
    np.testing.assert_array_equal(more[: len(held)], held)  # new readings never move old ones
    assert not held_out_mask(np.array([], np.int64)).size


def figures(validation: float, right: int, count: int = 40) -> Figures:
    return Figures(
        validation_accuracy=validation, validation_count=5_999, held_out_correct=right, held_out_count=count
    )


def test_promotion_rule() -> None:
    serving = figures(0.9961, 30)
    assert decide(serving, figures(0.9961, 30)).promote  # equal is not worse
    assert decide(serving, figures(0.9956, 35)).promote  # −0.05 points is allowed
    too_much = decide(serving, figures(0.9955, 40))
    assert not too_much.promote
    assert "99.61% → 99.55%" in too_much.lines[0] and "−0.06 points" in too_much.lines[0]
    worse = decide(serving, figures(0.9970, 29))
    assert not worse.promote
    assert "30 → 29 right" in worse.lines[1] and "worse" in worse.lines[1]
    nothing_held = decide(figures(0.99, 0, 0), figures(0.99, 0, 0))
    assert nothing_held.promote and "none yet" in nothing_held.lines[1]
