"""The answer table partitioned by response-id range on PostgreSQL (migration 0015, `hailong partitions`)."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from survey import MIGRATIONS_DIR, create_app
from survey.extensions import db
from survey.models import AuditLog
from survey.services.common import partitions as parts

OWN_SCHEMA = "h_pre_0015"
ROWS = (
    "INSERT INTO questionnaire (id, instrument, title_vi, title_en) VALUES (1, 'q', 'q', 'q')",
    "INSERT INTO questionnaire_version (id, questionnaire_id, version, content_hash, content, source_file,"
    " loaded_at) VALUES (1, 1, '1', 'h', '{}', '', '2026-01-01 00:00:00')",
)


def _postgresql_only(app) -> None:
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("SQLite has no table partitioning: migration 0015 leaves its schema as it is")


def _response(session, rid: int, answers: int = 3) -> None:
    """A response with an explicit id (so it falls in a chosen range) and `answers` answer rows."""
    session.execute(text(
        "INSERT INTO response (id, uuid, questionnaire_version_id, mode, probability_sample, partial, language,"
        " submitted_at) VALUES (:id, :uuid, :v, 'kiosk_walkup', false, false, 'vi', now())"),
        {"id": rid, "uuid": "00000000-0000-4000-8000-%012d" % rid, "v": _version(session)})
    for k in range(answers):
        session.execute(text("INSERT INTO answer (response_id, item_code, value_int) VALUES (:r, :c, 4)"),
                        {"r": rid, "c": "q%d" % k})


def _version(session) -> int:
    found = session.scalar(text("SELECT min(id) FROM questionnaire_version"))
    if found is None:
        session.execute(text(ROWS[0]))
        session.execute(text(ROWS[1]))
        found = 1
    return found


def _where(session, rid: int) -> str:
    """The partition that holds the answers of response `rid`."""
    return session.scalar(text("SELECT DISTINCT tableoid::regclass::text FROM answer WHERE response_id = :r"),
                          {"r": rid})


def test_migrated_answer_table_is_partitioned_with_a_first_range_and_a_default(app, db_session):
    _postgresql_only(app)
    conn = db_session.connection()
    assert parts.is_partitioned(conn)
    found = parts.partitions(conn)
    assert [(p.name, p.high) for p in found] == [("answer_p0000", parts.SIZE), ("answer_default", None)]
    _response(db_session, 7)
    assert _where(db_session, 7) == "answer_part.answer_p0000"


def test_create_ahead_makes_the_next_ranges_and_moves_rows_out_of_the_default(app, db_session):
    _postgresql_only(app)
    _response(db_session, 2 * parts.SIZE + 5, answers=4)  # beyond the first range: lands in the default
    assert _where(db_session, 2 * parts.SIZE + 5) == "answer_part.answer_default"
    made = parts.create_ahead(db_session.connection(), ahead=1)
    assert made == ["answer_p0001", "answer_p0002", "answer_p0003"]
    assert _where(db_session, 2 * parts.SIZE + 5) == "answer_part.answer_p0002"
    assert db_session.scalar(text("SELECT count(*) FROM answer WHERE response_id = :r"),
                             {"r": 2 * parts.SIZE + 5}) == 4
    assert parts.create_ahead(db_session.connection(), ahead=1) == []  # nothing missing: nothing made


def test_retire_drops_the_old_ranges_answers_and_keeps_the_rest(app, db_session):
    _postgresql_only(app)
    _response(db_session, 11)
    _response(db_session, parts.SIZE + 11)
    parts.create_ahead(db_session.connection(), ahead=0)
    gone = parts.retire(db_session.connection(), below=parts.SIZE)
    assert [p.name for p in gone] == ["answer_p0000"]
    assert db_session.scalar(text("SELECT count(*) FROM answer WHERE response_id = 11")) == 0
    assert db_session.scalar(text("SELECT count(*) FROM answer WHERE response_id = :r"), {"r": parts.SIZE + 11}) == 3


def test_deleting_a_response_still_cascades_to_its_partitioned_answers(app, db_session):
    _postgresql_only(app)
    _response(db_session, 21)
    db_session.execute(text("DELETE FROM response WHERE id = 21"))
    assert db_session.scalar(text("SELECT count(*) FROM answer WHERE response_id = 21")) == 0


def test_partitions_commands_list_create_and_audit(app, db_session, runner):
    _postgresql_only(app)
    _response(db_session, parts.SIZE + 3)
    result = runner.invoke(args=["partitions", "create", "--ahead", "0"])
    assert result.exit_code == 0, result.output
    assert "answer_p0001" in result.output
    listed = runner.invoke(args=["partitions", "status"])
    assert "answer_p0001" in listed.output and "mặc định" in listed.output
    entry = db_session.query(AuditLog).filter_by(action="partitions.create").one()
    assert entry.details["created"] == ["answer_p0001"]


def test_partitions_commands_on_sqlite_say_there_is_nothing_to_do(app, runner):
    if app.config["TEST_BACKEND"] != "sqlite":
        pytest.skip("the SQLite answer of the command")
    result = runner.invoke(args=["partitions", "status"])
    assert result.exit_code != 0
    assert "Chỉ PostgreSQL" in result.output


def test_partitions_help_explains_the_group():
    from click.testing import CliRunner

    from survey.cli import cli

    result = CliRunner().invoke(cli, ["partitions", "--help"])
    assert result.exit_code == 0 and "convert" in result.output and "retire" in result.output


@pytest.fixture
def own_app(app):
    """An application on a schema of its own, migrated to 0014 (answer not partitioned), then dropped."""
    _postgresql_only(app)
    base = app.config["SQLALCHEMY_DATABASE_URI"]
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {OWN_SCHEMA} CASCADE"))
        conn.execute(text(f"DROP SCHEMA IF EXISTS {OWN_SCHEMA}_{parts.SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {OWN_SCHEMA}"))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={OWN_SCHEMA}"}).render_as_string(False)
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with application.app_context():
        _migrate(application, "upgrade", "0014")
        yield application
        db.engine.dispose()
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {OWN_SCHEMA} CASCADE"))
        conn.execute(text(f"DROP SCHEMA IF EXISTS {OWN_SCHEMA}_{parts.SCHEMA} CASCADE"))
    engine.dispose()


def _migrate(application, step: str, revision: str) -> None:
    config = application.extensions["migrate"].migrate.get_config(MIGRATIONS_DIR)
    getattr(command, step)(config, revision)


def test_a_populated_table_is_left_to_convert_which_keeps_every_row_and_resumes(own_app):
    with db.engine.begin() as conn:
        for rid in (1, 2, 3, parts.SIZE + 1):
            _response(conn, rid, answers=5)
    _migrate(own_app, "upgrade", "head")
    with db.engine.connect() as conn:
        assert not parts.is_partitioned(conn)  # the migration leaves a populated table alone
        before = sorted(conn.execute(text("SELECT id, response_id, item_code FROM answer")).all())
        seen = []
        copied = parts.convert(conn, batch=7, commit=conn.commit, progress=lambda done, total: seen.append(done))
        assert copied == 20 and seen == [7, 14, 20]
        assert parts.is_partitioned(conn)
        assert sorted(conn.execute(text("SELECT id, response_id, item_code FROM answer")).all()) == before
        assert _where(conn, parts.SIZE + 1) == f"{OWN_SCHEMA}_{parts.SCHEMA}.answer_p0001"
        conn.execute(text("INSERT INTO answer (response_id, item_code, value_int) VALUES (2, 'new', 1)"))
        assert conn.scalar(text("SELECT max(id) FROM answer")) == 21  # the sequence carries on
        conn.commit()
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
    _migrate(own_app, "downgrade", "0014")
    with db.engine.connect() as conn:
        assert not parts.is_partitioned(conn)
        assert conn.scalar(text("SELECT count(*) FROM answer")) == 21


def test_convert_refuses_an_already_partitioned_table(app, db_session):
    _postgresql_only(app)
    with pytest.raises(parts.PartitionError, match="đã được phân vùng"):
        parts.convert(db_session.connection())


def test_partitions_retire_command_drops_the_old_range_and_audits_it(app, db_session, runner):
    _postgresql_only(app)
    _response(db_session, 31)
    _response(db_session, parts.SIZE + 31)
    runner.invoke(args=["partitions", "create", "--ahead", "0"])
    result = runner.invoke(args=["partitions", "retire", "--below", str(parts.SIZE), "--yes"])
    assert result.exit_code == 0, result.output
    assert "answer_p0000" in result.output
    assert db_session.scalar(text("SELECT count(*) FROM answer WHERE response_id = 31")) == 0
    entry = db_session.query(AuditLog).filter_by(action="partitions.retire").one()
    assert entry.details["dropped"] == ["answer_p0000"]


def test_partitions_convert_command_on_a_partitioned_table_is_a_clear_error(app, db_session, runner):
    _postgresql_only(app)
    result = runner.invoke(args=["partitions", "convert"])
    assert result.exit_code != 0
    assert "đã được phân vùng" in result.output
