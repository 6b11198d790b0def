"""A wave samples units valid in its period (issue 19, item 3); its plan restates the old structure's counts.

The registry: X1 and X2 merged into Y on 1 July 2025; Z split into Z1 and Z2 without shares and W into W1
(30 %) and W2 (70 %) the same day. June is the old structure, July the new one.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from survey.models import Agency, Invitation, Wave
from survey.models.registry import AgencyLineage
from survey.services.intake import batch as intake
from survey.services.sampling import audit as wave_audit
from survey.services.sampling import validity, waves
from tests.sampling import events
from tests.sampling.factories import login, make_admin, make_wave, record

JULY = date(2025, 7, 1)


@pytest.fixture
def org(db_session, reg):
    """The reorganisation of 1 July 2025 on top of the sampling tests' small registry."""
    old = {c: Agency(code=c, name_vi=f"Xã {c}", level="commune", valid_to=JULY) for c in ("X1", "X2", "Z", "W")}
    new = {c: Agency(code=c, name_vi=f"Xã {c}", level="commune", valid_from=JULY) for c in ("Y", "Z1", "Z2", "W1",
                                                                                            "W2")}
    db_session.add_all([*old.values(), *new.values()])
    db_session.flush()
    steps = [("merge", "X1", "Y", None), ("merge", "X2", "Y", None), ("split", "Z", "Z1", None),
             ("split", "Z", "Z2", None), ("split", "W", "W1", 0.3), ("split", "W", "W2", 0.7)]
    db_session.add_all([AgencyLineage(kind=kind, predecessor_id=old[p].id, successor_id=new[s].id, share=share,
                                      effective_on=JULY) for kind, p, s, share in steps])
    db_session.flush()
    return {**old, **new}


def ingest(session, source, records):
    result = intake.ingest(session, source, records)
    assert result.count("rejected") == 0, [r.errors for r in result.results if r.errors]


def dossiers(prefix: str, agency: str, n: int, first: int, month: str) -> list[dict]:
    """n dossiers of `agency` completed on consecutive days of `month` from day `first` (cycling)."""
    return [record(f"{prefix}{i}", day=f"2025-{month}-{first + i % (29 - first):02d}", agency=agency,
                   service_point=None) for i in range(n)]


def strata(wave) -> dict[str, int]:
    return {s.key: s.population_prev for s in wave.strata}


def test_a_wave_after_the_reorganisation_plans_todays_units_from_their_predecessors(db_session, org, version,
                                                                                     source):
    ingest(db_session, source, dossiers("A", "X1", 40, 1, "06") + dossiers("B", "X2", 20, 1, "06")
           + dossiers("C", "Z", 31, 1, "06") + dossiers("D", "W", 100, 1, "06") + dossiers("E", "AG1", 10, 1, "06"))
    wave = make_wave(db_session, version, start=JULY, end=date(2025, 7, 31))
    assert strata(wave) == {"AG1|land": 10, "Y|land": 60, "Z1|land": 16, "Z2|land": 16,  # 31 / 2 = 15.5 each
                            "W1|land": 30, "W2|land": 70}
    notes = wave.design["unit_validity"]["units"]
    assert notes["Y"] == {"restated_from": ["X1", "X2"], "equal_split": False}
    assert notes["Z1"]["equal_split"] and not notes["W1"]["equal_split"]
    text = validity.notes_text(wave)
    assert "Số hồ sơ kỳ trước của Y gồm số của X1, X2 (theo quan hệ kế thừa trong danh mục)." in text
    assert "Số hồ sơ kỳ trước của Z1 gồm số của Z (chia đều vì chưa biết tỷ lệ tách)." in text


def test_a_wave_straddling_the_reorganisation_keeps_both_structures_each_for_its_part(db_session, org, version,
                                                                                       source):
    # 15 June → 15 July: 16 days of X1 and X2, 15 of Y; the previous period is 15 May → 14 June (31 days).
    ingest(db_session, source, dossiers("A", "X1", 56, 1, "06") + dossiers("B", "X2", 28, 1, "06"))
    wave = make_wave(db_session, version, start=date(2025, 6, 15), end=date(2025, 7, 15), fixed_pi=1.0)
    assert wave.design["previous_period"] == ["2025-05-15", "2025-06-14"]
    # In the previous period: X1's 28 and X2's 14 dossiers of 1–14 June (two and one a day).
    assert strata(wave) == {"X1|land": 14, "X2|land": 7,  # 28 × 16/31 = 14.5, 14 × 16/31 = 7.2
                            "Y|land": 20}                 # (28 + 14) × 15/31 = 20.3
    notes = wave.design["unit_validity"]["units"]
    assert notes["X1"]["valid"] == [None, "2025-07-01"] and notes["Y"]["valid"] == ["2025-07-01", None]
    text = validity.notes_text(wave)
    assert ("Tầng của X1 chỉ gồm phần kỳ khảo sát đơn vị còn hiệu lực (… – 30/06/2025); số hồ sơ dự kiến tính "
            "theo phần đó.") in text
    # Each dossier is sampled under the unit valid on its own day.
    ingest(db_session, source, [record("J1", day="2025-06-20", agency="X1", service_point=None),
                                record("J2", day="2025-07-05", agency="Y", service_point=None)])
    waves.launch(db_session, wave)
    invited = {i.dossier.external_id: i.stratum.key for i in db_session.scalars(
        select(Invitation).where(Invitation.wave_id == wave.id))}
    assert invited["J1"] == "X1|land" and invited["J2"] == "Y|land"


