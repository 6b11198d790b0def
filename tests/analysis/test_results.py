"""survey.services.results: weights from the database, the wave's index table, microdata."""
from __future__ import annotations

import math
import random
import uuid
from datetime import date, datetime

import numpy as np
import pytest

from analysis import Design, satisfaction_index
from survey.models import (
    Agency,
    Answer,
    Dossier,
    Invitation,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Sector,
    ServicePoint,
    SourceSystem,
    Target,
    Wave,
    WaveStratum,
)
from survey.services import results

SAT5 = {"codes": [{"code": c, "label": {"vi": str(c), "en": str(c)}} for c in range(1, 6)], "satisfied": [4, 5]}
CONTENT = {
    "instrument": "test-results", "version": "1", "title": {"vi": "Thử", "en": "Test"},
    "scales": {"sat5": SAT5},
    "sections": [{"id": "s", "title": {"vi": "S", "en": "S"}, "questions": [
        *({"code": c, "type": "scale", "scale": "sat5", "text": {"vi": c, "en": c}} for c in ("A1", "A2", "B1", "B2")),
        {"code": "OVR1", "type": "scale", "scale": "sat5", "text": {"vi": "Chung", "en": "Overall"}},
        {"code": "SEX", "type": "single", "text": {"vi": "Giới", "en": "Sex"},
         "options": [{"code": 1, "label": {"vi": "Nam", "en": "M"}}, {"code": 2, "label": {"vi": "Nữ", "en": "F"}}]},
        {"code": "CMT", "type": "text", "text": {"vi": "Ý kiến", "en": "Comments"}}]}],
    "index": {"elements": {"EA": {"label": {"vi": "A", "en": "A"}, "items": ["A1", "A2"]},
                           "EB": {"label": {"vi": "B", "en": "B"}, "items": ["B1", "B2"]}},
              "parts": {"services": {"label": {"vi": "Dịch vụ", "en": "Services"}, "elements": ["EA", "EB"]}}},
    "overall_item": "OVR1",
}
PERIOD = (date(2025, 4, 1), date(2025, 6, 30))
# (agency, sector, dossiers in the period, π, invited, responded, P(satisfied), service point)
CELLS = [("a1", "land", 60, 0.5, 30, 20, 0.70, "p1"), ("a1", "civil", 40, 0.5, 20, 16, 0.90, "p1"),
         ("a2", "land", 50, 0.4, 20, 12, 0.80, "p2"), ("a2", "civil", 16, 0.5, 8, 3, 0.95, "p2")]


TARGETS = [(2025, "tthc", "", 90.0), (2030, "tthc", "", 95.0), (2025, "tthc_sector", "land", 85.0)]


def build(session, with_responses: bool = True, content: dict = CONTENT, civil: str = "civil",
          targets: list = TARGETS, unanswered: tuple = ()) -> dict:
    """A closed wave of 4 agency × sector strata with dossiers, invitations, responses and walk-ups.

    `content`: the questionnaire (default the small test one); `civil`: the code of the second
    sector (e.g. "health"); `targets`: (year, scope, sector, value) rows; `unanswered`: question
    codes nobody answers."""
    rng = random.Random(11)
    q = Questionnaire(instrument=content["instrument"], title_vi="Thử")
    session.add(q)
    session.flush()
    version = QuestionnaireVersion(questionnaire_id=q.id, version="1", content_hash="h", content=content)
    src = SourceSystem(code="src", name="src")
    agencies = {k: Agency(code=k.upper(), name_vi="Cơ quan " + k, name_en="Agency " + k, level="department")
                for k in ("a1", "a2")}
    sectors = {"land": Sector(code="land", name_vi="Đất đai"), "civil": Sector(code=civil, name_vi="Lĩnh vực " + civil)}
    session.add_all([version, src, *agencies.values(), *sectors.values()])
    session.flush()
    points = {"p1": ServicePoint(code="P1", name_vi="Điểm 1", kind="province_centre", agency_id=agencies["a1"].id),
              "p2": ServicePoint(code="P2", name_vi="Điểm 2", kind="district_centre", agency_id=agencies["a2"].id)}
    session.add_all([*points.values(), *(Target(year=y, scope=scope, sector_code=sector, value=v,
                                                label_vi="%s %s %d" % (scope, sector, y))
                                         for y, scope, sector, v in targets)])
    wave = Wave(code="W1", name="Đợt 1", period_start=PERIOD[0], period_end=PERIOD[1],
                questionnaire_version_id=version.id, seed="s", status="closed",
                design={"scheme": "agency_sector", "timezone": "UTC"})
    session.add(wave)
    session.flush()
    serial = 0
    for a, s, n_doss, pi, invited, responded, p_sat, point in CELLS:
        agency, sector, sp = agencies[a], sectors[s], points[point]
        dossiers = []
        for k in range(n_doss + 2):  # two more dossiers completed after the period: not counted
            serial += 1
            dossiers.append(Dossier(source_system_id=src.id, external_id="D%d" % serial, agency_id=agency.id,
                                    sector_id=sector.id, service_point_id=sp.id, channel="in_person",
                                    received_at=datetime(2025, 3, 1),
                                    completed_at=datetime(2025, 5, 1) if k < n_doss else datetime(2025, 7, 5),
                                    outcome="approved", content_hash="x"))
        stratum = WaveStratum(wave_id=wave.id, key="%s|%s" % (agency.code, sector.code), agency_id=agency.id,
                              sector_id=sector.id, pi=pi, population=n_doss)
        session.add_all(dossiers + [stratum])
        session.flush()
        for k in range(invited):
            inv = Invitation(wave_id=wave.id, stratum_id=stratum.id, dossier_id=dossiers[k].id,
                             token_hash=uuid.uuid4().hex, pi=pi, agency_id=agency.id, sector_id=sector.id,
                             service_point_id=sp.id, outcome="approved" if k % 4 else "rejected",
                             status="completed" if k < responded else "expired", expires_at=datetime(2025, 8, 1))
            session.add(inv)
            session.flush()
            if with_responses and k < responded:
                _respond(session, wave, version, rng, p_sat, agency.id, sector.id, sp.id, inv.id, unanswered)
    for _ in range(5):  # walk-up kiosk answers: counted, never weighted
        _respond(session, wave, version, rng, 0.0, agencies["a1"].id, sectors["land"].id, points["p1"].id, None,
                 unanswered)
    session.flush()
    return {"wave": wave, "agencies": agencies, "sectors": sectors, "points": points}


