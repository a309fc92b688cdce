"""Recognition for the bot: the recognizer run off the event loop, swappable while serving.

Photos are read on a small thread pool so that a slow photo never blocks other users' updates;
the LiteRT classifier serialises its own calls, decoding and ink finding run in parallel. The
model can be replaced (``/retrain`` promotes a new one): a reading already started finishes on
the recognizer it started with, because it holds its own reference.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.memory import give_back_freed_memory
from recognizer import Reading, Recognizer

log = logging.getLogger(__name__)


class RecognitionService:
    """Reads photos on worker threads with the current recognizer."""

    def __init__(self, recognizer: Recognizer, workers: int = 2) -> None:
        self._recognizer = recognizer
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="recognition")

    @classmethod
    def load(cls, model_path: Path | None = None, workers: int = 2) -> RecognitionService:
        return cls(Recognizer.load(model_path), workers)

    @property
    def recognizer(self) -> Recognizer:
        return self._recognizer

    def swap(self, recognizer: Recognizer) -> None:
        """Serve later photos with ``recognizer``; readings in flight keep the old one."""
        self._recognizer = recognizer

    async def read(self, photo: bytes | Path) -> Reading:
        """Read one photo; raises :class:`recognizer.ImageError` for files that are not readable photos."""
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, _read_and_trim, self._recognizer, photo
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _read_and_trim(recognizer: Recognizer, photo: bytes | Path) -> Reading:
    """On a worker thread: read, then hand the photo's freed buffers back to the system."""
    try:
        return recognizer.read(photo)
    finally:
        give_back_freed_memory()
