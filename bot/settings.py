"""The bot's settings, read once from the environment (and ``.env``); documented in ``.env.example``.

Nothing else in the bot reads ``os.environ``. A missing or malformed value stops the start with
one plain sentence (:class:`SettingsError`); the token itself never appears in a message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one sentence for the person starting the bot."""


@dataclass(frozen=True)
class Settings:
    token: str = field(repr=False)
    admin_ids: frozenset[int] = frozenset()
    default_region: str = "CA"
    data_dir: Path = Path("data")
    photos_per_minute: int = 10
    album_wait_seconds: float = 1.5
    max_photo_bytes: int = 20 * 1024 * 1024
    recognition_workers: int = 2
    base_url: str | None = None
    base_file_url: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    model_path: Path | None = None
    mnist_dir: Path | None = None  # /retrain's MNIST; None: the trainer's default (Keras download)
    retrain_epochs: int = 1  # one epoch was enough in benchmarks/retrain_demo.py
    retrain_limit: int | None = None  # /retrain on this many MNIST images only (tiny test budgets)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check every setting; raises :class:`SettingsError` naming the bad one."""
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(name, default).strip()

        token = get("TELEGRAM_BOT_TOKEN")
        if not token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in .env")
        if not TOKEN_PATTERN.match(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then 30+ letters, "
                "digits, _ or -): check for quotes or spaces"
            )
        region = get("DEFAULT_REGION", "CA").upper()
        if not re.fullmatch(r"[A-Z]{2}", region):
            raise SettingsError(
                f"DEFAULT_REGION must be a two-letter country code such as CA, not {region!r}"
            )
        model = get("HEY_NUMBER_MODEL")
        mnist = get("HEY_NUMBER_MNIST_DIR")
        limit = get("RETRAIN_LIMIT", "0")
        return cls(
            token=token,
            admin_ids=_ids(get("ADMIN_IDS")),
            default_region=region,
            data_dir=Path(get("DATA_DIR", "data")),
            photos_per_minute=_positive_int("PHOTOS_PER_MINUTE", get("PHOTOS_PER_MINUTE", "10")),
            album_wait_seconds=_positive_float("ALBUM_WAIT_SECONDS", get("ALBUM_WAIT_SECONDS", "1.5")),
            max_photo_bytes=_positive_int("MAX_PHOTO_BYTES", get("MAX_PHOTO_BYTES", str(20 * 1024 * 1024))),
            recognition_workers=_positive_int("RECOGNITION_WORKERS", get("RECOGNITION_WORKERS", "2")),
            base_url=get("TELEGRAM_BASE_URL") or None,
            base_file_url=get("TELEGRAM_BASE_FILE_URL") or None,
            webhook_url=get("WEBHOOK_URL") or None,
            webhook_listen=get("WEBHOOK_LISTEN", "127.0.0.1"),
            webhook_port=_positive_int("WEBHOOK_PORT", get("WEBHOOK_PORT", "8443")),
            webhook_secret=get("WEBHOOK_SECRET") or None,
            model_path=Path(model) if model else None,
            mnist_dir=Path(mnist) if mnist else None,
            retrain_epochs=_positive_int("RETRAIN_EPOCHS", get("RETRAIN_EPOCHS", "1")),
            retrain_limit=_positive_int("RETRAIN_LIMIT", limit) if limit not in ("", "0") else None,
        )


def _ids(text: str) -> frozenset[int]:
    parts = [part for part in re.split(r"[,\s]+", text) if part]
    if not all(re.fullmatch(r"\d+", part) for part in parts):
        raise SettingsError("ADMIN_IDS must be Telegram user ids (numbers) separated by commas")
    return frozenset(int(part) for part in parts)


def _positive_int(name: str, text: str) -> int:
    if not re.fullmatch(r"\d+", text) or int(text) <= 0:
        raise SettingsError(f"{name} must be a whole number above 0, not {text!r}")
    return int(text)


def _positive_float(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 3600:
        raise SettingsError(f"{name} must be a number of seconds above 0, not {text!r}")
    return value
