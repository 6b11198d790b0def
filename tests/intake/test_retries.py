"""A retried batch gets the answer of its first sending, tokens included, for 24 hours.

Before, a client whose answer was lost after the commit resent the batch and got "unchanged" without
the invitations: the tokens were gone, and the dossiers looked as if they had not been selected.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey.models import Dossier, IntakeRequest, Invitation
from survey.services.intake import replay
from survey.services.sampling import waves
from tests.sampling.factories import make_key, make_wave, record


@pytest.fixture
def key(db_session, reg, source, version):
    """A whole-province key, and a launched wave that invites every dossier on arrival."""
    waves.launch(db_session, make_wave(db_session, version, fixed_pi=1.0))
    return make_key(db_session, source)


def post(client, key, records, idempotency_key=None):
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return client.post("/api/v1/dossiers", json={"dossiers": records}, headers=headers)


def tokens(body) -> list[str]:
    return [i["token"] for r in body["results"] for i in r["invitations"]]


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_batch_resent_with_its_idempotency_key_gets_the_same_tokens(client, db_session, key):
    batch = [record("A"), record("B"), record("bad", agency="NOPE")]
    post(client, key, batch, "lo-2025-05-10-001")  # committed; the answer is "lost" on the way back
    stored = (count(db_session, Dossier), count(db_session, Invitation))
    again = post(client, key, batch, "lo-2025-05-10-001")
    body = again.get_json()
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert [r["status"] for r in body["results"]] == ["stored", "stored", "rejected"]
    assert len(tokens(body)) == 2
    for token in tokens(body):  # the same tokens, still valid: nothing was reissued
        assert client.get(f"/api/v1/invitations/{token}/qr.svg").status_code == 200
    assert (count(db_session, Dossier), count(db_session, Invitation)) == stored


def test_the_same_records_without_a_key_get_the_same_tokens(client, db_session, key):
    first = post(client, key, [record("A", phone="0912345678"), record("B")]).get_json()
    # Same records, keys in another order: the same batch.
    reordered = [dict(reversed(list(record("A", phone="0912345678").items()))), record("B")]
    again = post(client, key, reordered)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert tokens(again.get_json()) == tokens(first) and len(tokens(first)) == 2
    with_a_key = post(client, key, [record("A", phone="0912345678"), record("B")], "late-key")
    assert tokens(with_a_key.get_json()) == tokens(first)


def test_other_records_under_a_used_idempotency_key_are_refused_with_a_clear_error(client, db_session, key):
    post(client, key, [record("A")], "k-1")
    resp = post(client, key, [record("A"), record("B")], "k-1")
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["code"] == 422 and "Idempotency-Key" in body["message"]
    assert db_session.scalars(select(Dossier.external_id)).all() == ["A"]
    assert post(client, key, [record("A"), record("B")], "k-2").get_json()["stored"] == 1


@pytest.mark.parametrize("bad", ["x" * 129, "   ", "clé"])
def test_an_unusable_idempotency_key_is_a_400(client, db_session, key, bad):
    resp = client.post("/api/v1/dossiers", json={"dossiers": [record("A")]},
                       headers={"Authorization": f"Bearer {key}", "Idempotency-Key": bad})
    assert resp.status_code == 400 and "Idempotency-Key" in resp.get_json()["message"]
    assert count(db_session, Dossier) == 0


def test_after_a_day_the_answer_is_gone_and_expired_answers_are_purged(client, db_session, key):
    first = post(client, key, [record("A")], "k-1").get_json()
    post(client, key, [record("B")])
    kept = db_session.scalars(select(IntakeRequest)).all()
    assert len(kept) == 2 and all(r.expires_at - r.created_at == replay.KEEP_FOR for r in kept)
    for row in kept:
        row.expires_at -= replay.KEEP_FOR + timedelta(seconds=1)
    db_session.flush()
    later = post(client, key, [record("A")], "k-1")
    assert "Idempotent-Replayed" not in later.headers
    assert later.get_json()["results"][0]["status"] == "unchanged" and tokens(later.get_json()) == []
    assert tokens(first)
    remaining = db_session.scalars(select(IntakeRequest)).all()
    assert [r.idempotency_key for r in remaining] == ["k-1"] and remaining[0].expires_at > kept[0].created_at


def test_the_kept_answer_is_encrypted_and_unreadable_with_another_secret(app, client, db_session, key):
    first = post(client, key, [record("A")], "k-1").get_json()
    (token,) = tokens(first)
    row = db_session.scalar(select(IntakeRequest))
    assert token not in row.answer_sealed and replay.unseal("another secret", row.answer_sealed) is None
    assert replay.unseal(app.config["SECRET_KEY"], row.answer_sealed)["answer"] == first
    secret = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "a rotated secret"
    try:
        again = post(client, key, [record("A")], "k-1")  # unreadable: run again, never a 500
    finally:
        app.config["SECRET_KEY"] = secret
    assert again.status_code == 200 and again.get_json()["results"][0]["status"] == "unchanged"
