"""Work grows with the wave, not the database: choosing the default wave and drawing a whole-province trend
read the publications' stored tables, never another wave's frozen respondents; a scoped trend still does."""

from __future__ import annotations

from datetime import date

from survey.services import publications
from survey.services.publications import records
from survey.services.workspace import dashboard as dash
from survey.services.workspace import detail
from tests.workspace.conftest import build_world


def _thawed() -> set[int]:
    """Publication ids whose frame this process has thawed."""
    return {key[1] for key in records._FRAMES}


def _two_waves(session):
    earlier = build_world(session)
    later = build_world(session, (date(2025, 10, 1), date(2025, 12, 31)), "W-2025Q4", seed=8, shift=0.08)
    publications.reset_caches()
    return earlier["wave"], later["wave"]


def test_choosing_the_default_wave_thaws_no_frame(db_session):
    _earlier, later = _two_waves(db_session)
    assert dash.default_wave(db_session).id == later.id
    assert _thawed() == set()


def test_a_whole_province_trend_reads_the_earlier_wave_from_its_table(db_session):
    earlier, later = _two_waves(db_session)
    got = detail.trends(db_session, later, dash.Filters(later.id), None, 30)
    assert [p.wave.id for p in got.series[""]] == [earlier.id, later.id]
    assert _thawed() == set()
    view = publications.current(db_session, earlier.id)
    frame = publications.frame(db_session, view)
    assert got.series[""][0].cell.est == frame.index().overall  # the table's number is the frame's
    land = got.series["land"][0].cell.est
    assert land == frame.index(mask=frame.sector == "land").overall


def test_a_scoped_trend_still_computes_from_the_frames(db_session):
    earlier, later = _two_waves(db_session)
    land = db_session.info["hl_handles"]["land"].id  # the land department's viewer
    got = detail.trends(db_session, later, dash.Filters(later.id), {land}, 30)
    assert publications.current(db_session, earlier.id).id in _thawed()
    assert got.series[""][0].cell.n < publications.current(db_session, earlier.id).table.respondents
