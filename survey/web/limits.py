"""Rate limits keyed by what matters here: a device, a token, never an IP; shared by all workers.

Many kiosks share one office address, so an IP limit would lock out a whole one-stop centre.
Limits are token buckets (capacity, refill per second). They live in a small file mapped into
memory by every gunicorn worker (RATE_LIMIT_FILE, by default `instance/ratelimits.bin`), so a key
gets its allowance once, not once per process: a fixed table of SLOTS buckets addressed by a hash
of the key, each guarded by a lock on its own byte range of the file (plus a thread lock within the
process), so requests for different keys do not wait for each other. Two keys that land on one
slot share it: the newcomer starts a full bucket, so a collision can only let a request through,
never lock anyone out. Without a file (RATE_LIMIT_FILE = None, as in tests) the table is in
memory, one per process. The database's unique keys, not the limiter, guarantee that nothing is
stored twice.

Defaults (override with app.config["RATE_LIMITS"] = {"device": (capacity, per_second), ...}):
- device: 120 requests, refilled at 2 per second — a kiosk flushing a long offline queue
  drains it in about a minute, a human cannot approach it;
- token: 60 requests, 1 per second — a citizen pressing back/next on one invitation link;
- enrol: 20 attempts, 1 per 10 seconds for the whole site — guessing enrolment codes;
- enrol_address: 10 attempts, 1 per 20 seconds per client address, checked before the site-wide
  bucket so that one address cannot use up everyone's allowance;
- login_address: 20 sign-in failures, then 1 per 30 seconds, per client address (spraying many
  usernames from one place); login_global: 600, 5 per second, for the whole site (a distributed
  spray). Sign-in and enrolment happen at a desk or an admin's screen, not on the kiosks, so an
  address limit there cannot lock out a centre's tablets. A sign-in takes its token before the
  password is checked (so parallel guesses cannot all pass) and gives it back when it succeeds,
  so colleagues signing in behind one office address use none of it;
- login_device: 5 failures, then 1 per 5 minutes, per browser that has signed in to that account
  before (survey/web/auth/throttle.py): such a browser skips the address, site-wide and account
  limits, so an attacker draining those cannot keep the real user out.

Besides buckets, `backoff` keeps a growing delay per key (a count and a time before which the next
attempt is refused) in the same table: the per-account sign-in delay for usernames that have no
account, so an unknown name is throttled exactly like a real one.
"""
from __future__ import annotations

import fcntl
import hashlib
import math
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable

from flask import current_app

DEFAULTS: dict[str, tuple[float, float]] = {
    "device": (120, 2.0),
    "token": (60, 1.0),
    "enrol": (20, 0.1),
    "enrol_address": (10, 0.05),
    "login_address": (20, 1 / 30),
    "login_global": (600, 5.0),
    "login_device": (5, 1 / 300),
    "code_address": (20, 1 / 30),  # short codes typed on the home page: like sign-in, per address and overall
    "code_global": (600, 1.0),
}
SLOTS = 1 << 16
SLOT = struct.Struct("<Qdd")  # key hash, tokens left, when last updated (CLOCK_MONOTONIC, system-wide)
MAX_BACKOFF = 3600.0  # no backoff delay is longer: a longer one is a stale slot from before a reboot


