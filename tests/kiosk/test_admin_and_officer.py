"""Administrators register and revoke kiosks (web and CLI); officers hand results over to the kiosk."""
from __future__ import annotations

import re
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from survey.models import AuditLog, Device, KioskHandoff, User
from survey.services.kiosk import devices
from survey.services.kiosk.handoff import handoff_invitation


def _sign_in(client, db_session, role, **scope):
    user = User(username=f"{role}-{len(scope)}-x", password_hash="!", role=role, **scope)
    db_session.add(user)
    db_session.commit()
    with client.session_transaction() as s:
        s["_user_id"] = str(user.id)
        s["_fresh"] = True
    return user


def test_devices_page_is_for_administrators_only(client, kiosk, db_session):
    assert client.get("/admin/devices").status_code in (302, 401)  # anonymous: sign in first
    _sign_in(client, db_session, "analyst")
    assert client.get("/admin/devices").status_code == 403


def test_admin_registers_a_device_and_sees_the_code_once_with_qr(client, kiosk, db_session):
    _sign_in(client, db_session, "admin")
    point = kiosk["reg"]["point"]
    form = client.get("/admin/devices").get_data(as_text=True)
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', form).group(1)
    posted = {"service_point_id": point.id, "label": "Kiosk quầy 7", "nonce": nonce}
    page = client.post("/admin/devices", data=posted)
    assert page.status_code == 201 and page.headers["Cache-Control"] == "no-store"
    body = page.get_data(as_text=True)
    code = re.search(r"<code>([A-Z0-9-]+)</code>", body).group(1)
    assert "<svg" in body and "/kiosk/enrol?code=" + code.replace("-", "") in body
    device = db_session.scalar(select(Device).where(Device.label == "Kiosk quầy 7"))
    # The code travels in that answer only: not in the session cookie, not on the device's page.
    with client.session_transaction() as cookie_session:
        assert code.replace("-", "") not in repr(dict(cookie_session)) and code not in repr(dict(cookie_session))
    assert "<svg" not in client.get(f"/admin/devices/{device.id}/code").get_data(as_text=True)
    # Reloading the answer posts the same form again: no second tablet, back to the list.
    again = client.post("/admin/devices", data=posted)
    assert again.status_code == 302 and again.headers["Location"].endswith("/admin/devices")
    assert len(db_session.scalars(select(Device).where(Device.label == "Kiosk quầy 7")).all()) == 1
    assert devices.enrol(db_session, code)[0].id == device.id
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "device.create",
                                                    AuditLog.target_id == str(device.id))) is not None


def test_a_new_code_replaces_the_old_one_and_is_shown_in_the_answer(client, kiosk, db_session):
    _sign_in(client, db_session, "admin")
    device, first = devices.create_device(db_session, kiosk["reg"]["point"], "Kiosk quầy 8")
    db_session.flush()
    page = client.post(f"/admin/devices/{device.id}/code")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    code = re.search(r"<code>([A-Z0-9-]+)</code>", page.get_data(as_text=True)).group(1)
    with pytest.raises(devices.EnrolmentError):
        devices.enrol(db_session, first)  # the replaced code no longer works
    assert devices.enrol(db_session, code)[0].id == device.id


def test_devices_page_lists_last_seen_and_queue(client, kiosk, db_session):
    _sign_in(client, db_session, "admin")
    devices.heartbeat(kiosk["device"], 4)
    db_session.commit()
    body = client.get("/admin/devices").get_data(as_text=True)
    row = body.split(f'data-device="{kiosk["device"].id}"', 1)[1].split("</tr>", 1)[0]
    assert "Đang hoạt động" in row and '<td class="num">4</td>' in row
    local = kiosk["device"].last_seen_at.replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.strftime("%d/%m/%Y %H:%M") in row  # shown in the province's time zone
    assert "data-unsaved" not in row


def test_devices_page_warns_of_answers_a_tablet_holds_only_in_memory(client, kiosk, db_session):
    _sign_in(client, db_session, "admin")
    devices.heartbeat(kiosk["device"], 4, 3)
    db_session.commit()
    body = client.get("/admin/devices").get_data(as_text=True)
    row = body.split(f'data-device="{kiosk["device"].id}"', 1)[1].split("</tr>", 1)[0]
    assert "bộ nhớ máy đầy: 3 đánh giá chỉ giữ tạm" in row


def test_invalid_device_form_is_explained(client, kiosk, db_session):
    _sign_in(client, db_session, "admin")
    resp = client.post("/admin/devices", data={"service_point_id": kiosk["reg"]["point"].id, "label": ""})
    assert resp.status_code == 422 and "error-text" in resp.get_data(as_text=True)


def test_admin_revokes_a_device(client, kiosk, db_session):
    _sign_in(client, db_session, "admin")
    device = kiosk["device"]
    assert client.post(f"/admin/devices/{device.id}/revoke").status_code == 302
    db_session.refresh(device)
    assert device.active is False and device.secret_hash is None
    assert client.post("/kiosk/api/heartbeat", json={}, headers=kiosk["headers"]).status_code == 401


