"""Kiosk JSON API: device authentication, exactly-once storage, validation, rate limits, hand-offs."""
from __future__ import annotations

from sqlalchemy import func, select

from survey.models import Invitation, Response
from survey.services.kiosk.handoff import handoff_invitation
from tests.kiosk.conftest import submission


def _count(db_session, version):
    return db_session.scalar(select(func.count()).select_from(Response)
                             .where(Response.questionnaire_version_id == version.id))


def test_walkup_answer_is_stored_flagged_non_probability(client, kiosk, db_session):
    body = submission(kiosk["quick"], {"QK1": 3})
    resp = client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"])
    assert resp.status_code == 201 and resp.json["status"] == "stored"
    r = db_session.scalar(select(Response).where(Response.uuid == body["uuid"]))
    assert (r.mode, r.probability_sample, r.invitation_id, r.partial) == ("kiosk_walkup", False, None, False)
    assert r.device_id == kiosk["device"].id and r.service_point_id == kiosk["reg"]["point"].id
    assert [(a.item_code, a.value_int) for a in r.answers] == [("QK1", 3)]


def test_resending_the_same_uuid_stores_once(client, kiosk, db_session):
    body = submission(kiosk["quick"], {"QK1": 1, "QK2": [2, 9]}, other={"QK2": "Ồn ào"})
    first = client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"])
    again = client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["status"] == "duplicate"
    assert _count(db_session, kiosk["quick"]) == 1
    r = db_session.scalar(select(Response).where(Response.uuid == body["uuid"]))
    assert sorted((a.item_code, a.value_int, a.value_text) for a in r.answers) == [
        ("QK1", 1, None), ("QK2", 2, None), ("QK2", 9, "Ồn ào")]


def test_same_uuid_from_another_device_is_a_conflict(client, kiosk, db_session):
    from tests.respond.factories import add_device

    _other, other_cred = add_device(db_session, kiosk["reg"]["point"])
    db_session.commit()
    body = submission(kiosk["quick"], {"QK1": 2})
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201
    resp = client.post("/kiosk/api/responses", json=body, headers={"X-Device-Credential": other_cred})
    assert resp.status_code == 409 and resp.json["error"] == "uuid_conflict"


def test_unknown_item_out_of_scale_and_wrong_type_are_422_and_store_nothing(client, kiosk, db_session):
    v = kiosk["version"]
    cases = [({"ACC1": 4, "KQ1": 1, "NOPE": 1}, "NOPE", "unknown_item"),
             ({"ACC1": 9, "KQ1": 1}, "ACC1", "out_of_scale"),
             ({"ACC1": "4", "KQ1": 1}, "ACC1", "wrong_type"),
             ({"ACC1": 4, "KQ1": 3}, "KQ1", "invalid_option"),
             ({"ACC1": 4, "KQ1": 1, "CH": 1}, "CH", "wrong_type"),
             ({"ACC1": 4, "KQ1": 1, "AGE": 12}, "AGE", "too_small"),
             ({"ACC1": True, "KQ1": 1}, "ACC1", "wrong_type")]
    for answers, item, code in cases:
        resp = client.post("/kiosk/api/responses", json=submission(v, answers), headers=kiosk["headers"])
        assert resp.status_code == 422, answers
        assert resp.json["error"] == "invalid_answers"
        assert {"item": item, "code": code} in [{"item": e["item"], "code": e["code"]} for e in resp.json["errors"]]
        assert all(e["message"] for e in resp.json["errors"])
    assert _count(db_session, v) == 0


def test_missing_required_answer_respects_show_if(client, kiosk, db_session):
    v = kiosk["version"]
    resp = client.post("/kiosk/api/responses", json=submission(v, {"ACC1": 4}), headers=kiosk["headers"])
    assert resp.status_code == 422 and resp.json["errors"][0]["item"] == "KQ1"
    assert resp.json["errors"][0]["message"] == "Vui lòng trả lời câu hỏi này."
    resp = client.post("/kiosk/api/responses", json=submission(v, {"ACC1": 4, "KQ1": 2}), headers=kiosk["headers"])
    assert resp.status_code == 422 and {e["item"] for e in resp.json["errors"]} == {"KQ2", "LATE1"}
    ok = submission(v, {"ACC1": 4, "KQ1": 1, "KQ2": "ignored: not asked", "LATE1": 2})
    assert client.post("/kiosk/api/responses", json=ok, headers=kiosk["headers"]).status_code == 201
    r = db_session.scalar(select(Response).where(Response.uuid == ok["uuid"]))
    assert {a.item_code for a in r.answers} == {"ACC1", "KQ1"}


