"""Per-user rate limiting: at most N photos in any 60 seconds, so one user cannot starve the others."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class RateLimiter:
    """A sliding-window counter per user; :meth:`allow` records the attempt when it is allowed."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._recent: dict[int, deque[float]] = defaultdict(deque)

    def allow(self, user_id: int) -> bool:
        now = self._clock()
        recent = self._recent[user_id]
        while recent and now - recent[0] >= WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= self.per_minute:
            return False
        recent.append(now)
        return True

    def seconds_until_free(self, user_id: int) -> int:
        """How long until ``user_id`` may send again (whole seconds, at least 1)."""
        recent = self._recent.get(user_id)
        if not recent:
            return 0
        return max(1, int(WINDOW_SECONDS - (self._clock() - recent[0])) + 1)
