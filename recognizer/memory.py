"""Memory for reading photos: glibc's malloc asked to keep photo-sized buffers for the next photo.

Each read allocates and frees a dozen arrays the size of the working photo (a 1280x960 float image
is 5 MB). glibc maps blocks above an adaptive bar straight from the system and unmaps them when
freed, so every read pays again for fresh, zeroed pages; that bar follows the largest block freed
so far, and it fell below the ink finder's arrays once decoding allocated less (ink stage +4.5 ms).
Fixing the bar above photo size keeps those blocks on the heap. A server that wants the memory back
between photos trims the heap after each one (``malloc_trim``, as the bot does). Where the C
library is not glibc, nothing here does anything.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

# glibc's mallopt() parameter numbers
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
PHOTO_BLOCKS_FROM_HEAP = 32 * 2**20  # blocks up to this size come from the heap and are reused


@lru_cache(maxsize=1)
def glibc() -> Any | None:
    """The C library when it is glibc (it has ``mallopt`` and ``malloc_trim``), else None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - both must exist (glibc)
    except (OSError, AttributeError) as error:
        log.debug("not glibc, memory left to the allocator: %s", error)
        return None
    return libc


def reuse_photo_sized_memory() -> None:
    """Keep freed blocks up to PHOTO_BLOCKS_FROM_HEAP on the heap for the next read."""
    libc = glibc()
    if libc is None:
        return
    libc.mallopt(M_MMAP_THRESHOLD, PHOTO_BLOCKS_FROM_HEAP)
    libc.mallopt(M_TRIM_THRESHOLD, 2 * PHOTO_BLOCKS_FROM_HEAP)  # (as glibc's adaptive rule pairs them)
