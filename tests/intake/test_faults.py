"""The intake API under faults, for real: a database that cannot be reached answers 503, never 500; batches
sent at the same moment with overlapping records each get per-record results; a retry racing its first
sending gets the same tokens.

The concurrency tests need commits other connections see, so they run on a scratch SQLite file and, when
TEST_DATABASE_URL is set, in a scratch schema of that database (dropped afterwards), not inside the
rolled-back test transaction.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from survey import create_app
from survey.extensions import db
from survey.models import Dossier, Invitation
from survey.services.intake import apikeys
from survey.services.sampling import waves
from tests.sampling import factories as f

SCHEMA = "intake_faults"
THREADS = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _app_on(url: str):
    """An app on `url` without touching the database (it may not be there)."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret-key",
                       "WTF_CSRF_ENABLED": False, "SERVER_NAME": None})


def _post(app, key, records, **headers):
    return app.test_client().post("/api/v1/dossiers", json={"dossiers": records},
                                  headers={"Authorization": f"Bearer {key}", **headers})


def _close(app) -> None:
    from survey.services.respond import batch

    batch.release(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _assert_unavailable(resp) -> None:
    assert resp.status_code == 503, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    assert body["code"] == 503 and body["message"] and int(resp.headers["Retry-After"]) > 0


def test_intake_answers_503_while_postgresql_is_down():
    app = _app_on(f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/hailong")  # nothing listens there
    try:
        _assert_unavailable(_post(app, "hl123456.any-secret", [f.record("A")]))
        resp = app.test_client().post("/api/v1/invitations/reissue", json={"external_id": "A"},
                                      headers={"X-API-Key": "hl123456.any-secret"})
        _assert_unavailable(resp)
        _assert_unavailable(app.test_client().get("/api/v1/invitations/some-token/qr.svg"))
    finally:
        _close(app)


def test_intake_answers_503_while_the_sqlite_file_cannot_be_opened_and_recovers(tmp_path):
    from tests.conftest import make_test_app

    folder = tmp_path / "data"
    folder.mkdir()
    app = make_test_app("sqlite:///" + str(folder / "hailong.sqlite"))
    try:
        with app.app_context():
            f.make_registry(db.session)
            key = apikeys.create_key(db.session, f.make_source(db.session))[1]
            db.session.commit()
            db.session.remove()
            db.engine.dispose()  # no open connection keeps the file
        shutil.move(folder, tmp_path / "elsewhere")  # the disk holding the database is gone
        _assert_unavailable(_post(app, key, [f.record("A")]))
        shutil.move(tmp_path / "elsewhere", folder)
        assert _post(app, key, [f.record("A")]).get_json()["stored"] == 1
    finally:
        _close(app)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def real_app(request, tmp_path_factory):
    """An app whose commits are real: a scratch SQLite file, or a scratch schema in TEST_DATABASE_URL."""
    from tests.conftest import make_test_app

    drop = None
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("faults") / "faults.sqlite")
    else:
        if not os.environ.get("TEST_DATABASE_URL"):
            pytest.skip("TEST_DATABASE_URL is not set")
        base = make_url(os.environ["TEST_DATABASE_URL"])
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            admin.dispose()

        url = base.update_query_dict({"options": f"-csearch_path={SCHEMA}"}).render_as_string(hide_password=False)
    try:
        app = make_test_app(url)
        with app.app_context():
            f.make_registry(db.session)
            version = f.make_version(db.session)
            waves.launch(db.session, f.make_wave(db.session, version, fixed_pi=1.0))  # every new dossier invited
            app.config["TEST_KEY"] = apikeys.create_key(db.session, f.make_source(db.session))[1]
            db.session.commit()
            db.session.remove()
        yield app
        _close(app)
    finally:
        if drop:
            drop()


def _together(worker, n=THREADS):
    """Run worker(i) in n threads released at the same instant; returns their results."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = worker(i)
        except Exception as exc:  # noqa: BLE001 - reported by the test, not lost in a thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _counts(app, prefix: str) -> tuple[int, int]:
    with app.app_context():
        dossiers = db.session.scalar(select(func.count()).select_from(Dossier)
                                     .where(Dossier.external_id.like(prefix + "%")))
        invited = db.session.scalar(select(func.count()).select_from(Invitation).join(Dossier)
                                    .where(Dossier.external_id.like(prefix + "%")))
        db.session.remove()
    return dossiers, invited


@pytest.mark.parametrize("round_", range(5))
def test_overlapping_batches_sent_at_once_each_get_per_record_results(real_app, round_):
    key, prefix = real_app.config["TEST_KEY"], f"R{round_}-"
    ids = [f"{prefix}{n:03d}" for n in range(60)]

    def send(i):
        mine = ids[i * 5:i * 5 + 30]
        if i % 2:
            mine = mine[::-1]  # opposite orders: the classic deadlock between two inserting transactions
        resp = _post(real_app, key, [f.record(ext) for ext in mine])
        return resp.status_code, resp.get_json()

    answers = _together(send)
    assert all(isinstance(a, tuple) and a[0] == 200 for a in answers), answers
    stored = [r["external_id"] for _code, body in answers for r in body["results"] if r["status"] == "stored"]
    statuses = {r["status"] for _code, body in answers for r in body["results"]}
    sent = {ext for i in range(THREADS) for ext in ids[i * 5:i * 5 + 30]}
    assert statuses <= {"stored", "unchanged"}
    assert sorted(stored) == sorted(sent)  # each dossier stored by exactly one batch, with its invitation
    assert _counts(real_app, prefix) == (len(sent), len(sent))
    tokens = [i["token"] for _code, body in answers for r in body["results"] for i in r["invitations"]]
    assert len(tokens) == len(set(tokens)) == len(sent)


def test_a_retry_racing_its_first_sending_gets_the_same_tokens(real_app):
    key = real_app.config["TEST_KEY"]
    batch = [f.record(f"RETRY-{n}") for n in range(20)]

    def send(_i):
        resp = _post(real_app, key, batch, **{"Idempotency-Key": "retry-race-1"})
        return resp.status_code, resp.get_json()

    answers = _together(send, 4)
    assert all(isinstance(a, tuple) and a[0] == 200 for a in answers), answers
    tokens = [sorted(i["token"] for r in body["results"] for i in r["invitations"]) for _code, body in answers]
    assert len(tokens[0]) == 20 and all(t == tokens[0] for t in tokens)
    assert _counts(real_app, "RETRY-") == (20, 20)
