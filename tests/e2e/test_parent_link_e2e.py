"""Real browser on a phone: the school's software reports an enrolment, the primary-school wave invites the
parent, and the parent opens the SMS link on a 390 × 844 touch screen, answers and submits."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Invitation, SourceSystem
from tests.e2e.citizen_helpers import responses_of

pytestmark = pytest.mark.e2e
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
         "has_touch": True, "locale": "vi-VN"}


def _enrolment_invited(live_app) -> dict:
    """A launched primary-school wave (π = 1) and an enrolment at the demo's primary school, taken through
    the intake service as the school's software sends it; the parent's SMS text and the invitation."""
    from survey.services.intake.batch import ingest
    from survey.services.intake.events import validate_event
    from survey.services.questionnaires.bank import get_version
    from survey.services.sampling import slips, waves
    from survey.services.sampling.invitations import Issued

    with live_app.app_context():
        s = db.session
        today, tag = date.today(), uuid.uuid4().hex[:6]
        wave = waves.create_wave(s, code="PH-E2E-" + tag, name="Phụ huynh tiểu học (e2e)", version=get_version(
            s, "education-primary"), period_start=today - timedelta(days=1), period_end=today + timedelta(days=1),
            fixed_pi=1.0, seed="e2e-" + tag)
        waves.launch(s, wave)
        source = SourceSystem(code="truonghoc-" + tag, name="Phần mềm quản lý trường học (e2e)")
        s.add(source)
        s.flush()
        started = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) - timedelta(minutes=5)
        result = ingest(s, source, [{"external_id": "TS-" + tag, "kind": "school_enrolment",
                                     "unit_code": "HT-TH-BACHA", "event_type": "primary", "class": "3A",
                                     "started_at": started.isoformat(), "phone": "0912345678"}],
                        validator=validate_event)
        record = result.results[0]
        assert record.status == "stored", record.errors
        assert [i["wave"] for i in record.invitations] == [wave.code]  # no procedure wave takes it
        token = record.invitations[0]["token"]
        inv = s.get(Invitation, record.invitations[0]["invitation_id"])
        assert inv.event_type == "primary"
        item = slips.build_items(s, [Issued(inv.id, inv.dossier_id, token)])[0]
        sms = slips.sms_text(item, live_app.config["PROVINCE_NAME"])
        s.commit()
        out = {"token": token, "invitation_id": inv.id, "sms": sms, "short_url": item["short_url"],
               "wave_id": wave.id}
        s.remove()
    return out


def _tap_answers(page) -> int:
    """Tap an answer to every visible question the way a satisfied parent would; returns how many."""
    answered = 0
    for box in page.locator("fieldset.q:visible").all():
        if box.locator("input[type=radio]").count():
            preferred = box.locator("label.choice", has_text="Hài lòng")
            (preferred.first if preferred.count() else box.locator("label.choice").first).tap()
            answered += 1
        elif box.locator("input[type=checkbox]").count():
            box.locator("label.choice").first.tap()
            answered += 1
        elif box.locator("input[type=number]").count():
            box.locator("input[type=number]").fill("8")
            answered += 1
    return answered


def test_a_parent_answers_the_primary_school_survey_from_the_sms_on_a_phone(browser, live_app, live_server):
    invited = _enrolment_invited(live_app)
    assert invited["sms"].startswith("[Hà Tĩnh] Mời Phụ huynh em học sinh ") and "3A" not in invited["sms"]
    assert invited["short_url"].startswith(live_server + "/m/")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        page.goto(invited["short_url"])  # the link in the SMS: the short code leads to the invitation
        page.wait_for_url(f"{live_server}/s/{invited['token']}*")
        assert page.evaluate("matchMedia('(pointer: coarse)').matches") and page.viewport_size["width"] == 390
        assert "phút" in page.content()
        with page.expect_navigation():
            page.get_by_role("link", name="Bắt đầu").tap()
        screens, answered = 0, 0
        while "/done" not in page.url and screens < 40:
            # Nothing wider than the phone: no sideways scrolling for a parent on a small screen.
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            answered += _tap_answers(page)
            last = page.get_by_role("button", name="Gửi câu trả lời")
            with page.expect_navigation():  # each screen is a form posted to the server
                (last if last.count() else page.get_by_role("button", name="Tiếp tục →")).tap()
            screens += 1
        assert page.url.endswith(f"/s/{invited['token']}/done")
        assert "Cảm ơn" in page.content()
    finally:
        context.close()
    assert blocked == [], blocked
    stored = responses_of(live_app, invitation_id=invited["invitation_id"])
    assert len(stored) == 1 and answered >= 20
    _uuid, mode, partial, probability, answers = stored[0]
    assert (mode, partial, probability) == ("link", False, True)
    assert {"ACC1", "FAC1", "ENV1", "ACT2", "RES1", "OVR1"} <= {a[0] for a in answers}
    with live_app.app_context():
        inv = db.session.scalar(select(Invitation).where(Invitation.id == invited["invitation_id"]))
        assert inv.status == "completed" and inv.completed_at <= datetime.now(UTC).replace(tzinfo=None)
        db.session.remove()
