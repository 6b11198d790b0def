"""A db_session that really rolls back (shadowing tests/conftest.py's for the citizen tests).

Flask-SQLAlchemy 3.1's Session.get_bind returns the engine and ignores the session's `bind`, so
a session made with bind=<connection in a transaction> silently commits on a new connection. This
session class honours the bind, so every commit in a test is only a savepoint of the outer
transaction, which is rolled back after the test.
"""
from __future__ import annotations

import pytest
from flask_sqlalchemy.session import Session as FlaskSession

from survey.extensions import db


class BoundSession(FlaskSession):
    """Use the connection given as `bind` when there is one."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        """The explicit bind, else Flask-SQLAlchemy's choice."""
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@pytest.fixture
def db_session(app):
    """A session inside a transaction that is rolled back after the test; commits become savepoints."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        session = db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": BoundSession})
        original = db.session
        db.session = session
        try:
            yield session
        finally:
            session.remove()
            db.session = original
            transaction.rollback()
            connection.close()
