"""Delivering hospital and school invitations: the discharge paper and the school's notice, the SMS to
the parent that never names the child, and the ward clerk's hand-off to the discharge-desk kiosk."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from survey.models import Invitation, KioskHandoff, Response, User
from survey.models._base import utcnow
from survey.models.fieldwork import InvitationChannel
from survey.models.response import ResponseMode
from survey.services.common.texts import is_gsm7, sms_segments, sms_units
from survey.services.sampling import invitations as inv_service
from survey.services.sampling import slips, waves
from survey.web.kiosk import api as kiosk_api
from survey.web.kiosk import auth as kiosk_auth
from survey.web.limits import limiter
from tests.respond import factories as rf
from tests.sampling import events, factories

LONG_SCHOOL = "Trường Trung học cơ sở Nguyễn Tuấn Thiện – Phân hiệu xã Sơn Kim Một"


@pytest.fixture(autouse=True)
def _fresh_kiosk_state():
    limiter.reset()
    kiosk_api._versions.clear()  # ids are reused across rolled-back tests
    kiosk_auth._known.clear()
    yield
    limiter.reset()
    kiosk_api._versions.clear()
    kiosk_auth._known.clear()


@pytest.fixture
def hospital(db_session, reg, source):
    """A hospital with its discharge desk, a running inpatient wave on the bank's instrument (π = 1) and a
    patient discharged at the desk two minutes ago, invited on arrival."""
    units = events.make_units(db_session, reg)
    version = rf.add_version(db_session, (events.BANK / "health-inpatient.yaml").read_text(encoding="utf-8"))
    today = date.today()
    wave = factories.make_wave(db_session, version, start=today - timedelta(days=20), end=today + timedelta(days=20),
                               code="NOITRU", fixed_pi=1.0)
    waves.launch(db_session, wave)
    now = utcnow()
    events.add_event(db_session, source, "RV-0001", units["units"]["BV1"], units["sectors"]["health"], "inpatient",
                     now - timedelta(minutes=2), units["desk"], "Khoa Ngoại")
    db_session.flush()
    waves.launch(db_session, wave)  # catches up the new discharge
    inv = db_session.scalar(select(Invitation).where(Invitation.wave_id == wave.id))
    db_session.commit()
    return {**units, "wave": wave, "version": version, "inv": inv}


def test_the_ward_clerk_hands_the_discharge_to_the_desk_kiosk_and_the_patient_answers(client, db_session, hospital):
    desk = hospital["desk"]
    clerk = User(username="thu-ky-khoa", password_hash="!", role="officer", service_point_id=desk.id)
    db_session.add(clerk)
    device, credential = rf.add_device(db_session, desk)
    db_session.commit()
    factories.login(client, clerk)
    inv = hospital["inv"]
    assert inv.event_type == "inpatient" and inv.service_point_id == desk.id
    assert "RV-0001" in client.get("/kiosk/handoff").get_data(as_text=True)
    assert client.post("/kiosk/handoff", data={"invitation_id": inv.id}).status_code == 302
    handoff = db_session.scalar(select(KioskHandoff).where(KioskHandoff.invitation_id == inv.id))
    assert handoff.created_by_id == clerk.id and handoff.service_point_id == desk.id

    headers = {"X-Device-Credential": credential}
    start = client.post("/kiosk/api/start", headers=headers).json
    assert start["mode"] == "kiosk" and start["questionnaire"]["instrument"] == "health-inpatient"
    version = hospital["version"]
    body = {"uuid": str(uuid.uuid4()), "version_id": version.id, "content_hash": version.content_hash,
            "answers": {"RESP_TYPE": 1, "A1": 4, "A2": 5, "B1": 4, "C1": 5, "D1": 3, "E1": 4}, "other": {},
            "language": "vi", "partial": False, "handoff_id": start["handoff_id"]}
    assert client.post("/kiosk/api/responses", json=body, headers=headers).status_code == 201
    response = db_session.scalar(select(Response).where(Response.uuid == body["uuid"]))
    assert response.invitation_id == inv.id and response.probability_sample and response.mode == ResponseMode.KIOSK
    assert response.agency_id == hospital["units"]["BV1"].id and response.device_id == device.id
    db_session.refresh(inv)
    assert inv.status == "completed"


def _issued_items(db_session, hospital) -> list[dict]:
    issued = inv_service.rekey(db_session, [hospital["inv"]], channel=InvitationChannel.QR)
    return slips.build_items(db_session, issued, base="https://hailong.hatinh.gov.vn")


def test_the_discharge_paper_speaks_of_care_not_of_a_dossier(app, db_session, hospital):
    items = _issued_items(db_session, hospital)
    assert items[0]["variant"] == "discharge"
    with app.test_request_context():
        html = slips.render_slips(items, "a6")
    assert "về dịch vụ khám, chữa bệnh" in html and "Bệnh viện Đa khoa thử 1" in html
    assert "Nhân viên y tế không được xem" in html and "Hồ sơ của Ông/Bà" not in html
    assert items[0]["code"] in html  # the short code for those who cannot scan


def _school_item(agency: str = LONG_SCHOOL, base: str = "http://192.168.100.200:5101") -> dict:
    code = "W" * inv_service.CODE_LENGTH
    return {"invitation_id": 1, "phone": "0912345678", "agency": agency, "expires": "31/12/2026",
            "code": inv_service.display_code(code), "url": f"{base}/s/{'x' * 24}", "variant": "school",
            "short_url": inv_service.absolute_url(inv_service.code_url(code), base), "service_point": "",
            "wave": "Khảo sát phụ huynh 2025"}


def test_the_schools_notice_addresses_the_parent(app):
    with app.test_request_context():
        html = slips.render_slips([_school_item()], "a5")
    assert "Kính mời Quý phụ huynh" in html and "về dịch vụ giáo dục công" in html and LONG_SCHOOL in html
    assert "Thầy cô, nhà trường không được xem" in html and "Hồ sơ của Ông/Bà" not in html


@pytest.mark.parametrize("base", ["http://127.0.0.1:5000", "http://192.168.100.200:5101",
                                  "https://dichvucong.hatinh.gov.vn"])
def test_the_parents_sms_says_phu_huynh_em_and_fits_one_message(app, base):
    item = _school_item(base=base)
    with app.test_request_context():
        text = slips.sms_text(item, "Hà Tĩnh")
        plain = slips.sms_ascii(item, "Hà Tĩnh")
        versions = slips.sms_templates(item, "Hà Tĩnh")
    assert text.startswith("[Hà Tĩnh] Mời Phụ huynh em học sinh ") and LONG_SCHOOL in text
    assert all("Phụ huynh em" in v for v in versions)
    assert is_gsm7(plain) and sms_units(plain) <= 160 and sms_segments(plain) == 1
    assert "Phu huynh em hoc sinh" in plain and item["short_url"] in plain


def test_the_sms_file_of_a_hospital_wave_uses_the_patient_wording(app, db_session, hospital):
    from survey.models import DossierContact

    db_session.add(DossierContact(dossier_id=hospital["inv"].dossier_id, phone="0912345678"))
    db_session.flush()
    with app.test_request_context():
        rows = slips.sms_rows(_issued_items(db_session, hospital), "Hà Tĩnh")
    assert len(rows) == 1 and "dịch vụ khám, chữa bệnh" in rows[0]["message"]
    assert "dich vu kham, chua benh" in rows[0]["message_ascii"] and rows[0]["message_ascii_segments"] == 1


def test_a_procedure_waves_slip_keeps_its_wording(app, db_session, reg, source, version):
    wave = factories.make_wave(db_session, version, code="TTHC", fixed_pi=1.0)
    events.add_event(db_session, source, "HS-1", reg["agencies"]["AG1"], reg["sectors"]["land"], None,
                     factories.utc(2025, 5, 10, 3), reg["points"]["SP1"])
    db_session.flush()
    issued = waves.launch(db_session, wave)
    items = slips.build_items(db_session, issued, base="https://hailong.hatinh.gov.vn")
    with app.test_request_context():
        html = slips.render_slips(items, "a6")
        text = slips.sms_text(items[0], "Hà Tĩnh")
    assert items[0]["variant"] == "dossier" and "Hồ sơ của Ông/Bà tại Cơ quan AG1" in html
    assert "Phụ huynh" not in html and "Mời Ông/Bà đánh giá sự phục vụ của Cơ quan AG1" in text


def test_the_hospitals_software_hands_a_discharge_to_the_desk_kiosk_on_arrival(db_session, reg, source):
    from survey.services.intake.batch import ingest
    from survey.services.intake.events import validate_event

    units = events.make_units(db_session, reg)
    today = date.today()
    inpatient = factories.make_wave(db_session, rf.add_version(db_session, (events.BANK / "health-inpatient.yaml")
                                                               .read_text(encoding="utf-8")),
                                    start=today - timedelta(days=5), end=today + timedelta(days=5), code="NOITRU",
                                    fixed_pi=1.0)
    tthc = factories.make_wave(db_session, factories.make_version(db_session), start=today - timedelta(days=5),
                               end=today + timedelta(days=5), code="TTHC", fixed_pi=1.0)
    for w in (inpatient, tthc):
        waves.launch(db_session, w)
    discharged = (utcnow() - timedelta(minutes=3)).isoformat() + "+00:00"
    result = ingest(db_session, source, [{"external_id": "RV-77", "kind": "hospital_visit", "unit_code": "BV1",
                                          "event_type": "inpatient", "department": "Khoa Nội",
                                          "service_point_code": "BV1-RV", "started_at": discharged,
                                          "kiosk_handoff": True}], validator=validate_event)
    record = result.results[0]
    assert record.status == "stored" and [i["wave"] for i in record.invitations] == ["NOITRU"]
    assert record.invitations[0]["kiosk_handoff"] is True
    handoff = db_session.scalar(select(KioskHandoff).where(
        KioskHandoff.invitation_id == record.invitations[0]["invitation_id"]))
    assert handoff.service_point_id == units["desk"].id and handoff.state == "waiting"


def test_the_admin_pages_of_an_inpatient_wave_show_its_unit_type_strata(client, db_session, reg, source):
    units = events.make_units(db_session, reg)
    events.populate(db_session, source, reg, units, factories.utc(2025, 5, 10, 3))
    wave = factories.make_wave(db_session, events.version_for(db_session, "health-inpatient"), code="NOITRU")
    waves.launch(db_session, wave)
    factories.login(client, factories.make_admin(db_session))
    page = client.get(f"/admin/waves/{wave.id}")
    assert page.status_code == 200 and "BV1|inpatient" in page.get_data(as_text=True)
    assert client.get(f"/admin/waves/{wave.id}/audit").status_code == 200
    assert client.get(f"/admin/waves/{wave.id}/rates").status_code == 200
