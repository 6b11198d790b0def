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
from survey.services.kiosk import handoff_invitation
from survey.web.respond.limits import limiter
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
    app = make_test_app(url, KIOSK_GROUP_COMMIT=True)  # walk-up submissions go through the group committer
    yield app
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
    from survey.services.devices import revoke

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