def test_cli_enrol_prints_a_working_code(runner, kiosk, db_session):
    result = runner.invoke(args=["device", "enrol", "--service-point", kiosk["reg"]["point"].code,
                                 "--label", "Kiosk CLI"])
    assert result.exit_code == 0, result.output
    code = re.search(r"một lần\): ([A-Z0-9-]+)", result.output).group(1)
    assert "/kiosk/enrol?code=" in result.output
    device, credential = devices.enrol(db_session, code)
    assert device.label == "Kiosk CLI" and credential
    listing = runner.invoke(args=["device", "list"])
    assert "Kiosk CLI" in listing.output and listing.exit_code == 0 and "bộ nhớ máy đầy" not in listing.output
    devices.heartbeat(device, 6, 2)
    db_session.flush()
    line = [ln for ln in runner.invoke(args=["device", "list"]).output.splitlines() if "Kiosk CLI" in ln][0]
    assert line.endswith("Kiosk CLI  [bộ nhớ máy đầy: 2 đánh giá chỉ giữ tạm]")
    assert runner.invoke(args=["device", "revoke", str(device.id)]).exit_code == 0
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "device.revoke", AuditLog.actor == "cli"))


def test_cli_refuses_an_unknown_service_point(runner, kiosk):
    result = runner.invoke(args=["device", "enrol", "--service-point", "NOPE"])
    assert result.exit_code != 0 and "NOPE" in result.output
    assert "--service-point" in runner.invoke(args=["device", "enrol", "--help"]).output


def test_officer_sees_own_counter_and_hands_off(client, kiosk, db_session):
    point = kiosk["reg"]["point"]
    _sign_in(client, db_session, "officer", service_point_id=point.id)
    page = client.get("/kiosk/handoff").get_data(as_text=True)
    assert kiosk["inv"].dossier.external_id in page
    resp = client.post("/kiosk/handoff", data={"invitation_id": kiosk["inv"].id})
    assert resp.status_code == 302
    handoff = db_session.scalar(select(KioskHandoff).where(KioskHandoff.invitation_id == kiosk["inv"].id))
    assert handoff is not None and handoff.service_point_id == point.id and handoff.consumed_at is None
    assert "Đang chờ người dân" in client.get("/kiosk/handoff").get_data(as_text=True)
    start = client.post("/kiosk/api/start", headers=kiosk["headers"]).json
    assert start["mode"] == "kiosk"


def test_officer_forms_with_ids_no_column_can_hold_are_refused(client, kiosk, db_session):
    _sign_in(client, db_session, "officer", service_point_id=kiosk["reg"]["point"].id)
    assert client.post("/kiosk/handoff", data={"invitation_id": 2**40}).status_code == 400  # was a 500
    assert client.post("/kiosk/handoff/cancel", data={"handoff_id": 2**40}).status_code == 400
    assert db_session.scalar(select(KioskHandoff.id)) is None


def test_officer_cannot_hand_off_another_counters_invitation(client, kiosk, db_session):
    from tests.respond.factories import add_registry

    other = add_registry(db_session)["point"]
    _sign_in(client, db_session, "officer", service_point_id=other.id)
    assert kiosk["inv"].dossier.external_id not in client.get("/kiosk/handoff").get_data(as_text=True)
    assert client.post("/kiosk/handoff", data={"invitation_id": kiosk["inv"].id}).status_code == 404


def test_officer_search_and_cancel(client, kiosk, db_session):
    point = kiosk["reg"]["point"]
    _sign_in(client, db_session, "officer", service_point_id=point.id)
    ext = kiosk["inv"].dossier.external_id
    assert ext in client.get("/kiosk/handoff?q=" + ext[:6]).get_data(as_text=True)
    assert "Không có hồ sơ nào khớp" in client.get("/kiosk/handoff?q=zzzz-none").get_data(as_text=True)
    handoff = handoff_invitation(db_session, kiosk["inv"], point.id)
    db_session.commit()
    assert client.post("/kiosk/handoff/cancel", data={"handoff_id": handoff.id}).status_code == 302
    assert client.post("/kiosk/api/start", headers=kiosk["headers"]).json == {"mode": "walkup"}


def test_handoff_page_refuses_analysts_and_needs_csrf(client, kiosk, db_session, csrf_enabled):
    _sign_in(client, db_session, "officer", service_point_id=kiosk["reg"]["point"].id)
    assert client.post("/kiosk/handoff", data={"invitation_id": kiosk["inv"].id}).status_code == 400
    with client.session_transaction() as s:
        s.clear()
    _sign_in(client, db_session, "analyst")
    assert client.get("/kiosk/handoff").status_code == 403


def test_stale_handoff_is_not_given_to_a_later_citizen(client, kiosk, db_session):
    from datetime import timedelta

    handoff = handoff_invitation(db_session, kiosk["inv"], kiosk["reg"]["point"].id)
    handoff.state_at -= timedelta(minutes=16)
    db_session.commit()
    assert client.post("/kiosk/api/start", headers=kiosk["headers"]).json == {"mode": "walkup"}


def test_answered_invitation_cannot_be_handed_off(kiosk, db_session):
    import pytest

    from survey.services.kiosk.handoff import HandoffError

    kiosk["inv"].status = "completed"
    with pytest.raises(HandoffError):
        handoff_invitation(db_session, kiosk["inv"], kiosk["reg"]["point"].id)