def _respond(session, wave, version, rng, p_sat, agency_id, sector_id, point_id, invitation_id,
             unanswered: tuple = ()) -> None:
    r = Response(uuid=str(uuid.UUID(int=rng.getrandbits(128))), invitation_id=invitation_id,
                 questionnaire_version_id=version.id, wave_id=wave.id, agency_id=agency_id, sector_id=sector_id,
                 service_point_id=point_id, mode="link" if invitation_id else "kiosk_walkup",
                 probability_sample=invitation_id is not None, submitted_at=datetime(2025, 5, 3, 14, 22))
    session.add(r)
    session.flush()
    content = version.content
    questions = [q for s in content["sections"] for q in s["questions"]]
    rated = {c for e in content["index"]["elements"].values() for c in e["items"]} | {content.get("overall_item")}
    for q in questions:  # index items and the overall item, in questionnaire order
        if q["code"] not in rated:
            continue
        if rng.random() < 0.08:  # some items unanswered
            continue
        scale = content["scales"][q["scale"]]
        happy = sorted(scale["satisfied"])
        other = [c["code"] for c in scale["codes"] if c["code"] not in happy]
        value = rng.choice(happy) if rng.random() < p_sat else rng.choice(other)
        session.add(Answer(response_id=r.id, item_code=q["code"], value_int=value))
    for q in questions:  # everything else: a choice, a comment
        if q["code"] in rated or q["code"] in unanswered:
            continue
        if q["type"] == "text":
            session.add(Answer(response_id=r.id, item_code=q["code"], value_text="Tôi là Trần Thị B, 0987654321"))
            continue
        codes = [c["code"] for c in (content["scales"][q["scale"]]["codes"] if q["type"] == "scale" else q["options"])]
        chosen = rng.sample(codes, rng.choice([1, 2])) if q["type"] == "multiple" else [rng.choice(codes)]
        session.add_all(Answer(response_id=r.id, item_code=q["code"], value_int=c) for c in chosen)


@pytest.fixture
def world(db_session):
    return build(db_session)


def same_result(a, b, rtol=1e-10):
    """Two IndexResults agree (items compared in column order: the table keys them by item code)."""
    assert len(a.items) == len(b.items)
    for x, y in [(a.overall, b.overall)] + list(zip(a.items.values(), b.items.values())) + \
            [(a.elements[k], b.elements[k]) for k in a.elements] + [(a.parts[k], b.parts[k]) for k in a.parts]:
        for field in ("value", "se", "ci_low", "ci_high"):
            u, v = getattr(x, field), getattr(y, field)
            assert (math.isnan(u) and math.isnan(v)) or u == pytest.approx(v, rel=rtol, abs=1e-9), (field, x, y)
        assert (x.df, x.n) == (y.df, y.n)


def test_database_sums_and_in_memory_answers_give_the_same_table(db_session, world):
    db = results.wave_index_table(db_session, world["wave"].id, source="db")
    mem = results.wave_index_table(db_session, world["wave"].id, source="memory")
    same_result(db.overall.index, mem.overall.index)
    for kind in ("agencies", "sectors", "agency_sectors", "service_points"):
        assert getattr(db, kind).keys() == getattr(mem, kind).keys()
        for key in getattr(db, kind):
            same_result(getattr(db, kind)[key].index, getattr(mem, kind)[key].index)


