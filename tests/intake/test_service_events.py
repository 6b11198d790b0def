"""Service events (issue 22): hospital visits and school enrolments taken like dossiers, per record.

The unit is a hospital or a school (agencies of level health_facility / school under their managing
agency); keys scoped to the managing agency cover them; batches are idempotent; phones are kept apart.
"""
from __future__ import annotations

import csv

import jsonschema
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from survey.extensions import db
from survey.models import (
    Agency,
    AuditLog,
    Dossier,
    DossierContact,
    Invitation,
    KioskHandoff,
    Sector,
    ServicePoint,
)
from survey.services.intake import apikeys
from survey.services.intake.events import EVENT_FIELDS, EVENT_REQUIRED
from survey.services.intake.scopes import Scope
from survey.services.sampling import privacy, waves
from survey.web.api.openapi import openapi_spec
from tests.sampling.factories import make_key, make_version, make_wave


@pytest.fixture
def units(db_session, reg):
    """A department of health with a hospital (and its discharge desk), a commune with a school."""
    health = Agency(code="SO-YTE", name_vi="Sở Y tế", level="department")
    commune = Agency(code="XA-A", name_vi="Xã A", level="commune", official_code="18652")
    db_session.add_all([health, commune, Sector(code="health", name_vi="Y tế"),
                        Sector(code="education", name_vi="Giáo dục")])
    db_session.flush()
    hospital = Agency(code="BV-HT", name_vi="Bệnh viện Đa khoa", level="health_facility", parent_id=health.id)
    school = Agency(code="TH-A", name_vi="Trường Tiểu học A", level="school", parent_id=commune.id)
    db_session.add_all([hospital, school])
    db_session.flush()
    desk = ServicePoint(code="BV-HT-RAVIEN", name_vi="Quầy ra viện", kind="agency_counter", agency_id=hospital.id)
    db_session.add(desk)
    db_session.flush()
    return {"health": health, "commune": commune, "hospital": hospital, "school": school, "desk": desk}


@pytest.fixture
def key(db_session, units, source):
    """A whole-province key of the source 'motcua'."""
    return make_key(db_session, source)


def visit(ext: str, **over) -> dict:
    """A valid inpatient discharge of the hospital BV-HT."""
    rec = {"external_id": ext, "kind": "hospital_visit", "unit_code": "BV-HT", "event_type": "inpatient",
           "department": "Khoa Nội", "service_point_code": "BV-HT-RAVIEN", "started_at": "2025-05-02T08:00:00+07:00",
           "ended_at": "2025-05-10T10:00:00+07:00"}
    rec.update(over)
    return {k: v for k, v in rec.items() if v is not None}


def enrolment(ext: str, **over) -> dict:
    """A valid primary-school enrolment at TH-A."""
    rec = {"external_id": ext, "kind": "school_enrolment", "unit_code": "TH-A", "event_type": "primary",
           "class": "3A", "started_at": "2025-05-05", "phone": "0912 345 678", "citizen_area_code": "18652"}
    rec.update(over)
    return {k: v for k, v in rec.items() if v is not None}


def post(client, key, events, **headers):
    return client.post("/api/v1/service-events", json={"events": events},
                       headers={"Authorization": f"Bearer {key}", **headers})


def event(session, external_id) -> Dossier | None:
    return session.scalar(select(Dossier).where(Dossier.external_id == external_id))


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_hospital_visit_and_a_school_enrolment_are_stored_with_their_unit_type_and_dates(
        client, db_session, units, key):
    body = post(client, key, [visit("BA-1"), enrolment("HS-TH-1")]).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "stored"], body
    v, e = event(db_session, "BA-1"), event(db_session, "HS-TH-1")
    assert (v.kind, v.event_type, v.unit_department, v.agency_id, v.service_point_id, v.sector.code) == (
        "hospital_visit", "inpatient", "Khoa Nội", units["hospital"].id, units["desk"].id, "health")
    assert (v.received_at.isoformat(), v.completed_at.isoformat(), v.outcome) == (
        "2025-05-02T01:00:00", "2025-05-10T03:00:00", "approved")  # admission, discharge; served by default
    assert (e.kind, e.event_type, e.unit_department, e.agency_id, e.sector.code, e.citizen_area_code) == (
        "school_enrolment", "primary", "3A", units["school"].id, "education", "18652")
    assert e.completed_at == e.received_at  # one date: the enrolment's
    assert (e.procedure_id, e.due_at, e.on_time, e.channel) == (None, None, None, "in_person")