class RateLimiter:
    """Token buckets per (kind, key) in a shared table; `hit` says whether one more request may pass."""

    def __init__(self, path: str | None = None, slots: int = SLOTS) -> None:
        self.path, self.slots = path, slots
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._table: mmap.mmap | bytearray | None = None
        self._pid: int | None = None

    def _open(self):
        if self._table is not None and self._pid == os.getpid():
            return self._table
        size = self.slots * SLOT.size
        if self.path is None:
            self._table = bytearray(size)
        else:
            # Opened in each process after gunicorn forks (a mapping shared through fork would
            # work too, but a record lock taken by the parent is not the child's).
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)
            self._fd, self._table = fd, mmap.mmap(fd, size)
        self._pid = os.getpid()
        return self._table

    def hit(self, kind: str, key: str, capacity: float, rate: float, now: float | None = None
            ) -> tuple[bool, float]:
        """Take one token; returns (allowed, seconds until the next token when refused)."""
        def change(mine: bool, tokens: float, last: float):
            # The clock is read under the slot's lock: read before it, a request that waited for the lock
            # would see a later `last` written by one that came after it, take it for a clock from before
            # a reboot and refill the bucket (21 of 50 sign-ins passed a limit of 10 under load).
            t = time.monotonic() if now is None else now
            if not mine or last > t:  # a new key here (or a clock from before a reboot)
                tokens, last = capacity, t
            tokens = min(capacity, tokens + (t - last) * rate)
            allowed = tokens >= 1
            return (tokens - 1 if allowed else tokens), t, (allowed, tokens)

        allowed, tokens = self._update(kind, key, change)
        wait = 0.0 if allowed else ((1 - tokens) / rate if rate > 0 else 3600.0)
        return allowed, wait

    def _slot(self, kind: str, key: str) -> tuple[int, int]:
        digest = int.from_bytes(hashlib.blake2b(f"{kind}\0{key}".encode(), digest_size=8).digest(), "little") or 1
        return digest, (digest % self.slots) * SLOT.size

    def _update(self, kind: str, key: str, change):
        """Apply change(owner_matches, value, when) -> (value, when, answer) to one slot under its locks."""
        digest, offset = self._slot(kind, key)
        with self._lock:
            table = self._open()
            if self._fd is not None:
                fcntl.lockf(self._fd, fcntl.LOCK_EX, SLOT.size, offset)
            try:
                owner, value, when = SLOT.unpack_from(table, offset)
                value, when, answer = change(owner == digest, value, when)
                SLOT.pack_into(table, offset, digest, value, when)
            finally:
                if self._fd is not None:
                    fcntl.lockf(self._fd, fcntl.LOCK_UN, SLOT.size, offset)
        return answer

    def give_back(self, kind: str, key: str, capacity: float) -> None:
        """Return one token taken by `hit` (the request turned out not to count against the limit)."""
        def change(mine: bool, tokens: float, last: float):
            # Another key took the slot meanwhile: it gets a full bucket, as any newcomer does.
            return (min(capacity, tokens + 1), last, None) if mine else (capacity, time.monotonic(), None)

        self._update(kind, key, change)

    def backoff(self, kind: str, key: str, delay_after: Callable[[int], float], now: float | None = None
                ) -> float | None:
        """Count one attempt unless the key's delay is running; None when allowed, else seconds to wait.

        After the n-th counted attempt the next one must wait delay_after(n) seconds.
        """
        now = time.monotonic() if now is None else now

        def change(mine: bool, count: float, until: float):
            if not mine or until - now > MAX_BACKOFF:  # a new key (or a clock from before a reboot)
                count, until = 0, 0.0
            if until > now:
                return count, until, until - now
            return count + 1, now + delay_after(int(count) + 1), None

        return self._update(kind, key, change)

    def reset(self) -> None:
        """Forget every bucket (tests)."""
        with self._lock:
            table = self._open()
            table[:] = bytes(len(table))


limiter = RateLimiter()  # the in-memory table (RATE_LIMIT_FILE = None)
_shared: dict[str, RateLimiter] = {}
_shared_lock = threading.Lock()


def limiter_for(path: str | None) -> RateLimiter:
    """The limiter whose table is in `path` (one per file and process), or the in-memory one."""
    if path is None:
        return limiter
    with _shared_lock:
        found = _shared.get(path)
        if found is None:
            found = _shared[path] = RateLimiter(path)
        return found


def _limits(kind: str) -> tuple[float, float]:
    return {**DEFAULTS, **current_app.config.get("RATE_LIMITS", {})}[kind]


def _current() -> RateLimiter:
    return limiter_for(current_app.config.get("RATE_LIMIT_FILE"))


def check(kind: str, key: str) -> int | None:
    """None when allowed; otherwise the Retry-After seconds for a 429 answer."""
    capacity, rate = _limits(kind)
    allowed, wait = _current().hit(kind, key, capacity, rate)
    return None if allowed else max(1, math.ceil(wait))


def refund(kind: str, key: str) -> None:
    """Give back the token an allowed `check` took: that request does not count against the limit."""
    _current().give_back(kind, key, _limits(kind)[0])


def backoff(kind: str, key: str, delay_after: Callable[[int], float]) -> int | None:
    """Count an attempt on `key` with a growing delay; None when allowed, else the Retry-After seconds."""
    wait = _current().backoff(kind, key, delay_after)
    return None if wait is None else max(1, math.ceil(wait))
