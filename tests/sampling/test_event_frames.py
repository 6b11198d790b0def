"""Hospital and school waves: frames by event kind, unit × event type strata, π on the invitation,
reproducible selection; a procedure wave never takes a hospital visit or a school enrolment."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from survey.models import Dossier, Invitation
from survey.models.fieldwork import DossierKind
from survey.services.sampling import audit, frames, waves
from survey.services.sampling import rules as sampling
from survey.services.sampling.selector import Selector
from tests.sampling import events, factories

DAY = datetime(2025, 5, 10, 3)  # 10:00 in Hà Tĩnh
PREVIOUS_DAY = datetime(2025, 2, 10, 3)


@pytest.fixture
def world(db_session, reg, source):
    """The small registry with two hospitals and a school, and events in this quarter and the last."""
    units = events.make_units(db_session, reg)
    events.populate(db_session, source, reg, units, DAY)
    events.populate(db_session, source, reg, units, PREVIOUS_DAY, per_cell=10)
    return {"reg": reg, "source": source, **units}


def _wave(session, instrument: str, code: str, **kw):
    return factories.make_wave(session, events.version_for(session, instrument), code=code, **kw)


def _invited(session, wave) -> list[Invitation]:
    return list(session.scalars(select(Invitation).where(Invitation.wave_id == wave.id).order_by(Invitation.id)))


def test_the_frame_follows_the_instrument():
    assert frames.frame_for_instrument("sipas2023-service") == {"kind": "dossier"}
    assert frames.frame_for_instrument("health-inpatient") == {"kind": "hospital_visit", "event_types": ["inpatient"]}
    assert frames.frame_for_instrument("education-preschool") == {"kind": "school_enrolment",
                                                                   "event_types": ["preschool"]}
    assert frames.frame_of(None) == {"kind": "dossier"}  # a wave made before frames samples dossiers
    assert frames.in_frame({"kind": "dossier"}, None, None)
    assert not frames.in_frame({"kind": "dossier"}, DossierKind.HOSPITAL_VISIT, "inpatient")
    assert not frames.in_frame(frames.frame_for_instrument("health-inpatient"), "hospital_visit", "outpatient")


def test_unit_type_strata_keys():
    assert sampling.stratum_key("unit_type", "BV1", "health", "inpatient") == "BV1|inpatient"
    assert sampling.stratum_key("unit_type", "TH1", "education", None) == "TH1|*"


def test_a_procedure_wave_never_invites_patients_or_parents(db_session, world):
    wave = _wave(db_session, "sipas2023-service", "TTHC", fixed_pi=1.0)
    waves.launch(db_session, wave)
    invited = _invited(db_session, wave)
    kinds = set(db_session.scalars(select(Dossier.kind).where(Dossier.id.in_([i.dossier_id for i in invited]))))
    assert len(invited) == 20 and kinds == {DossierKind.DOSSIER}
    assert {s.key: s.population for s in wave.strata} == {"AG1|land": 20}
    assert wave.design["frame"] == {"kind": "dossier"} and wave.design["scheme"] == "agency_sector"


def test_an_inpatient_wave_samples_inpatient_visits_by_hospital(db_session, world):
    wave = _wave(db_session, "health-inpatient", "NOITRU", fixed_pi=0.5)
    assert wave.design["scheme"] == "unit_type"
    assert {s.key: (s.population_prev, s.population) for s in wave.strata} == {
        "BV1|inpatient": (10, 20), "BV2|inpatient": (10, 20)}
    waves.launch(db_session, wave)
    invited = _invited(db_session, wave)
    assert invited and {i.event_type for i in invited} == {"inpatient"}
    strata = {s.id: s for s in wave.strata}
    assert all(i.pi == strata[i.stratum_id].pi == 0.5 for i in invited)  # π recorded on the invitation
    assert {strata[i.stratum_id].agency_id for i in invited} <= {world["units"]["BV1"].id, world["units"]["BV2"].id}
    # each invited visit is exactly one whose keyed hash is below π
    source = world["source"].code
    chosen = {d.external_id for d in db_session.scalars(select(Dossier).where(
        Dossier.kind == DossierKind.HOSPITAL_VISIT, Dossier.event_type == "inpatient",
        Dossier.completed_at >= datetime(2025, 4, 1)))
        if sampling.selection_u(wave.seed, source, d.external_id) < 0.5}
    assert {i.dossier.external_id for i in invited} == chosen
    assert audit.audit(db_session, wave).ok


def test_the_same_seed_draws_the_same_sample_and_another_seed_another(db_session, world):
    first = _wave(db_session, "health-outpatient", "NGOAITRU-1", fixed_pi=0.4, seed="s-1")
    again = _wave(db_session, "health-outpatient", "NGOAITRU-2", fixed_pi=0.4, seed="s-1")
    other = _wave(db_session, "health-outpatient", "NGOAITRU-3", fixed_pi=0.4, seed="s-2")
    for w in (first, again, other):
        waves.launch(db_session, w)
    sample = [{i.dossier_id for i in _invited(db_session, w)} for w in (first, again, other)]
    assert sample[0] and sample[0] == sample[1] and sample[0] != sample[2]


def test_a_school_wave_takes_its_level_only(db_session, world):
    primary = _wave(db_session, "education-primary", "TIEUHOC", fixed_pi=1.0)
    preschool = _wave(db_session, "education-preschool", "MAMNON", fixed_pi=1.0)
    waves.launch(db_session, primary)
    waves.launch(db_session, preschool)
    assert len(_invited(db_session, primary)) == 20 and not _invited(db_session, preschool)
    assert [s.key for s in primary.strata] == ["TH1|primary"]


def test_arriving_events_go_to_their_own_waves_only(db_session, world):
    tthc = _wave(db_session, "sipas2023-service", "TTHC", fixed_pi=1.0)
    inpatient = _wave(db_session, "health-inpatient", "NOITRU", fixed_pi=1.0)
    for w in (tthc, inpatient):
        waves.launch(db_session, w)
    sel = Selector.load(db_session)
    unit, health = world["units"]["BV2"], world["sectors"]["health"]
    visit = {"id": 1, "external_id": "NEW-1", "agency_id": unit.id, "sector_id": health.id, "outcome": "approved",
             "completed_at": DAY, "kind": "hospital_visit", "event_type": "inpatient"}
    dossier = {**visit, "external_id": "NEW-2", "agency_id": world["reg"]["agencies"]["AG1"].id,
               "sector_id": world["reg"]["sectors"]["land"].id, "kind": "dossier", "event_type": None}
    outpatient = {**visit, "external_id": "NEW-3", "event_type": "outpatient"}
    sel.prepare([visit, dossier, outpatient])
    assert [p["wave_id"] for p in sel.select("motcua", visit)] == [inpatient.id]
    assert sel.select("motcua", visit)[0]["event_type"] == "inpatient"
    assert [p["wave_id"] for p in sel.select("motcua", {**dossier, "kind": None})] == [tthc.id]
    assert sel.select("motcua", outpatient) == []


def test_unit_type_strata_need_an_event_instrument(db_session, world):
    with pytest.raises(waves.WaveError) as err:
        _wave(db_session, "sipas2023-service", "SAI", scheme="unit_type")
    assert str(err.value) == "scheme_needs_events"
    assert "unit_type" in waves.error_message("scheme_needs_events")


def test_an_event_wave_may_still_be_stratified_by_agency_and_sector(db_session, world):
    wave = _wave(db_session, "health-inpatient", "NOITRU-AS", fixed_pi=1.0, scheme="agency_sector",
                 start=date(2025, 4, 1), end=date(2025, 6, 30))
    assert {s.key: s.population for s in wave.strata} == {"BV1|health": 20, "BV2|health": 20}
