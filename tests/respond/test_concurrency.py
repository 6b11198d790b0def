"""Races on real commits: two tabs, double taps and retries give exactly one stored response.

These tests need commits that other connections see, so they run on their own database (a fresh
SQLite file, and a PostgreSQL database created for the module when a server is reachable), not
inside the rolled-back test transaction.
"""
from __future__ import annotations

import os
import threading
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text

from survey.extensions import db
from survey.models import Response
from survey.services.kiosk.handoff import handoff_invitation
from survey.web.limits import limiter
from tests.respond import factories as f

THREADS = 8
PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_database(name: str):
    """Create a scratch PostgreSQL database; returns its URL and a drop callback (or None if no server)."""
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # no server here: the SQLite run still covers the logic
        return None, None

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, drop


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def real_app(request, tmp_path_factory):
    """An app whose commits are real, on SQLite or on a scratch PostgreSQL database."""
    from tests.conftest import make_test_app

    drop = None
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("race") / "race.sqlite")
    else:
        url, drop = _pg_database(f"hailong_citizen_race_{os.getpid()}")
        if url is None:
            pytest.skip("PostgreSQL is not reachable at " + PG_ADMIN)
    app = make_test_app(url)
    yield app
    from survey.services.respond import batch

    batch.release(app)  # its batch connection, before the engine is disposed
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if drop:
        drop()


@pytest.fixture
def data(real_app):
    """Committed: the test questionnaire, a wave, one invitation and one enrolled kiosk."""
    limiter.reset()
    with real_app.app_context():
        version = f.add_version(db.session, f.SERVICE_YAML)
        reg = f.add_registry(db.session)
        wave = f.add_wave(db.session, version, reg)
        inv, token = f.add_invitation(db.session, wave, reg)
        device, credential = f.add_device(db.session, reg["point"])
        db.session.commit()
        out = {"version_id": version.id, "hash": version.content_hash, "inv_id": inv.id, "token": token,
               "credential": credential, "point_id": reg["point"].id}
        db.session.remove()
    return out


