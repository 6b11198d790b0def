"""Kiosk pages: enrolment by one-time code, the shell for an enrolled tablet, manifest, service worker."""
from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from survey.models import AuditLog, Device
from survey.models._base import utcnow
from survey.services.common.tokens import hash_token
from survey.services.kiosk import devices


def _new_code(db_session, point, hours=24):
    device, code = devices.create_device(db_session, point, "Kiosk quầy 1", hours)
    db_session.commit()
    return device, code


def test_enrolment_page_prefills_the_scanned_code(client, kiosk):
    body = client.get("/kiosk/enrol?code=ABCDE-FGHJK").get_data(as_text=True)
    assert 'value="ABCDE-FGHJK"' in body and "Đăng ký máy" in body


def test_enrolment_gives_a_long_credential_kept_only_as_a_hash(client, kiosk, db_session):
    device, code = _new_code(db_session, kiosk["reg"]["point"])
    typed = devices.format_code(code).lower()  # typed by hand: lower case, with the dash
    resp = client.post("/kiosk/enrol", data={"code": typed})
    assert resp.status_code == 200
    credential = re.search(r'data-credential="([^"]+)"', resp.get_data(as_text=True)).group(1)
    assert len(credential) >= 40
    cookie = resp.headers["Set-Cookie"]
    assert "hl_device=" + credential in cookie and "HttpOnly" in cookie and "Path=/kiosk" in cookie
    db_session.refresh(device)
    assert device.secret_hash == hash_token(credential) and device.enrolment_code_hash is None
    assert credential not in json.dumps([device.secret_hash, device.label])
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "device.enrolled",
                                                    AuditLog.target_id == str(device.id))) is not None
    # The code is single-use.
    again = client.post("/kiosk/enrol", data={"code": code})
    assert again.status_code == 422 and "không đúng hoặc đã được dùng" in again.get_data(as_text=True)


def test_expired_or_unknown_code_is_refused_with_a_reason(client, kiosk, db_session):
    device, code = _new_code(db_session, kiosk["reg"]["point"])
    device.enrolment_expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    resp = client.post("/kiosk/enrol", data={"code": code})
    assert resp.status_code == 422 and "hết hạn" in resp.get_data(as_text=True)
    resp = client.post("/kiosk/enrol", data={"code": "ZZZZZZZZZZ"})
    assert resp.status_code == 422
    assert client.post("/kiosk/enrol", data={"code": ""}).status_code == 422


def test_enrolment_attempts_are_rate_limited(app, client, kiosk):
    app.config["RATE_LIMITS"] = {"enrol": (2, 0.001)}
    try:
        codes = [client.post("/kiosk/enrol", data={"code": "WRONGCODE%d" % i}).status_code for i in range(3)]
    finally:
        app.config.pop("RATE_LIMITS")
    assert codes == [422, 422, 429]


def test_enrolment_form_needs_the_csrf_token(client, kiosk, db_session, csrf_enabled):
    _device, code = _new_code(db_session, kiosk["reg"]["point"])
    assert client.post("/kiosk/enrol", data={"code": code}).status_code == 400
    page = client.get("/kiosk/enrol").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/kiosk/enrol", data={"code": code, "csrf_token": token}).status_code == 200


def test_shell_needs_an_enrolled_device(client, kiosk):
    resp = client.get("/kiosk/")
    assert resp.status_code == 401 and "chưa được đăng ký" in resp.get_data(as_text=True)


def test_shell_shows_the_centre_and_carries_the_walkup_questionnaire(client, kiosk, app):
    client.set_cookie("hl_device", kiosk["credential"], path="/kiosk")
    resp = client.get("/kiosk/")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    config = json.loads(re.search(r'id="kiosk-config">(.*?)</script>', body, re.S).group(1))
    assert config["centre"]["vi"] == kiosk["reg"]["point"].name_vi
    assert config["walkup"]["instrument"] == "kiosk-quick"
    assert config["walkup"]["version_id"] == kiosk["quick"].id
    assert config["idle_seconds"] == app.config["KIOSK_IDLE_SECONDS"]
    assert config["strings"]["en"]["start"] and config["strings"]["vi"]["start"] == "Bắt đầu đánh giá"
    assert "<a " not in body  # no way out of the kiosk
    assert 'rel="manifest"' in body


def test_manifest_is_fullscreen_and_service_worker_is_scoped_to_the_kiosk(client, kiosk):
    manifest = client.get("/kiosk/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.json["display"] == "fullscreen" and manifest.json["start_url"] == "/kiosk/"
    sw = client.get("/kiosk/sw.js")
    assert sw.mimetype == "text/javascript" and sw.headers["Service-Worker-Allowed"] == "/kiosk/"
    assert "__VERSION__" not in sw.get_data(as_text=True)


def test_hello_renews_the_cookie_from_the_header(client, kiosk):
    resp = client.post("/kiosk/api/hello", headers=kiosk["headers"])
    assert resp.status_code == 200 and resp.json["device"] == kiosk["device"].id
    assert "hl_device=" + kiosk["credential"] in resp.headers["Set-Cookie"]


def test_ping_is_a_no_op(client):
    assert client.get("/kiosk/ping").json == {"ok": True}


def test_revoked_device_loses_the_shell(client, kiosk, db_session):
    devices.revoke(db_session, db_session.get(Device, kiosk["device"].id))
    db_session.commit()
    client.set_cookie("hl_device", kiosk["credential"], path="/kiosk")
    assert client.get("/kiosk/").status_code == 401
