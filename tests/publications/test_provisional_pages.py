"""A running wave's pages read a provisional publication, refreshed in the background when it is older than
PROVISIONAL_MINUTES, and labelled provisional with its time."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from survey.models import Job, Publication
from survey.services import publications
from survey.services.accounts.users import create_user
from tests.auth.conftest import PASSWORD, open_browser_session
from tests.workspace.conftest import build_world


@pytest.fixture
def running(app, db_session, tmp_path):
    """The small province's wave, still collecting and not yet published; jobs run in the request thread."""
    app.config.update(JOBS_INLINE=True, JOBS_DIR=str(tmp_path))
    world = build_world(db_session, publish=False)
    world["wave"].status = "launched"
    world["wave"].closed_at = None
    db_session.flush()
    yield world
    app.config.update(JOBS_INLINE=False, JOBS_DIR=None)


def _page(client, db_session, wave_id: int) -> str:
    return client.get("/analyst/?wave=%d" % wave_id).get_data(as_text=True)


def test_the_first_page_of_a_running_wave_starts_its_provisional_figures(client, db_session, running):
    analyst = create_user(db_session, "phan.tich.tt", PASSWORD, "analyst")
    open_browser_session(client, analyst, db_session)
    wave = running["wave"]
    text = _page(client, db_session, wave.id)
    view = publications.current(db_session, wave.id)
    assert view is not None and view.provisional and view.version == 1
    assert "Số liệu tạm tính lúc" in text and "đợt đang thu" in text
    assert db_session.scalar(select(Job.state).where(Job.kind == "publication.provisional")) == "done"


def test_provisional_figures_are_refreshed_only_when_older_than_the_setting(app, client, db_session, running):
    analyst = create_user(db_session, "phan.tich.tt2", PASSWORD, "analyst")
    open_browser_session(client, analyst, db_session)
    wave = running["wave"]
    _page(client, db_session, wave.id)
    _page(client, db_session, wave.id)  # fresh: nothing new
    assert publications.current(db_session, wave.id).version == 1
    # Ten minutes later (the default) the next page asks for a new one; the row's time is moved back by
    # Core: the trigger refuses UPDATEs of publications, so the test copies it instead.
    old = db_session.scalars(select(Publication).where(Publication.wave_id == wave.id)).one()
    assert app.config["PROVISIONAL_MINUTES"] == 10
    _age(db_session, old, timedelta(minutes=11))
    _page(client, db_session, wave.id)
    assert publications.current(db_session, wave.id).version == 2


def _age(session, pub: Publication, by: timedelta) -> None:
    """Make a provisional publication look older (a new row: the database refuses to change a stored one)."""
    table = Publication.__table__
    row = dict(session.execute(select(table).where(table.c.id == pub.id)).mappings().one())
    row.pop("id")
    row["published_at"] = row["published_at"] - by
    session.execute(table.delete().where(table.c.id == pub.id))
    session.execute(table.insert().values(row))
    session.expire_all()
    publications.reset_caches()


def test_a_closed_wave_never_gets_provisional_figures(client, db_session, running):
    analyst = create_user(db_session, "phan.tich.tt3", PASSWORD, "analyst")
    open_browser_session(client, analyst, db_session)
    wave = running["wave"]
    db_session.execute(update(type(wave)).where(type(wave).id == wave.id).values(status="closed"))
    db_session.expire_all()
    _page(client, db_session, wave.id)
    assert publications.current(db_session, wave.id) is None
    assert db_session.scalar(select(Job.id).where(Job.kind == "publication.provisional")) is None
