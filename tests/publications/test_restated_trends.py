"""Earlier publications restated onto today's units through the registry's lineage (issue 19).

The test province (tests/workspace/conftest.py) is reorganised on 1 October 2025: the land and the
construction departments merge into one, the district is split into two new communes without shares
and its commune merges into the first of them.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import select

from analysis import satisfaction_index
from analysis.index import satisfaction_index_from_sums
from survey.models import Agency, Publication
from survey.models.registry import AgencyLineage
from survey.services.publications import restate
from survey.services.publications.restate import RestateStatus
from survey.services.workspace import dashboard as dash
from survey.services.workspace import trend_restated, wavedata
from tests.workspace.conftest import build_world

REORG = date(2025, 10, 1)
TODAY = date(2026, 1, 15)


def _unit(session, code, name, level, parent, valid_from):
    a = Agency(code=code, name_vi=name, name_en=name, level=level, parent_id=parent.id, valid_from=valid_from)
    session.add(a)
    session.flush()
    return a


def _edge(session, kind, old, new, on, share=None):
    session.add(AgencyLineage(kind=kind, predecessor_id=old.id, successor_id=new.id, effective_on=on, share=share,
                              note=""))


def reorganise(session, world, split_shares=(None, None)):
    """Merge land + construction into T-SNNXD, split the district into X1/X2, merge the commune into X1."""
    for key in ("land", "build", "district", "commune"):
        world[key].valid_to = REORG
    prov = world["province"]
    merged = _unit(session, "T-SNNXD", "Sở Nông nghiệp, Môi trường và Xây dựng", "department", prov, REORG)
    x1 = _unit(session, "T-X1", "Ủy ban nhân dân xã Một", "commune", prov, REORG)
    x2 = _unit(session, "T-X2", "Ủy ban nhân dân xã Hai", "commune", prov, REORG)
    _edge(session, "merge", world["land"], merged, REORG)
    _edge(session, "merge", world["build"], merged, REORG)
    _edge(session, "split", world["district"], x1, REORG, split_shares[0])
    _edge(session, "split", world["district"], x2, REORG, split_shares[1])
    _edge(session, "merge", world["commune"], x1, REORG)
    session.flush()
    return {"merged": merged, "x1": x1, "x2": x2}


def _direct(frame, ids):
    """The SIPAS index of the union of `ids`' respondents, straight from the analysis engine (full design)."""
    data = frame.data
    labels = np.array(["u" if a in ids else None for a in np.asarray(frame.agency).tolist()], dtype=object)
    if data.answers is not None:
        got = satisfaction_index(data.design, data.answers, data.structure, by=labels, satisfied=data.satisfied,
                                 valid=data.valid)
    else:
        got = satisfaction_index_from_sums(data.design, data.sums, data.structure, by=labels)
    return got["u"].overall


@pytest.fixture
def reorganised(db_session):
    world = build_world(db_session)
    return world, reorganise(db_session, world)


def _frame(session, wave):
    return wavedata.published(session, wave).frame


def test_a_merged_unit_is_one_domain_of_its_predecessors_respondents(db_session, reorganised):
    world, new = reorganised
    frame = _frame(db_session, world["wave"])
    got = restate.restate_frame(frame, restate.lineage_mapping(db_session, TODAY))[new["merged"].id]
    direct = _direct(frame, {world["land"].id, world["build"].id})
    assert got.status == RestateStatus.RESTATED
    assert got.predecessors == tuple(sorted((world["land"].id, world["build"].id)))
    assert got.estimate.value == pytest.approx(direct.value, rel=1e-12)
    assert got.estimate.se == pytest.approx(direct.se, rel=1e-12)
    assert (got.estimate.ci_low, got.estimate.ci_high) == pytest.approx((direct.ci_low, direct.ci_high), rel=1e-12)
    assert got.estimate.n == 90 + 70  # every respondent of both departments, none of the others
    # one domain, not an average of the two published numbers
    land = frame.index(mask=np.asarray(frame.agency) == world["land"].id).overall
    build = frame.index(mask=np.asarray(frame.agency) == world["build"].id).overall
    assert min(land.value, build.value) < got.estimate.value < max(land.value, build.value)
    assert got.estimate.se < max(land.se, build.se)



