"""Shared fixtures: an app per database backend, a rolled-back transaction per test."""
from __future__ import annotations

import os

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, text

from survey import create_app
from survey.extensions import db
from survey.services.respond import batch

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _reset_postgres(url: str) -> None:
    """Start from an empty schema so the migrations are exercised from scratch."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_test_app(url: str, **extra):
    """An app on `url` with the schema migrated to head."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        **extra,
    }
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    """The application on a freshly migrated database (SQLite file, or PostgreSQL)."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
    else:
        url = os.environ["TEST_DATABASE_URL"]
        _reset_postgres(url)
    application = make_test_app(url)
    application.config["TEST_BACKEND"] = request.param
    yield application
    batch.release(application)  # its batch connection, before the engine is disposed
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Per-process caches assume rows never change under an id; a rolled-back test breaks that."""
    from survey.services import publications
    from survey.web.kiosk.api import reset_caches

    reset_caches()
    publications.reset_caches()
    yield
    reset_caches()
    publications.reset_caches()


class BoundSession(FlaskSession):
    """A Flask-SQLAlchemy session that honours an explicit `bind`.

    Flask-SQLAlchemy 3.1's get_bind() returns the engine for every mapped table and ignores the
    session's bind, so commits would escape the test's transaction on a fresh connection.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        """The connection given as `bind` when there is one, else Flask-SQLAlchemy's choice."""
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@pytest.fixture
def db_session(app):
    """A session inside a transaction that is rolled back after the test; commits become savepoints.

    Kiosk walk-ups take the production path, group commit, whose batches are then written on this
    connection too, each in a savepoint (batch.join_transaction).
    """
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        batch.join_transaction(app, connection)
        session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": BoundSession}
        )
        original = db.session
        db.session = session
        try:
            yield session
        finally:
            batch.join_transaction(app, None)
            session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


class FreshContextClient(FlaskClient):
    """A test client that forgets per-request caches before each request.

    db_session keeps one app context for the whole test, so Flask-Babel's locale and Flask-Login's
    user cached on `g` would leak from one request to the next; a real request starts with a fresh `g`.
    """

    def open(self, *args, **kwargs):
        """Drop the cached locale and user, then make the request."""
        if has_app_context():
            g.pop("_flask_babel", None)
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app, db_session):
    """A test client whose requests share the test's transaction."""
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def runner(app, db_session):
    """A CLI runner for `hailong` commands, sharing the test's transaction."""
    return app.test_cli_runner()


@pytest.fixture
def csrf_enabled(app):
    """Turn CSRF protection on for one test (it is off by default to keep tests short)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False
