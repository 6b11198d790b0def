"""POST /api/v1/ratings and /api/v1/dossier-events: key auth, per-record results, resends, bad input, scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey.models import DossierEvent, DossierRating
from survey.services.intake import apikeys
from survey.services.intake.scopes import Scope
from tests.qd766.conftest import event, rating


def post(client, key, path, name, records):
    return client.post(f"/api/v1/{path}", json={name: records}, headers={"Authorization": f"Bearer {key}"})


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_ratings_are_stored_with_a_result_per_record(client, db_session, key, dossiers):
    resp = post(
        client,
        key,
        "ratings",
        "ratings",
        [
            rating("R-1"),
            rating("R-2", "HS-2", level=None, score=17),
            rating("R-3", "HS-3", level="not_satisfied", score=4),
        ],
    )
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["source"], body["received"], body["stored"], body["unchanged"], body["rejected"]) == (
        "motcua",
        3,
        3,
        0,
        0,
    )
    assert [(r["index"], r["external_id"], r["status"]) for r in body["results"]] == [
        (0, "R-1", "stored"),
        (1, "R-2", "stored"),
        (2, "R-3", "stored"),
    ]
    rows = {r.external_id: r for r in db_session.scalars(select(DossierRating))}
    assert (rows["R-1"].level, rows["R-1"].score, rows["R-1"].dossier.external_id) == ("satisfied", None, "HS-1")
    assert (rows["R-2"].level, rows["R-2"].score) == (None, 17)
    assert (rows["R-3"].level, rows["R-3"].score) == ("not_satisfied", 4)
    assert rows["R-1"].rated_at.isoformat() == "2025-05-11T02:00:00"  # +07:00 stored as naive UTC


def test_events_are_stored_with_kind_time_and_note(client, db_session, key, dossiers):
    body = post(
        client,
        key,
        "dossier-events",
        "events",
        [
            event("E-1", "HS-4", "overdue"),
            event("E-2", "HS-4", "apology_letter", note="Thư xin lỗi số 12"),
            event("E-3", "HS-2", "petition", note="Phản ánh về thái độ"),
        ],
    ).get_json()
    assert (body["stored"], body["rejected"]) == (3, 0)
    rows = {e.external_id: e for e in db_session.scalars(select(DossierEvent))}
    assert (rows["E-2"].kind, rows["E-2"].note, rows["E-2"].dossier.external_id) == (
        "apology_letter",
        "Thư xin lỗi số 12",
        "HS-4",
    )
    assert rows["E-1"].note == ""


def test_a_resend_of_the_same_external_id_changes_nothing(client, db_session, key, dossiers):
    batch = [rating("R-1"), rating("R-2", "HS-2")]
    post(client, key, "ratings", "ratings", batch)
    again = post(client, key, "ratings", "ratings", batch + [rating("R-1")]).get_json()
    assert (again["stored"], again["unchanged"], again["rejected"]) == (0, 3, 0)
    assert count(db_session, DossierRating) == 2


def test_the_same_external_id_with_other_content_is_rejected_and_the_stored_row_kept(client, db_session, key, dossiers):
    post(client, key, "ratings", "ratings", [rating("R-1")])
    body = post(client, key, "ratings", "ratings", [rating("R-1", level="not_satisfied")]).get_json()
    assert body["results"][0]["status"] == "rejected"
    assert body["results"][0]["errors"][0]["code"] == "conflict"
    assert "R-1" in body["results"][0]["errors"][0]["message"]
    assert db_session.scalar(select(DossierRating.level)) == "satisfied"


BAD_RATINGS = [
    ("not an object", "not_an_object", ""),
    ({"dossier": "HS-1", "rated_at": "2025-05-11", "level": "satisfied"}, "missing_field", "external_id"),
    (rating("B-1", dossier=None), "missing_field", "dossier"),
    (rating("B-1", rated_at=None), "missing_field", "rated_at"),
    (rating("B-1", level=None), "missing_field", "level"),
    (rating("B-1", level="rất hài lòng"), "bad_level", "level"),
    (rating("B-1", score=19), "bad_score", "score"),
    (rating("B-1", score=-1), "bad_score", "score"),
    (rating("B-1", score="mười"), "bad_score", "score"),
    (rating("B-1", score=True), "bad_score", "score"),
    (rating("B-1", rated_at="11/05/2025"), "bad_date", "rated_at"),
    (rating("B-1", rated_at="2999-01-01T00:00:00"), "date_in_future", "rated_at"),
    (rating("B-1", dossier="HS-404"), "unknown_dossier", "dossier"),
    (rating("B-1", external_id="x" * 129), "bad_value", "external_id"),
    (rating("B-1", level=5), "bad_value", "level"),
]


@pytest.mark.parametrize("raw, code, field", BAD_RATINGS)
def test_each_bad_rating_is_rejected_with_its_reason_in_vietnamese(client, db_session, key, dossiers, raw, code, field):
    body = post(client, key, "ratings", "ratings", [raw, rating("OK-1")]).get_json()
    bad, good = body["results"]
    assert bad["status"] == "rejected" and good["status"] == "stored"  # the good record is kept
    assert (bad["errors"][0]["code"], bad["errors"][0]["field"]) == (code, field)
    assert not bad["errors"][0]["message"].isascii()  # a sentence in Vietnamese
    assert count(db_session, DossierRating) == 1


BAD_EVENTS = [
    (event("B-1", kind="late"), "bad_kind", "kind"),
    (event("B-1", kind=None), "missing_field", "kind"),
    (event("B-1", at=None), "missing_field", "at"),
    (event("B-1", at="hôm qua"), "bad_date", "at"),
    (event("B-1", note=12), "bad_value", "note"),
    (event("B-1", note="x" * 2001), "bad_value", "note"),
    (event("B-1", note="a\x00b"), "bad_value", "note"),
    (event("B-1", dossier="HS-404"), "unknown_dossier", "dossier"),
]


@pytest.mark.parametrize("raw, code, field", BAD_EVENTS)
def test_each_bad_event_is_rejected_with_its_reason(client, db_session, key, dossiers, raw, code, field):
    body = post(client, key, "dossier-events", "events", [raw]).get_json()
    assert body["rejected"] == 1
    assert (body["results"][0]["errors"][0]["code"], body["results"][0]["errors"][0]["field"]) == (code, field)
    assert count(db_session, DossierEvent) == 0


def test_an_unknown_dossier_message_names_the_dossier_in_vietnamese(client, key, dossiers):
    body = post(client, key, "ratings", "ratings", [rating("B-1", dossier="HS-404")]).get_json()
    assert "Không có hồ sơ mã HS-404" in body["results"][0]["errors"][0]["message"]


def test_a_key_without_access_to_the_dossier_is_refused_per_record(client, db_session, reg, source, dossiers):
    row, scoped = apikeys.create_key(db_session, source, [Scope(agency_id=reg["agencies"]["AG1"].id)])
    body = post(client, scoped, "ratings", "ratings", [rating("R-1", "HS-1"), rating("R-5", "HS-5")]).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "rejected"]
    assert body["results"][1]["errors"][0] == {
        **body["results"][1]["errors"][0],
        "code": "out_of_scope",
        "field": "agency",
    }
    assert db_session.scalars(select(DossierRating.external_id)).all() == ["R-1"]


def test_another_sources_dossier_is_unknown_to_a_key(client, db_session, dossiers):
    from tests.sampling.factories import make_key, make_source

    other = make_key(db_session, make_source(db_session, "khac"))
    body = post(client, other, "ratings", "ratings", [rating("R-1", "HS-1")]).get_json()
    assert body["results"][0]["errors"][0]["code"] == "unknown_dossier"


@pytest.mark.parametrize("headers, status", [({}, 401), ({"Authorization": "Bearer hl000000.wrong"}, 401)])
def test_a_missing_or_wrong_key_is_refused(client, db_session, dossiers, headers, status):
    resp = client.post("/api/v1/ratings", json={"ratings": [rating("R-1")]}, headers=headers)
    assert resp.status_code == status and resp.get_json()["message"]
    assert count(db_session, DossierRating) == 0


@pytest.mark.parametrize("body", [None, {"ratings": "R-1"}, {"events": []}, [rating("R-1")]])
def test_a_body_of_the_wrong_shape_is_a_400_in_vietnamese(client, key, body):
    resp = client.post("/api/v1/ratings", json=body, headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 400
    assert '{"ratings": [ ... ]}' in resp.get_json()["message"]


def test_a_batch_over_the_limit_is_refused_whole(app, client, db_session, key, dossiers):
    app.config["INTAKE_MAX_BATCH"] = 2
    try:
        resp = post(client, key, "dossier-events", "events", [event(f"E-{i}") for i in range(3)])
    finally:
        app.config.pop("INTAKE_MAX_BATCH")
    assert resp.status_code == 413 and "tối đa 2" in resp.get_json()["message"]
    assert count(db_session, DossierEvent) == 0


def test_the_api_description_lists_both_paths_and_every_reason(client):
    from survey.services.qd766.records import REASON_CODES

    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/ratings", "/dossier-events"} <= set(spec["paths"])
    assert spec["components"]["schemas"]["FeedbackReason"]["properties"]["code"]["enum"] == list(REASON_CODES)
    assert spec["components"]["schemas"]["Rating"]["properties"]["level"]["enum"] == [
        "satisfied",
        "normal",
        "not_satisfied",
        None,
    ]