def test_a_wave_before_the_reorganisation_has_no_stratum_of_the_units_to_come(db_session, org, version, source):
    ingest(db_session, source, dossiers("A", "X1", 10, 1, "05"))
    wave = make_wave(db_session, version, start=date(2025, 6, 1), end=date(2025, 6, 30))
    assert strata(wave) == {"X1|land": 10}
    assert "unit_validity" not in wave.design  # every unit of the plan is valid on every day of June


def test_dossiers_recorded_against_a_unit_not_valid_on_their_day_are_not_sampled(db_session, reg, org, version,
                                                                                  source):
    # Stored before the registry knew of the closure (intake now refuses such records).
    ingest(db_session, source, [record("OLD-1", day="2025-07-10", agency="AG2", procedure="P-CIV-1",
                                       service_point=None),
                                record("OK-1", day="2025-07-10", service_point=None)])
    reg["agencies"]["AG2"].valid_to = JULY
    db_session.flush()
    wave = make_wave(db_session, version, start=JULY, end=date(2025, 7, 31), fixed_pi=1.0)
    assert {s.key for s in wave.strata} == {"AG1|land"}
    assert wave.design["unit_validity"]["excluded"] == 1
    assert "1 hồ sơ trong kỳ ghi đơn vị không còn hiệu lực" in validity.notes_text(wave)[-1]
    waves.launch(db_session, wave)
    invited = {i.dossier.external_id for i in db_session.scalars(select(Invitation))}
    assert invited == {"OK-1"}
    report = wave_audit.audit(db_session, wave)  # the re-derived sample leaves them out the same way
    assert report.ok and (report.dossiers, report.expected) == (1, 1), report.discrepancies
    assert {s.key for s in db_session.get(Wave, wave.id).strata} == {"AG1|land"}


def test_a_registry_without_dates_plans_as_before(db_session, reg, version, source):
    ingest(db_session, source, dossiers("A", "AG1", 12, 1, "03"))
    wave = make_wave(db_session, version)
    assert strata(wave) == {"AG1|land": 12} and "unit_validity" not in wave.design


def test_the_units_of_a_period_are_those_valid_on_one_of_its_days_with_the_share_of_days():
    bounds = {1: (None, JULY), 2: (JULY, None), 3: (None, None), 4: (date(2025, 8, 1), None)}
    assert validity.coverage(bounds, date(2025, 6, 1), JULY) == {1: 1.0, 3: 1.0}  # June: Y not yet
    assert validity.coverage(bounds, date(2025, 6, 21), date(2025, 7, 11)) == {1: 0.5, 2: 0.5, 3: 1.0}


def test_the_wave_page_lists_only_the_units_of_its_period(client, db_session, org, version, source):
    ingest(db_session, source, dossiers("A", "X1", 40, 1, "06"))
    login(client, make_admin(db_session))
    wave = make_wave(db_session, version, start=JULY, end=date(2025, 7, 31))
    page = client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    assert "Xã Y" in page and "Xã X1" not in page
    # The plan says where its counts came from, above the strata table.
    assert "Số hồ sơ kỳ trước của Y gồm số của X1 (theo quan hệ kế thừa trong danh mục)." in page


def test_moving_a_drafts_period_across_the_reorganisation_replans_it_on_the_new_units(db_session, org, version,
                                                                                        source):
    ingest(db_session, source, dossiers("A", "X1", 28, 1, "05") + dossiers("B", "X1", 28, 1, "06"))
    wave = make_wave(db_session, version, start=date(2025, 6, 1), end=date(2025, 6, 30))
    assert strata(wave) == {"X1|land": 28}
    waves.update_wave(db_session, wave, name=wave.name, period_start=JULY, period_end=date(2025, 7, 31),
                      version=version, fixed_pi=0.5)
    assert strata(wave) == {"Y|land": 28}
    assert wave.design["unit_validity"]["units"] == {"Y": {"restated_from": ["X1"], "equal_split": False}}


def test_a_wave_stratified_by_sector_alone_is_not_restricted(db_session, org, version, source):
    ingest(db_session, source, dossiers("A", "X1", 28, 1, "06"))
    wave = make_wave(db_session, version, start=JULY, end=date(2025, 7, 31), scheme="sector")
    assert strata(wave) == {"*|land": 28} and "unit_validity" not in wave.design


def test_a_hospital_wave_plans_a_merged_hospital_from_both_hospitals_events(db_session, reg, source):
    units = events.make_units(db_session, reg)
    bv1, bv2, health = units["units"]["BV1"], units["units"]["BV2"], units["sectors"]["health"]
    for i, unit in enumerate([bv1] * 6 + [bv2] * 4):
        events.add_event(db_session, source, f"E{i}", unit, health, "inpatient", datetime(2025, 2, 10, 3))
    bv2.valid_to = date(2025, 4, 1)
    db_session.add(AgencyLineage(kind="merge", predecessor_id=bv2.id, successor_id=bv1.id,
                                 effective_on=date(2025, 4, 1)))
    db_session.flush()
    wave = make_wave(db_session, events.version_for(db_session, "health-inpatient"), code="BV")  # Q2 2025
    assert strata(wave) == {"BV1|inpatient": 10}
    assert wave.design["unit_validity"]["units"]["BV1"]["restated_from"] == ["BV2"]
