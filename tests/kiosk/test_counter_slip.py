"""Officers print the slip of the dossier just returned from the hand-off page (A6 or 80 mm)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from survey.models import AuditLog, Invitation, KioskHandoff, User
from survey.models._base import utcnow
from survey.models.fieldwork import HandoffState, InvitationChannel
from survey.services.kiosk.handoff import handoff_invitation


@pytest.fixture
def officer(client, db_session, kiosk):
    user = User(username="officer-slip", password_hash="!", role="officer", service_point_id=kiosk["reg"]["point"].id)
    db_session.add(user)
    db_session.commit()
    with client.session_transaction() as s:
        s["_user_id"] = str(user.id)
        s["_fresh"] = True
    return user


def _print(client, inv, fmt="a6"):
    return client.post("/kiosk/handoff/slip", data={"invitation_id": inv.id, "format": fmt})


def _token(resp) -> str:
    assert resp.status_code == 303
    found = re.fullmatch(r"/api/v1/invitations/([A-Za-z0-9_-]+)/slip\?format=(a6|80mm)", resp.headers["Location"])
    assert found, resp.headers["Location"]
    return found.group(1)


@pytest.mark.parametrize("fmt, width", [("a6", "105mm"), ("80mm", "80mm")])
def test_printing_gives_a_working_slip_in_the_chosen_width(client, kiosk, db_session, officer, fmt, width):
    inv = kiosk["inv"]
    page = client.get("/kiosk/handoff").get_data(as_text=True)
    assert 'action="/kiosk/handoff/slip"' in page and 'value="80mm"' in page and "In phiếu A6" in page
    resp = _print(client, inv, fmt)
    token = _token(resp)
    slip = client.get(resp.headers["Location"])
    html = slip.get_data(as_text=True)
    assert slip.status_code == 200 and f"size: {width}" in html and f"/s/{token}" in html and "<svg" in html
    assert client.get(f"/s/{token}").status_code == 200  # the printed link is the invitation's
    db_session.expire_all()
    inv = db_session.get(Invitation, inv.id)
    assert inv.channel == InvitationChannel.QR and inv.delivered_at is not None
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "kiosk.slip_printed"))
    assert (entry.user_id, entry.target_id, entry.details["format"]) == (officer.id, str(inv.id), fmt)


def test_a_printed_dossier_can_no_longer_go_to_the_kiosk_but_can_be_printed_again(client, kiosk, db_session, officer):
    inv = kiosk["inv"]
    first = _token(_print(client, inv))
    assert client.post("/kiosk/handoff", data={"invitation_id": inv.id}, follow_redirects=True).status_code == 200
    assert db_session.scalar(select(KioskHandoff).where(KioskHandoff.invitation_id == inv.id)) is None
    page = client.get("/kiosk/handoff").get_data(as_text=True)
    assert "Phiếu đã in, người dân chưa mở" in page and "In lại phiếu A6" in page
    second = _token(_print(client, inv, "80mm"))  # the paper jammed
    assert second != first
    assert client.get(f"/s/{first}").status_code == 404  # the jammed slip's link is dead
    assert client.get(f"/s/{second}").status_code == 200
    # Once the citizen opened it, nobody at the counter can re-key it.
    assert "In lại phiếu" not in client.get("/kiosk/handoff").get_data(as_text=True)
    refused = _print(client, inv, "a6")
    assert refused.status_code == 302 and client.get(f"/s/{second}").status_code == 200


def test_printing_releases_a_waiting_hand_off_and_is_refused_while_one_is_answered(client, kiosk, db_session, officer):
    inv = kiosk["inv"]
    handoff_invitation(db_session, inv, kiosk["reg"]["point"].id)
    db_session.commit()
    assert client.post("/kiosk/api/start", headers=kiosk["headers"]).json["mode"] == "kiosk"
    refused = _print(client, inv)
    assert refused.status_code == 302
    assert "đang đánh giá hồ sơ này trên kiosk" in client.get(refused.headers["Location"]).get_data(as_text=True)
    handoff = db_session.scalar(select(KioskHandoff).where(KioskHandoff.invitation_id == inv.id))
    client.post("/kiosk/api/handoff/return", json={"handoff_id": handoff.id}, headers=kiosk["headers"])
    _token(_print(client, inv))
    db_session.refresh(handoff)
    assert (handoff.state, handoff.released_by_id) == (HandoffState.RELEASED, officer.id)
    assert client.post("/kiosk/api/start", headers=kiosk["headers"]).json == {"mode": "walkup"}


def test_old_dossiers_other_counters_and_bad_formats_print_nothing(client, kiosk, db_session, officer):
    from tests.respond.factories import add_invitation, add_registry

    inv = kiosk["inv"]
    inv.dossier.completed_at = utcnow() - timedelta(hours=3)
    db_session.commit()
    old = _print(client, inv)
    assert old.status_code == 302 and "Không thể in phiếu" in client.get(old.headers["Location"]).get_data(as_text=True)
    other_reg = add_registry(db_session)
    other, _t = add_invitation(db_session, kiosk["wave"], other_reg)
    db_session.commit()
    assert _print(client, other).status_code == 404
    assert _print(client, inv, "a4").status_code == 400
    db_session.refresh(inv)
    assert inv.delivered_at is None
