"""Through the product: a wave in the database with singleton strata gets their variance, as R does.

The wave is tests/analysis/r/singleton_*.csv (the data of the SINGLETON_* goldens) written into the
database as dossiers, strata, invitations and answers; results.wave_index_table must publish what R
computes from the same data with the collapsed strata.
"""
from __future__ import annotations

import csv
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest

from survey.models import (
    Agency,
    Answer,
    Dossier,
    Invitation,
    Questionnaire,
    QuestionnaireVersion,
    Response,
    Sector,
    SourceSystem,
    Wave,
    WaveStratum,
)
from survey.services import results
from tests.analysis import r_goldens as R
from tests.analysis.conftest import close

R_DIR = Path(__file__).resolve().parent / "r"
ITEMS = ("A1", "A2", "B1", "B2")  # q1…q4 of the CSV
SAT5 = {"codes": [{"code": c, "label": {"vi": str(c), "en": str(c)}} for c in range(1, 6)], "satisfied": [4, 5]}
CONTENT = {
    "instrument": "test-singleton", "version": "1", "title": {"vi": "Thử", "en": "Test"},
    "scales": {"sat5": SAT5},
    "sections": [{"id": "s", "title": {"vi": "S", "en": "S"}, "questions": [
        {"code": c, "type": "scale", "scale": "sat5", "text": {"vi": c, "en": c}} for c in ITEMS]}],
    "index": {"elements": {"EA": {"label": {"vi": "A", "en": "A"}, "items": ["A1", "A2"]},
                           "EB": {"label": {"vi": "B", "en": "B"}, "items": ["B1", "B2"]}},
              "parts": {"P": {"label": {"vi": "P", "en": "P"}, "elements": ["EA", "EB"]}}},
}


def read(name: str) -> list[dict]:
    with open(R_DIR / name, newline="") as f:
        return list(csv.DictReader(f))


def build(session) -> dict:
    """The singleton wave: ten agency × sector strata, five with one respondent, one a census."""
    strata, respondents = read("singleton_strata.csv"), read("singleton_respondents.csv")
    q = Questionnaire(instrument="test-singleton", title_vi="Thử")
    session.add(q)
    session.flush()
    version = QuestionnaireVersion(questionnaire_id=q.id, version="1", content_hash="h", content=CONTENT)
    src = SourceSystem(code="src", name="src")
    root = Agency(code="HT", name_vi="Tỉnh", level="province")
    session.add_all([version, src, root])
    session.flush()
    agencies = {"HT": root}
    for code, parent in [("H1", "HT"), ("H2", "HT"), ("X1", "H1"), ("X2", "H1"), ("X3", "H2")]:
        agencies[code] = Agency(code=code, name_vi="Cơ quan " + code, level="department" if parent == "HT"
                                else "commune", parent_id=agencies[parent].id)
        session.add(agencies[code])
        session.flush()
    sectors = {c: Sector(code=c, name_vi=c) for c in ("civil", "land", "tax")}
    session.add_all(sectors.values())
    wave = Wave(code="WS", name="Đợt một người", period_start=date(2025, 4, 1), period_end=date(2025, 6, 30),
                questionnaire_version_id=version.id, seed="s", status="closed",
                design={"scheme": "agency_sector", "timezone": "UTC"})
    session.add(wave)
    session.flush()
    serial = 0
    for row in strata:
        agency, sector, pi = agencies[row["agency"]], sectors[row["sector"]], float(row["pi"])
        stratum = WaveStratum(wave_id=wave.id, key=row["stratum"], agency_id=agency.id, sector_id=sector.id,
                              pi=pi, population=int(row["N"]))
        session.add(stratum)
        dossiers = []
        for k in range(int(row["N"]) + 1):  # one more completed after the period: not counted
            serial += 1
            dossiers.append(Dossier(source_system_id=src.id, external_id="D%d" % serial, agency_id=agency.id,
                                    sector_id=sector.id, channel="in_person", received_at=datetime(2025, 3, 1),
                                    completed_at=datetime(2025, 5, 1) if k < int(row["N"]) else datetime(2025, 7, 9),
                                    outcome="approved", content_hash="x"))
        session.add_all(dossiers)
        session.flush()
        answers = [r for r in respondents if r["stratum"] == row["stratum"]]
        for k in range(int(row["invited"])):
            inv = Invitation(wave_id=wave.id, stratum_id=stratum.id, dossier_id=dossiers[k].id,
                             token_hash=uuid.uuid4().hex, pi=pi, agency_id=agency.id, sector_id=sector.id,
                             outcome="approved", status="completed" if k < len(answers) else "expired",
                             expires_at=datetime(2025, 8, 1))
            session.add(inv)
            session.flush()
            if k < len(answers):
                r = Response(uuid=str(uuid.uuid4()), invitation_id=inv.id, questionnaire_version_id=version.id,
                             wave_id=wave.id, agency_id=agency.id, sector_id=sector.id, mode="link",
                             probability_sample=True, submitted_at=datetime(2025, 5, 3))
                session.add(r)
                session.flush()
                session.add_all([Answer(response_id=r.id, item_code=code, value_int=int(answers[k]["q%d" % j]))
                                 for j, code in enumerate(ITEMS, 1) if answers[k]["q%d" % j]])
    session.flush()
    return {"wave": wave, "agencies": agencies}


