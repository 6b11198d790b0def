"""The index of a small inpatient wave against R's `survey`: weights post-stratified to hospital × event
type (the outpatients of the same hospitals are not in the totals), per hospital and for the whole wave.

The wave: hospitals BV1 (40 inpatient discharges in the quarter) and BV2 (24), 30 and 16 outpatient visits
beside them, π = 0.5 by the keyed hash of seed "golden-noitru", and the first 70 % of each hospital's
invitations answered, each answer a fixed function of the respondent's rank and the item. The golden
numbers come from R 4.2.2 / survey 4.1.1 on the exported respondents (stratum, N, weight, item A1
satisfied, the respondent's index score × 100); R calls beside each value. With every item answered the
overall index is the weighted mean of each respondent's mean of element means, which svymean(~score)
estimates.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import insert, select, update

from survey.models import Answer, Invitation, Response
from survey.models.fieldwork import InvitationStatus
from survey.models.response import Language, ResponseMode
from survey.services import results
from survey.services.sampling import waves
from tests.respond import factories as rf
from tests.sampling import events, factories

DAY = datetime(2025, 5, 12, 2)
SIZES = {"BV1": (40, 30), "BV2": (24, 16)}  # (inpatients, outpatients) in the quarter
ANSWERED = 0.7


def _code(rank: int, item: int, unit: int) -> int:
    """The answer of the rank-th respondent to the item-th index item: mostly 4–5, BV2 a little lower."""
    return 1 + (rank * 7 + item * 3 + unit * 2 + (rank * item) % 5) % 5 if (rank + item) % 4 == 0 else \
        4 + (rank + item + unit) % 2 - (1 if unit and (rank + item) % 3 == 0 else 0)


def build(session, reg, source) -> dict:
    """The golden wave, launched, answered and closed; returns the wave and its index items."""
    units = events.make_units(session, reg)
    health = units["sectors"]["health"]
    for code, (inpatients, outpatients) in SIZES.items():
        for t, n in (("inpatient", inpatients), ("outpatient", outpatients)):
            for k in range(n):
                events.add_event(session, source, f"{code}-{t}-{k:03d}", units["units"][code], health, t, DAY)
    session.flush()
    version = rf.add_version(session, (events.BANK / "health-inpatient.yaml").read_text(encoding="utf-8"))
    wave = factories.make_wave(session, version, start=date(2025, 4, 1), end=date(2025, 6, 30), code="GOLDEN",
                               fixed_pi=0.5, seed="golden-noitru")
    waves.launch(session, wave, now=datetime(2025, 4, 1))
    items = results.index_structure(version.content)["items"]
    unit_of = {units["units"][c].id: i for i, c in enumerate(SIZES)}
    invs = session.execute(select(Invitation.id, Invitation.agency_id, Invitation.sector_id)
                           .where(Invitation.wave_id == wave.id).order_by(Invitation.agency_id, Invitation.id)).all()
    by_unit: dict[int, list] = {}
    for inv in invs:
        by_unit.setdefault(inv.agency_id, []).append(inv)
    rank = 0
    for agency_id, group in by_unit.items():
        for inv in group[:round(ANSWERED * len(group))]:
            rank += 1
            rid = session.execute(insert(Response).values(
                uuid=str(uuid.UUID(int=rank)), invitation_id=inv.id, questionnaire_version_id=version.id,
                wave_id=wave.id, agency_id=agency_id, sector_id=inv.sector_id, mode=ResponseMode.LINK,
                probability_sample=True, language=Language.VI, submitted_at=DAY).returning(Response.id)).scalar()
            session.execute(insert(Answer), [{"response_id": rid, "item_code": item, "value_int":
                                              _code(rank, j, unit_of[agency_id])} for j, item in enumerate(items)])
            session.execute(update(Invitation).where(Invitation.id == inv.id).values(
                status=InvitationStatus.COMPLETED, completed_at=DAY))
    waves.close(session, wave, now=datetime(2025, 7, 20))
    return {"wave": wave, "items": items, "units": units}


@pytest.fixture
def golden(db_session, reg, source):
    """The golden inpatient wave."""
    return build(db_session, reg, source)


def test_weights_are_post_stratified_to_hospital_times_type_not_to_the_hospital(db_session, golden):
    data = results.wave_data(db_session, golden["wave"].id)
    assert {s.key: s.population for s in golden["wave"].strata} == {"BV1|inpatient": 40, "BV2|inpatient": 24}
    totals = {}
    for key, w in zip(data.stratum, data.design.weights):
        totals[key] = totals.get(key, 0.0) + w
    assert totals == pytest.approx({"BV1|inpatient": 40.0, "BV2|inpatient": 24.0})  # outpatients not counted


def test_the_index_matches_r_survey_per_hospital_and_overall(db_session, golden):
    data = results.wave_data(db_session, golden["wave"].id)
    whole = data.index()
    # R: d <- svydesign(ids=~1, strata=~stratum, weights=~w, fpc=~N, data=x)
    # R: svyciprop(~a1, d, method="logit"); SE(svymean(~a1, d)); confint(svyciprop(...))
    assert whole.items["A1"].value == pytest.approx(GOLDEN["A1"][0], abs=1e-9)
    assert whole.items["A1"].se == pytest.approx(GOLDEN["A1"][1], abs=1e-9)
    assert (whole.items["A1"].ci_low, whole.items["A1"].ci_high) == pytest.approx(GOLDEN["A1"][2:], abs=1e-7)
    # R: svymean(~score, d); confint(svymean(~score, d), df=degf(d))
    assert whole.overall.value == pytest.approx(GOLDEN["overall"][0], abs=1e-9)
    assert whole.overall.se == pytest.approx(GOLDEN["overall"][1], abs=1e-9)
    assert (whole.overall.ci_low, whole.overall.ci_high) == pytest.approx(GOLDEN["overall"][2:], abs=1e-7)
    per = data.index(by=data.agency_id)
    for code in SIZES:
        got = per[golden["units"]["units"][code].id]
        # R: svyby(~score, ~stratum, d, svymean)
        assert got.overall.value == pytest.approx(GOLDEN[code][0], abs=1e-9)
        assert got.overall.se == pytest.approx(GOLDEN[code][1], abs=1e-9)


# x <- read.csv("respondents.csv")  (stratum, N, w, a1, score: the respondents as wave_data gives them)
# d <- svydesign(ids=~1, strata=~stratum, weights=~w, fpc=~N, data=x); degf(d) == 26
GOLDEN = {
    # p <- svyciprop(~a1, d, method="logit"); 100 * c(coef(p), SE(p), confint(p))
    "A1": (79.0106951871584, 5.67441249243961, 65.0727317238758, 88.3798432003976),
    # coef and SE: svymean(~score, d); CI: confint(svyciprop(~I(score / 100), d, method="logit")) * 100
    "overall": (80.4838704076672, 0.855235011481064, 78.6657783688186, 82.1821188982351),
    # svyby(~score, ~stratum, d, svymean): the hospital is its stratum (coef, se)
    "BV1": (88.6386554621849, 1.235272559248878),
    "BV2": (66.8925619834711, 0.981148182284475),
}
