"""The kiosk batch writer stores exactly what was validated: texts, codes and timestamps, on both backends.

On PostgreSQL a batch travels as two JSON texts (writer.encode_postgresql) that the server unpacks;
these tests pin that nothing is changed on the way (quotes, backslashes, braces, the text "NULL",
Vietnamese and emoji, microseconds). The last ones pin how the writer works inside a test's
rolled-back transaction (batch.join_transaction), where every other kiosk test's walk-ups go.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Answer, Device, QuestionnaireVersion, Response
from survey.services.common.tokens import hash_token
from survey.services.respond import batch, responses
from survey.services.respond.writer import encode_postgresql
from tests.kiosk.conftest import submission
from tests.respond.test_concurrency import committer, data, real_app  # noqa: F401  (shared fixtures)

TRICKY = 'Ý kiến: "tốt", back\\slash {a,b} NULL 😀\nxuống dòng'
OTHER = 'khác "x" \\ {}'
STARTED = datetime(2026, 12, 3, 7, 5, 9, 123456)


def _tricky_job(app, data):  # noqa: F811
    with app.app_context():
        secret = hash_token(data["credential"])
        device_id = db.session.scalar(select(Device.id).where(Device.secret_hash == secret))
        version = db.session.get(QuestionnaireVersion, data["version_id"])
        values, rows = responses.prepare_response(
            version, str(uuid.uuid4()), {"ACC1": 4, "KQ1": 1, "CH": [1, 9], "CMT": TRICKY}, {"CH": OTHER},
            mode="kiosk_walkup", device_id=device_id, service_point_id=data["point_id"], started_at=STARTED)
        db.session.remove()
    return batch.Job(values, rows, secret)


def test_encoded_submission_reads_back_as_its_values_and_rows(real_app, data):  # noqa: F811
    job = _tricky_job(real_app, data)
    encode_postgresql(job)
    response, answers = (json.loads(text) for text in job.encoded)
    assert response == {**{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in job.values.items()},
                        "secret": job.secret_hash}
    assert answers == {"uuid": job.values["uuid"], "rows": job.rows}


def test_group_commit_stores_texts_codes_and_timestamps_unchanged(real_app, data, committer):  # noqa: F811
    job = _tricky_job(real_app, data)
    with real_app.app_context():
        assert committer.submit(job).result == "stored"
        stored = db.session.scalar(select(Response).where(Response.uuid == job.values["uuid"]))
        assert (stored.started_at, stored.submitted_at) == (STARTED, job.values["submitted_at"])
        assert (stored.mode, stored.probability_sample, stored.partial) == ("kiosk_walkup", False, False)
        rows = db.session.execute(select(Answer.item_code, Answer.value_int, Answer.value_text)
                                  .where(Answer.response_id == stored.id)).all()
        db.session.remove()
    assert sorted(rows, key=lambda r: (r[0], r[1] or 0)) == [
        ("ACC1", 4, None), ("CH", 1, None), ("CH", 9, OTHER), ("CMT", None, TRICKY), ("KQ1", 1, None)]


def test_a_lone_surrogate_in_a_text_is_refused_before_it_reaches_a_batch(real_app, data):  # noqa: F811
    headers = {"X-Device-Credential": data["credential"]}
    base = {"version_id": data["version_id"], "answers": {"ACC1": 3, "KQ1": 1}}
    client = real_app.test_client()
    # JSON may spell a lone UTF-16 surrogate ("\ud800"), which no UTF-8 database can hold.
    bad = ('{"uuid": "%s", "version_id": %d, "answers": {"ACC1": 3, "KQ1": 1, "CMT": "x\\ud800"}}'
           % (uuid.uuid4(), data["version_id"]))
    resp = client.post("/kiosk/api/responses", data=bad, headers={**headers, "Content-Type": "application/json"})
    assert resp.status_code == 422
    assert [(e["item"], e["code"]) for e in resp.json["errors"]] == [("CMT", "wrong_type")]
    good = {**base, "uuid": str(uuid.uuid4())}
    assert client.post("/kiosk/api/responses", json=good, headers=headers).status_code == 201


def _count(session, uuids) -> int:
    return session.scalar(select(func.count()).select_from(Response).where(Response.uuid.in_(list(uuids))))


def test_a_walkup_in_a_test_is_group_committed_inside_the_test_transaction(app, client, kiosk, db_session):
    body = submission(kiosk["quick"], {"QK1": 3})
    assert client.post("/kiosk/api/responses", json=body, headers=kiosk["headers"]).status_code == 201
    writer = batch.committer_for(app).writer
    assert writer is not None and writer.joined is db_session.connection()  # the batch wrote it
    assert _count(db_session, [body["uuid"]]) == 1
    with db.engine.connect() as other:  # not committed: the test's rollback takes it away
        assert _count(other, [body["uuid"]]) == 0


@pytest.mark.parametrize("spoil", ["foreign_key", "out_of_range"])
def test_a_row_refused_inside_a_test_transaction_is_isolated_and_the_transaction_goes_on(app, kiosk, db_session,
                                                                                       spoil):
    if spoil == "out_of_range" and app.config["TEST_BACKEND"] == "sqlite":
        pytest.skip("SQLite stores an integer of any size: nothing to refuse")
    device = kiosk["device"]

    def job():
        values, rows = responses.prepare_response(kiosk["quick"], str(uuid.uuid4()), {"QK1": 3}, {},
                                                  mode="kiosk_walkup", device_id=device.id,
                                                  service_point_id=device.service_point_id)
        return batch.Job(values, rows, device.secret_hash)

    bad, good = job(), job()
    if spoil == "foreign_key":
        bad.values["questionnaire_version_id"] = 987654  # no such version
    else:
        bad.rows[0]["value_int"] = 2**40  # past INTEGER: a data error on PostgreSQL
    app_committer = batch.committer_for(app)
    app_committer.queue.append(good)  # queued by another request meanwhile: one batch carries both
    # The batch's savepoint is rolled back (good's row with it), then the fallback gives each
    # submission a savepoint of its own.
    assert app_committer.submit(bad).result == "refused"
    assert (good.result, good.finished) == ("stored", True)
    assert _count(db_session, [bad.values["uuid"], good.values["uuid"]]) == 1
    assert app_committer.submit(job()).result == "stored"  # the test's transaction goes on