# R's survey on the wave's reproducibility pack (microdata.csv, calibration_cells.csv, index_tree.csv), with
# the design and the domain function of the pack's reproduce.R:
#   des <- svydesign(ids = ~1, strata = ~stratum, fpc = ~fpc, weights = ~w_nonresponse, data = resp)
#   des <- postStratify(des, ~cell, data.frame(cell = cells$cell, Freq = cells$total), partial = TRUE)
#   domain("merged", "", resp$agency %in% c("T-STNMT", "T-SXD"))   # svytotal + svycontrast, df = degf(subset)
#   -> SIPAS 65.781934996221, se 3.048888016437, CI (logit) 59.533509072234 – 71.526984832951, df 158, n 160
R_MERGED = (65.781934996221, 3.048888016437, 59.533509072234, 71.526984832951, 158, 160)


def test_the_merged_domain_matches_r_survey(db_session, reorganised):
    world, new = reorganised
    frame = _frame(db_session, world["wave"])
    e = restate.restate_frame(frame, restate.lineage_mapping(db_session, TODAY))[new["merged"].id].estimate
    assert (e.value, e.se, e.ci_low, e.ci_high) == pytest.approx(R_MERGED[:4], abs=1e-9)
    assert (e.df, e.n) == R_MERGED[4:]

def test_splits_without_shares_are_not_comparable(db_session, reorganised):
    world, new = reorganised
    frame = _frame(db_session, world["wave"])
    got = restate.restate_frame(frame, restate.lineage_mapping(db_session, TODAY))
    for key in ("x1", "x2"):
        assert got[new[key].id].status == RestateStatus.NOT_COMPARABLE and got[new[key].id].estimate is None
        assert got[new[key].id].split_from == (world["district"].id,)
    assert world["district"].id not in got and world["land"].id not in got  # retired units restate onto nothing


def test_a_split_with_a_full_share_carries_over_and_a_partial_share_does_not(db_session):
    world = build_world(db_session)
    new = reorganise(db_session, world, split_shares=(1.0, 0.4))
    frame = _frame(db_session, world["wave"])
    got = restate.restate_frame(frame, restate.lineage_mapping(db_session, TODAY))
    x1 = got[new["x1"].id]
    assert x1.status == RestateStatus.RESTATED
    direct = _direct(frame, {world["district"].id, world["commune"].id})
    assert x1.estimate.value == pytest.approx(direct.value, rel=1e-12)
    assert got[new["x2"].id].status == RestateStatus.NOT_COMPARABLE


def test_a_chain_of_two_reorganisations_restates_onto_the_last_unit(db_session, reorganised):
    world, new = reorganised
    renamed_on = date(2026, 3, 1)
    new["merged"].valid_to = renamed_on
    final = _unit(db_session, "T-SNNMT", "Sở Nông nghiệp và Môi trường", "department", world["province"], renamed_on)
    _edge(db_session, "rename", new["merged"], final, renamed_on)
    db_session.flush()
    frame = _frame(db_session, world["wave"])
    before = restate.restate_frame(frame, restate.lineage_mapping(db_session, TODAY))
    after = restate.restate_frame(frame, restate.lineage_mapping(db_session, date(2026, 6, 1)))
    assert new["merged"].id in before and new["merged"].id not in after
    chained = after[final.id]
    assert chained.status == RestateStatus.RESTATED
    assert chained.estimate == before[new["merged"].id].estimate
    assert chained.estimate.value == pytest.approx(_direct(frame, {world["land"].id, world["build"].id}).value,
                                                   rel=1e-12)


def test_restating_leaves_the_original_publication_untouched(db_session, reorganised):
    world, new = reorganised
    pub = db_session.scalars(select(Publication).where(Publication.wave_id == world["wave"].id)).one()
    before = (pub.content_hash, bytes(pub.frame), dict(pub.results))
    trend = trend_restated.restated_trend(db_session, world["wave"], dash.Filters(world["wave"].id), None, 30,
                                          on=TODAY)
    db_session.flush()
    db_session.refresh(pub)
    assert (pub.content_hash, bytes(pub.frame), dict(pub.results)) == before
    assert not db_session.dirty and not db_session.new
    assert trend.rows  # and the restatement did happen


