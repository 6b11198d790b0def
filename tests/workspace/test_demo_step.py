"""The workspace demo step: demo sign-ins, closed past waves where land and construction lag; idempotent."""
from __future__ import annotations

import os
from datetime import date

from sqlalchemy import distinct, func, select

from survey import QUESTIONNAIRE_DIR
from survey.models import Agency, Response, ResponseScore, Sector, ServicePoint, Target, User, Wave
from survey.services.accounts.users import verify_password
from survey.services.demo import DemoContext
from survey.services.demo import publications as demo_publications
from survey.services.demo import workspace as workspace
from survey.services.questionnaires.bank import load_file
from survey.services.workspace import dashboard as dash


def _registry(s):
    prov = Agency(code="P", name_vi="Ủy ban nhân dân tỉnh", level="province")
    s.add(prov)
    s.flush()
    for code, name in (("D-TNMT", "Sở Tài nguyên và Môi trường"), ("D-XD", "Sở Xây dựng"), ("D-TP", "Sở Tư pháp")):
        s.add(Agency(code=code, name_vi=name, level="department", parent_id=prov.id))
    s.add(Agency(code="H1", name_vi="Ủy ban nhân dân huyện Một", level="district", parent_id=prov.id))
    for code in ("land", "construction", "civil_status", "justice", "business"):
        s.add(Sector(code=code, name_vi=code))
    s.add(ServicePoint(code="C", name_vi="Trung tâm", kind="province_centre", agency_id=prov.id))
    s.add_all([Target(year=y, scope="tthc_sector", sector_code=c, value=v) for y, v in ((2025, 85), (2030, 90))
               for c in ("land", "construction")] + [Target(year=2025, scope="tthc", value=90)])
    s.flush()
    load_file(s, os.path.join(QUESTIONNAIRE_DIR, "sipas2023-service.yaml"))


def test_demo_step_seeds_users_and_closed_waves_idempotently(db_session):
    _registry(db_session)
    ctx = DemoContext(session=db_session)
    workspace.seed(ctx)
    waves = db_session.query(Wave).filter(Wave.code.like("DEMO-%")).order_by(Wave.period_start).all()
    assert len(waves) == len(workspace.demo_quarters(date.today())) and all(w.status == "closed" for w in waves)
    analyst = db_session.query(User).filter_by(username="analyst").one()
    assert verify_password(analyst, workspace.PASSWORD)
    viewer = db_session.query(User).filter_by(username="viewer").one()
    assert viewer.role == "agency_viewer" and viewer.agency.code == "D-TNMT"
    assert any("analyst" in note and workspace.PASSWORD in note for note in ctx.notes)
    responses = db_session.query(Response).count()
    # The simulated answers come with their score rows, so the index table needs no fallback.
    stored = db_session.scalar(select(func.count(distinct(ResponseScore.response_id))))
    assert stored == responses
    again = DemoContext(session=db_session)
    workspace.seed(again)
    assert db_session.query(Response).count() == responses
    assert db_session.query(User).count() == 4


def test_demo_land_and_construction_lag_behind(db_session):
    _registry(db_session)
    ctx = DemoContext(session=db_session)
    workspace.seed(ctx)
    demo_publications.seed(ctx)  # the demo's next step: pages read publications
    latest = dash.default_wave(db_session)
    ov = dash.overview(db_session, latest, dash.Filters(latest.id), None, 30)
    by = {c.key: c for c in ov.sectors}
    assert by["land"].value < 85 and by["construction"].value < 85
    assert by["civil_status"].value > by["land"].value + 10


def test_demo_without_registry_or_questionnaire_explains_itself(db_session):
    ctx = DemoContext(session=db_session)
    workspace.seed(ctx)
    assert db_session.query(Wave).count() == 0
    assert any("chưa" in note for note in ctx.notes)


def test_demo_feedback_step_files_redacted_comments_opens_cases_and_reruns_idle(db_session):
    from survey.models import Answer, Comment, DossierRating, FeedbackCase, Theme
    from survey.services.demo import feedback as demo_feedback

    _registry(db_session)
    ctx = DemoContext(session=db_session)
    workspace.seed(ctx)
    phone = db_session.query(Response).filter(Response.probability_sample.is_(True)).first()
    db_session.add(Answer(response_id=phone.id, item_code="CMT1", value_text="Gọi lại cho tôi số 0912 345 678 nhé"))
    db_session.flush()
    demo_feedback.seed(ctx)
    comments = db_session.query(Comment).all()
    assert comments and db_session.query(Theme).count() >= 5
    assert not any("0912" in c.text for c in comments)
    assert any("[số điện thoại]" in c.text for c in comments)
    cases, ratings = db_session.query(FeedbackCase).count(), db_session.query(DossierRating).count()
    assert cases > 0 and ratings > 0
    demo_feedback.seed(DemoContext(session=db_session))
    assert (db_session.query(Comment).count(), db_session.query(FeedbackCase).count(),
            db_session.query(DossierRating).count()) == (len(comments), cases, ratings)


def test_demo_counter_step_adds_four_weeks_of_walkups_redacted_and_only_once(db_session):
    from survey.models import Comment
    from survey.services.demo import counter as demo_counter
    from survey.services.demo import kiosk as demo_kiosk

    _registry(db_session)
    load_file(db_session, os.path.join(QUESTIONNAIRE_DIR, "kiosk-quick.yaml"))
    ctx = DemoContext(session=db_session)
    demo_kiosk.seed(ctx)
    demo_counter.seed(ctx)
    walkups = db_session.query(Response).filter(Response.mode == "kiosk_walkup").all()
    assert len(walkups) == demo_counter.DAYS * demo_counter.PER_DAY
    assert not any(r.probability_sample or r.invitation_id for r in walkups)
    assert len({r.device_id for r in walkups}) == 2 and all(r.client_submitted_at == r.submitted_at for r in walkups)
    texts = [c.text for c in db_session.query(Comment).all()]
    assert texts and not any("0912" in t for t in texts)
    demo_counter.seed(DemoContext(session=db_session, data=ctx.data))
    assert db_session.query(Response).filter(Response.mode == "kiosk_walkup").count() == len(walkups)
