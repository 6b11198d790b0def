"""Every gunicorn worker answers the same published numbers, before and after late dossiers arrive,
until someone restates; then every worker answers the new version (gunicorn run for real, 3 workers)."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import requests

from survey.extensions import db
from survey.models import Wave
from survey.services.accounts.users import create_user
from survey.services.common.txn import run_write
from survey.services.workspace import publishing
from tests.conftest import make_test_app
from tests.publications.test_records import _late_dossiers
from tests.workspace.conftest import build_world

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
PASSWORD = "mat-khau-thu-nghiem-2025"
REQUESTS = 15  # sync workers close every connection, so requests spread over the workers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """A published closed wave on a SQLite file, served by gunicorn with three workers."""
    url = "sqlite:///" + str(tmp_path / "workers.sqlite")
    app = make_test_app(url)
    with app.app_context():
        world = run_write(lambda: build_world(db.session, publish=False))
        run_write(lambda: create_user(db.session, "phan.tich.w", PASSWORD, "analyst"))
        run_write(lambda: publishing.publish(db.session, "cli", world["wave"]))
        wave_id = world["wave"].id
        world = {k: SimpleNamespace(id=v.id) for k, v in world.items()}  # ids outlive this session
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="workers-test", HAILONG_RATE_LIMIT_FILE=str(tmp_path / "rl"))
    proc = subprocess.Popen([GUNICORN, "-c", "python:survey.gunicorn_conf", "--workers", "3", "--bind",
                             f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        yield app, base, wave_id, world
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        with app.app_context():
            db.engine.dispose()


def _signed_in(base: str) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    resp = s.post(base + "/auth/login", data={"csrf_token": next(g for g in token.groups() if g),
                                              "username": "phan.tich.w", "password": PASSWORD, "next": ""})
    assert resp.status_code == 200 and "/analyst" in resp.url, resp.url
    return s


def _headlines(session: requests.Session, base: str, wave_id: int) -> set:
    seen = set()
    for _ in range(REQUESTS):
        page = session.get(f"{base}/analyst/?wave={wave_id}", headers={"Connection": "close"}).text
        value = re.search(r'data-testid="headline-value">([^<]+)<', page).group(1).strip()
        version = re.search(r"phiên bản (\d+)", page)
        seen.add((value, version.group(1) if version else None))
    return seen


@pytest.mark.slow
def test_every_worker_answers_the_published_numbers_until_a_restatement(served):
    app, base, wave_id, world = served
    session = _signed_in(base)
    before = _headlines(session, base, wave_id)
    assert len(before) == 1 and next(iter(before))[1] == "1"
    with app.app_context():
        _late_dossiers(db.session, world)  # committed: the live data now gives other numbers
    assert _headlines(session, base, wave_id) == before
    with app.app_context():
        run_write(lambda: publishing.restate(db.session, "cli", db.session.get(Wave, wave_id),
                                             "Nhập bổ sung hồ sơ muộn"))
    after = _headlines(session, base, wave_id)
    assert len(after) == 1 and next(iter(after))[1] == "2" and after != before
