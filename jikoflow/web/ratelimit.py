"""Sign-in attempts per client address, with the `limits` library's moving window.

The window is kept in this process's memory; several web processes behind one address each
count their own (the per-person back-off in the database holds across all of them).
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class SignInLimiter:
    """At most `rate` (e.g. `10/minute`) sign-in attempts per client address."""

    def __init__(self, rate: str) -> None:
        self._item = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def attempt(self, client: str) -> int | None:
        """Count an attempt; None when allowed, else the seconds to wait before the next."""
        if self._limiter.hit(self._item, "sign-in", client):
            return None
        reset = self._limiter.get_window_stats(self._item, "sign-in", client).reset_time
        return max(1, math.ceil(reset - time.time()))