def test_text_too_long_is_refused(client, kiosk):
    answers = {"ACC1": 4, "KQ1": 2, "KQ2": "x" * 51, "LATE1": 3}
    resp = client.post("/kiosk/api/responses", json=submission(kiosk["version"], answers), headers=kiosk["headers"])
    assert resp.status_code == 422 and resp.json["errors"][0]["code"] == "too_long"
    assert "50" in resp.json["errors"][0]["message"]


def test_partial_on_timeout_skips_required_check_and_is_flagged(client, kiosk, db_session):
    body = submission(kiosk["version"], {"ACC1": 2}, partial=True)
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201
    assert db_session.scalar(select(Response.partial).where(Response.uuid == body["uuid"])) is True
    empty = submission(kiosk["version"], {}, partial=True)
    assert client.post("/kiosk/api/responses", json=empty, headers=kiosk["headers"]).status_code == 422


def test_heartbeat_and_submission_bodies_of_the_wrong_shape_are_a_400(client, kiosk):
    h = {**kiosk["headers"], "Content-Type": "application/json"}
    for body in ("[1]", '"x"', "5"):
        resp = client.post("/kiosk/api/heartbeat", data=body, headers=h)
        assert (resp.status_code, resp.json["error"]) == (400, "bad_json"), body
    deep = "[" * 5000 + "]" * 5000  # the JSON parser's recursion limit: was a 500
    assert client.post("/kiosk/api/responses", data=deep, headers=h).json["error"] == "bad_json"
    assert client.post("/kiosk/api/heartbeat", headers=kiosk["headers"]).status_code == 200  # no body: still alive


def test_a_start_time_the_tablet_cannot_have_known_is_stored_as_unknown(client, kiosk, db_session):
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00",
                   "2019-12-31T23:00:00Z"):
        body = submission(kiosk["quick"], {"QK1": 3}, started_at=moment)
        assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201, moment
        stored = db_session.scalar(select(Response).where(Response.uuid == body["uuid"]))
        assert stored.started_at is None, moment


def test_bad_payloads_get_clear_errors(client, kiosk):
    h = kiosk["headers"]
    assert client.post("/kiosk/api/responses", data="nope", headers=h).status_code == 400
    assert client.post("/kiosk/api/responses", json=[1], headers=h).json["error"] == "bad_json"
    resp = client.post("/kiosk/api/responses", json=submission(kiosk["quick"], {"QK1": 3}, version_id=999999),
                       headers=h)
    assert (resp.status_code, resp.json["error"]) == (422, "unknown_version")
    # Ids no integer column can hold were a 500 on both backends.
    for field, error in (("version_id", "unknown_version"), ("handoff_id", "unknown_handoff")):
        for value in (2**31, 2**70, 0, True):
            resp = client.post("/kiosk/api/responses", json=submission(kiosk["quick"], {"QK1": 3}, **{field: value}),
                               headers=h)
            assert (resp.status_code, resp.json["error"]) == (422, error), (field, value)
    resp = client.post("/kiosk/api/responses", json=submission(kiosk["quick"], {"QK1": 3}, content_hash="0" * 64),
                       headers=h)
    assert (resp.status_code, resp.json["error"]) == (422, "version_changed")
    resp = client.post("/kiosk/api/responses", json=submission(kiosk["quick"], {"QK1": 3}, uuid="123"), headers=h)
    assert (resp.status_code, resp.json["error"]) == (400, "bad_uuid")
    resp = client.post("/kiosk/api/responses", json={**submission(kiosk["quick"], {}), "answers": [3]}, headers=h)
    assert resp.status_code == 422 and resp.json["errors"][0]["code"] == "wrong_type"


def test_device_credential_is_required(client, kiosk):
    body = submission(kiosk["quick"], {"QK1": 3})
    assert client.post("/kiosk/api/responses", json=body).status_code == 401
    assert client.post("/kiosk/api/responses", json=body, headers={"X-Device-Credential": "x" * 43}).status_code == 401
    client.set_cookie("hl_device", kiosk["credential"], path="/kiosk")
    # The cookie alone could be sent by a cross-site form: refused without the X-Kiosk header.
    assert client.post("/kiosk/api/responses", json=body).status_code == 401
    assert client.post("/kiosk/api/responses", json=body, headers={"X-Kiosk": "1"}).status_code == 201


