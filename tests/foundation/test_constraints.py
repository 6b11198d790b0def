"""The schema's own invariants: state and option columns take only their enum's values, 0 < π <= 1.

Values are written with Core UPDATEs, which the ORM does not check, so what refuses a bad value
here is the database's CHECK constraint (migration 0004), on SQLite and on PostgreSQL alike.
The migration's pre-check is exercised on a database of its own, migrated to 0003.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
from alembic import command
from alembic.util import CommandError
from flask_migrate import upgrade
from sqlalchemy import CheckConstraint, Enum, create_engine, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from survey import MIGRATIONS_DIR, create_app
from survey.extensions import db
from survey.models import Agency, Invitation, Job, KioskHandoff, Response, Target, User, Wave, WaveStratum
from survey.models.feedback import CaseRule, CaseRuleKind, FeedbackCase
from survey.models.fieldwork import WaveStatus
from survey.models.qd766 import DossierEvent, DossierEventKind, DossierRating, RatingLevel
from survey.models.registry import AgencyLevel, AgencyLineage, AgencyVersion, LineageKind, TargetScope
from survey.models.response import Language, ResponseMode
from survey.models.user import Role
from tests.respond.factories import SERVICE_YAML, add_invitation, add_registry, add_version, add_wave


def _enum_columns() -> list[tuple[str, str, type]]:
    """(table, column, enum) of every enum-typed column in the models."""
    return sorted((t.name, c.name, c.type.enum_class) for t in db.metadata.sorted_tables for c in t.columns
                  if isinstance(c.type, Enum))


ENUM_COLUMNS = _enum_columns()
# A publication refuses every UPDATE by trigger (migration 0006), so its kind is checked on insert
# in tests/publications; the update-based checks below take the other tables.
# An event type is NULL on a dossier and must fit its record's kind (ck_dossier_event_type_fits_kind), so
# tests/intake/test_service_events.py checks it on an event row.
UPDATABLE_ENUM_COLUMNS = [c for c in ENUM_COLUMNS if c[0] != "publication" and c[1] != "event_type"]
PI_COLUMNS = [("invitation", "pi"), ("wave_stratum", "pi")]


def test_every_state_and_option_column_is_typed_with_its_enum():
    found = {(table, column) for table, column, _enum in ENUM_COLUMNS}
    assert found == {("agency", "level"), ("service_point", "kind"), ("target", "scope"), ("dossier", "channel"),
                     ("dossier", "outcome"), ("wave", "status"), ("invitation", "outcome"),
                     ("invitation", "channel"), ("invitation", "status"), ("response", "mode"),
                     ("response", "language"), ("user_account", "role"), ("publication", "kind"),
                     ("job", "state"), ("kiosk_handoff", "state"), ("case_rule", "kind"),
                     ("feedback_case", "rule_kind"), ("feedback_case", "status"), ("dossier_rating", "level"),
                     ("dossier_event", "kind"), ("dossier", "kind"), ("dossier", "event_type"),
                     ("invitation", "event_type"), ("agency_version", "level"), ("agency_lineage", "kind")}


@pytest.mark.parametrize("table, column, enum", ENUM_COLUMNS)
def test_each_enum_column_has_a_check_named_by_the_convention_listing_exactly_its_values(table, column, enum):
    checks = {c.name: str(c.sqltext) for c in db.metadata.tables[table].constraints if isinstance(c, CheckConstraint)}
    assert checks[f"ck_{table}_{column}"] == "%s IN (%s)" % (column, ", ".join(f"'{m.value}'" for m in enum))


@pytest.fixture
def rows(db_session) -> dict[str, int]:
    """One valid row of every table with a constrained column: table name → id."""
    reg = add_registry(db_session)
    version = add_version(db_session, SERVICE_YAML)
    wave = add_wave(db_session, version, reg)
    invitation, _token = add_invitation(db_session, wave, reg)
    target = Target(year=2025, scope=TargetScope.TTHC, value=90)
    response = Response(uuid=str(uuid.uuid4()), questionnaire_version_id=version.id, mode=ResponseMode.LINK)
    user = User(username="u-" + uuid.uuid4().hex[:8], password_hash="x", role=Role.ANALYST)
    job = Job(kind="test")
    handoff = KioskHandoff(service_point_id=reg["point"].id, invitation_id=invitation.id)
    db_session.add_all([target, response, user, job, handoff])
    db_session.flush()
    rule = CaseRule(questionnaire_id=version.questionnaire_id, kind=CaseRuleKind.OVERALL_LOW, threshold=2,
                    case_type="low", sla_days=5)
    case = FeedbackCase(response_id=response.id, agency_id=reg["agency"].id, rule_kind=CaseRuleKind.OVERALL_LOW,
                        case_type="low", due_at=datetime(2026, 1, 5))
    rated = DossierRating(source_system_id=reg["source"].id, external_id="R-1", dossier_id=invitation.dossier_id,
                          rated_at=datetime(2026, 1, 2), level=RatingLevel.SATISFIED, content_hash="h")
    happened = DossierEvent(source_system_id=reg["source"].id, external_id="E-1", dossier_id=invitation.dossier_id,
                            kind=DossierEventKind.PETITION, at=datetime(2026, 1, 2), content_hash="h")
    successor = Agency(code="A-" + uuid.uuid4().hex[:8], name_vi="Xã mới", level=AgencyLevel.COMMUNE)
    db_session.add(successor)
    db_session.flush()
    version_row = AgencyVersion(agency_id=reg["agency"].id, code=reg["agency"].code, name_vi="Cơ quan",
                                level=AgencyLevel.DEPARTMENT)
    lineage = AgencyLineage(kind=LineageKind.MERGE, predecessor_id=reg["agency"].id, successor_id=successor.id,
                            effective_on=datetime(2025, 7, 1).date())
    db_session.add_all([rule, case, rated, happened, version_row, lineage])
    db_session.flush()
    return {"case_rule": rule.id, "feedback_case": case.id, "dossier_rating": rated.id, "dossier_event": happened.id,
            "agency_version": version_row.id, "agency_lineage": lineage.id,
            "job": job.id, "kiosk_handoff": handoff.id,
            "agency": reg["agency"].id, "service_point": reg["point"].id, "target": target.id,
            "dossier": invitation.dossier_id, "wave": wave.id, "wave_stratum": wave.strata[0].id,
            "invitation": invitation.id, "response": response.id, "user_account": user.id}


def _set(session, rows: dict, table: str, column: str, value) -> None:
    """Write one value into the table's test row (Core: no ORM validation), inside a savepoint."""
    t = db.metadata.tables[table]
    with session.begin_nested():
        session.execute(update(t).where(t.c.id == rows[table]).values({column: value}))


