"""Privacy: purging contact data and anonymising a closed wave without losing what the weights need."""
from __future__ import annotations

import uuid
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from survey.models import DossierContact, Invitation, Response, WaveStratum
from survey.services.intake import batch as intake
from survey.services.sampling import audit as wave_audit
from survey.services.sampling import privacy as wave_privacy
from survey.services.sampling import waves
from tests.sampling.factories import make_wave, record


def _weights(session, wave) -> dict[tuple, float]:
    """Weights of the respondents from invitation data only: 1/π, nonresponse adjustment within strata, then
    post-stratification to the strata's dossier counts; keyed by (agency, sector, service point, outcome, π, n)."""
    rows = session.execute(
        select(Invitation.id, Invitation.stratum_id, Invitation.pi, Invitation.agency_id, Invitation.sector_id,
               Invitation.service_point_id, Invitation.outcome, Response.id.label("resp"))
        .outerjoin(Response, Response.invitation_id == Invitation.id).where(Invitation.wave_id == wave.id)
        .order_by(Invitation.id)).all()
    population = dict(session.execute(select(WaveStratum.id, WaveStratum.population)
                                      .where(WaveStratum.wave_id == wave.id)).all())
    base_all, base_resp = defaultdict(float), defaultdict(float)
    for r in rows:
        base_all[r.stratum_id] += 1 / r.pi
        if r.resp:
            base_resp[r.stratum_id] += 1 / r.pi
    weights, seen = {}, defaultdict(int)
    for r in rows:
        if r.resp:
            nr = (1 / r.pi) * base_all[r.stratum_id] / base_resp[r.stratum_id]
            calibrated = nr * population[r.stratum_id] / base_all[r.stratum_id]
            cell = (r.agency_id, r.sector_id, r.service_point_id, r.outcome, r.pi)
            seen[cell] += 1
            weights[cell + (seen[cell],)] = calibrated
    return weights


@pytest.fixture
def closed_wave(db_session, reg, version, source):
    """A closed wave with contacts and some responses."""
    records = [record(f"D{i}", day=f"2025-05-{1 + i % 28:02d}", phone=f"09{i:08d}",
                      outcome=("approved", "rejected", "withdrawn")[i % 3],
                      **({"procedure": "P-CIV-1", "agency": "AG2", "service_point": "SP2"} if i % 2 else {}))
               for i in range(120)]
    intake.ingest(db_session, source, records)
    wave = make_wave(db_session, version, fixed_pi=0.5)
    waves.set_override(db_session, wave, "AG2|civil_status", pi=0.8)
    issued = waves.launch(db_session, wave)
    for i in issued[::3]:
        db_session.add(Response(uuid=str(uuid.uuid4()), invitation_id=i.invitation_id, wave_id=wave.id,
                                questionnaire_version_id=version.id, mode="link"))
    db_session.flush()
    waves.close(db_session, wave)
    return wave


def test_purge_contacts_removes_the_phone_numbers_of_the_waves_dossiers(db_session, closed_wave, source):
    intake.ingest(db_session, source, [record("other", day="2025-08-01", phone="0912345678")])
    assert db_session.scalar(select(func.count()).select_from(DossierContact)) == 121
    assert wave_privacy.purge_contacts(db_session, closed_wave) == 120
    assert db_session.scalars(select(DossierContact.phone)).all() == ["0912345678"]  # another period's dossier
    assert closed_wave.contacts_purged_at is not None


def test_anonymising_cuts_the_dossier_link_and_keeps_weights_computable(db_session, closed_wave):
    before = _weights(db_session, closed_wave)
    assert len(before) > 10
    unlinked = wave_privacy.anonymise(db_session, closed_wave)
    db_session.expire_all()
    invitations = db_session.scalars(select(Invitation).where(Invitation.wave_id == closed_wave.id)).all()
    assert unlinked == len(invitations)
    assert all(i.dossier_id is None for i in invitations)
    assert all(i.created_at.time().isoformat() == "00:00:00" for i in invitations)
    assert all(None not in (i.stratum_id, i.pi, i.agency_id, i.sector_id, i.outcome) for i in invitations)
    assert db_session.scalar(select(func.count()).select_from(DossierContact)) == 0
    after = _weights(db_session, closed_wave)
    assert after == pytest.approx(before)
    assert sum(after.values()) == pytest.approx(sum(s.population for s in closed_wave.strata))


def test_anonymising_erases_the_seed_by_default_and_the_audit_says_it_cannot_re_derive(db_session, closed_wave):
    assert wave_audit.audit(db_session, closed_wave).ok  # before: the sample is re-derived from the seed
    wave_privacy.anonymise(db_session, closed_wave)
    db_session.expire_all()
    assert closed_wave.seed == ""
    report = wave_audit.audit(db_session, closed_wave)
    assert [k for k, *_ in report.discrepancies] == ["seed_forgotten"] and not report.ok
    assert report.expected == 0  # nothing was re-derived


def test_the_seed_and_the_dossier_list_no_longer_reveal_who_was_invited(db_session, closed_wave, source):
    """The attack anonymisation closes: u(seed, dossier) below every stratum's π means invited, above all means not."""
    from survey.models import Dossier
    from survey.services.sampling import rules

    invited = set(db_session.scalars(select(Invitation.dossier_id).where(Invitation.wave_id == closed_wave.id)))
    lo, hi = min(s.pi for s in closed_wave.strata), max(s.pi for s in closed_wave.strata)
    u = {d: rules.selection_u(closed_wave.seed, source.code, ext)
         for d, ext in db_session.execute(select(Dossier.id, Dossier.external_id))}
    surely_in, surely_out = {d for d, x in u.items() if x < lo}, {d for d, x in u.items() if x >= hi}
    assert surely_in and surely_out and surely_in <= invited and not surely_out & invited  # works with the seed
    wave_privacy.anonymise(db_session, closed_wave, forget_seed=False)  # an old caller asking to keep it
    db_session.expire_all()
    assert closed_wave.seed == "" and closed_wave.anonymised_at is not None


def test_only_a_closed_wave_can_be_anonymised(db_session, reg, version):
    wave = make_wave(db_session, version)
    with pytest.raises(waves.WaveError, match="not_closed"):
        wave_privacy.anonymise(db_session, wave)
