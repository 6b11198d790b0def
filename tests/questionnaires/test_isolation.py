"""The per-test transaction really isolates tests, even when a CLI command commits."""
from __future__ import annotations

from sqlalchemy import func, select

from survey.models import QuestionnaireVersion


def _versions(session) -> int:
    return session.scalar(select(func.count()).select_from(QuestionnaireVersion))


def test_a_committing_command_inside_a_test(runner, db_session):
    assert _versions(db_session) == 0
    assert runner.invoke(args=["questionnaires", "load"]).exit_code == 0
    assert _versions(db_session) == 10


def test_the_next_test_does_not_see_those_rows(db_session):
    assert _versions(db_session) == 0