def _stored(session, rows: dict, table: str, column: str):
    t = db.metadata.tables[table]
    return session.execute(select(t.c[column]).where(t.c.id == rows[table])).scalar_one()


@pytest.mark.parametrize("table, column, enum", UPDATABLE_ENUM_COLUMNS)
def test_the_database_refuses_an_unknown_state(db_session, rows, table, column, enum):
    before = _stored(db_session, rows, table, column)
    for bad in ("unknown", "", before.value.upper()):
        with pytest.raises(IntegrityError, match=f"ck_{table}_{column}"):
            _set(db_session, rows, table, column, bad)
    assert _stored(db_session, rows, table, column) == before


@pytest.mark.parametrize("table, column, enum", UPDATABLE_ENUM_COLUMNS)
def test_the_database_accepts_every_enum_value_and_gives_back_the_member(db_session, rows, table, column, enum):
    for member in enum:
        _set(db_session, rows, table, column, member.value)  # a plain string, as older code stores it
        stored = _stored(db_session, rows, table, column)
        assert stored is member and stored == member.value


@pytest.mark.parametrize("table, column", PI_COLUMNS)
@pytest.mark.parametrize("pi", [0.0, -0.25, 1.000001, 2.0])
def test_the_database_refuses_a_probability_outside_zero_to_one(db_session, rows, table, column, pi):
    with pytest.raises(IntegrityError, match=f"ck_{table}_{column}"):
        _set(db_session, rows, table, column, pi)
    assert _stored(db_session, rows, table, column) == 0.5


@pytest.mark.parametrize("table, column", PI_COLUMNS)
def test_the_database_accepts_a_probability_up_to_and_including_one(db_session, rows, table, column):
    for pi in (1e-9, 0.5, 1.0):
        _set(db_session, rows, table, column, pi)
        assert _stored(db_session, rows, table, column) == pi


def test_the_orm_reads_states_back_as_enum_members(db_session, rows):
    db_session.expire_all()
    assert db_session.get(Wave, rows["wave"]).status is WaveStatus.LAUNCHED
    assert db_session.get(Response, rows["response"]).language is Language.VI  # the column default
    assert db_session.get(Agency, rows["agency"]).level == "department"  # members equal the stored strings
    assert db_session.get(Invitation, rows["invitation"]).status in ("issued", "opened", "completed", "expired")
    assert db_session.get(WaveStratum, rows["wave_stratum"]).pi == 0.5
    assert db_session.get(User, rows["user_account"]).role is Role.ANALYST


# --- migration 0004 on a database of its own --------------------------------------------------------

SCHEMA = "h_pre_0004"  # PostgreSQL: a schema of the test database, so the session's schema is untouched


@pytest.fixture
def old_app(app, tmp_path):
    """An application on an empty database of its own (same backend as `app`), not migrated yet."""
    if app.config["TEST_BACKEND"] == "sqlite":
        url = "sqlite:///" + str(tmp_path / "pre0004.sqlite")
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
    if app.config["TEST_BACKEND"] != "sqlite":
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()


def _alembic_upgrade(application, revision: str = "head") -> None:
    """Alembic's own command, which raises (flask_migrate.upgrade logs the error and exits)."""
    config = application.extensions["migrate"].migrate.get_config(MIGRATIONS_DIR)
    command.upgrade(config, revision)


