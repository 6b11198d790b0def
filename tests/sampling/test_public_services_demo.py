"""The demo's hospitals and schools: units under Sở Y tế / Sở GD&ĐT, events of their own kind, a closed and
published wave per instrument whose invitations are all of its event type; idempotent."""
from __future__ import annotations

from sqlalchemy import func, select

from survey import QUESTIONNAIRE_DIR
from survey.models import Agency, Dossier, Invitation, Publication, Response, ServicePoint, Wave
from survey.models.fieldwork import DossierKind
from survey.services.demo import DemoContext
from survey.services.demo import public_services as step
from survey.services.demo import registry as registry_step
from survey.services.sampling import audit as wave_audit
from survey.services.sampling import frames


def _run(session) -> DemoContext:
    ctx = DemoContext(session=session)
    registry_step.seed(ctx)
    step.seed(ctx)
    session.flush()
    return ctx


def test_the_demo_has_hospitals_and_schools_with_a_closed_published_wave_each(db_session):
    from survey.services.questionnaires.bank import load_bank

    load_bank(db_session, QUESTIONNAIRE_DIR)
    ctx = _run(db_session)
    hospital = db_session.scalar(select(Agency).where(Agency.code == "HT-BVDKT"))
    school = db_session.scalar(select(Agency).where(Agency.code == "HT-TH-BACHA"))
    assert hospital.level == "health_facility" and hospital.parent.code == "HT-SYT"
    assert school.level == "school" and school.parent.code == "HT-SGDDT"
    desk = db_session.scalar(select(ServicePoint).where(ServicePoint.code == "HT-BVDKT-RV"))
    assert desk.agency_id == hospital.id
    codes = ctx.data["public_service_waves"]
    assert len(codes) == 5 and {c.split("-")[0] for c in codes} == {"NOITRU", "NGOAITRU", "MAMNON", "TIEUHOC",
                                                                     "THCS"}
    for wave in db_session.scalars(select(Wave).where(Wave.code.in_(codes))):
        frame = frames.frame_of(wave.design)
        assert wave.status == "closed" and frames.is_event_frame(frame) and wave.design["scheme"] == "unit_type"
        types = set(db_session.scalars(select(Invitation.event_type).where(Invitation.wave_id == wave.id)))
        assert types == set(frame["event_types"])
        assert db_session.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave.id)) > 20
        assert db_session.scalar(select(Publication.id).where(Publication.wave_id == wave.id)) is not None
        assert wave_audit.audit(db_session, wave).ok
    kinds = dict(db_session.execute(select(Dossier.kind, func.count()).group_by(Dossier.kind)).all())
    assert kinds[DossierKind.HOSPITAL_VISIT] > 1000 and kinds[DossierKind.SCHOOL_ENROLMENT] > 500

    counts = (db_session.scalar(select(func.count()).select_from(Dossier)),
              db_session.scalar(select(func.count()).select_from(Wave)),
              db_session.scalar(select(func.count()).select_from(Publication)))
    _run(db_session)
    assert (db_session.scalar(select(func.count()).select_from(Dossier)),
            db_session.scalar(select(func.count()).select_from(Wave)),
            db_session.scalar(select(func.count()).select_from(Publication))) == counts
