"""Run a request's write (service call + commit) safely under concurrency.

SQLite allows one writer at a time. Its own waiting (busy_timeout) polls with growing sleeps, so
under many concurrent kiosks writers sleep far longer than the lock is held; and under WAL a
transaction that read before another process committed cannot write at all (SQLITE_BUSY_SNAPSHOT,
"database is locked"). So on SQLite the citizens' writes queue on an exclusive lock file beside
the database (fcntl.flock: the kernel wakes the next waiter at once, across gunicorn workers and
threads; a killed process releases it), and a transient lock error reruns the whole unit, which
then sees the other commit; the unique keys make a repeat harmless. PostgreSQL needs neither.
"""
from __future__ import annotations

import fcntl
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from survey.extensions import db

T = TypeVar("T")
ATTEMPTS = 5


def _transient(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return "locked" in text or "busy" in text


def _lock_path() -> str | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return url.database + ".writelock"


@contextmanager
def writer_lock() -> Iterator[None]:
    """Hold the SQLite writers' lock (no-op on other databases)."""
    path = _lock_path()
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


def run_write(unit: Callable[[], T], conflicts: bool = False) -> T:
    """Call `unit` (which loads, calls a service and commits), retrying transient SQLite locks.

    With `conflicts`, also run it again after losing a race on a row another request changed or
    created at the same moment (a draft deleted by a submit in another tab, two first drafts);
    `unit` must then load everything itself so the second run sees the winner's commit.
    """
    for attempt in range(ATTEMPTS):
        try:
            with writer_lock():
                return unit()
        except OperationalError as exc:
            db.session.rollback()
            if not _transient(exc) or attempt == ATTEMPTS - 1:
                raise
        except (StaleDataError, IntegrityError):
            db.session.rollback()
            if not conflicts or attempt == ATTEMPTS - 1:
                raise
        time.sleep(random.uniform(0.002, 0.02) * (attempt + 1))
    raise AssertionError("unreachable")