@pytest.fixture
def world(db_session):
    return build(db_session)


def assert_index(result, golden: dict) -> None:
    """The table's item A1, B2, elements and overall (percent) against R's (value, se) proportions."""
    got = {"i1": result.items["A1"], "i4": result.items["B2"], "EA": result.elements["EA"],
           "EB": result.elements["EB"], "ov": result.overall}
    for name, (value, se) in golden.items():
        assert close(got[name].value, 100 * value, 1e-9), (name, got[name], value)
        assert close(got[name].se, 100 * se, 1e-7, atol=1e-12), (name, got[name], se)


@pytest.mark.parametrize("source", ["db", "memory"])
def test_the_published_table_of_a_wave_with_singleton_strata_matches_r(db_session, world, source):
    table = results.wave_index_table(db_session, world["wave"].id, source=source)
    a = world["agencies"]
    assert table.respondents == 37
    assert_index(table.overall.index, R.SINGLETON_INDEX)
    assert table.overall.est.df == R.SINGLETON_DF["all"]
    assert_index(table.agencies[a["H1"].id].index, R.SINGLETON_INDEX_H1)
    assert_index(table.agencies[a["X2"].id].index, R.SINGLETON_INDEX_X2)
    assert_index(table.sectors["land"].index, R.SINGLETON_INDEX_LAND)
    assert table.sectors["land"].est.df == R.SINGLETON_DF["land"]
    assert_index(table.agency_sectors[(a["H1"].id, "land")].index, R.SINGLETON_INDEX_H1_LAND)


def test_singleton_strata_now_carry_variance_the_old_rule_gave_them_none(db_session, world):
    table = results.wave_index_table(db_session, world["wave"].id)
    old_ov, old_land = R.SINGLETON_INDEX_OLD["ov"][1], R.SINGLETON_INDEX_OLD_LAND["ov"][1]
    assert table.overall.est.se > 100 * old_ov * 2     # the old zero-variance figure: 1.92 points
    assert table.sectors["land"].est.se > 100 * old_land
    assert table.overall.est.value == pytest.approx(100 * R.SINGLETON_INDEX_OLD["ov"][0], abs=0.5)


def test_the_weighting_says_which_strata_were_collapsed_and_the_note_counts_them(db_session, world):
    data = results.wave_data(db_session, world["wave"].id)
    facts = data.strata.collapse
    assert facts.n_collapsed == 5
    assert facts.merged == ("H1|land", "H2|tax", "X1|civil", "X2|civil", "X3|land")
    assert facts.strata == {r["stratum"]: r["stratum_c"] for r in read("singleton_strata.csv")}
    assert facts.cells["X1|civil"] == "H1|civil" and facts.cells["H2|civil"] == "H2|civil"
    assert facts.fpc == {"H1|civil": 82, "H1|tax": 10, "H2|civil": 1, "H2|land": 55, "X2|land": 34}
    assert facts.totals == facts.fpc and facts.lonely == ()
    assert [s.key for s in data.strata][:2] == ["H1|civil", "H1|land"]  # still one row per stratum
    by_key = {s.key: s for s in data.strata}
    assert by_key["H1|land"].nonresponse_factor == pytest.approx(14)  # its own 14 invited, 1 answered
    assert any(n.startswith("5 tầng chỉ có một người trả lời được gộp với tầng lân cận") for n in data.notes)
    table = results.wave_index_table(db_session, world["wave"].id)
    assert table.notes == data.notes and table.strata.collapse == facts
