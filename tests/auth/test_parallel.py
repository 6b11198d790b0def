"""Parallel sign-in attempts against a real server (werkzeug, a thread per request) with real commits.

50 wrong passwords at once must be checked no more often than the delay schedule allows in the time
they took, and each checked one counted once: before, 46 of 50 were checked on PostgreSQL. The app
runs on a SQLite file, and on PostgreSQL in a private schema of TEST_DATABASE_URL's database
(dropped afterwards), because the per-test rolled-back transaction cannot be shared across threads.
"""
from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, select, text
from werkzeug.serving import make_server

from survey.extensions import db
from survey.models import AuditLog, User
from survey.services.accounts import signin
from survey.services.accounts.users import create_user
from survey.web.limits import limiter
from tests.auth.conftest import PASSWORD

PARALLEL = 50
OPEN = {"login_address": (10_000, 0.0), "login_global": (10_000, 0.0)}  # only the account's delay applies


def _private_schema(url: str):
    """A fresh schema in the test database; returns the URL that uses it and a drop callback."""
    name = f"auth_parallel_{os.getpid()}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{name}"'))

    def drop():
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()

    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{name}", drop


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """(app, base URL) of a threaded werkzeug server on a real database."""
    from tests.conftest import make_test_app

    drop = None
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("signin") / "signin.sqlite")
    elif os.environ.get("TEST_DATABASE_URL"):
        url, drop = _private_schema(os.environ["TEST_DATABASE_URL"])
    else:
        pytest.skip("TEST_DATABASE_URL is not set")
    app = make_test_app(url)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(10)
    from survey.services.respond import batch

    batch.release(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if drop:
        drop()


@pytest.fixture
def limits(server):
    """Set the server's rate limits for one test, with an empty limiter table."""
    app, _base = server
    limiter.reset()

    def configure(kinds):
        app.config["RATE_LIMITS"] = kinds

    yield configure
    app.config.pop("RATE_LIMITS", None)
    limiter.reset()


def _together(n, send):
    """send(i) in n threads released at once; returns the results and the seconds the burst took."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        barrier.wait()
        results[i] = send(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    started = time.monotonic()
    for t in threads:
        t.join(120)
    return results, time.monotonic() - started


def _post(base, username, password):
    resp = requests.post(f"{base}/auth/login", data={"username": username, "password": password},
                         allow_redirects=False, timeout=60)
    return resp.status_code, resp.headers.get("Retry-After")


def _allowed_within(seconds: float) -> int:
    """The most attempts the schedule lets through in `seconds`: the free ones, then one per delay run out."""
    allowed, spent = signin.FREE_FAILURES, 0.0
    while spent + signin.delay_after(allowed) <= seconds:
        spent += signin.delay_after(allowed)
        allowed += 1
    return allowed


def _account(app, username):
    with app.app_context():
        try:
            if db.session.scalar(select(User).where(User.username == username)) is None:
                create_user(db.session, username, PASSWORD, "analyst")
                db.session.commit()
            return db.session.scalar(select(User.id).where(User.username == username))
        finally:
            db.session.remove()


def _audited(app, action, **where):
    with app.app_context():
        stmt = select(AuditLog).where(AuditLog.action == action)
        for column, value in where.items():
            stmt = stmt.where(getattr(AuditLog, column) == value)
        rows = db.session.scalars(stmt).all()
        db.session.remove()
        return rows


def test_parallel_wrong_passwords_are_checked_only_as_often_as_the_delay_allows(server, limits):
    app, base = server
    limits(OPEN)
    name = f"song.song.{uuid.uuid4().hex[:6]}"
    user_id = _account(app, name)
    results, took = _together(PARALLEL, lambda _i: _post(base, name, "sai-mat-khau-roi"))
    codes = [code for code, _retry in results]
    checked = codes.count(401)
    assert set(codes) <= {401, 429}, codes
    assert signin.FREE_FAILURES <= checked <= _allowed_within(took), (checked, took)
    assert all(retry and int(retry) >= 1 for code, retry in results if code == 429)
    with app.app_context():
        counted = db.session.get(User, user_id).failed_logins
        db.session.remove()
    assert counted == checked  # every checked attempt counted, none twice, none lost
    assert len(_audited(app, "auth.login_failed", target_id=name)) == checked
    throttled = _audited(app, signin.THROTTLED, target_id="127.0.0.1")
    assert sum(r.details["reasons"].get("account", 0) for r in throttled) == PARALLEL - checked


def test_a_parallel_spray_across_usernames_meets_the_address_limit(server, limits):
    app, base = server
    capacity = 10
    limits({**OPEN, "login_address": (capacity, 0.0001)})
    prefix = uuid.uuid4().hex[:6]
    results, _took = _together(PARALLEL, lambda i: _post(base, f"{prefix}-ten-{i}", "doan-mo-mat-khau"))
    codes = [code for code, _retry in results]
    assert codes.count(401) == capacity and codes.count(429) == PARALLEL - capacity, codes
    failed = [r for r in _audited(app, "auth.login_failed") if r.target_id.startswith(prefix)]
    assert len(failed) == capacity  # the audit log holds one row per checked attempt, no more


def test_the_real_user_signs_in_during_a_parallel_attack(server, limits):
    app, base = server
    limits(OPEN)
    name = f"that.su.{uuid.uuid4().hex[:6]}"
    _account(app, name)
    own = requests.Session()
    first = own.post(f"{base}/auth/login", data={"username": name, "password": PASSWORD}, allow_redirects=False,
                     timeout=60)
    assert first.status_code == 302
    own.cookies.pop("session")  # signed out; the known-browser mark stays
    results, _took = _together(PARALLEL, lambda i: _post(base, name, "sai-mat-khau-roi") if i else
                               own.post(f"{base}/auth/login", data={"username": name, "password": PASSWORD},
                                        allow_redirects=False, timeout=60).status_code)
    assert results[0] == 302
    assert len(_audited(app, "auth.login", target_id=name)) == 2