@pytest.mark.parametrize("bad, code, field", [
    (visit("X", unit_code="NOPE"), "unknown_unit", "unit_code"),
    (visit("X", unit_code="TH-A"), "unknown_unit", "unit_code"),            # a school is no hospital
    (visit("X", unit_code="SO-YTE"), "unknown_unit", "unit_code"),          # nor is its managing department
    (visit("X", event_type="primary"), "bad_event_type", "event_type"),     # another kind's type
    (enrolment("X", event_type="inpatient"), "bad_event_type", "event_type"),
    (visit("X", kind="dossier"), "bad_kind", "kind"),
    (visit("X", event_type=None), "missing_field", "event_type"),
    (visit("X", citizen_area_code="12345"), "bad_area_code", "citizen_area_code"),
    (visit("X", ended_at="2025-05-01"), "completed_before_received", "ended_at"),
    (visit("X", service_point_code="NOPE"), "unknown_service_point", "service_point_code"),
    (enrolment("X", department="3B"), "alias_mismatch", "class"),
    (visit("X", started_at="hôm qua"), "bad_date", "started_at"),
])
def test_a_bad_record_is_refused_with_its_reason_and_the_good_ones_are_stored(
        client, db_session, units, key, bad, code, field):
    before = (count(db_session, Dossier), count(db_session, DossierContact))
    body = post(client, key, [visit("OK-1"), bad, enrolment("OK-2")]).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "rejected", "stored"]
    assert [(e["code"], e["field"]) for e in body["results"][1]["errors"]] == [(code, field)]
    assert body["results"][1]["errors"][0]["message"]  # a Vietnamese sentence
    assert event(db_session, "X") is None
    assert (count(db_session, Dossier), count(db_session, DossierContact)) == (before[0] + 2, before[1] + 1)


def test_a_key_of_the_managing_agency_covers_its_hospital_and_nothing_else(client, db_session, units, source):
    scoped = apikeys.create_key(db_session, source, [Scope(agency_id=units["health"].id)])[1]
    body = post(client, scoped, [visit("BA-1"), enrolment("HS-1")]).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "rejected"]
    assert [(e["code"], e["field"]) for e in body["results"][1]["errors"]] == [("out_of_scope", "agency")]
    assert event(db_session, "HS-1") is None


def test_a_resent_batch_gets_its_first_answer_and_stores_nothing_more(client, db_session, units, key):
    first = post(client, key, [visit("BA-1"), enrolment("HS-1")], **{"Idempotency-Key": "lot-1"})
    snapshot = (count(db_session, Dossier), count(db_session, DossierContact))
    again = post(client, key, [visit("BA-1"), enrolment("HS-1")], **{"Idempotency-Key": "lot-1"})
    other = post(client, key, [visit("BA-2")], **{"Idempotency-Key": "lot-1"})
    resent = post(client, key, [visit("BA-1", department="Khoa Ngoại")])  # same id, other content
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert resent.get_json()["results"][0]["errors"][0]["code"] == "conflict"
    assert (count(db_session, Dossier), count(db_session, DossierContact)) == snapshot
    assert event(db_session, "BA-1").unit_department == "Khoa Nội"


def test_the_same_records_sent_to_dossiers_are_not_answered_from_the_events_call(client, db_session, units, key):
    events = post(client, key, [visit("BA-1")]).get_json()
    as_dossiers = client.post("/api/v1/dossiers", json={"dossiers": [visit("BA-1")]},
                              headers={"Authorization": f"Bearer {key}"})
    assert events["results"][0]["status"] == "stored"
    assert "Idempotent-Replayed" not in as_dossiers.headers
    assert as_dossiers.get_json()["results"][0]["status"] == "rejected"  # not a dossier: no agency, no channel


def test_the_phone_is_kept_apart_and_purged_with_the_waves_contacts(client, db_session, units, key):
    version = make_version(db_session, instrument="education-primary")
    wave = make_wave(db_session, version, fixed_pi=1.0)
    waves.launch(db_session, wave)
    body = post(client, key, [enrolment("HS-1")]).get_json()
    e = event(db_session, "HS-1")
    assert body["invited"] == 1, body
    assert "0912" not in repr({c.name: getattr(e, c.name) for c in Dossier.__table__.columns})
    assert db_session.scalar(select(DossierContact.phone).where(DossierContact.dossier_id == e.id)) == "0912345678"
    inv = db_session.scalar(select(Invitation).where(Invitation.dossier_id == e.id))
    assert (inv.agency_id, inv.event_type) == (units["school"].id, "primary")
    assert privacy.purge_contacts(db_session, wave) == 1
    assert db_session.scalar(select(DossierContact).where(DossierContact.dossier_id == e.id)) is None


def test_a_discharge_handed_to_the_desks_kiosk_waits_there_for_the_patient(client, db_session, units, key):
    waves.launch(db_session, make_wave(db_session, make_version(db_session, instrument="health-inpatient"),
                                       fixed_pi=1.0))
    body = post(client, key, [visit("BA-1", kiosk_handoff=True), visit("BA-2", event_type="outpatient")]).get_json()
    assert [len(r["invitations"]) for r in body["results"]] == [1, 0]  # an inpatient wave: outpatients are not its
    assert body["results"][0]["invitations"][0]["kiosk_handoff"] is True
    handoff = db_session.scalar(select(KioskHandoff))
    assert (handoff.service_point_id, handoff.invitation.dossier.external_id) == (units["desk"].id, "BA-1")


