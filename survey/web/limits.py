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
  address limit there cannot lock out a centre's tablets.
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

from flask import current_app

DEFAULTS: dict[str, tuple[float, float]] = {
    "device": (120, 2.0),
    "token": (60, 1.0),
    "enrol": (20, 0.1),
    "enrol_address": (10, 0.05),
    "login_address": (20, 1 / 30),
    "login_global": (600, 5.0),
}
SLOTS = 1 << 16
SLOT = struct.Struct("<Qdd")  # key hash, tokens left, when last updated (CLOCK_MONOTONIC, system-wide)


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
        now = time.monotonic() if now is None else now
        digest = int.from_bytes(hashlib.blake2b(f"{kind}\0{key}".encode(), digest_size=8).digest(), "little") or 1
        offset = (digest % self.slots) * SLOT.size
        with self._lock:
            table = self._open()
            if self._fd is not None:
                fcntl.lockf(self._fd, fcntl.LOCK_EX, SLOT.size, offset)
            try:
                owner, tokens, last = SLOT.unpack_from(table, offset)
                if owner != digest or last > now:  # a new key here (or a clock from before a reboot)
                    tokens, last = capacity, now
                tokens = min(capacity, tokens + (now - last) * rate)
                allowed = tokens >= 1
                if allowed:
                    tokens -= 1
                SLOT.pack_into(table, offset, digest, tokens, now)
            finally:
                if self._fd is not None:
                    fcntl.lockf(self._fd, fcntl.LOCK_UN, SLOT.size, offset)
        wait = 0.0 if allowed else ((1 - tokens) / rate if rate > 0 else 3600.0)
        return allowed, wait

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


def check(kind: str, key: str) -> int | None:
    """None when allowed; otherwise the Retry-After seconds for a 429 answer."""
    limits = {**DEFAULTS, **current_app.config.get("RATE_LIMITS", {})}
    capacity, rate = limits[kind]
    allowed, wait = limiter_for(current_app.config.get("RATE_LIMIT_FILE")).hit(kind, key, capacity, rate)
    return None if allowed else max(1, math.ceil(wait))
