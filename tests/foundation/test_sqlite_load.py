"""The one-writer discipline on SQLite under concurrent use (issue: "database is locked" answered as 500).

Every write queues on run_write's lock file; bench/faults.py phase c shows the served application
answering no 5xx under parallel sign-ins, downloads, admin writes, kiosks and intake. These tests pin
the three ways the discipline can still break: a unit that calls run_write again (it would wait for
itself, holding the lock of the whole site), a request that writes outside the queue (it competes
through busy_timeout and answers 500 under load: it is logged), and a download that reads for long and
then writes its audit row after other requests committed (SQLite refuses the stale transaction; the
unit is run again).
"""
from __future__ import annotations

import signal
import threading
from contextlib import closing, contextmanager

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditLog
from survey.services.common import audit
from survey.services.common.txn import run_write
from tests.conftest import make_test_app


@contextmanager
def deadline(seconds: int):
    """Fail instead of hanging the test run when the code under test waits for itself."""
    def _expired(_signum, _frame):
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """An app on its own SQLite file (real commits, a real lock file), with two views that write."""
    app = make_test_app("sqlite:///" + str(tmp_path_factory.mktemp("load") / "load.sqlite"))

    def outside():
        db.session.add(AuditLog(actor="test", action="load.outside"))
        db.session.commit()
        return "ok"

    def through():
        run_write(lambda: audit.record(db.session, "test", "load.through"))
        return "ok"

    app.add_url_rule("/_test/outside", "test_outside", outside, methods=["POST"])
    app.add_url_rule("/_test/through", "test_through", through, methods=["POST"])
    yield app
    with app.app_context():
        db.engine.dispose()


def _count(app, action: str) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == action))
        finally:
            db.session.remove()


def test_a_unit_calling_run_write_again_is_refused_at_once_and_stores_nothing(served):
    def inner():
        return audit.record(db.session, "test", "load.inner").action

    def outer():
        audit.record(db.session, "test", "load.outer")
        return run_write(inner)

    with served.app_context(), deadline(10):
        with pytest.raises(RuntimeError, match="run_write inside run_write"):
            run_write(outer)
        assert run_write(inner) == "load.inner"  # the lock was given back: the next writer goes through
    assert _count(served, "load.outer") == 0 and _count(served, "load.inner") == 1


def test_a_request_writing_outside_run_write_is_named_in_the_log(served, caplog):
    client = served.test_client()
    with caplog.at_level("WARNING", logger=served.logger.name):
        assert client.post("/_test/through").status_code == 200
        assert not [r for r in caplog.records if "outside run_write" in r.getMessage()]
        assert client.post("/_test/outside").status_code == 200
    warned = [r.getMessage() for r in caplog.records if "outside run_write" in r.getMessage()]
    assert warned and "test_outside" in warned[0] and "INSERT INTO audit_log" in warned[0]


def test_a_write_after_a_long_read_is_stored_though_others_committed_meanwhile(served):
    """The download pattern: a report is read for seconds, then its audit row is written."""
    calls, other_done = [], threading.Event()

    def other_request():
        with served.app_context():
            run_write(lambda: audit.record(db.session, "test", "load.other"))
            db.session.remove()
        other_done.set()

    def audit_row():
        calls.append(1)
        return audit.record(db.session, "test", "load.after_read").action

    with served.app_context(), deadline(30):
        db.session.scalar(select(func.count()).select_from(AuditLog))  # the long read: a snapshot from now
        worker = threading.Thread(target=other_request)
        worker.start()
        assert other_done.wait(20)  # another request committed after that snapshot
        worker.join()
        assert run_write(audit_row) == "load.after_read"
        db.session.remove()
    assert len(calls) == 2  # SQLite refused the stale transaction's write; run_write ran the unit again
    assert _count(served, "load.after_read") == 1


def test_the_served_database_is_in_wal_mode_with_a_busy_timeout(served):
    with served.app_context(), closing(db.engine.raw_connection()) as conn:
        cur = conn.cursor()
        assert cur.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cur.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
