"""run_write, the one unit of work: commit when the unit returns, store nothing when it raises or is refused,
and run it again when the database says the failure is transient (SQLite's write lock, provoked for real).

The first tests run inside the per-test transaction (commits become savepoints, so `db_session.rollback()`
keeps only what run_write committed), on every backend. The lock tests need a second process-level
connection to hold SQLite's write lock, so they run on a scratch SQLite file with real commits.
"""
from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from survey.extensions import db
from survey.models import AuditLog, SourceSystem
from survey.services.common import audit
from survey.services.common.txn import ATTEMPTS, refused, run_write


def refuse_inserts(session, table: str, condition: str, message: str = "refused by a test trigger") -> None:
    """Make the database itself refuse inserts into `table` whose new row matches `condition` (SQL on NEW).

    A real failure of the statement, on SQLite and PostgreSQL alike. The trigger is committed to the
    test's savepoint, so a unit's rollback does not take it away; the test's transaction does.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} WHEN {condition} "
                             f"BEGIN SELECT RAISE(ABORT, '{message}'); END"))
    else:
        session.execute(text(f"CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql AS "
                             f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$"))
        session.execute(text(f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW "
                             f"WHEN ({condition}) EXECUTE FUNCTION refuse_{table}()"))
    session.commit()


def _logged(session, action: str) -> int:
    return session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == action))


def test_a_unit_that_returns_is_committed_once_and_its_answer_returned(db_session):
    answer = run_write(lambda: audit.record(db.session, "test", "txn.kept").action)
    db_session.rollback()  # discards whatever was only flushed: a commit survives it
    assert answer == "txn.kept" and _logged(db_session, "txn.kept") == 1


def test_a_refused_unit_stores_nothing_not_even_what_it_flushed_first(db_session):
    def unit():
        audit.record(db.session, "test", "txn.refused")  # flushed: the row is in the transaction
        assert _logged(db.session, "txn.refused") == 1
        return refused(("form error", 422))

    assert run_write(unit) == ("form error", 422)
    assert _logged(db_session, "txn.refused") == 0


def test_a_unit_that_raises_stores_nothing_and_the_error_goes_on(db_session):
    def unit():
        audit.record(db.session, "test", "txn.raised")
        raise LookupError("the unit failed after a flush")

    with pytest.raises(LookupError):
        run_write(unit)
    assert _logged(db_session, "txn.raised") == 0


def test_what_was_committed_before_a_refused_unit_stays(db_session):
    run_write(lambda: audit.record(db.session, "test", "txn.first"))
    run_write(lambda: refused(audit.record(db.session, "test", "txn.second")))
    assert (_logged(db_session, "txn.first"), _logged(db_session, "txn.second")) == (1, 0)


def test_a_lost_race_on_a_unique_key_is_rerun_only_with_conflicts(db_session):
    run_write(lambda: db.session.add(SourceSystem(code="race", name="the winner")))
    calls = []

    def unit():
        # The first run inserts blindly, as if it had looked before another request stored "race";
        # the rerun looks again and finds the winner's row.
        calls.append(1)
        if len(calls) > 1 and db.session.scalar(select(SourceSystem).where(SourceSystem.code == "race")):
            return "found the winner"
        db.session.add(SourceSystem(code="race", name="the loser"))
        db.session.flush()
        return "stored"

    with pytest.raises(IntegrityError):
        run_write(unit)
    assert len(calls) == 1
    calls.clear()
    assert run_write(unit, conflicts=True) == "found the winner" and len(calls) == 2
    assert db_session.scalars(select(SourceSystem.name).where(SourceSystem.code == "race")).all() == ["the winner"]


def test_a_database_refusal_is_not_retried_and_stores_nothing(db_session):
    refuse_inserts(db_session, "audit_log", "NEW.action = 'txn.vetoed'")
    calls = []

    def unit():
        calls.append(1)
        audit.record(db.session, "test", "txn.allowed")
        audit.record(db.session, "test", "txn.vetoed")

    with pytest.raises(DBAPIError, match="refused by a test trigger"):
        run_write(unit, conflicts=False)
    assert len(calls) == 1 and _logged(db_session, "txn.allowed") == 0


# --- SQLite's write lock, held for real by another connection ------------------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """An app on its own SQLite file, committing for real; its connections wait 50 ms for a lock, not 5 s."""
    from tests.conftest import make_test_app

    path = str(tmp_path_factory.mktemp("txn") / "txn.sqlite")
    app = make_test_app("sqlite:///" + path)
    with app.app_context():
        db.engine.dispose()  # connections made from now on get the short wait below

        @event.listens_for(db.engine, "connect")
        def _short_wait(dbapi_conn, _record):  # after the app's own pragmas (busy_timeout=5000)
            dbapi_conn.execute("PRAGMA busy_timeout=50")

    yield app, path
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def blocker(scratch):
    """A second connection to the scratch file; `hold()` takes SQLite's write lock, `release()` gives it back."""
    conn = sqlite3.connect(scratch[1], isolation_level=None, timeout=5)

    class Blocker:
        def hold(self):
            conn.execute("BEGIN IMMEDIATE")  # the write lock: every other writer now gets "database is locked"

        def release(self):
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    yield Blocker()
    conn.close()


