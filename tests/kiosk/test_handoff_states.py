"""A hand-off survives Back and walking away: waiting, in progress, answered or released, shown to the officer."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from survey.models import AuditLog, KioskHandoff, Response, User
from survey.models.fieldwork import HandoffState
from survey.services.kiosk.handoff import handoff_invitation
from tests.kiosk.conftest import submission
from tests.respond.factories import add_device


@pytest.fixture
def officer(client, db_session, kiosk):
    user = User(username="officer-states", password_hash="!", role="officer",
                service_point_id=kiosk["reg"]["point"].id)
    db_session.add(user)
    db_session.commit()
    with client.session_transaction() as s:
        s["_user_id"] = str(user.id)
        s["_fresh"] = True
    return user


@pytest.fixture
def handed(db_session, kiosk):
    handoff = handoff_invitation(db_session, kiosk["inv"], kiosk["reg"]["point"].id)
    db_session.commit()
    return handoff


def _state(db_session, handoff) -> HandoffState:
    db_session.expire_all()
    return db_session.get(KioskHandoff, handoff.id).state


def _start(client, headers):
    return client.post("/kiosk/api/start", headers=headers).json


def _live(client) -> str:
    return client.get("/kiosk/handoff/live").get_data(as_text=True)


def test_back_on_the_first_screen_gives_the_hand_off_back_for_the_next_start(client, kiosk, db_session, handed):
    other, other_cred = add_device(db_session, kiosk["reg"]["point"])
    db_session.commit()
    first = _start(client, kiosk["headers"])
    assert first["mode"] == "kiosk" and _state(db_session, handed) == HandoffState.IN_PROGRESS
    back = client.post("/kiosk/api/handoff/return", json={"handoff_id": first["handoff_id"]}, headers=kiosk["headers"])
    assert back.status_code == 200 and back.json == {"state": "waiting"}
    assert _state(db_session, handed) == HandoffState.WAITING
    # The next start, on this kiosk or the counter's other one, answers the same invitation.
    again = _start(client, {"X-Device-Credential": other_cred})
    assert (again["mode"], again["handoff_id"]) == ("kiosk", handed.id)
    body = submission(kiosk["version"], {"ACC1": 5, "KQ1": 1}, handoff_id=again["handoff_id"])
    other_headers = {"X-Device-Credential": other_cred}
    assert client.post("/kiosk/api/responses", json=body, headers=other_headers).status_code == 201
    stored = db_session.scalar(select(Response).where(Response.uuid == body["uuid"]))
    assert (stored.mode, stored.probability_sample, stored.invitation_id) == ("kiosk", True, kiosk["inv"].id)
    assert _state(db_session, handed) == HandoffState.ANSWERED
    assert _start(client, kiosk["headers"]) == {"mode": "walkup"}


def test_only_the_kiosk_holding_a_hand_off_can_give_it_back(client, kiosk, db_session, handed):
    _other, other_cred = add_device(db_session, kiosk["reg"]["point"])
    db_session.commit()
    start = _start(client, kiosk["headers"])
    refused = client.post("/kiosk/api/handoff/return", json={"handoff_id": start["handoff_id"]},
                          headers={"X-Device-Credential": other_cred})
    assert refused.status_code == 409 and _state(db_session, handed) == HandoffState.IN_PROGRESS
    assert client.post("/kiosk/api/handoff/return", json={}, headers=kiosk["headers"]).status_code == 400


def test_a_reloaded_kiosk_resumes_the_hand_off_it_holds(client, kiosk, db_session, handed):
    first = _start(client, kiosk["headers"])
    assert _start(client, kiosk["headers"])["handoff_id"] == first["handoff_id"]  # giving it back failed: still its


def test_the_wait_restarts_when_the_hand_off_is_given_back_and_ends_released(client, kiosk, db_session, handed):
    start = _start(client, kiosk["headers"])
    handed = db_session.get(KioskHandoff, handed.id)
    handed.created_at -= timedelta(minutes=14)
    db_session.commit()
    client.post("/kiosk/api/handoff/return", json={"handoff_id": start["handoff_id"]}, headers=kiosk["headers"])
    db_session.expire_all()
    handoff = db_session.get(KioskHandoff, handed.id)
    handoff.state_at -= timedelta(minutes=10)  # made 24 minutes ago, given back 10 minutes ago: still waiting
    db_session.commit()
    assert _start(client, kiosk["headers"])["mode"] == "kiosk"
    client.post("/kiosk/api/handoff/return", json={"handoff_id": start["handoff_id"]}, headers=kiosk["headers"])
    db_session.expire_all()
    db_session.get(KioskHandoff, handed.id).state_at -= timedelta(minutes=16)
    db_session.commit()
    assert _start(client, kiosk["headers"]) == {"mode": "walkup"}
    handoff = db_session.get(KioskHandoff, handed.id)
    db_session.refresh(handoff)
    assert (handoff.state, handoff.released_by_id) == (HandoffState.RELEASED, None)  # the timeout released it


def test_a_started_hand_off_never_answered_is_released_after_the_progress_timeout(app, client, kiosk, db_session,
                                                                                 handed):
    start = _start(client, kiosk["headers"])
    db_session.expire_all()
    db_session.get(KioskHandoff, handed.id).state_at -= timedelta(minutes=61)
    db_session.commit()
    assert _start(client, kiosk["headers"]) == {"mode": "walkup"}
    assert _state(db_session, handed) == HandoffState.RELEASED
    # The tablet was only offline: its answers arrive later and still count.
    body = submission(kiosk["version"], {"ACC1": 4, "KQ1": 1}, handoff_id=start["handoff_id"])
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201
    assert _state(db_session, handed) == HandoffState.ANSWERED


def test_the_officer_sees_each_state_and_can_release(client, kiosk, db_session, officer, handed):
    _other, other_cred = add_device(db_session, kiosk["reg"]["point"])
    db_session.commit()
    page = client.get("/kiosk/handoff").get_data(as_text=True)
    assert 'data-live-url="/kiosk/handoff/live"' in page and "kiosk/officer.js" in page
    assert 'data-state="waiting"' in _live(client) and "Đang chờ người dân bắt đầu" in _live(client)
    start = _start(client, kiosk["headers"])
    assert 'data-state="in_progress"' in _live(client) and "Đang đánh giá trên kiosk “Máy thử”" in _live(client)
    assert client.post("/kiosk/handoff/cancel", data={"handoff_id": handed.id}).status_code == 302
    live = _live(client)
    assert 'data-state="released"' in live and "Thu hồi</button>" not in live
    assert _start(client, {"X-Device-Credential": other_cred}) == {"mode": "walkup"}
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "kiosk.handoff_cancel",
                                                    AuditLog.user_id == officer.id))
    # Releasing again changes nothing and says so.
    again = client.post("/kiosk/handoff/cancel", data={"handoff_id": handed.id}, follow_redirects=True)
    assert "đã kết thúc" in again.get_data(as_text=True)
    # The released one can be handed off again; an answer shows as answered.
    assert client.post("/kiosk/handoff", data={"invitation_id": kiosk["inv"].id}).status_code == 302
    start = _start(client, kiosk["headers"])
    body = submission(kiosk["version"], {"ACC1": 5, "KQ1": 1}, handoff_id=start["handoff_id"])
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201
    assert 'data-state="answered"' in _live(client) and "Đã đánh giá" in _live(client)


def test_a_timed_out_hand_off_shows_as_released_by_the_timeout(client, kiosk, db_session, officer, handed):
    db_session.get(KioskHandoff, handed.id).state_at -= timedelta(minutes=20)
    db_session.commit()
    live = _live(client)
    assert 'data-state="released"' in live and "hết thời gian chờ" in live


def test_the_live_fragment_is_for_staff_only(client, kiosk, db_session):
    assert client.get("/kiosk/handoff/live").status_code in (302, 401)


def test_call_staff_flags_the_kiosk_on_the_officer_page_until_answered(client, kiosk, db_session, officer):
    assert "đang gọi nhân viên" not in _live(client)
    assert client.post("/kiosk/api/call", headers=kiosk["headers"]).json == {"ok": True}
    live = _live(client)
    assert "Kiosk đang gọi nhân viên" in live and "Máy thử" in live
    device_id = kiosk["device"].id
    assert client.post("/kiosk/handoff/call", data={"device_id": device_id}).status_code == 302
    assert "Kiosk đang gọi nhân viên" not in _live(client)
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "kiosk.call_answered",
                                                    AuditLog.target_id == str(device_id)))
    assert client.post("/kiosk/api/call").status_code == 401  # only an enrolled kiosk can call
