"""A small in-process rate limiter keyed by what matters here: a device, a token, never an IP.

Many kiosks share one office address, so an IP limit would lock out a whole one-stop centre.
Limits are token buckets (capacity, refill per second) kept in memory, one set per worker process:
with N gunicorn workers a key can get up to N times the capacity at once, which is acceptable for
throttling a faulty or flooding client (the database's unique keys, not the limiter, guarantee
that nothing is stored twice). Buckets idle for longer than a refill cycle are dropped so memory
stays bounded.

Defaults (override with app.config["RATE_LIMITS"] = {"device": (capacity, per_second), ...}):
- device: 120 requests, refilled at 2 per second — a kiosk flushing a long offline queue
  drains it in about a minute, a human cannot approach it;
- token: 60 requests, 1 per second — a citizen pressing back/next on one invitation link;
- enrol: 20 attempts, 1 per 10 seconds for the whole process — guessing enrolment codes.
"""
from __future__ import annotations

import math
import threading
import time

from flask import current_app

DEFAULTS: dict[str, tuple[float, float]] = {
    "device": (120, 2.0),
    "token": (60, 1.0),
    "enrol": (20, 0.1),
}
MAX_KEYS = 50_000


class RateLimiter:
    """Token buckets per (kind, key); `hit` says whether one more request may pass."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def hit(self, kind: str, key: str, capacity: float, rate: float, now: float | None = None
            ) -> tuple[bool, float]:
        """Take one token; returns (allowed, seconds until the next token when refused)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get((kind, key), (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1:
                self._buckets[(kind, key)] = (tokens - 1, now)
                allowed, wait = True, 0.0
            else:
                self._buckets[(kind, key)] = (tokens, now)
                allowed, wait = False, (1 - tokens) / rate if rate > 0 else 3600.0
            if len(self._buckets) > MAX_KEYS:
                self._prune(now)
        return allowed, wait

    def _prune(self, now: float) -> None:
        stale = [k for k, (_t, last) in self._buckets.items() if now - last > 600]
        for k in stale:
            del self._buckets[k]

    def reset(self) -> None:
        """Forget every bucket (tests)."""
        with self._lock:
            self._buckets.clear()


limiter = RateLimiter()


def check(kind: str, key: str) -> int | None:
    """None when allowed; otherwise the Retry-After seconds for a 429 answer."""
    limits = {**DEFAULTS, **current_app.config.get("RATE_LIMITS", {})}
    capacity, rate = limits[kind]
    allowed, wait = limiter.hit(kind, key, capacity, rate)
    return None if allowed else max(1, math.ceil(wait))
