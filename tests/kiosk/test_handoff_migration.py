"""Migration 0008 (hand-off states) up and down, on a database of its own with hand-offs made before it."""
from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from survey import MIGRATIONS_DIR, create_app
from survey.extensions import db

SCHEMA = "h_pre_0008"

ROWS = (
    "INSERT INTO questionnaire (id, instrument, title_vi, title_en) VALUES (1, 'q', 'q', 'q')",
    "INSERT INTO questionnaire_version (id, questionnaire_id, version, content_hash, content, source_file,"
    " loaded_at) VALUES (1, 1, '1', 'h', '{}', '', '2026-01-01 00:00:00')",
    "INSERT INTO agency (id, code, name_vi, name_en, level, active) VALUES (1, 'A', 'a', 'a', 'department', true)",
    "INSERT INTO sector (id, code, name_vi, name_en) VALUES (1, 'S', 's', 's')",
    "INSERT INTO service_point (id, code, name_vi, name_en, kind, agency_id, address)"
    " VALUES (1, 'P', 'p', 'p', 'commune_desk', 1, '')",
    "INSERT INTO wave (id, code, name, period_start, period_end, questionnaire_version_id, seed, status, design,"
    " created_at) VALUES (1, 'W', 'w', '2026-01-01', '2026-12-31', 1, 's', 'launched', '{}', '2026-01-01 00:00:00')",
    # 1 answered on the kiosk, 2 claimed and never answered, 3 never claimed
    *("INSERT INTO invitation (id, wave_id, token_hash, pi, agency_id, sector_id, outcome, channel, status,"
      " expires_at, created_at, completed_at) VALUES (%d, 1, 't%d', 0.5, 1, 1, 'approved', 'link', '%s',"
      " '2027-01-01 00:00:00', '2026-06-01 09:00:00', %s)" % (i, i, status, done)
      for i, status, done in ((1, "completed", "'2026-06-01 09:05:00'"), (2, "issued", "NULL"), (3, "issued", "NULL"))),
    *("INSERT INTO kiosk_handoff (id, service_point_id, invitation_id, created_at, consumed_at)"
      " VALUES (%d, 1, %d, '2026-06-01 09:00:00', %s)" % (i, i, claimed)
      for i, claimed in ((1, "'2026-06-01 09:01:00'"), (2, "'2026-06-01 09:02:00'"), (3, "NULL"))),
)


@pytest.fixture
def fresh_app(app, tmp_path):
    """An application on an empty database of its own (same backend as `app`)."""
    if app.config["TEST_BACKEND"] == "sqlite":
        url, engine = "sqlite:///" + str(tmp_path / "pre0008.sqlite"), None
    else:
        base = app.config["SQLALCHEMY_DATABASE_URI"]
        engine = create_engine(base)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={SCHEMA}"}).render_as_string(False)
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with application.app_context():
        yield application
        db.engine.dispose()
    if engine is not None:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()


def _migrate(application, step: str, revision: str) -> None:
    config = application.extensions["migrate"].migrate.get_config(MIGRATIONS_DIR)
    getattr(command, step)(config, revision)


def _execute(*statements: str) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_upgrade_gives_old_hand_offs_their_state_and_downgrade_takes_the_columns_away(fresh_app):
    _migrate(fresh_app, "upgrade", "0007")
    _execute(*ROWS)
    _migrate(fresh_app, "upgrade", "0008")
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, state, state_at, answered_at, released_at FROM kiosk_handoff"
                                 " ORDER BY id")).all()
        checks = {c["name"] for c in inspect(conn).get_check_constraints("kiosk_handoff")}
    assert [(r[0], r[1]) for r in rows] == [(1, "answered"), (2, "released"), (3, "waiting")]
    assert str(rows[0][2]).startswith("2026-06-01 09:01") and rows[0][3] is not None  # answered when claimed
    assert rows[1][4] is not None and rows[2][4] is None
    assert str(rows[2][2]).startswith("2026-06-01 09:00")  # never claimed: its wait began when it was made
    assert "ck_kiosk_handoff_state" in checks
    with pytest.raises(IntegrityError):
        _execute("UPDATE kiosk_handoff SET state = 'consumed' WHERE id = 3")

    _migrate(fresh_app, "downgrade", "0007")
    with db.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("kiosk_handoff")}
        assert conn.execute(text("SELECT count(*) FROM kiosk_handoff")).scalar_one() == 3
    assert {"state", "state_at", "answered_at", "released_at", "released_by_id"} & columns == set()
    _migrate(fresh_app, "upgrade", "head")  # and up again
