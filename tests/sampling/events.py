"""Hospitals, schools and their service events for the public-service sampling tests."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from survey.models import Agency, Dossier, Questionnaire, QuestionnaireVersion, Sector, ServicePoint
from survey.models.fieldwork import DossierChannel, DossierKind, Outcome
from survey.models.registry import AgencyLevel
from tests.sampling import factories

BANK = Path(__file__).resolve().parents[2] / "questionnaires"  # the questionnaire bank
KIND_OF = {"inpatient": DossierKind.HOSPITAL_VISIT, "outpatient": DossierKind.HOSPITAL_VISIT,
           "preschool": DossierKind.SCHOOL_ENROLMENT, "primary": DossierKind.SCHOOL_ENROLMENT,
           "secondary": DossierKind.SCHOOL_ENROLMENT}


def make_units(session, reg: dict) -> dict:
    """Two hospitals under AG1 (as if a Sở Y tế), a school under AG2, the health and education sectors,
    and the discharge desk of the first hospital as a service point."""
    sectors = {c: Sector(code=c, name_vi=name) for c, name in (("health", "Y tế"), ("education", "Giáo dục"))}
    units = {"BV1": Agency(code="BV1", name_vi="Bệnh viện Đa khoa thử 1", level=AgencyLevel.HEALTH_FACILITY,
                           parent_id=reg["agencies"]["AG1"].id),
             "BV2": Agency(code="BV2", name_vi="Bệnh viện thử 2", level=AgencyLevel.HEALTH_FACILITY,
                           parent_id=reg["agencies"]["AG1"].id),
             "TH1": Agency(code="TH1", name_vi="Trường Tiểu học thử", level=AgencyLevel.SCHOOL,
                           parent_id=reg["agencies"]["AG2"].id)}
    session.add_all([*sectors.values(), *units.values()])
    session.flush()
    desk = ServicePoint(code="BV1-RV", name_vi="Bàn thủ tục ra viện – Bệnh viện thử 1", kind="agency_counter",
                        agency_id=units["BV1"].id)
    session.add(desk)
    session.flush()
    return {"sectors": sectors, "units": units, "desk": desk}


def add_event(session, source, ext: str, unit: Agency, sector: Sector, event_type: str | None,
              completed: datetime, service_point: ServicePoint | None = None, department: str | None = None,
              outcome: Outcome = Outcome.APPROVED) -> Dossier:
    """A stored dossier (event_type None) or service event, completed at `completed` (naive UTC)."""
    d = Dossier(source_system_id=source.id, external_id=ext, agency_id=unit.id, sector_id=sector.id,
                kind=KIND_OF[event_type] if event_type else DossierKind.DOSSIER, event_type=event_type,
                unit_department=department, service_point_id=service_point.id if service_point else None,
                channel=DossierChannel.IN_PERSON, received_at=completed, completed_at=completed, outcome=outcome,
                on_time=True, content_hash="h" * 64)
    session.add(d)
    return d


def populate(session, source, reg: dict, units: dict, day: datetime, per_cell: int = 20) -> None:
    """`per_cell` inpatient and outpatient visits at each hospital, primary enrolments at the school and
    land dossiers at AG1, all completed on `day`."""
    health, education = units["sectors"]["health"], units["sectors"]["education"]
    for k in range(per_cell):
        for code in ("BV1", "BV2"):
            for t in ("inpatient", "outpatient"):
                add_event(session, source, f"{code}-{t}-{day:%m%d}-{k}", units["units"][code], health, t, day,
                          units["desk"] if code == "BV1" else None, "Khoa Nội")
        add_event(session, source, f"TH1-{day:%m%d}-{k}", units["units"]["TH1"], education, "primary", day,
                  department="3A")
        add_event(session, source, f"HS-{day:%m%d}-{k}", reg["agencies"]["AG1"], reg["sectors"]["land"], None, day,
                  reg["points"]["SP1"])
    session.flush()


def version_for(session, instrument: str):
    """A minimal questionnaire version of `instrument` (only its instrument code matters to sampling)."""
    found = session.scalar(select(QuestionnaireVersion).join(Questionnaire)
                           .where(Questionnaire.instrument == instrument))
    return found or factories.make_version(session, instrument)
