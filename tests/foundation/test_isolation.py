"""The per-test transaction really isolates tests, even when a view or command commits."""
from __future__ import annotations

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Sector


def _sectors(session) -> int:
    return session.scalar(select(func.count()).select_from(Sector))


def test_a_commit_inside_a_test_is_only_a_savepoint(db_session):
    db.session.add(Sector(code="zz-isolation", name_vi="Thử"))
    db.session.commit()
    assert _sectors(db_session) == 1


def test_the_next_test_does_not_see_the_committed_row(db_session):
    assert _sectors(db_session) == 0
