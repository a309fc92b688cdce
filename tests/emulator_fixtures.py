"""Pytest fixtures around the Telegram emulator, for any test module that talks to a bot.

Use them from a test module with ``pytest_plugins = ["emulator_fixtures"]`` (or list the module
in the root ``conftest.py``'s ``pytest_plugins``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from PIL import Image
from telegram_emulator import TelegramEmulator


@pytest.fixture
def emulator() -> Iterator[TelegramEmulator]:
    """A running emulator, closed (threads joined, port released) after the test."""
    with TelegramEmulator() as running:
        yield running


def jpeg_bytes(width: int = 640, height: int = 480, seed: int = 0) -> bytes:
    """A small, distinct JPEG (random coloured noise) for photo tests."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def make_jpeg() -> Callable[..., bytes]:
    """:func:`jpeg_bytes` as a fixture, so test modules need not import this plugin module."""
    return jpeg_bytes