def test_weights_are_base_times_nonresponse_then_calibrated_to_the_period_dossiers(db_session, world):
    data = results.wave_data(db_session, world["wave"].id)
    w = data.design.weights
    for a, s, n_doss, pi, invited, responded, _, _ in CELLS:
        cell = (data.agency_id == world["agencies"][a].id) & (data.sector_code == s)
        assert cell.sum() == responded
        assert w[cell].sum() == pytest.approx(n_doss)  # dossiers completed after the period do not count
        # before calibration: 1/π × invited/responded
        assert data.design.base_weights[cell] == pytest.approx(np.full(responded, invited / responded / pi))
    assert data.overall_answer.shape == (data.n,) and np.isin(data.overall_answer[~np.isnan(data.overall_answer)],
                                                             [1, 2, 3, 4, 5]).all()
    by_agency = data.index(by=data.agency_id)
    assert set(by_agency) == {world["agencies"][a].id for a in ("a1", "a2")}
    assert list(data.index().items) == ["A1", "A2", "B1", "B2"]
    facts = {s.key: s for s in data.strata}
    assert facts["A1|land"].invited == 30 and facts["A1|land"].responded == 20
    assert facts["A1|land"].response_rate == pytest.approx(20 / 30)
    assert facts["A1|land"].nonresponse_factor == pytest.approx(30 / 20)


def test_the_table_is_the_engine_applied_to_the_wave_arrays(db_session, world):
    data = results.wave_data(db_session, world["wave"].id, source="memory")
    table = results.wave_index_table(db_session, world["wave"].id)
    # Rebuild the design by hand from the fieldwork facts and compare.
    w = np.empty(data.n)
    strata = np.empty(data.n, dtype=object)
    fpc = np.empty(data.n)
    cells = np.empty(data.n, dtype=object)
    totals = {}
    for a, s, n_doss, pi, invited, responded, _, _ in CELLS:
        cell = (data.agency_id == world["agencies"][a].id) & (data.sector_code == s)
        w[cell], strata[cell], fpc[cell] = invited / responded / pi, a + s, n_doss
        cells[cell] = a + s
        totals[a + s] = n_doss
    d = Design(w, strata=strata, fpc=fpc).poststratify(cells, totals)
    structure = {"elements": {"EA": [0, 1], "EB": [2, 3]}, "parts": {"services": ["EA", "EB"]}}
    same_result(table.overall.index, satisfaction_index(d, data.answers, structure))
    assert data.items == ("A1", "A2", "B1", "B2")
    assert list(table.overall.index.items) == ["A1", "A2", "B1", "B2"]
    assert table.elements == {"EA": ("A1", "A2"), "EB": ("B1", "B2")}
    assert table.labels["EA"] == ("A", "A") and table.labels["OVR1"] == ("Chung", "Overall")


def test_walkup_kiosk_answers_are_counted_but_not_weighted(db_session, world):
    table = results.wave_index_table(db_session, world["wave"].id)
    assert table.respondents == sum(c[5] for c in CELLS)
    assert table.walkup_excluded == 5


def test_targets_statuses_flags_and_ranks(db_session, world):
    table = results.wave_index_table(db_session, world["wave"].id, min_n=15)
    a1 = world["agencies"]["a1"].id
    assert table.overall.target.value == 90.0 and table.overall.target.year == 2025
    assert table.sectors["land"].target.value == 85.0  # land has its own target
    assert table.sectors["civil"].target.value == 90.0
    assert table.agency_sectors[(a1, "land")].target.value == 85.0
    for cell in [table.overall, *table.agencies.values(), *table.sectors.values()]:
        est = cell.est
        expected = "meets" if est.ci_low >= cell.target.value else "below" if est.ci_high < cell.target.value \
            else "not_distinguishable"
        assert cell.status == expected
    tiny = table.agency_sectors[(world["agencies"]["a2"].id, "civil")]
    assert "few_answers" in tiny.flags and tiny.rank is None
    by_value = sorted((-c.est.value, c.rank) for c in table.agencies.values() if not c.flags)
    ranks = [r for _, r in by_value]
    assert ranks == sorted(ranks) and ranks[0] == 1  # a higher index never gets a worse rank
    assert table.agencies[a1].label_vi == "Cơ quan a1" and table.agencies[a1].code == "A1"
    assert table.settings["min_n"] == 15


def test_a_wave_without_responses_gives_an_empty_table(db_session):
    world = build(db_session, with_responses=False)
    table = results.wave_index_table(db_session, world["wave"].id)
    assert table.respondents == 0 and table.agencies == {}
    assert math.isnan(table.overall.est.value) and table.overall.est.n == 0
    assert table.overall.status == "not_distinguishable"


def test_an_unknown_wave_is_a_clear_error(db_session):
    with pytest.raises(results.ResultsError, match="Không tìm thấy đợt khảo sát"):
        results.wave_index_table(db_session, 999_999)


def test_answers_of_a_response_committed_after_the_respondent_query_are_left_out():
    """A live wave: an answer query may see a response the respondent query did not (ids 7 and 99)."""
    import numpy as np

    from survey.services.results import _positions

    ids = np.array([3, 5, 8], dtype=np.int64)
    at, known = _positions(ids, np.array([5, 7, 8, 3, 99], dtype=np.int64))
    assert known.tolist() == [True, False, True, True, False]
    assert at[known].tolist() == [1, 2, 0]