def _count_outside(path: str, action: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT count(*) FROM audit_log WHERE action = ?", (action,)).fetchone()[0]


def test_database_is_locked_is_retried_until_the_other_writer_is_done(scratch, blocker):
    app, path = scratch
    calls = []

    def unit():
        calls.append(1)
        if len(calls) == 2:
            blocker.release()  # the other writer finishes between our first and second run
        return audit.record(db.session, "test", "txn.locked_then_free").action

    blocker.hold()
    with app.app_context():
        assert run_write(unit) == "txn.locked_then_free"
    assert len(calls) == 2  # the first run met the lock; run_write ran the unit again
    assert _count_outside(path, "txn.locked_then_free") == 1  # committed, once


def test_a_lock_held_past_every_attempt_is_raised_and_nothing_is_stored(scratch, blocker):
    app, path = scratch
    calls = []

    def unit():
        calls.append(1)
        audit.record(db.session, "test", "txn.locked_for_good")

    blocker.hold()
    try:
        with app.app_context(), pytest.raises(OperationalError, match="locked"):
            run_write(unit)
    finally:
        blocker.release()
    assert len(calls) == ATTEMPTS and _count_outside(path, "txn.locked_for_good") == 0


# --- PostgreSQL: a real deadlock, which PostgreSQL says to retry -----------------------------------------------


@pytest.fixture
def pg_scratch():
    """An app on the test PostgreSQL database with two rows of its own, in a schema of their own (dropped after)."""
    import os

    from survey import create_app

    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("no PostgreSQL (TEST_DATABASE_URL) for this run")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    setup = ("DROP SCHEMA IF EXISTS txn_probe CASCADE; CREATE SCHEMA txn_probe; "
             "CREATE TABLE txn_probe.item (id integer PRIMARY KEY, n integer NOT NULL); "
             "INSERT INTO txn_probe.item VALUES (1, 0), (2, 0)")
    with app.app_context():
        with db.engine.begin() as conn:
            for statement in setup.split("; "):
                conn.execute(text(statement))
    yield app
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA txn_probe CASCADE"))
        db.engine.dispose()


def test_a_deadlock_on_postgresql_is_retried(pg_scratch):
    import threading

    calls, b_holds_row_2, errors = [], threading.Event(), []

    def other_writer():
        # Takes row 2, then (while we wait for row 2) asks for row 1, which we hold: a cycle.
        try:
            with pg_scratch.app_context(), db.engine.connect() as conn:
                conn.execute(text("UPDATE txn_probe.item SET n = n + 10 WHERE id = 2"))
                b_holds_row_2.set()
                threading.Event().wait(0.3)  # we are waiting for row 2 by now, so our deadlock check runs first
                conn.execute(text("UPDATE txn_probe.item SET n = n + 10 WHERE id = 1"))
                conn.commit()
        except Exception as exc:  # reported below: the other writer must win
            errors.append(exc)

    other = threading.Thread(target=other_writer)

    def unit():
        calls.append(1)
        db.session.execute(text("UPDATE txn_probe.item SET n = n + 1 WHERE id = 1"))
        if len(calls) == 1:
            other.start()
            assert b_holds_row_2.wait(5)
        db.session.execute(text("UPDATE txn_probe.item SET n = n + 1 WHERE id = 2"))  # first run: deadlock
        return "done"

    with pg_scratch.app_context():
        assert run_write(unit) == "done"
        other.join(10)
        rows = db.session.execute(text("SELECT id, n FROM txn_probe.item ORDER BY id")).all()
    assert len(calls) == 2 and not errors
    assert [tuple(r) for r in rows] == [(1, 11), (2, 11)]  # both writers' work, each once
