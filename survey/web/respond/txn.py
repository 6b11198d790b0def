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

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from survey.extensions import db

T = TypeVar("T")
ATTEMPTS = 5


def _transient(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return "locked" in text or "busy" in text


def run_write(unit: Callable[[], T], conflicts: bool = False) -> T:
    """Call `unit` (which loads, calls a service and commits), retrying transient SQLite locks.

    With `conflicts`, also run it again after losing a race on a row another request changed or
    created at the same moment (a draft deleted by a submit in another tab, two first drafts);
    `unit` must then load everything itself so the second run sees the winner's commit.
    """
    for attempt in range(ATTEMPTS):
        try:
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
