"""The sampling demo step: dossiers, a launched wave with invitations, working demo links; idempotent."""
from __future__ import annotations

from sqlalchemy import func, select

from survey import QUESTIONNAIRE_DIR
from survey.models import Dossier, Invitation, Wave
from survey.services.demo import DemoContext
from survey.services.demo import registry as registry_step
from survey.services.demo import sampling as sampling_step
from survey.services.sampling import audit as wave_audit
from survey.services.sampling import invitations


def _run(session) -> DemoContext:
    ctx = DemoContext(session=session)
    registry_step.seed(ctx)
    sampling_step.seed(ctx)
    session.flush()
    return ctx


def test_the_demo_step_builds_a_launched_wave_with_working_links_and_is_idempotent(client, db_session):
    from survey.services.questionnaires.bank import load_bank

    load_bank(db_session, QUESTIONNAIRE_DIR)
    first = _run(db_session)
    counts = (db_session.scalar(select(func.count()).select_from(Dossier)),
              db_session.scalar(select(func.count()).select_from(Invitation)),
              db_session.scalar(select(func.count()).select_from(Wave)))
    assert counts[0] > 2000 and counts[1] > 500 and counts[2] == 1
    wave = db_session.scalar(select(Wave))
    assert wave.status == "launched" and wave.code == first.data["sampling_wave"]
    outcomes = set(db_session.scalars(select(Invitation.outcome).distinct()))
    assert outcomes == {"approved", "rejected", "withdrawn"}
    assert wave_audit.audit(db_session, wave).ok
    tokens = first.data["invitation_tokens"]
    assert len(tokens) == 6 and all(invitations.find_by_token(db_session, t) for t in tokens)
    slip_path = next(path for label, path in first.urls if "80 mm" in label)
    assert client.get(slip_path).status_code == 200
    assert any("Khoá API demo" in n for n in first.notes)

    second = _run(db_session)
    assert (db_session.scalar(select(func.count()).select_from(Dossier)),
            db_session.scalar(select(func.count()).select_from(Invitation)),
            db_session.scalar(select(func.count()).select_from(Wave))) == counts
    new_tokens = second.data["invitation_tokens"]
    assert all(invitations.find_by_token(db_session, t) for t in new_tokens)
    assert not any(invitations.find_by_token(db_session, t) for t in tokens)  # re-keyed: old demo links stop


def test_without_a_registry_the_demo_step_explains_and_does_nothing(db_session):
    ctx = DemoContext(session=db_session)
    sampling_step.seed(ctx)
    assert db_session.scalar(select(func.count()).select_from(Dossier)) == 0
    assert "chưa có danh mục" in ctx.notes[0]
