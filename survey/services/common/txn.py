"""The one unit-of-work helper: run a write, commit once, roll back on failure, retry what may pass.

`run_write(unit)` calls `unit()` (which loads, validates and calls services that only flush) and
then commits: once, in one place, for views and CLI commands alike. It rolls back when the unit
raises, and when it returns `refused(value)` (a form error, a 4xx answer: nothing of it may be
stored); then it returns `value`.

It retries the whole unit on what the database itself calls transient:
- SQLite: "database is locked" / "busy". SQLite allows one writer at a time. Its own waiting
  (busy_timeout) polls with growing sleeps, so under many concurrent kiosks writers sleep far
  longer than the lock is held; and under WAL a transaction that read before another process
  committed cannot write at all (SQLITE_BUSY_SNAPSHOT). So on SQLite writes queue on an exclusive
  lock file beside the database (fcntl.flock: the kernel wakes the next waiter at once, across
  gunicorn workers and threads; a killed process releases it), and a lock error reruns the unit,
  which then sees the other commit. A unit never calls run_write itself (one thread cannot take
  the lock twice: RuntimeError), and a write in a request outside the lock is logged as a warning
  (survey/__init__.py), since it would compete with the queue and answer "database is locked".
- PostgreSQL: serialization_failure (40001) and deadlock_detected (40P01), which PostgreSQL
  documents as "retry the transaction".
- With `conflicts=True`, also a lost race on a row another request changed or created at the same
  moment (IntegrityError, StaleDataError): the unit must load everything itself so that its second
  run sees the winner's commit; the unique keys make a repeat harmless.
"""
from __future__ import annotations

import fcntl
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from survey.extensions import db

T = TypeVar("T")
ATTEMPTS = 5
_held = threading.local()  # whether this thread holds the writers' lock (see writer_lock)
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


@dataclass(frozen=True)
class Refused:
    """What a unit returns when nothing of it may be stored: run_write rolls back and returns `value`."""

    value: Any


def refused(value: T) -> T:
    """Mark a unit's answer as an error: the transaction is rolled back and `value` returned as is."""
    return Refused(value)  # type: ignore[return-value]  (run_write unwraps it)


def transient(exc: BaseException) -> bool:
    """Whether the database says the failed transaction may succeed if run again."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    if isinstance(exc, OperationalError):
        text = str(orig if orig is not None else exc).lower()
        return "locked" in text or "busy" in text
    return False


def _lock_path() -> str | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return url.database + ".writelock"


def holds_writer_lock() -> bool:
    """Whether this thread is inside writer_lock(): in a run_write unit or the kiosk group commit."""
    return getattr(_held, "yes", False)


@contextmanager
def writer_lock() -> Iterator[None]:
    """Hold the SQLite writers' lock (no-op on other databases); never twice in one thread."""
    if holds_writer_lock():
        # A second flock on a new descriptor waits for the first, which this thread holds: the request
        # would hang with the lock, and every writer of the site behind it. (On PostgreSQL the inner
        # commit would commit the outer unit's half.) Refused at once: nothing is stored, the error names it.
        raise RuntimeError("run_write inside run_write (or the group commit): one unit of work, one commit")
    path = _lock_path()
    _held.yes = True
    try:
        if path is None:
            yield
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
    finally:
        _held.yes = False


def run_write(unit: Callable[[], T], *, conflicts: bool = False) -> T:
    """Run `unit` and commit; roll back on an exception or a `refused(...)` answer; retry transient failures."""
    for attempt in range(ATTEMPTS):
        try:
            with writer_lock():
                result = unit()
                if isinstance(result, Refused):
                    db.session.rollback()
                    return result.value
                db.session.commit()
                return result
        except (StaleDataError, IntegrityError) as exc:
            db.session.rollback()
            if not (conflicts or transient(exc)) or attempt == ATTEMPTS - 1:
                raise
        except DBAPIError as exc:
            db.session.rollback()
            if not transient(exc) or attempt == ATTEMPTS - 1:
                raise
        except BaseException:
            db.session.rollback()
            raise
        time.sleep(random.uniform(0.002, 0.02) * (attempt + 1))
    raise AssertionError("unreachable")
