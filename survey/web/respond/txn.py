"""Run a request's write (service call + commit) again when SQLite reports a transient lock.

Under WAL, a transaction that read before another process committed cannot then write
(SQLITE_BUSY_SNAPSHOT, "database is locked") and SQLite does not wait for it. Rolling back and
running the whole unit again sees the other commit; the unique keys then make a repeat harmless.
PostgreSQL never takes this path.
"""
from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

from sqlalchemy.exc import OperationalError

from survey.extensions import db

T = TypeVar("T")
ATTEMPTS = 5


def _transient(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return "locked" in text or "busy" in text


def run_write(unit: Callable[[], T]) -> T:
    """Call `unit` (which loads, calls a service and commits), retrying transient SQLite locks."""
    for attempt in range(ATTEMPTS):
        try:
            return unit()
        except OperationalError as exc:
            db.session.rollback()
            if not _transient(exc) or attempt == ATTEMPTS - 1:
                raise
            time.sleep(random.uniform(0.002, 0.02) * (attempt + 1))
    raise AssertionError("unreachable")
