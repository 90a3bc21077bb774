"""One rate limit for mistyped codes, for the whole server process, kept in memory only.

A limit per client address would have to remember addresses, and with them when someone was on
the respondent pages (DESIGN.md section 5 forbids both). A single token bucket remembers two
numbers. It slows down anyone trying codes at random, while a code that exists always gets in, so
a flood of wrong codes cannot lock the employees out. Each gunicorn worker has its own bucket: the
server's limit is the configured one times the number of workers.
"""
from __future__ import annotations

import math
import threading
from time import monotonic

from flask import current_app


class TokenBucket:
    """`burst` attempts at once, refilled at `per_minute`; `take` says how many seconds to wait (0: go ahead)."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = max(float(per_minute), 1e-9) / 60.0
        self.burst = max(int(burst), 1)
        self._tokens = float(self.burst)
        self._last = monotonic()
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            now = monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0
            return max(1, math.ceil((1 - self._tokens) / self.rate))


EXTENSION = "wir-survey.unknown-codes"


def unknown_code_bucket() -> TokenBucket:
    """The process's bucket for the app's current limits (changed limits start a fresh bucket)."""
    limits = (current_app.config["UNKNOWN_CODES_PER_MINUTE"], current_app.config["UNKNOWN_CODES_BURST"])
    held = current_app.extensions.get(EXTENSION)
    if held is None or held[0] != limits:
        held = current_app.extensions[EXTENSION] = (limits, TokenBucket(*limits))
    return held[1]
