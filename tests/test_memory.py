"""Memory for reading photos: freed photo-sized buffers are reused, not mapped afresh (glibc)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from recognizer.memory import glibc

REPO = Path(__file__).resolve().parent.parent

# In a fresh interpreter: allocate, free and allocate again a 1280x960 float image, and count the
# page faults of the second allocation (fresh pages from the system fault once per 4 KB page).
SECOND_ALLOCATION_FAULTS = """
import resource, sys
import numpy as np
np._core.multiarray._set_madvise_hugepage(False)  # (a 2 MB page faults once: 4 KB pages are counted)
if sys.argv[1] == "reuse":
    from recognizer.memory import reuse_photo_sized_memory
    reuse_photo_sized_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
image = np.ones((960, 1280), np.float32)
del image
before = faults()
image = np.ones((960, 1280), np.float32)
print(faults() - before)
"""


def _second_allocation_faults(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", SECOND_ALLOCATION_FAULTS, mode],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,  # (where ``recognizer`` is importable from)
    )
    return int(done.stdout)


def test_a_freed_photo_sized_buffer_is_reused_for_the_next_photo() -> None:
    assert glibc() is not None  # (Debian)
    pages = 960 * 1280 * 4 // 4096
    assert _second_allocation_faults("default") > pages // 2  # glibc's default: fresh pages
    assert _second_allocation_faults("reuse") < pages // 20
