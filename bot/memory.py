"""Keeping the bot's resident memory down (glibc only; elsewhere these do nothing).

A photo is decoded into buffers of tens of megabytes on a recognition thread and freed right
after. By default glibc gives every thread an arena of its own and keeps freed memory for reuse,
so the bot's resident size climbs with each thread that ever read a big photo. Two things help:
fewer arenas (as ``MALLOC_ARENA_MAX`` does) and handing freed memory back to the system after each
photo (``malloc_trim``; it costs well under a millisecond).
"""

from __future__ import annotations

import logging

from recognizer.memory import glibc

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's mallopt() parameter number for the arena limit
MALLOC_ARENAS = 2


def cap_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Limit glibc's malloc arenas for the threads created from now on."""
    libc = glibc()
    if libc is not None and not libc.mallopt(M_ARENA_MAX, arenas):
        log.debug("mallopt(M_ARENA_MAX) was refused")


def give_back_freed_memory() -> None:
    """Return the freed parts of the heap to the system (``malloc_trim(0)``)."""
    libc = glibc()
    if libc is not None:
        libc.malloc_trim(0)
