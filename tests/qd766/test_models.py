"""Tables of migration 0010: what the database itself refuses (on SQLite and PostgreSQL alike), and that a
rating or event goes with its dossier."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from survey.extensions import db
from survey.models import Dossier, DossierEvent, DossierRating


@pytest.fixture
def dossier_id(db_session, dossiers):
    return db_session.scalar(select(Dossier.id).where(Dossier.external_id == "HS-1"))


def _rating(source, dossier_id, **over):
    row = {
        "source_system_id": source.id,
        "external_id": "R-1",
        "dossier_id": dossier_id,
        "rated_at": datetime(2025, 5, 11),
        "level": "satisfied",
        "score": None,
        "content_hash": "h",
        "created_at": datetime(2025, 5, 11),
    }
    row.update(over)
    return row


def _insert(session, table, row):
    with session.begin_nested():
        session.execute(insert(table), [row])


@pytest.mark.parametrize(
    "over, check",
    [
        ({"level": None, "score": None}, "ck_dossier_rating_rated"),
        ({"score": 19}, "ck_dossier_rating_score"),
        ({"score": -1}, "ck_dossier_rating_score"),
        ({"level": "very_satisfied"}, "ck_dossier_rating_level"),
    ],
)
def test_the_database_refuses_a_rating_without_a_verdict_or_out_of_range(db_session, source, dossier_id, over, check):
    with pytest.raises(IntegrityError, match=check):
        _insert(db_session, DossierRating.__table__, _rating(source, dossier_id, **over))
    assert db_session.scalar(select(func.count()).select_from(DossierRating)) == 0


def test_a_score_alone_and_both_at_the_bounds_are_accepted(db_session, source, dossier_id):
    _insert(db_session, DossierRating.__table__, _rating(source, dossier_id, level=None, score=0))
    _insert(db_session, DossierRating.__table__, _rating(source, dossier_id, external_id="R-2", score=18))
    assert sorted(db_session.scalars(select(DossierRating.score))) == [0, 18]


def test_an_external_id_is_unique_per_source_in_the_database(db_session, source, dossier_id):
    _insert(db_session, DossierRating.__table__, _rating(source, dossier_id))
    with pytest.raises(IntegrityError, match="uq_dossier_rating_source_system_id_external_id|UNIQUE"):
        _insert(db_session, DossierRating.__table__, _rating(source, dossier_id, level="normal"))
    event = {
        "source_system_id": source.id,
        "external_id": "E-1",
        "dossier_id": dossier_id,
        "kind": "petition",
        "at": datetime(2025, 5, 12),
        "note": "",
        "content_hash": "h",
        "created_at": datetime(2025, 5, 12),
    }
    _insert(db_session, DossierEvent.__table__, event)
    with pytest.raises(IntegrityError, match="ck_dossier_event_kind"):
        _insert(db_session, DossierEvent.__table__, {**event, "external_id": "E-2", "kind": "complaint"})
    with pytest.raises(IntegrityError, match="uq_dossier_event_source_system_id_external_id|UNIQUE"):
        _insert(db_session, DossierEvent.__table__, event)


def test_ratings_and_events_go_with_their_dossier(db_session, source, dossier_id):
    if db_session.get_bind().dialect.name == "sqlite":
        assert db_session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    _insert(db_session, DossierRating.__table__, _rating(source, dossier_id))
    _insert(
        db_session,
        DossierEvent.__table__,
        {
            "source_system_id": source.id,
            "external_id": "E-1",
            "dossier_id": dossier_id,
            "kind": "overdue",
            "at": datetime(2025, 5, 12),
            "note": "",
            "content_hash": "h",
            "created_at": datetime(2025, 5, 12),
        },
    )
    db_session.execute(delete(Dossier).where(Dossier.id == dossier_id))
    assert db_session.scalar(select(func.count()).select_from(DossierRating)) == 0
    assert db_session.scalar(select(func.count()).select_from(DossierEvent)) == 0


def test_the_migrated_tables_have_their_named_indexes(db_session):
    found = inspect(db_session.connection())
    assert {ix["name"] for ix in found.get_indexes("dossier_rating")} >= {"ix_dossier_rating_dossier_id"}
    assert {ix["name"] for ix in found.get_indexes("dossier_event")} >= {"ix_dossier_event_dossier_id"}
    assert "dossier_rating" in db.metadata.tables


SCHEMA = "h_qd766"  # PostgreSQL: a schema of its own, so the session's schema is untouched


@pytest.fixture
def own_app(app, tmp_path):
    """An application on an empty database of its own (same backend as `app`)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from survey import create_app

    engine = None
    if app.config["TEST_BACKEND"] == "sqlite":
        url = "sqlite:///" + str(tmp_path / "qd766.sqlite")
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


def test_migration_0010_upgrades_downgrades_and_upgrades_again(own_app):
    from alembic import command

    from survey import MIGRATIONS_DIR

    config = own_app.extensions["migrate"].migrate.get_config(MIGRATIONS_DIR)

    def tables() -> set[str]:
        with db.engine.connect() as conn:
            return set(inspect(conn).get_table_names())

    command.upgrade(config, "0010")
    assert {"dossier_rating", "dossier_event"} <= tables()
    command.downgrade(config, "0009")
    assert not {"dossier_rating", "dossier_event"} & tables() and "dossier" in tables()
    command.upgrade(config, "0010")
    with db.engine.connect() as conn:
        checks = {c["name"] for c in inspect(conn).get_check_constraints("dossier_rating")}
    assert {"ck_dossier_rating_level", "ck_dossier_rating_rated", "ck_dossier_rating_score"} <= checks
