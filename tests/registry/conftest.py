"""Fixtures for the registry tests: a truly rolled-back session, and a CSV file writer."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import scoped_session, sessionmaker

from survey.extensions import db


@pytest.fixture
def db_session(app):
    """Override of tests/conftest.py's db_session whose session really joins the test transaction.

    Flask-SQLAlchemy's Session.get_bind() returns the engine for the model's bind key and ignores a
    `bind` given to the session, so a commit there (e.g. by a CLI command) is a real commit that
    outlives the test. A plain SQLAlchemy session honours `bind`, so commits only release savepoints.
    Every table is emptied inside the transaction first, so rows other tests may have committed for
    real (through that fixture) cannot change these tests' counts; the rollback restores them.
    """
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        original = db.session
        db.session = session
        try:
            yield session
        finally:
            session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def write_csv(tmp_path):
    """Write `text` to a fresh CSV file (UTF-8 unless bytes are given) and return its path."""
    counter = iter(range(1000))

    def write(text: str | bytes, name: str | None = None) -> str:
        path = tmp_path / (name or f"registry-{next(counter)}.csv")
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return str(path)

    return write