def test_the_api_description_lists_the_endpoint_and_its_fields(client, db_session, units, key):
    spec = openapi_spec()
    schema = spec["components"]["schemas"]["ServiceEvent"]
    assert spec["paths"]["/service-events"]["post"]["operationId"] == "postServiceEvents"
    assert set(schema["properties"]) == set(EVENT_FIELDS) and schema["required"] == list(EVENT_REQUIRED)
    assert set(schema["properties"]["event_type"]["enum"]) == {"inpatient", "outpatient", "preschool", "primary",
                                                               "secondary"}
    root = {"components": spec["components"]}
    body = post(client, key, [visit("BA-1"), visit("X", unit_code="NOPE")]).get_json()
    jsonschema.Draft202012Validator({**root, "$ref": "#/components/schemas/BatchResult"}).validate(body)
    jsonschema.Draft202012Validator({**root, "$ref": "#/components/schemas/EventBatch"}).validate(
        {"events": [visit("BA-1"), enrolment("HS-1")]})
    slip = spec["paths"]["/invitations/{token}/slip"]["get"]["responses"]
    assert set(slip["404"]["content"]) == set(slip["410"]["content"]) == {"text/html"}


def _set(session, table, row_id, **values):
    with session.begin_nested():
        session.execute(update(table).where(table.c.id == row_id).values(**values))


def test_the_database_keeps_an_event_type_to_its_kind(client, db_session, units, key):
    waves.launch(db_session, make_wave(db_session, make_version(db_session, instrument="health-inpatient"),
                                       fixed_pi=1.0))
    assert post(client, key, [visit("BA-1")]).get_json()["invited"] == 1
    table, row_id = db.metadata.tables["dossier"], event(db_session, "BA-1").id
    for kind, event_type in (("hospital_visit", "outpatient"), ("school_enrolment", "secondary"),
                             ("dossier", None)):
        _set(db_session, table, row_id, kind=kind, event_type=event_type)
    for kind, event_type, check in (("hospital_visit", "primary", "ck_dossier_event_type_fits_kind"),
                                    ("dossier", "inpatient", "ck_dossier_event_type_fits_kind"),
                                    ("hospital_visit", "surgery", "ck_dossier_event_type"),  # or _fits_kind
                                    ("clinic", None, "ck_dossier_kind")):
        with pytest.raises(IntegrityError, match=check):
            _set(db_session, table, row_id, kind=kind, event_type=event_type)
    invitation = db.metadata.tables["invitation"]
    with pytest.raises(IntegrityError, match="ck_invitation_event_type"):
        with db_session.begin_nested():
            db_session.execute(update(invitation).values(event_type="surgery"))


def test_a_csv_of_events_stores_the_good_rows_and_reports_the_bad_one_by_line(runner, db_session, units, source,
                                                                               tmp_path):
    path, errors = tmp_path / "events.csv", tmp_path / "errors.csv"
    rows = [visit("BA-1"), enrolment("HS-1"), visit("BA-2", event_type="primary"), visit("BA-1")]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=EVENT_FIELDS)
        writer.writeheader()
        writer.writerows({k: r.get(k, "") for k in EVENT_FIELDS} for r in rows)
    result = runner.invoke(args=["import", "events", str(path), "--source", "motcua", "--errors", str(errors),
                                 "--quiet"])
    assert result.exit_code == 1, result.output  # as the dossier import: good rows kept, exit 1 for the bad
    assert "Đã lưu 2, trùng không đổi 1, từ chối 1" in result.output
    assert "dòng 4 (BA-2): bad_event_type" in result.output
    assert {d.external_id: d.event_type for d in db_session.scalars(select(Dossier))} == {"BA-1": "inpatient",
                                                                                          "HS-1": "primary"}
    assert db_session.scalar(select(DossierContact.phone)) == "0912345678"
    with open(errors, encoding="utf-8-sig") as fh:
        assert [(r["line"], r["codes"]) for r in csv.DictReader(fh)] == [("4", "bad_event_type")]
    audit = db_session.scalar(select(AuditLog).where(AuditLog.action == "events.import"))
    assert audit is not None and audit.target_id == "motcua"


def test_a_csv_of_events_without_a_needed_column_is_refused_whole(runner, db_session, units, source, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("external_id,kind,started_at\nBA-1,hospital_visit,2025-05-02\n", encoding="utf-8")
    result = runner.invoke(args=["import", "events", str(path), "--source", "motcua", "--quiet"])
    assert result.exit_code != 0 and "unit_code" in result.output
    assert count(db_session, Dossier) == 0


def test_the_events_command_explains_itself():
    from survey.commands.events import import_events

    assert "hospital_visit" in import_events.help and "--errors" in [o for p in import_events.params
                                                                     for o in p.opts]
