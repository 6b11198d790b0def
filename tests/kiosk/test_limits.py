"""Request sizes (the kiosk's and the site's), short error answers, and enrolment throttling per address."""
from __future__ import annotations

import io
import json
import pathlib
import time

import pytest
import yaml
from sqlalchemy import func, select

from survey.config import load_config
from survey.models import Response
from survey.services.intake.records import FIELDS, MAX_LEN
from survey.services.kiosk import devices
from survey.services.questionnaires.bank import answer_codes, iter_questions
from survey.services.respond.answers import DEFAULT_TEXT_MAX, OTHER_TEXT_MAX
from survey.services.respond.responses import MAX_LISTED_ERRORS
from tests.kiosk.conftest import submission

BANK = pathlib.Path(__file__).resolve().parents[2] / "questionnaires"
WIDE = "ệ"  # escaped as \u1ec7 by an ASCII-only JSON encoder: six bytes for one character


def _count(db_session):
    return db_session.scalar(select(func.count()).select_from(Response))


def test_a_kiosk_body_over_the_limit_is_refused_unread_with_a_short_answer(app, client, kiosk, db_session):
    limit = app.config["KIOSK_MAX_CONTENT_LENGTH"]
    body = submission(kiosk["quick"], {"QK1": 3}, other={"X%d" % i: "y" * 40 for i in range(limit // 40)})
    data = json.dumps(body).encode()
    assert len(data) > limit
    started = time.perf_counter()
    resp = client.post("/kiosk/api/responses", data=data, content_type="application/json")  # no credential either
    assert resp.status_code == 413 and resp.json["code"] == 413 and "KB" in resp.json["message"]
    assert len(resp.data) < 1000 and time.perf_counter() - started < 1
    assert _count(db_session) == 0


def test_a_kiosk_body_without_a_length_stops_being_read_at_the_limit(app, client, kiosk, db_session):
    limit = app.config["KIOSK_MAX_CONTENT_LENGTH"]
    data = json.dumps(submission(kiosk["quick"], {"QK1": 3}, other={"X": "y" * (limit + 10)})).encode()
    resp = client.post("/kiosk/api/responses", input_stream=io.BytesIO(data), content_type="application/json",
                       headers=kiosk["headers"], environ_overrides={"wsgi.input_terminated": True})
    assert resp.status_code == 413 and _count(db_session) == 0


def test_the_kiosk_limit_is_configurable(app, client, kiosk):
    body = submission(kiosk["quick"], {"QK1": 3})
    kept = app.config["KIOSK_MAX_CONTENT_LENGTH"]
    app.config["KIOSK_MAX_CONTENT_LENGTH"] = 100
    try:
        assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 413
    finally:
        app.config["KIOSK_MAX_CONTENT_LENGTH"] = kept
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201


def test_the_largest_legitimate_kiosk_body_of_every_bank_questionnaire_fits_with_room(tmp_path):
    limit = load_config(str(tmp_path))["KIOSK_MAX_CONTENT_LENGTH"]
    sizes = {}
    for path in sorted(BANK.glob("*.yaml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        answers, other = {}, {}
        for q in iter_questions(content):
            codes = [c["code"] for c in answer_codes(content, q)] if q.get("type") in ("scale", "single",
                                                                                        "multiple") else []
            if q.get("type") == "multiple":
                answers[q["code"]] = codes
            elif codes:
                answers[q["code"]] = max(codes)
            elif q.get("type") == "text":
                answers[q["code"]] = WIDE * int(q.get("max_length") or DEFAULT_TEXT_MAX)
            else:
                answers[q["code"]] = -(2 ** 31)
            if q.get("other_text") is not None:
                other[q["code"]] = WIDE * int(q.get("max_length") or OTHER_TEXT_MAX)
        body = {"uuid": "0" * 36, "version_id": 2 ** 31, "content_hash": "f" * 64, "answers": answers,
                "other": other, "language": "vi", "partial": False, "handoff_id": 2 ** 31,
                "started_at": "2025-01-01T00:00:00.000Z", "client_submitted_at": "2025-01-01T00:00:00.000Z"}
        sizes[path.name] = len(json.dumps(body, ensure_ascii=True))
    assert len(sizes) >= 4 and max(sizes.values()) * 4 < limit, sizes


def test_the_largest_legitimate_intake_batch_fits_the_site_wide_limit(tmp_path):
    defaults = load_config(str(tmp_path))  # what a deployment gets without settings
    wide = {name: WIDE * MAX_LEN.get(name, 64) for name in FIELDS}
    wide.update(received_at="2025-05-02T08:10:00.000000+07:00", due_at="2025-05-16T23:59:59.000000+07:00",
                completed_at="2025-05-15T15:30:00.000000+07:00", channel="in_person", outcome="withdrawn",
                kiosk_handoff=False)
    batch = json.dumps({"dossiers": [wide] * defaults["INTAKE_MAX_BATCH"]}, ensure_ascii=True, indent=2)
    assert len(batch) < defaults["MAX_CONTENT_LENGTH"] <= 8 * 1024 * 1024


def test_a_page_form_over_the_site_wide_limit_is_refused(app, client):
    big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    resp = client.post("/auth/login", data={"username": "a", "password": big})
    assert resp.status_code == 413


def test_an_error_answer_lists_the_first_errors_and_counts_them_all(client, kiosk, db_session):
    answers = {"QK1": 3, **{"NOPE%d" % i: 1 for i in range(500)}}
    resp = client.post("/kiosk/api/responses", json=submission(kiosk["quick"], answers), headers=kiosk["headers"])
    assert resp.status_code == 422 and resp.json["error"] == "invalid_answers"
    assert resp.json["error_count"] == 500 and len(resp.json["errors"]) == MAX_LISTED_ERRORS
    assert len(resp.data) < 20_000
    few = client.post("/kiosk/api/responses", json=submission(kiosk["quick"], {}), headers=kiosk["headers"])
    assert few.json["error_count"] == len(few.json["errors"]) == 1


# --- enrolment -----------------------------------------------------------------------------------

def _attempt(client, address, code="WRONGCODE1"):
    return client.post("/kiosk/enrol", data={"code": code}, environ_base={"REMOTE_ADDR": address}).status_code


@pytest.fixture
def limits(app):
    app.config["RATE_LIMITS"] = {"enrol_address": (2, 0.001), "enrol": (3, 0.001)}
    yield
    app.config.pop("RATE_LIMITS")


def test_one_address_cannot_use_up_the_site_wide_enrolment_allowance(client, kiosk, limits):
    assert [_attempt(client, "203.0.113.9") for _ in range(6)] == [422, 422, 429, 429, 429, 429]
    # Its refused attempts took nothing from the site-wide bucket: another address still gets its turn.
    assert _attempt(client, "198.51.100.7") == 422


def test_many_addresses_still_meet_the_site_wide_limit(client, kiosk, limits):
    assert [_attempt(client, "192.0.2.%d" % i) for i in range(5)] == [422, 422, 422, 429, 429]


def test_a_successful_enrolment_does_not_use_up_the_allowance(client, kiosk, db_session, limits):
    address = "203.0.113.10"
    assert _attempt(client, address) == 422  # one of this address's two attempts used
    for label in ("Kiosk 1", "Kiosk 2", "Kiosk 3"):  # a room of tablets enrolled from one office
        _device, code = devices.create_device(db_session, kiosk["reg"]["point"], label)
        db_session.commit()
        assert _attempt(client, address, code) == 200
    assert _attempt(client, address) == 422  # still allowed: the successes cost nothing