def _together(worker, n=THREADS):
    """Run worker(i) in n threads released at the same instant; returns their results."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        barrier.wait()
        results[i] = worker(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _stored(app, inv_id=None, uuids=()):
    with app.app_context():
        q = select(func.count()).select_from(Response)
        q = q.where(Response.invitation_id == inv_id) if inv_id else q.where(Response.uuid.in_(list(uuids)))
        n = db.session.scalar(q)
        db.session.remove()
        return n


def test_double_tap_on_the_last_screen_stores_one_response(real_app, data):
    t = data["token"]
    client = real_app.test_client()
    client.get(f"/s/{t}")
    client.post(f"/s/{t}/1", data={"q_ACC1": "4", "action": "next"})
    page = client.get(f"/s/{t}/2").get_data(as_text=True)
    rid = page.split('name="rid" value="', 1)[1].split('"', 1)[0]
    client.post(f"/s/{t}/2", data={"q_KQ1": "1", "action": "next"})

    def tap(_i):  # every tab shares the draft, hence the same response UUID
        resp = real_app.test_client().post(f"/s/{t}/3", data={"q_AGE": "50", "action": "next", "rid": rid})
        return resp.status_code, resp.headers.get("Location", "")

    results = _together(tap)
    assert all(code == 302 and loc.endswith("/done") for code, loc in results), results
    assert _stored(real_app, inv_id=data["inv_id"]) == 1


def test_two_kiosks_answering_one_invitation_store_one(real_app, data):
    with real_app.app_context():
        from survey.models import Invitation

        handoff_invitation(db.session, db.session.get(Invitation, data["inv_id"]), data["point_id"])
        db.session.commit()
        db.session.remove()
    headers = {"X-Device-Credential": data["credential"]}
    handoff_id = real_app.test_client().post("/kiosk/api/start", headers=headers).json["handoff_id"]

    def submit(_i):
        body = {"uuid": str(uuid.uuid4()), "version_id": data["version_id"], "handoff_id": handoff_id,
                "answers": {"ACC1": 3, "KQ1": 1}}
        return real_app.test_client().post("/kiosk/api/responses", json=body, headers=headers).status_code

    codes = _together(submit)
    assert sorted(codes) == [201] + [409] * (THREADS - 1), codes
    assert _stored(real_app, inv_id=data["inv_id"]) == 1


def test_retried_kiosk_request_with_one_uuid_stores_once(real_app, data):
    headers = {"X-Device-Credential": data["credential"]}
    body = {"uuid": str(uuid.uuid4()), "version_id": data["version_id"], "answers": {"ACC1": 5, "KQ1": 1}}

    def submit(_i):
        return real_app.test_client().post("/kiosk/api/responses", json=body, headers=headers).status_code

    codes = _together(submit)
    assert sorted(codes) == [200] * (THREADS - 1) + [201], codes
    assert _stored(real_app, uuids=[body["uuid"]]) == 1


def test_group_commit_stores_many_concurrent_walkups_each_once(real_app, data):
    headers = {"X-Device-Credential": data["credential"]}
    bodies = [{"uuid": str(uuid.uuid4()), "version_id": data["version_id"], "answers": {"ACC1": 1 + i % 5, "KQ1": 1}}
              for i in range(THREADS * 4)]

    def submit(i):
        client = real_app.test_client()
        codes = []
        for body in bodies[i::THREADS]:
            codes.append(client.post("/kiosk/api/responses", json=body, headers=headers).status_code)
            codes.append(client.post("/kiosk/api/responses", json=body, headers=headers).status_code)  # resend
        return codes

    results = _together(submit)
    assert all(codes == [201, 200] * 4 for codes in results), results
    assert _stored(real_app, uuids=[b["uuid"] for b in bodies]) == len(bodies)
    with real_app.app_context():
        from survey.models import Answer

        n = db.session.scalar(select(func.count()).select_from(Answer).join(Response)
                              .where(Response.uuid.in_([b["uuid"] for b in bodies])))
        db.session.remove()
    assert n == 2 * len(bodies)


def test_group_commit_refuses_a_stranger_uuid_and_a_revoked_device(real_app, data):
    from survey.models import Device, ServicePoint
    from survey.services.kiosk.devices import revoke

    headers = {"X-Device-Credential": data["credential"]}
    body = {"uuid": str(uuid.uuid4()), "version_id": data["version_id"], "answers": {"ACC1": 3, "KQ1": 1}}
    client = real_app.test_client()
    assert client.post("/kiosk/api/responses", json=body, headers=headers).status_code == 201
    with real_app.app_context():
        other, other_cred = f.add_device(db.session, db.session.get(ServicePoint, data["point_id"]))
        other_id = other.id
        db.session.commit()
        db.session.remove()
    resp = client.post("/kiosk/api/responses", json=body, headers={"X-Device-Credential": other_cred})
    assert resp.status_code == 409 and resp.json["error"] == "uuid_conflict"
    bad = {**body, "uuid": str(uuid.uuid4()), "answers": {"ACC1": 9, "KQ1": 1}}
    assert client.post("/kiosk/api/responses", json=bad, headers=headers).status_code == 422
    with real_app.app_context():
        revoke(db.session, db.session.get(Device, other_id))
        db.session.commit()
        db.session.remove()
    late = {**body, "uuid": str(uuid.uuid4())}
    resp = client.post("/kiosk/api/responses", json=late, headers={"X-Device-Credential": other_cred})
    assert resp.status_code == 401
    assert _stored(real_app, uuids=[late["uuid"], bad["uuid"]]) == 0


@pytest.fixture
def committer(real_app):
    """A group committer of its own (not the app's), closed afterwards."""
    from survey.services.respond import batch

    made = batch.Committer(real_app)
    yield made
    made.close()


def _job(app, data, response_uuid=None, answers=None):
    """A validated walk-up submission for the group committer (as api_submit prepares it)."""
    from survey.models import Device, QuestionnaireVersion
    from survey.services.common.tokens import hash_token
    from survey.services.respond import batch, responses

    secret = hash_token(data["credential"])
    device_id = db.session.scalar(select(Device.id).where(Device.secret_hash == secret))
    version = db.session.get(QuestionnaireVersion, data["version_id"])
    values, rows = responses.prepare_response(
        version, response_uuid or str(uuid.uuid4()), answers or {"ACC1": 4, "KQ1": 1}, {}, mode="kiosk_walkup",
        device_id=device_id, service_point_id=data["point_id"])
    return batch.Job(values, rows, secret)


def _hold_writes(app, data):
    """Another connection that blocks the committer's write (SQLite: the write lock; PostgreSQL:
    the device's row); returns it, to be rolled back or committed by the caller."""
    with app.app_context():
        raw = db.engine.raw_connection()
    cur = raw.cursor()
    if db.engine.dialect.name == "sqlite":
        cur.execute("BEGIN IMMEDIATE")
    else:
        cur.execute("SELECT id FROM device WHERE service_point_id = %s FOR UPDATE", (data["point_id"],))
    return raw


def test_group_commit_stores_a_submission_whose_request_gave_up_waiting(real_app, data, monkeypatch, committer):
    from survey.services.respond import batch

    monkeypatch.setattr(batch, "WAIT_SECONDS", 0.3)
    with real_app.app_context():
        first, late = _job(real_app, data), _job(real_app, data)
        db.session.remove()
        blocker = _hold_writes(real_app, data)

    def lead():
        with real_app.app_context():
            committer.submit(first)

    leader = threading.Thread(target=lead)
    leader.start()
    for _ in range(100):  # until the leader is inside its (blocked) write
        if committer.leading and not committer.queue:
            break
        threading.Event().wait(0.01)
    with real_app.app_context(), pytest.raises(TimeoutError):
        committer.submit(late)  # queued behind the blocked batch; this request answers 503
    assert late.abandoned and not late.finished
    blocker.rollback()
    blocker.close()
    leader.join(10)
    # The leader found the abandoned submission first in the queue and wrote it too, so the
    # kiosk's resend of it will hear "duplicate"; and the lead is free for the next request.
    assert (first.result, late.result) == ("stored", "stored") and late.finished
    assert not committer.leading
    with real_app.app_context():
        after = committer.submit(_job(real_app, data))
        db.session.remove()
    assert after.result == "stored"
    assert _stored(real_app, uuids=[first.values["uuid"], late.values["uuid"], after.values["uuid"]]) == 3


@pytest.mark.parametrize("twin_answers, expected", [({"ACC1": 4, "KQ1": 1}, "duplicate"),
                                                     ({"ACC1": 2, "KQ1": 1}, "changed")])
def test_group_commit_calls_a_uuid_stored_by_another_process_meanwhile_a_duplicate(real_app, data, committer,
                                                                                  twin_answers, expected):
    """The same UUID stored by another process: a duplicate if it holds the same answers, else "changed"."""
    with real_app.app_context():
        job = _job(real_app, data)
        twin = _job(real_app, data, job.values["uuid"], twin_answers)
        db.session.remove()
    # "Another process" inserts the same UUID from the same device and commits only after the
    # batch has started: on PostgreSQL the batch's INSERT … ON CONFLICT waits for it and skips
    # the row; on SQLite the batch waits for the write lock and then finds the UUID.
    with real_app.app_context():
        other, dialect = db.engine.raw_connection(), db.engine.dialect
    cur = other.cursor()
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    if dialect.name == "sqlite":
        cur.execute("BEGIN IMMEDIATE")
    columns = [c for c in twin.values if c not in ("submitted_at", "started_at")]
    cur.execute(f"INSERT INTO response ({', '.join(columns)}, submitted_at) VALUES "
                f"({', '.join([mark] * len(columns))}, CURRENT_TIMESTAMP)", [twin.values[c] for c in columns])
    cur.execute(f"SELECT id FROM response WHERE uuid = {mark}", [twin.values["uuid"]])
    twin_id = cur.fetchone()[0]
    cur.executemany(f"INSERT INTO answer (response_id, item_code, value_int, value_text) VALUES "
                    f"({mark}, {mark}, {mark}, {mark})",
                    [(twin_id, r["item_code"], r["value_int"], r["value_text"]) for r in twin.rows])
    done = threading.Thread(target=lambda: _submit_in(real_app, committer, job))
    done.start()
    threading.Event().wait(0.3)
    other.commit()
    other.close()
    done.join(10)
    assert job.result == expected
    assert _stored(real_app, uuids=[job.values["uuid"]]) == 1


def _submit_in(app, committer, job):
    with app.app_context():
        committer.submit(job)


@pytest.mark.parametrize("spoil", ["foreign_key", "out_of_range"])
def test_group_commit_isolates_a_row_the_database_refuses_from_its_batch(real_app, data, committer, spoil):
    if spoil == "out_of_range" and real_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite stores an integer of any size: nothing to refuse")
    with real_app.app_context():
        first, good, bad = _job(real_app, data), _job(real_app, data), _job(real_app, data)
        if spoil == "foreign_key":
            bad.values["questionnaire_version_id"] = 987654  # no such version: a foreign-key violation
        else:  # past INTEGER: PostgreSQL raises a data error, not an integrity error
            bad.rows[0]["value_int"] = 2**40
        db.session.remove()
        blocker = _hold_writes(real_app, data)
    threads = [threading.Thread(target=_submit_in, args=(real_app, committer, job)) for job in (first, good, bad)]
    threads[0].start()
    for _ in range(100):  # the first batch is being written (and blocked): the next two queue up together
        if committer.leading and not committer.queue:
            break
        threading.Event().wait(0.01)
    for t in threads[1:]:
        t.start()
    for _ in range(100):
        if len(committer.queue) == 2:
            break
        threading.Event().wait(0.01)
    blocker.rollback()
    blocker.close()
    for t in threads:
        t.join(10)
    assert (first.result, good.result, bad.result) == ("stored", "stored", "refused")
    assert _stored(real_app, uuids=[first.values["uuid"], good.values["uuid"], bad.values["uuid"]]) == 2


def test_group_commit_hands_its_connection_back_to_the_pool_with_transactions_on(real_app, data, committer):
    if real_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("only the PostgreSQL writer runs its batch statement in autocommit")
    with real_app.app_context():
        job = committer.submit(_job(real_app, data))
        conn = committer.writer.conn
        assert conn.autocommit  # the batch statement is its own transaction
        committer.close()
        db.session.remove()
    # The pool's next user (an ORM session) must get transactions, so a rollback undoes its work.
    assert job.result == "stored" and conn.autocommit is False and not conn.closed
    assert _stored(real_app, uuids=[job.values["uuid"]]) == 1