def test_revoked_device_is_refused_at_once(client, kiosk, db_session):
    from survey.services.kiosk.devices import revoke

    first = client.post("/kiosk/api/responses", json=submission(kiosk["quick"], {"QK1": 3}), headers=kiosk["headers"])
    assert first.status_code == 201  # the device is now known to this process
    revoke(db_session, kiosk["device"])
    db_session.commit()
    body = submission(kiosk["quick"], {"QK1": 3})
    resp = client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"])
    assert resp.status_code == 401 and resp.json["error"] == "not_enrolled"
    assert db_session.scalar(select(func.count()).select_from(Response).where(Response.uuid == body["uuid"])) == 0


def test_rate_limit_is_per_device_not_per_ip(app, client, kiosk, db_session):
    from tests.respond.factories import add_device

    _other, other_cred = add_device(db_session, kiosk["reg"]["point"])
    db_session.commit()
    app.config["RATE_LIMITS"] = {"device": (3, 0.001)}
    try:
        codes = [client.post("/kiosk/api/heartbeat", json={"queued": 0}, headers=kiosk["headers"]).status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.post("/kiosk/api/heartbeat", json={"queued": 0}, headers=kiosk["headers"])
        assert int(limited.headers["Retry-After"]) >= 1 and limited.json["error"] == "rate_limited"
        # Same address, another kiosk: not affected.
        assert client.post("/kiosk/api/heartbeat", json={"queued": 0},
                           headers={"X-Device-Credential": other_cred}).status_code == 200
    finally:
        app.config.pop("RATE_LIMITS")


def test_heartbeat_records_last_seen_and_queue(client, kiosk, db_session):
    device = kiosk["device"]
    device.last_seen_at = None
    db_session.commit()
    resp = client.post("/kiosk/api/heartbeat", json={"queued": 7}, headers=kiosk["headers"])
    assert resp.status_code == 200
    db_session.refresh(device)
    assert device.last_seen_at is not None and device.queued_reported == 7
    assert client.post("/kiosk/api/heartbeat", json={"queued": "7"}, headers=kiosk["headers"]).status_code == 400


def test_heartbeat_reports_answers_held_only_in_memory_within_the_queue(client, kiosk, db_session):
    device = kiosk["device"]
    assert client.post("/kiosk/api/heartbeat", json={"queued": 5, "unsaved": 2},
                       headers=kiosk["headers"]).status_code == 200
    db_session.refresh(device)
    assert (device.queued_reported, device.unsaved_reported) == (5, 2)
    # More unsaved than queued cannot be: capped at the queue; a later report of none clears it.
    client.post("/kiosk/api/heartbeat", json={"queued": 1, "unsaved": 9}, headers=kiosk["headers"])
    db_session.refresh(device)
    assert (device.queued_reported, device.unsaved_reported) == (1, 1)
    client.post("/kiosk/api/heartbeat", json={"queued": 0}, headers=kiosk["headers"])
    db_session.refresh(device)
    assert device.unsaved_reported == 0
    bad = client.post("/kiosk/api/heartbeat", json={"queued": 1, "unsaved": True}, headers=kiosk["headers"])
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_json"


def test_handoff_makes_the_next_start_answer_the_invitation(client, kiosk, db_session):
    from tests.respond.factories import add_device

    inv = kiosk["inv"]
    _other, other_cred = add_device(db_session, kiosk["reg"]["point"])
    handoff_invitation(db_session, inv, kiosk["reg"]["point"].id)
    db_session.commit()
    start = client.post("/kiosk/api/start", headers=kiosk["headers"])
    assert start.json["mode"] == "kiosk" and start.json["questionnaire"]["version_id"] == kiosk["version"].id
    # Taken by this kiosk: another kiosk of the counter gets a walk-up.
    assert client.post("/kiosk/api/start", headers={"X-Device-Credential": other_cred}).json == {"mode": "walkup"}
    body = submission(kiosk["version"], {"ACC1": 5, "KQ1": 1}, handoff_id=start.json["handoff_id"])
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201
    r = db_session.scalar(select(Response).where(Response.uuid == body["uuid"]))
    assert (r.mode, r.probability_sample, r.invitation_id, r.wave_id) == ("kiosk", True, inv.id, kiosk["wave"].id)
    db_session.refresh(inv)
    assert inv.status == "completed"
    assert client.post("/kiosk/api/start", headers=kiosk["headers"]).json == {"mode": "walkup"}  # answered: used up
    # A second answer for the same invitation (another UUID) is refused.
    again = submission(kiosk["version"], {"ACC1": 1, "KQ1": 1}, handoff_id=start.json["handoff_id"])
    resp = client.post("/kiosk/api/responses", json=again, headers=kiosk["headers"])
    assert resp.status_code == 409 and resp.json["error"] == "already_answered"


def test_handoff_claimed_by_one_kiosk_cannot_be_used_by_another(client, kiosk, db_session):
    from tests.respond.factories import add_device

    _other, other_cred = add_device(db_session, kiosk["reg"]["point"])
    handoff_invitation(db_session, kiosk["inv"], kiosk["reg"]["point"].id)
    db_session.commit()
    start = client.post("/kiosk/api/start", headers=kiosk["headers"]).json
    body = submission(kiosk["version"], {"ACC1": 5, "KQ1": 1}, handoff_id=start["handoff_id"])
    resp = client.post("/kiosk/api/responses", json=body, headers={"X-Device-Credential": other_cred})
    assert resp.status_code == 422 and resp.json["error"] == "unknown_handoff"


def test_answers_for_an_invitation_must_use_its_version(client, kiosk, db_session):
    handoff_invitation(db_session, kiosk["inv"], kiosk["reg"]["point"].id)
    db_session.commit()
    start = client.post("/kiosk/api/start", headers=kiosk["headers"]).json
    body = submission(kiosk["quick"], {"QK1": 3}, handoff_id=start["handoff_id"])
    resp = client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"])
    assert resp.status_code == 422 and resp.json["error"] == "version_mismatch"
    assert db_session.get(Invitation, kiosk["inv"].id).status != "completed"


def test_reenrolled_tablet_replaces_the_old_credential(client, kiosk, db_session):
    from survey.services.kiosk.devices import enrol, issue_code

    assert client.post("/kiosk/api/responses", json=submission(kiosk["quick"], {"QK1": 3}),
                       headers=kiosk["headers"]).status_code == 201
    _device, new_credential = enrol(db_session, issue_code(db_session, kiosk["device"]))
    db_session.commit()
    old = client.post("/kiosk/api/responses", json=submission(kiosk["quick"], {"QK1": 3}), headers=kiosk["headers"])
    new = client.post("/kiosk/api/responses", json=submission(kiosk["quick"], {"QK1": 2}),
                      headers={"X-Device-Credential": new_credential})
    assert (old.status_code, new.status_code) == (401, 201)


def test_submission_records_that_the_device_was_seen(client, kiosk, db_session):
    device = kiosk["device"]
    device.last_seen_at = None
    db_session.commit()
    client.post("/kiosk/api/responses", json=submission(kiosk["quick"], {"QK1": 3}), headers=kiosk["headers"])
    db_session.refresh(device)
    assert device.last_seen_at is not None


def test_answer_for_a_closed_wave_is_refused(client, kiosk, db_session):
    handoff_invitation(db_session, kiosk["inv"], kiosk["reg"]["point"].id)
    db_session.commit()
    start = client.post("/kiosk/api/start", headers=kiosk["headers"]).json
    kiosk["wave"].status = "closed"  # the wave closed while the answers waited in the offline queue
    db_session.commit()
    body = submission(kiosk["version"], {"ACC1": 5, "KQ1": 1}, handoff_id=start["handoff_id"])
    resp = client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"])
    assert resp.status_code == 409 and resp.json["error"] == "wave_closed"
    assert _count(db_session, kiosk["version"]) == 0


def test_an_offline_answer_keeps_the_tablets_submit_time_beside_the_receipt_time(client, kiosk, db_session):
    from datetime import timedelta

    from survey.models._base import utcnow

    sent = (utcnow() - timedelta(days=2)).replace(microsecond=0)  # queued offline two days ago
    body = submission(kiosk["quick"], {"QK1": 3}, client_submitted_at=sent.isoformat() + "Z")
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201
    r = db_session.scalar(select(Response).where(Response.uuid == body["uuid"]))
    assert r.client_submitted_at == sent and r.submitted_at - r.client_submitted_at > timedelta(days=1)
    later = submission(kiosk["quick"], {"QK1": 3}, client_submitted_at="not a time")
    assert client.post("/kiosk/api/responses", json=later, headers=kiosk["headers"]).status_code == 201
    assert db_session.scalar(select(Response.client_submitted_at).where(Response.uuid == later["uuid"])) is None
