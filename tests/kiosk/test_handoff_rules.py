"""Which invitations an officer may hand to the kiosk, who made the hand-off, and quick answers flagged."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from survey.models import AuditLog, KioskHandoff, Response, User
from survey.models._base import utcnow
from survey.models.fieldwork import InvitationChannel
from survey.services.kiosk.handoff import HandoffError, officer_handoff
from tests.kiosk.conftest import submission
from tests.respond import factories as f


def _officer(client, db_session, point, name="officer-h"):
    user = User(username=name, password_hash="!", role="officer", service_point_id=point.id)
    db_session.add(user)
    db_session.commit()
    with client.session_transaction() as s:
        s["_user_id"] = str(user.id)
        s["_fresh"] = True
    return user


def _invitation(db_session, kiosk, *, returned_minutes_ago=1, delivered=False):
    inv, _token = f.add_invitation(db_session, kiosk["wave"], kiosk["reg"])
    inv.dossier.completed_at = utcnow() - timedelta(minutes=returned_minutes_ago)
    if delivered:  # an SMS went out: the citizen holds the link
        inv.delivered_at, inv.channel = utcnow(), InvitationChannel.SMS
    db_session.commit()
    return inv


@pytest.fixture
def cases(db_session, kiosk):
    """Invitations of the counter: just returned; returned 2 hours ago; just returned but sent by SMS."""
    return {"fresh": _invitation(db_session, kiosk), "old": _invitation(db_session, kiosk, returned_minutes_ago=120),
            "sent": _invitation(db_session, kiosk, delivered=True)}


def test_page_lists_only_dossiers_just_returned_here_whose_token_nobody_holds(client, kiosk, db_session, cases):
    _officer(client, db_session, kiosk["reg"]["point"])
    page = client.get("/kiosk/handoff").get_data(as_text=True)
    assert cases["fresh"].dossier.external_id in page
    assert cases["old"].dossier.external_id not in page
    assert cases["sent"].dossier.external_id not in page
    # Searching by number does not widen the rule.
    searched = client.get("/kiosk/handoff?q=" + cases["sent"].dossier.external_id).get_data(as_text=True)
    assert "Không có hồ sơ nào khớp" in searched and 'name="invitation_id"' not in searched


@pytest.mark.parametrize("case, reason", [("old", "not_recent"), ("sent", "delivered")])
def test_posting_a_delivered_or_old_invitation_hands_nothing_off(client, kiosk, db_session, cases, case, reason):
    user = _officer(client, db_session, kiosk["reg"]["point"])
    inv = cases[case]
    resp = client.post("/kiosk/handoff", data={"invitation_id": inv.id}, follow_redirects=True)
    assert resp.status_code == 200 and "Không thể chuyển" in resp.get_data(as_text=True)
    assert db_session.scalar(select(KioskHandoff).where(KioskHandoff.invitation_id == inv.id)) is None
    with pytest.raises(HandoffError, match=reason):  # the service refuses it, whatever the page shows
        officer_handoff(db_session, user, inv, kiosk["reg"]["point"].id)


def test_the_window_is_configurable(app, client, kiosk, db_session, cases):
    _officer(client, db_session, kiosk["reg"]["point"])
    app.config["KIOSK_HANDOFF_RETURN_MINUTES"] = 180
    try:
        assert cases["old"].dossier.external_id in client.get("/kiosk/handoff").get_data(as_text=True)
        assert client.post("/kiosk/handoff", data={"invitation_id": cases["old"].id}).status_code == 302
    finally:
        app.config.pop("KIOSK_HANDOFF_RETURN_MINUTES")
    assert db_session.scalar(select(KioskHandoff).where(KioskHandoff.invitation_id == cases["old"].id))


def test_a_hand_off_records_the_officer_who_made_it(client, kiosk, db_session, cases):
    user = _officer(client, db_session, kiosk["reg"]["point"])
    assert client.post("/kiosk/handoff", data={"invitation_id": cases["fresh"].id}).status_code == 302
    handoff = db_session.scalar(select(KioskHandoff).where(KioskHandoff.invitation_id == cases["fresh"].id))
    assert handoff.created_by_id == user.id


def _hand_off_and_answer(client, kiosk, db_session, inv, seconds_before=0.0):
    assert client.post("/kiosk/handoff", data={"invitation_id": inv.id}).status_code == 302
    handoff = db_session.scalar(select(KioskHandoff).where(KioskHandoff.invitation_id == inv.id))
    handoff.created_at -= timedelta(seconds=seconds_before)
    db_session.commit()
    start = client.post("/kiosk/api/start", headers=kiosk["headers"]).json
    body = submission(kiosk["version"], {"ACC1": 5, "KQ1": 1}, handoff_id=start["handoff_id"])
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201
    db_session.refresh(handoff)
    return handoff, body


def test_an_answer_seconds_after_the_hand_off_is_flagged_and_still_counts(client, kiosk, db_session, cases):
    officer = _officer(client, db_session, kiosk["reg"]["point"])
    handoff, body = _hand_off_and_answer(client, kiosk, db_session, cases["fresh"])
    assert handoff.flagged_at is not None and handoff.flag_reason == "quick_answer"
    response = db_session.scalar(select(Response).where(Response.uuid == body["uuid"]))
    assert response.probability_sample and response.invitation_id == cases["fresh"].id  # kept in the sample
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "kiosk.handoff_flagged"))
    assert entry.target_id == str(cases["fresh"].id) and entry.details["officer_id"] == officer.id
    # A resend of the same answer is a duplicate and flags nothing twice.
    first_flag = handoff.flagged_at
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 200
    db_session.refresh(handoff)
    assert handoff.flagged_at == first_flag


def test_an_answer_a_minute_after_the_hand_off_is_not_flagged(client, kiosk, db_session, cases):
    _officer(client, db_session, kiosk["reg"]["point"])
    handoff, _body = _hand_off_and_answer(client, kiosk, db_session, cases["fresh"], seconds_before=60)
    assert handoff.flagged_at is None and handoff.flag_reason is None


def test_the_review_threshold_is_configurable(app, client, kiosk, db_session, cases):
    _officer(client, db_session, kiosk["reg"]["point"])
    app.config["KIOSK_HANDOFF_REVIEW_SECONDS"] = 120
    try:
        handoff, _body = _hand_off_and_answer(client, kiosk, db_session, cases["fresh"], seconds_before=60)
    finally:
        app.config.pop("KIOSK_HANDOFF_REVIEW_SECONDS")
    assert handoff.flagged_at is not None


def test_admins_see_flagged_hand_offs_on_the_devices_page(client, kiosk, db_session, cases):
    officer = _officer(client, db_session, kiosk["reg"]["point"])
    _hand_off_and_answer(client, kiosk, db_session, cases["fresh"])
    admin = User(username="admin-h", password_hash="!", role="admin")
    db_session.add(admin)
    db_session.commit()
    with client.session_transaction() as s:
        s["_user_id"] = str(admin.id)
    page = client.get("/admin/devices").get_data(as_text=True)
    section = page.split('id="flagged-handoffs"', 1)[1].split("</section>", 1)[0]
    row = section.split("data-flagged", 1)[1].split("</tr>", 1)[0]
    assert cases["fresh"].dossier.external_id in row and officer.username in row
    assert kiosk["reg"]["point"].code in row and kiosk["device"].label in row


def test_devices_page_says_when_nothing_is_flagged(client, kiosk, db_session):
    admin = User(username="admin-h", password_hash="!", role="admin")
    db_session.add(admin)
    db_session.commit()
    with client.session_transaction() as s:
        s["_user_id"] = str(admin.id)
    section = client.get("/admin/devices").get_data(as_text=True).split('id="flagged-handoffs"', 1)[1]
    assert "data-flagged" not in section.split("</section>", 1)[0]
    assert "Không có lượt chuyển nào cần xem lại." in section
