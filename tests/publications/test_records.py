"""Publications are the record: frozen exactly, immutable in the database, restated with a reason and a diff."""
from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from survey.models import AuditLog, Dossier, Publication, PublicationKind, SourceSystem
from survey.services import publications
from survey.services.publications import PublicationError, frozen
from survey.services.workspace import publishing, wavedata
from tests.workspace.conftest import build_world


@pytest.fixture
def world(db_session):
    return build_world(db_session, publish=False)  # the tests publish it themselves


def _late_dossiers(session, world, agency="land", sector="land", n=500):
    """Dossiers of the wave's period imported after publication (they move the calibration totals)."""
    src = SourceSystem(code="late-src", name="Phần mềm một cửa")
    session.add(src)
    session.flush()
    session.execute(insert(Dossier.__table__), [
        {"source_system_id": src.id, "external_id": "LATE-%d" % k, "agency_id": world[agency].id,
         "sector_id": world["sector:" + sector].id, "channel": "in_person", "received_at": datetime(2025, 8, 1),
         "completed_at": datetime(2025, 8, 20), "outcome": "approved", "content_hash": "h%d" % k,
         "created_at": datetime(2025, 12, 1)} for k in range(n)])
    session.commit()  # imported: committed (here a savepoint of the test's transaction)


def _numbers(table) -> list:
    """Every estimate of every cell of a table, in a fixed order (exact floats)."""
    out = []
    for scope in ("agencies", "sectors", "agency_sectors", "service_points"):
        for key in sorted(getattr(table, scope), key=repr):
            cell = getattr(table, scope)[key]
            out.append((scope, key, tuple(cell.index.overall.__dict__.values()), cell.status))
    out.append(("overall", None, tuple(table.overall.index.overall.__dict__.values()), table.overall.status))
    return out


def test_a_publication_thaws_to_exactly_the_table_and_frame_that_were_computed(db_session, world):
    wave = world["wave"]
    table, frame, _inputs = publishing.compute(db_session, wave)
    pub = publishing.publish(db_session, "cli", wave)
    view = publications.current(db_session, wave.id)
    assert (view.id, view.version, view.kind, view.newer_exists) == (pub.id, 1, PublicationKind.FINAL, False)
    assert frozen.table_json(view.table) == frozen.table_json(table)
    thawed = publications.frame(db_session, view)
    assert thawed.n == frame.n and (thawed.design.weights == frame.design.weights).all()
    again, live = thawed.index(), frame.index()
    assert repr(again) == repr(live)  # repr: NaN (items nobody answered) equals NaN, bit for bit otherwise
    by = thawed.index(by=thawed.agency)
    assert repr(by) == repr(frame.index(by=frame.agency))


def test_late_dossiers_leave_the_publication_unchanged_until_it_is_restated(db_session, world):
    wave = world["wave"]
    publishing.publish(db_session, "cli", wave)
    before = publications.current(db_session, wave.id)
    frame_before = publications.frame(db_session, before).index().overall
    _late_dossiers(db_session, world)
    publications.reset_caches()  # a fresh process: nothing remembered
    after = publications.current(db_session, wave.id)
    assert after.content_hash == before.content_hash and _numbers(after.table) == _numbers(before.table)
    assert publications.frame(db_session, after).index().overall == frame_before
    live = publishing.compute(db_session, wave)[0]
    assert _numbers(live) != _numbers(before.table)  # the raw data did move


def test_a_restatement_is_a_new_version_whose_diff_says_exactly_what_moved(db_session, world):
    wave = world["wave"]
    publishing.publish(db_session, "cli", wave)
    v1 = publications.current(db_session, wave.id)
    _late_dossiers(db_session, world)
    publishing.restate(db_session, "cli", wave, "Nhập bổ sung 500 hồ sơ đất đai muộn")
    v2 = publications.current(db_session, wave.id)
    assert (v2.version, v2.reason, v2.supersedes_id) == (2, "Nhập bổ sung 500 hồ sơ đất đai muộn", v1.id)
    old = publications.versions(db_session, wave.id)[0]
    assert old.version == 1 and old.newer_exists and old.latest_version == 2
    moved = {(c["scope"], repr(c["key"]), c["estimate"]): c for c in v2.diff["changes"]}
    assert moved, "late dossiers must move some number"
    for scope in ("overall", "agencies", "sectors", "agency_sectors", "service_points"):
        a = {None: v1.table.overall} if scope == "overall" else getattr(v1.table, scope)
        b = {None: v2.table.overall} if scope == "overall" else getattr(v2.table, scope)
        for key in b:
            x, y = a[key].index.overall, b[key].index.overall
            change = moved.get((scope, repr(list(key) if isinstance(key, tuple) else key), "overall"))
            if x == y or (math.isnan(x.value) and math.isnan(y.value) and x.n == y.n):
                assert change is None
            else:
                assert change["before"]["value"] == x.value and change["after"]["value"] == y.value
                assert change["delta"] == pytest.approx(y.value - x.value, abs=0)
    actions = db_session.scalars(select(AuditLog.action).where(AuditLog.target_id == wave.code)
                                 .order_by(AuditLog.id)).all()
    assert actions[-2:] == ["publication.publish", "publication.restate"]


