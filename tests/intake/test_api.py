"""The intake API: key auth, per-record results, idempotence, every rejection reason, invitations on arrival."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey.models import Dossier, DossierContact, Invitation, KioskHandoff
from survey.services.intake import apikeys
from survey.services.sampling import waves
from tests.sampling.factories import make_key, make_wave, record


@pytest.fixture
def key(db_session, reg, source):
    """A valid API key of the source 'motcua'."""
    return make_key(db_session, source)


def post(client, key, records, header="bearer"):
    headers = {"Authorization": f"Bearer {key}"} if header == "bearer" else {"X-API-Key": key}
    return client.post("/api/v1/dossiers", json={"dossiers": records}, headers=headers)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_a_batch_is_stored_with_a_result_per_record(client, db_session, key):
    resp = post(client, key, [record("HS-1"), record("HS-2", outcome="rejected", channel="online")])
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["received"], body["stored"], body["unchanged"], body["rejected"]) == (2, 2, 0, 0)
    assert [(r["index"], r["external_id"], r["status"]) for r in body["results"]] == [(0, "HS-1", "stored"),
                                                                                      (1, "HS-2", "stored")]
    d = db_session.scalar(select(Dossier).where(Dossier.external_id == "HS-2"))
    assert (d.outcome, d.channel, d.on_time) == ("rejected", "online", True)
    assert d.completed_at.isoformat() == "2025-05-10T03:00:00"  # 10:00 +07:00 stored as naive UTC
    assert resp.headers["Cache-Control"] == "no-store"


def test_resending_a_batch_changes_nothing(client, db_session, key):
    batch = [record(f"HS-{i}", phone="0912 345 678") for i in range(5)] + [record("bad", agency="NOPE")]
    first = post(client, key, batch).get_json()
    snapshot = (count(db_session, Dossier), count(db_session, DossierContact), count(db_session, Invitation))
    resent = post(client, key, batch)  # the same batch: its first answer again (tests/intake/test_retries.py)
    overlapping = post(client, key, batch[1:] + [record("HS-new")]).get_json()  # another batch, some records known
    assert (first["stored"], first["rejected"]) == (5, 1)
    assert resent.get_json() == first and resent.headers["Idempotent-Replayed"] == "true"
    assert (overlapping["stored"], overlapping["unchanged"], overlapping["rejected"]) == (1, 4, 1)
    assert (count(db_session, Dossier), count(db_session, DossierContact),
            count(db_session, Invitation)) == (snapshot[0] + 1, snapshot[1], snapshot[2])


def test_a_batch_whose_rejected_records_echo_a_lone_surrogate_still_answers_with_its_tokens(
        client, db_session, key, version):
    waves.launch(db_session, make_wave(db_session, version, fixed_pi=1.0))  # every dossier is invited on arrival
    # The echoed external id and the date in the error message hold half a UTF-16 pair: the
    # committed batch's answer was a 500, and the good record's invitation token was lost.
    resp = post(client, key, [record("HS-\ud800"), record("x", received_at="2025-\ud800"), record("ok")])
    assert resp.status_code == 200
    body = resp.get_json()
    assert [r["status"] for r in body["results"]] == ["rejected", "rejected", "stored"]
    assert body["results"][0]["external_id"] == "HS-\ud800"
    (entry,) = body["results"][2]["invitations"]
    assert client.get(f"/api/v1/invitations/{entry['token']}/qr.svg").status_code == 200


def test_good_records_are_stored_even_when_others_in_the_batch_are_bad(client, db_session, key):
    body = post(client, key, [record("ok-1"), record("bad", outcome="great"), record("unstorable", procedure="P\ud800"),
                              record("ok-2")]).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "rejected", "rejected", "stored"]
    assert sorted(db_session.scalars(select(Dossier.external_id))) == ["ok-1", "ok-2"]


BAD = [
    ("missing external_id", record(None), "missing_field", "external_id"),
    ("missing completed_at", record("x", completed_at=None), "missing_field", "completed_at"),
    ("neither procedure nor sector", record("x", procedure=None), "missing_field", "sector"),
    ("unknown agency", record("x", agency="NOPE"), "unknown_agency", "agency"),
    ("unknown procedure", record("x", procedure="NOPE"), "unknown_procedure", "procedure"),
    ("unknown sector", record("x", procedure=None, sector="space"), "unknown_sector", "sector"),
    ("unknown service point", record("x", service_point="NOPE"), "unknown_service_point", "service_point"),
    ("procedure of another sector", record("x", sector="civil_status"), "sector_mismatch", "sector"),
    ("unparseable date", record("x", received_at="10/05/2025"), "bad_date", "received_at"),
    ("completed before received", record("x", received_at="2025-05-11T08:00:00+07:00", due_at=None),
     "completed_before_received", "completed_at"),
    ("due before received", record("x", due_at="2025-05-09"), "due_before_received", "due_at"),
    ("completed in the future", record("x", completed_at="2099-01-01T00:00:00+07:00"), "date_in_future",
     "completed_at"),
    ("bad outcome", record("x", outcome="approved!"), "bad_outcome", "outcome"),
    ("bad channel", record("x", channel="fax"), "bad_channel", "channel"),
    ("not a string", record("x", agency=["AG1"]), "bad_value", "agency"),
    ("NUL in a text", record("HS-\x00"), "bad_value", "external_id"),
    ("lone surrogate in a text", record("x", phone="09\ud800"), "bad_value", "phone"),
    ("external id too long", record("x" * 129), "bad_value", "external_id"),
    ("not an object", "HS-1", "not_an_object", ""),
]


@pytest.mark.parametrize("label,bad,code,field", BAD, ids=[b[0] for b in BAD])
def test_every_kind_of_bad_record_gets_its_reason(client, db_session, key, label, bad, code, field):
    body = post(client, key, [bad]).get_json()
    (result,) = body["results"]
    assert result["status"] == "rejected"
    assert (code, field) in [(e["code"], e["field"]) for e in result["errors"]], result["errors"]
    assert all(e["message"] for e in result["errors"])
    assert count(db_session, Dossier) == 0


def test_the_same_external_id_with_different_content_is_a_conflict(client, db_session, key):
    post(client, key, [record("HS-1")])
    body = post(client, key, [record("HS-1", outcome="rejected")]).get_json()
    assert body["results"][0]["errors"][0]["code"] == "conflict"
    assert db_session.scalar(select(Dossier.outcome)) == "approved"   # the stored version is kept


def test_duplicates_inside_one_batch(client, db_session, key):
    body = post(client, key, [record("A"), record("A"), record("A", channel="online")]).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "unchanged", "rejected"]
    assert body["results"][2]["errors"][0]["code"] == "conflict"


def test_equivalent_spellings_of_the_same_dossier_are_unchanged(client, db_session, key):
    post(client, key, [record("A")])
    same = record("A", sector="land", completed_at="2025-05-10T03:00:00Z", external_id="A")
    assert post(client, key, [same]).get_json()["results"][0]["status"] == "unchanged"


def test_timestamps_without_offset_are_local_and_a_bare_due_date_means_end_of_day(client, db_session, key):
    post(client, key, [record("A", received_at="2025-05-10", completed_at="2025-05-13T08:00:00", due_at="2025-05-12")])
    d = db_session.scalar(select(Dossier))
    assert d.received_at.isoformat() == "2025-05-09T17:00:00"
    assert d.due_at.isoformat() == "2025-05-12T16:59:59" and d.on_time is False


def test_the_phone_goes_to_the_contact_table_and_a_bad_phone_is_only_a_warning(client, db_session, key):
    body = post(client, key, [record("A", phone="+84 912.345.678"), record("B", phone="12345")]).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "stored"]
    assert body["results"][1]["warnings"][0]["code"] == "bad_phone"
    assert db_session.scalars(select(DossierContact.phone)).all() == ["0912345678"]
    assert not hasattr(Dossier, "phone")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer hlxxxxxx.wrong"}, {"X-API-Key": "garbage"},
                                     {"Authorization": "Basic dXNlcjpwYXNz"}])
def test_requests_without_a_valid_key_are_refused(client, db_session, key, headers):
    resp = client.post("/api/v1/dossiers", json={"dossiers": [record("A")]}, headers=headers)
    assert resp.status_code == 401
    assert resp.get_json()["code"] == 401 and resp.get_json()["message"]
    assert "Bearer" in resp.headers["WWW-Authenticate"]
    assert count(db_session, Dossier) == 0


def test_a_revoked_key_is_refused_and_x_api_key_works(client, db_session, key):
    assert post(client, key, [record("A")], header="x-api-key").status_code == 200
    apikeys.revoke(db_session, key.split(".")[0])
    assert post(client, key, [record("B")]).status_code == 401
    correct_prefix_wrong_secret = key.split(".")[0] + ".not-the-secret"
    assert post(client, correct_prefix_wrong_secret, [record("C")]).status_code == 401


def test_malformed_bodies_and_oversized_batches(client, app, db_session, key):
    auth = {"Authorization": f"Bearer {key}"}
    not_json = client.post("/api/v1/dossiers", data="not json", headers=auth, content_type="application/json")
    assert not_json.status_code == 400
    assert client.post("/api/v1/dossiers", json=[record("A")], headers=auth).status_code == 400
    deep = "[" * 5000 + "]" * 5000  # beyond the JSON parser's recursion limit: was a 500
    for path in ("/api/v1/dossiers", "/api/v1/invitations/reissue"):
        assert client.post(path, data=deep, headers=auth, content_type="application/json").status_code == 400
    app.config["INTAKE_MAX_BATCH"] = 3
    try:
        resp = post(client, key, [record(f"A{i}") for i in range(4)])
    finally:
        del app.config["INTAKE_MAX_BATCH"]
    assert resp.status_code == 413 and "3" in resp.get_json()["message"]
    assert count(db_session, Dossier) == 0


def test_the_api_needs_no_csrf_token(client, db_session, key, csrf_enabled):
    assert post(client, key, [record("A")]).status_code == 200


def test_a_dossier_selected_on_arrival_comes_back_with_its_invitation(client, db_session, key, version):
    wave = make_wave(db_session, version, fixed_pi=1.0)
    waves.launch(db_session, wave)
    body = post(client, key, [record("A"), record("late", day="2025-08-01")]).get_json()
    (entry,) = body["results"][0]["invitations"]
    assert body["invited"] == 1 and body["results"][1]["invitations"] == []
    token = entry["token"]
    assert entry["url"] == f"http://127.0.0.1:5000/s/{token}" and entry["wave"] == "W1"
    assert set(entry["slip"]) == {"a5", "a6", "80mm"} and entry["kiosk_handoff"] is False
    svg = client.get(entry["qr_svg"].replace("http://127.0.0.1:5000", ""))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and svg.headers["Cache-Control"] == "no-store"
    png = client.get(entry["qr_png"].replace("http://127.0.0.1:5000", ""))
    assert png.data[:4] == b"\x89PNG"
    slip = client.get(entry["slip"]["80mm"].replace("http://127.0.0.1:5000", ""))
    html = slip.get_data(as_text=True)
    assert slip.status_code == 200 and "Mời Ông/Bà đánh giá sự hài lòng" in html and token in html
    assert "size: 80mm 165mm" in html
    resent = post(client, key, [record("A")]).get_json()["results"][0]
    assert resent["status"] == "unchanged" and resent["invitations"] == []  # the token is shown only once


def test_kiosk_handoff_flag_hands_the_invitation_to_the_service_points_kiosk(client, db_session, key, version):
    wave = make_wave(db_session, version, fixed_pi=1.0)
    waves.launch(db_session, wave)
    body = post(client, key, [record("A", kiosk_handoff=True), record("B", kiosk_handoff=True, service_point=None)])
    a, b = body.get_json()["results"]
    assert a["invitations"][0]["kiosk_handoff"] is True
    handoff = db_session.scalar(select(KioskHandoff))
    point = db_session.scalar(select(Dossier.service_point_id).where(Dossier.external_id == "A"))
    assert handoff.service_point_id == point
    assert handoff.invitation.channel == "kiosk"
    assert b["invitations"][0]["kiosk_handoff"] is False and b["warnings"][0]["code"] == "kiosk_no_service_point"


def test_token_pages_refuse_unknown_and_used_tokens(client, db_session, key, version):
    wave = make_wave(db_session, version, fixed_pi=1.0)
    waves.launch(db_session, wave)
    token = post(client, key, [record("A")]).get_json()["results"][0]["invitations"][0]["token"]
    assert client.get("/api/v1/invitations/unknown-token/qr.svg").status_code == 404
    assert client.get(f"/api/v1/invitations/{token}/slip?format=a4").status_code == 400
    db_session.scalar(select(Invitation)).status = "completed"
    db_session.flush()
    gone = client.get(f"/api/v1/invitations/{token}/qr.svg")
    assert gone.status_code == 410 and gone.get_json()["code"] == 410
    slip = client.get(f"/api/v1/invitations/{token}/slip")  # a person reads it: a page in words, not JSON
    assert slip.status_code == 410 and slip.mimetype == "text/html"


def test_a_lost_token_can_be_reissued_and_the_old_one_stops_working(client, db_session, key, version):
    wave = make_wave(db_session, version, fixed_pi=1.0)
    waves.launch(db_session, wave)
    old = post(client, key, [record("A")]).get_json()["results"][0]["invitations"][0]["token"]
    resp = client.post("/api/v1/invitations/reissue", json={"external_id": "A"}, headers={"X-API-Key": key})
    new = resp.get_json()["invitations"][0]["token"]
    assert resp.status_code == 200 and new != old
    assert client.get(f"/api/v1/invitations/{old}/qr.svg").status_code == 404
    assert client.get(f"/api/v1/invitations/{new}/qr.svg").status_code == 200
    missing = client.post("/api/v1/invitations/reissue", json={"external_id": "nope"}, headers={"X-API-Key": key})
    assert missing.status_code == 404
    assert client.post("/api/v1/invitations/reissue", json={"external_id": "A"}).status_code == 401


def test_a_request_that_loses_a_race_for_the_same_id_is_retried_and_answers_unchanged(client, db_session, key,
                                                                                     monkeypatch):
    from survey.services.intake import batch as intake

    post(client, key, [record("A")])
    real, calls = intake._existing, []

    def blind_first_time(*args):
        # As if another request stored "A" between our lookup and our insert.
        calls.append(1)
        return {} if len(calls) == 1 else real(*args)

    monkeypatch.setattr(intake, "_existing", blind_first_time)
    body = post(client, key, [record("A"), record("B")]).get_json()
    assert len(calls) == 2
    assert [r["status"] for r in body["results"]] == ["unchanged", "stored"]
    assert sorted(db_session.scalars(select(Dossier.external_id))) == ["A", "B"]
