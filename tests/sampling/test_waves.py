"""Waves on the database: planning from the previous period, launch, on-arrival selection, audit, close."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from survey.models import Dossier, Invitation, WaveStratum
from survey.services.intake import batch as intake
from survey.services.sampling import audit as wave_audit
from survey.services.sampling import rules as sampling
from survey.services.sampling import waves
from tests.sampling.factories import make_wave, record


def _ingest(session, source, records):
    result = intake.ingest(session, source, records)
    assert result.count("rejected") == 0, [r.errors for r in result.results if r.errors]
    return result


def _spread(prefix: str, n: int, month: str, **over) -> list[dict]:
    return [record(f"{prefix}{i}", day=f"2025-{month}-{1 + i % 28:02d}", **over) for i in range(n)]


def test_period_bounds_use_the_province_time_zone():
    lo, hi = waves.period_bounds(date(2025, 4, 1), date(2025, 6, 30), "Asia/Ho_Chi_Minh")
    assert (lo.isoformat(), hi.isoformat()) == ("2025-03-31T17:00:00", "2025-06-30T17:00:00")



def test_the_previous_period_is_the_previous_month_quarter_or_year_or_the_same_number_of_days():
    assert waves.previous_period(date(2025, 4, 1), date(2025, 6, 30)) == (date(2025, 1, 1), date(2025, 3, 31))
    assert waves.previous_period(date(2025, 1, 1), date(2025, 1, 31)) == (date(2024, 12, 1), date(2024, 12, 31))
    assert waves.previous_period(date(2025, 1, 1), date(2025, 12, 31)) == (date(2024, 1, 1), date(2024, 12, 31))
    assert waves.previous_period(date(2025, 3, 10), date(2025, 3, 19)) == (date(2025, 2, 28), date(2025, 3, 9))


def test_strata_are_planned_from_the_previous_period_of_equal_length(db_session, reg, version, source):
    # the previous period of Q2 2025 is Q1 2025
    _ingest(db_session, source, _spread("L", 400, "03") + _spread("C", 40, "02", procedure="P-CIV-1", agency="AG2"))
    _ingest(db_session, source, [record("late", day="2024-12-31")])  # before the previous period: not counted
    wave = make_wave(db_session, version, fixed_pi=None, margin=0.05, response_rate=0.5, min_responses=30)
    strata = {s.key: s for s in wave.strata}
    land, civ = strata["AG1|land"], strata["AG2|civil_status"]
    assert land.population_prev == 400 and civ.population_prev == 40
    assert land.target_n == sampling.sipas_sample_size(400) == 200
    assert land.pi == pytest.approx(200 / 0.5 / 400) == 1.0
    assert civ.pi == 1.0   # 40 / 1.1 = 36.4 → 37, / 0.5 → 74 > 40
    waves.set_override(db_session, wave, "AG1|land", target_n=40)
    assert land.pi == pytest.approx(40 / 0.5 / 400) and wave.design["overrides"] == {"AG1|land": {"target_n": 40}}
    waves.set_override(db_session, wave, "AG1|land", pi=0.05)
    assert land.pi == 0.05
    waves.set_override(db_session, wave, "AG1|land")
    assert land.pi == 1.0 and wave.design["overrides"] == {}


def test_a_dossier_belongs_to_the_period_by_its_local_completion_date(db_session, reg, version, source):
    _ingest(db_session, source, [record("in", completed_at="2025-06-30T23:30:00+07:00", received_at="2025-06-30",
                                        due_at=None),
                                 record("out", completed_at="2025-07-01T00:30:00+07:00", received_at="2025-06-30",
                                        due_at=None)])
    wave = make_wave(db_session, version, fixed_pi=1.0)
    invited = waves.launch(db_session, wave)
    ext = set(db_session.scalars(select(Dossier.external_id).where(Dossier.id.in_([i.dossier_id for i in invited]))))
    assert ext == {"in"}


def test_launch_invites_exactly_the_dossiers_below_pi_and_stores_pi_and_stratum(db_session, reg, version, source):
    _ingest(db_session, source, _spread("D", 300, "05") + _spread("E", 200, "05", procedure="P-CIV-1"))
    wave = make_wave(db_session, version, fixed_pi=0.3)
    waves.set_override(db_session, wave, "AG1|civil_status", pi=0.6)
    issued = waves.launch(db_session, wave)
    assert wave.status == "launched" and len({i.token for i in issued}) == len(issued)
    strata = {s.id: s for s in wave.strata}
    expected = {d.id for d in db_session.scalars(select(Dossier))
                if sampling.selection_u("test-seed", "motcua", d.external_id)
                < (0.6 if d.external_id[0] == "E" else 0.3)}
    invs = db_session.scalars(select(Invitation).where(Invitation.wave_id == wave.id)).all()
    assert {i.dossier_id for i in invs} == expected
    for inv in invs:
        assert inv.pi == strata[inv.stratum_id].pi
        assert inv.delivered_at is None and inv.status == "issued"
    assert wave_audit.audit(db_session, wave).ok


def test_launching_again_only_catches_up_and_never_duplicates(db_session, reg, version, source):
    _ingest(db_session, source, _spread("D", 100, "05"))
    wave = make_wave(db_session, version, fixed_pi=0.5)
    first = waves.launch(db_session, wave)
    db_session.execute(delete(Invitation).where(Invitation.id == first[0].invitation_id))
    report = wave_audit.audit(db_session, wave)
    assert [k for k, *_ in report.discrepancies] == ["missing_invitation"]
    again = waves.launch(db_session, wave)
    assert [i.dossier_id for i in again] == [first[0].dossier_id]
    assert waves.launch(db_session, wave) == []
    assert wave_audit.audit(db_session, wave).ok


def test_the_database_refuses_a_second_invitation_for_the_same_dossier_and_wave(db_session, reg, version, source):
    _ingest(db_session, source, [record("one")])
    wave = make_wave(db_session, version, fixed_pi=1.0)
    (issued,) = waves.launch(db_session, wave)
    inv = db_session.get(Invitation, issued.invitation_id)
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(Invitation(wave_id=wave.id, dossier_id=inv.dossier_id, token_hash="h" * 64, pi=1.0,
                                  agency_id=inv.agency_id, sector_id=inv.sector_id, outcome="approved",
                                  expires_at=inv.expires_at))
        db_session.flush()


def test_dossiers_arriving_during_a_launched_wave_are_selected_on_arrival(db_session, reg, version, source):
    wave = make_wave(db_session, version, fixed_pi=0.4)
    waves.launch(db_session, wave)
    result = _ingest(db_session, source, _spread("N", 200, "05") + [record("outside", day="2025-07-15")])
    invited = {r.external_id for r in result.results if r.invitations}
    expected = {f"N{i}" for i in range(200) if sampling.selection_u("test-seed", "motcua", f"N{i}") < 0.4}
    assert invited == expected
    entry = next(r for r in result.results if r.invitations).invitations[0]
    assert entry["wave"] == "W1" and len(entry["token"]) >= 22
    assert db_session.scalar(select(func.count()).select_from(Invitation).where(Invitation.delivered_at.is_not(None))) \
        == len(expected)
    assert wave_audit.audit(db_session, wave).ok


def test_an_unplanned_stratum_gets_the_new_stratum_pi(db_session, reg, version, source):
    wave = make_wave(db_session, version, fixed_pi=None, new_stratum_pi=0.25)
    assert wave.strata == []
    waves.launch(db_session, wave)
    _ingest(db_session, source, _spread("X", 50, "05", agency="AG2", procedure="P-CIV-1"))
    stratum = db_session.scalar(select(WaveStratum).where(WaveStratum.wave_id == wave.id))
    assert (stratum.key, stratum.pi, stratum.population_prev) == ("AG2|civil_status", 0.25, 0)
    assert wave_audit.audit(db_session, wave).ok


def test_audit_reports_a_wrong_pi_and_an_invitation_for_an_unselected_dossier(db_session, reg, version, source):
    _ingest(db_session, source, _spread("D", 60, "05"))
    wave = make_wave(db_session, version, fixed_pi=0.5)
    issued = waves.launch(db_session, wave)
    db_session.get(Invitation, issued[0].invitation_id).pi = 0.9
    unselected = next(d for d in db_session.scalars(select(Dossier))
                      if sampling.selection_u("test-seed", "motcua", d.external_id) >= 0.5)
    inv = db_session.get(Invitation, issued[1].invitation_id)
    inv.dossier_id = unselected.id
    db_session.flush()
    kinds = sorted(k for k, *_ in wave_audit.audit(db_session, wave).discrepancies)
    assert kinds == ["missing_invitation", "not_selected", "wrong_pi"]


def test_the_design_cannot_change_after_launch_and_a_closed_wave_cannot_relaunch(db_session, reg, version, source):
    _ingest(db_session, source, [record("a")])
    wave = make_wave(db_session, version)
    waves.launch(db_session, wave)
    with pytest.raises(waves.WaveError, match="not_draft"):
        waves.set_override(db_session, wave, "AG1|land", pi=0.1)
    waves.close(db_session, wave)
    with pytest.raises(waves.WaveError, match="closed"):
        waves.launch(db_session, wave)


def test_closing_expires_open_invitations_and_stores_the_period_counts(db_session, reg, version, source):
    _ingest(db_session, source, _spread("D", 40, "05"))
    wave = make_wave(db_session, version, fixed_pi=1.0)
    waves.launch(db_session, wave)
    _ingest(db_session, source, _spread("F", 10, "06"))
    expired = waves.close(db_session, wave)
    assert expired == 50
    assert {i.status for i in db_session.scalars(select(Invitation))} == {"expired"}
    assert {s.key: s.population for s in wave.strata} == {"AG1|land": 50}


def test_wave_creation_refuses_bad_input(db_session, reg, version):
    with pytest.raises(waves.WaveError, match="period_end_before_start"):
        make_wave(db_session, version, start=date(2025, 6, 1), end=date(2025, 5, 1))
    make_wave(db_session, version, code="DUP")
    with pytest.raises(waves.WaveError, match="duplicate_code"):
        make_wave(db_session, version, code="DUP")
    with pytest.raises(waves.WaveError, match="bad_pi"):
        make_wave(db_session, version, code="P", fixed_pi=1.5)
    with pytest.raises(waves.WaveError, match="bad_design"):
        make_wave(db_session, version, code="R", fixed_pi=None, response_rate=0)


def test_agency_only_strata(db_session, reg, version, source):
    _ingest(db_session, source, _spread("D", 20, "03") + _spread("E", 10, "03", procedure="P-CIV-1"))
    wave = make_wave(db_session, version, fixed_pi=None, scheme="agency")
    assert [(s.key, s.population_prev) for s in wave.strata] == [("AG1|*", 30)]