def test_a_restatement_needs_a_reason_and_a_change_and_otherwise_stores_nothing(db_session, world):
    wave = world["wave"]
    with pytest.raises(PublicationError, match="chưa được công bố"):
        publishing.restate(db_session, "cli", wave, "lý do")
    publishing.publish(db_session, "cli", wave)
    with pytest.raises(PublicationError, match="cần nêu lý do"):
        publishing.restate(db_session, "cli", wave, "   ")
    with pytest.raises(PublicationError, match="không thay đổi"):
        publishing.restate(db_session, "cli", wave, "Kiểm tra lại")
    assert [v.version for v in publications.versions(db_session, wave.id)] == [1]


def test_the_database_refuses_to_change_or_delete_a_final_publication(db_session, world):
    pub = publishing.publish(db_session, "cli", world["wave"])
    t = Publication.__table__
    for statement in (update(t).where(t.c.id == pub.id).values(reason="x"),
                      update(t).where(t.c.id == pub.id).values(content_hash="0" * 64),
                      delete(t).where(t.c.id == pub.id),
                      text("UPDATE publication SET results = '{}' WHERE id = :id").bindparams(id=pub.id)):
        with pytest.raises(DBAPIError, match="immutable|never deleted"):
            with db_session.begin_nested():
                db_session.execute(statement)
    assert db_session.scalar(select(t.c.reason).where(t.c.id == pub.id)) == ""


def test_the_database_refuses_an_unknown_kind(db_session, world):
    pub = publishing.publish(db_session, "cli", world["wave"])
    row = {c.name: getattr(pub, c.key) for c in Publication.__table__.columns if c.name != "id"}
    row.update(kind="draft", version=99)
    with pytest.raises(IntegrityError, match="ck_publication_kind"):
        with db_session.begin_nested():
            db_session.execute(insert(Publication.__table__).values(**row))


def test_a_running_wave_gets_provisional_versions_and_only_the_newest_few_are_kept(db_session, world):
    wave = world["wave"]
    wave.status = "launched"
    db_session.flush()
    assert publishing.needs_refresh(db_session, wave)
    for _ in range(5):
        publishing.refresh_provisional(db_session, wave)
    kept = [v.version for v in publications.versions(db_session, wave.id)]
    assert kept == [3, 4, 5]
    view = publications.current(db_session, wave.id)
    assert view.provisional and view.version == 5 and not publishing.needs_refresh(db_session, wave)
    assert wavedata.published(db_session, wave).provisional


def test_closing_publishes_version_one_in_the_same_unit(db_session, world):
    wave = world["wave"]
    wave.status, wave.closed_at = "launched", None
    db_session.flush()
    publishing.close_and_publish(db_session, "cli", wave)
    view = publications.current(db_session, wave.id)
    assert str(wave.status) == "closed" and view.version == 1 and not view.provisional


def test_a_trimmed_calibrated_design_thaws_with_the_same_variance():
    # Design.trim keeps the calibration's weights for the residuals (as R's trimWeights); a publication
    # of such a design must give back exactly the same standard errors, not those of the trimmed weights.
    from analysis import Design

    rng = np.random.default_rng(3)
    n = 400
    strata = rng.integers(0, 4, n)
    cells = np.where(rng.random(n) < 0.5, "f", "m")
    y = (rng.random(n) < 0.7).astype(float)
    d = Design(rng.uniform(1, 9, n), strata=strata).poststratify(cells, {"f": 1500, "m": 1700}).trim(upper=12)
    assert d._cal_w is not None  # the case under test: trimmed after calibration
    thawed = frozen._Decoder({})(frozen._Encoder(None)(d))
    assert repr(thawed.mean(y)) == repr(d.mean(y))
    assert repr(thawed.mean(y, by=cells)) == repr(d.mean(y, by=cells))
