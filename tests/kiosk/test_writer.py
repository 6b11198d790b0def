"""The kiosk batch writer's PostgreSQL array literals read back as the values they were built from."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from survey.web.kiosk.writer import array_literal

TEXTS = ['plain', 'with "quotes"', "back\\slash", "a,b", "{braces}", "NULL", "  spaced  ", "", "tiếng Việt", None]
INTEGERS = [4, None, -3, 0, 2**31 - 1]


def test_array_literal_quotes_every_text_and_writes_integers_bare():
    assert array_literal(["a", None, 'x"y']) == '{"a",NULL,"x\\"y"}'
    assert array_literal([1, None, True]) == "{1,NULL,1}"
    assert array_literal([]) == "{}"


def test_array_literals_read_back_unchanged_in_postgresql(app, db_session):
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("array literals are PostgreSQL's (the SQLite writer binds rows)")
    texts = db_session.execute(text("SELECT CAST(:v AS TEXT[])"), {"v": array_literal(TEXTS)}).scalar_one()
    integers = db_session.execute(text("SELECT CAST(:v AS INTEGER[])"), {"v": array_literal(INTEGERS)}).scalar_one()
    assert texts == TEXTS and integers == INTEGERS