def test_the_restated_trend_lists_the_reorganised_units_comparable_first(db_session):
    world = build_world(db_session)
    later = build_world(db_session, period=(date(2025, 10, 1), date(2025, 12, 31)), code="W-2025Q4", seed=8)
    reorganise(db_session, world)
    trend = trend_restated.restated_trend(db_session, later["wave"], dash.Filters(later["wave"].id), None, 30,
                                          on=TODAY)
    assert [w.code for w in trend.waves] == ["W-2025Q3", "W-2025Q4"]
    names = [r.agency.code for r in trend.rows]
    assert names[0] == "T-SNNXD" and set(names[1:]) == {"T-X1", "T-X2"}
    merged = trend.rows[0]
    assert merged.comparable and [p.restated.status for p in merged.points][0] == RestateStatus.RESTATED
    assert {a.code for a in merged.predecessors} == {"T-STNMT", "T-SXD"}
    assert [r.agency.code for r in trend.not_comparable] == ["T-X2", "T-X1"]  # by name: "Hai" before "Một"
    assert all(p.restated.status == RestateStatus.NOT_COMPARABLE for r in trend.not_comparable for p in r.points)
    second = merged.points[1]
    assert second.comparison is not None and second.comparison.change is not None  # change across restated points



def test_the_trends_page_shows_the_restated_units_and_the_method_note(client, db_session):
    from survey.services.accounts.users import create_user
    from tests.auth.conftest import PASSWORD, sign_in

    world = build_world(db_session)
    later = build_world(db_session, period=(date(2025, 10, 1), date(2025, 12, 31)), code="W-2025Q4", seed=8)
    reorganise(db_session, world)
    create_user(db_session, "phan.tich", PASSWORD, "analyst")
    sign_in(client, "phan.tich")
    html = client.get("/analyst/trends?wave=%d" % later["wave"].id).get_data(as_text=True)
    section = html[html.index('data-testid="restated-trend"'):]
    assert "Số liệu công bố gốc không thay đổi" in section  # the method note
    merged = section[section.index('data-agency="T-SNNXD"'):]
    assert merged.index('data-status="restated"') < merged.index("</tr>")
    assert 'data-testid="not-comparable"' in section and "không so sánh được" in section

def test_the_demo_restates_its_pre_reorganisation_waves_onto_todays_units(db_session):
    """The Hà Tĩnh demo: 2024-Q4 on the old departments and districts, restated onto 2026's units."""
    import os

    from survey import QUESTIONNAIRE_DIR
    from survey.models import Wave
    from survey.services.demo import DemoContext
    from survey.services.demo import publications as demo_publications
    from survey.services.demo import registry as demo_registry
    from survey.services.demo import workspace as demo_workspace
    from survey.services.questionnaires.bank import load_file

    load_file(db_session, os.path.join(QUESTIONNAIRE_DIR, "sipas2023-service.yaml"))
    ctx = DemoContext(session=db_session)
    for step in (demo_registry, demo_workspace, demo_publications):
        step.seed(ctx)
    latest = db_session.scalars(select(Wave).where(Wave.code.like("DEMO-%")).order_by(Wave.period_start.desc())).first()
    trend = trend_restated.restated_trend(db_session, latest, dash.Filters(latest.id), None, 30)
    assert [w.code for w in trend.waves][:2] == ["DEMO-2024-Q4", "DEMO-2025-Q2"]
    rows = {r.agency.code: r for r in trend.rows}
    snnmt = rows["HT-SNNMT"]  # Agriculture and Environment: merged on 1 March 2025
    assert snnmt.comparable and {a.code for a in snnmt.predecessors} == {"HT-SNN", "HT-STNMT"}
    first = snnmt.points[0].restated
    assert first.status == RestateStatus.RESTATED and first.estimate.n > 0
    frame = _frame(db_session, trend.waves[0])
    assert first.estimate.value == pytest.approx(_direct(frame, set(first.predecessors)).value, rel=1e-12)
    assert rows["HT-STC"].comparable  # Finance absorbed Planning and Investment
    # every commune-level unit carries part of a district split without shares: not comparable before 1 July
    communes = [rows[c] for c in ctx.data["commune_codes"] if c in rows]
    assert len(communes) == 69 and not any(r.comparable for r in communes)
    assert all(r.points[-1].restated.status == RestateStatus.SAME for r in communes)