def _version() -> str:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def _execute(*statements: str) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


BASE_ROWS = (
    "INSERT INTO questionnaire (id, instrument, title_vi, title_en) VALUES (1, 'q', 'q', 'q')",
    "INSERT INTO questionnaire_version (id, questionnaire_id, version, content_hash, content, source_file,"
    " loaded_at) VALUES (1, 1, '1', 'h', '{}', '', '2025-01-01 00:00:00')",
)


def test_the_pre_check_stops_the_upgrade_naming_table_column_and_values(old_app):
    upgrade(revision="0003")
    _execute(*BASE_ROWS,
             "INSERT INTO wave (id, code, name, period_start, period_end, questionnaire_version_id, seed, status,"
             " design, created_at) VALUES (1, 'W1', 'w', '2025-01-01', '2025-03-31', 1, 's', 'paused', '{}',"
             " '2025-01-01 00:00:00')",
             "INSERT INTO wave_stratum (wave_id, key, pi) VALUES (1, 'a', 0), (1, 'b', 0), (1, 'c', 0.5)",
             "INSERT INTO agency (code, name_vi, name_en, level, active) VALUES ('A', 'a', '', 'region', true)")
    with pytest.raises(CommandError) as refused:
        _alembic_upgrade(old_app, "0004")
    message = str(refused.value)
    assert "wave.status: 'paused' (1 row)" in message
    assert "wave_stratum.pi: 0.0 (2 rows)" in message
    assert "agency.level: 'region' (1 row)" in message
    assert "0.5" not in message and "invitation" not in message  # only what breaks a constraint is listed
    assert _version() == "0003"  # nothing was changed: still at 0003, the rows as they were
    _execute("UPDATE wave SET status = 'closed'", "UPDATE wave_stratum SET pi = 1 WHERE pi = 0",
             "UPDATE agency SET level = 'province'")
    _alembic_upgrade(old_app, "0004")
    assert _version() == "0004"


def test_the_upgrade_keeps_every_row_and_the_downgrade_drops_the_checks(old_app):
    upgrade(revision="0003")
    # SQLite rebuilds each constrained table; were foreign keys enforced meanwhile, dropping the old
    # `response` table would cascade to its answers.
    _execute(*BASE_ROWS,
             "INSERT INTO response (id, uuid, questionnaire_version_id, mode, probability_sample, partial, language,"
             " submitted_at) VALUES (1, 'u1', 1, 'kiosk_walkup', false, false, 'vi', '2025-01-01 00:00:00')",
             "INSERT INTO answer (response_id, item_code, value_int) VALUES (1, 'A1', 4), (1, 'A2', 5)")
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM answer")).scalar_one() == 2
        assert {c["name"] for c in inspect(conn).get_check_constraints("response")} == {
            "ck_response_mode", "ck_response_language"}
    with pytest.raises(IntegrityError):
        _execute("UPDATE response SET mode = 'fax'")
    if old_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # set back on for the pool

    command.downgrade(old_app.extensions["migrate"].migrate.get_config(MIGRATIONS_DIR), "0003")
    _execute("UPDATE response SET mode = 'fax'")  # no constraint any more
    with db.engine.connect() as conn:
        assert inspect(conn).get_check_constraints("response") == []
        assert conn.execute(text("SELECT count(*) FROM answer")).scalar_one() == 2


@pytest.mark.parametrize("table, column, enum", ENUM_COLUMNS)
def test_the_migrated_checks_allow_exactly_the_values_of_the_models(db_session, table, column, enum):
    """Autogenerate does not compare CHECKs, so this is what keeps the migrations and the enums in step."""
    reflected = {c["name"]: c["sqltext"] for c in inspect(db_session.connection()).get_check_constraints(table)}
    # PostgreSQL gives the condition back rewritten (= ANY (ARRAY[...])), SQLite as written: compare the values.
    assert set(re.findall(r"'([^']*)'", reflected[f"ck_{table}_{column}"])) == {m.value for m in enum}


def test_the_wave_services_refuse_a_probability_of_zero_before_the_database_would(db_session):
    """π = 0 was accepted for a stratum's override and for new strata; now it is a form error, not a 500."""
    from survey.services.intake import batch as intake
    from survey.services.sampling import waves
    from tests.sampling.factories import make_registry, make_source, make_version, make_wave, record

    make_registry(db_session)
    version = make_version(db_session)
    assert intake.ingest(db_session, make_source(db_session), [record("A-1", day="2025-03-10")]).count("stored") == 1
    wave = make_wave(db_session, version)
    with pytest.raises(waves.WaveError, match="bad_pi"):
        waves.set_override(db_session, wave, "AG1|land", pi=0.0)
    with pytest.raises(waves.WaveError, match="bad_pi"):
        make_wave(db_session, version, code="W2", new_stratum_pi=0.0)
    waves.set_override(db_session, wave, "AG1|land", pi=1e-6)  # the smallest positive π is still a design
    assert wave.strata[0].pi == 1e-6
