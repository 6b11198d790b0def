"""Links and QR codes point at the server: the public URL derived from the address served, or checked at start."""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from survey.config import DEFAULT_PUBLIC_URL, load_config
from survey.extensions import db
from survey.gunicorn_conf import _lan_address, derived_public_url, public_url_problem
from survey.services.intake import batch as intake
from survey.services.sampling import waves
from tests.conftest import make_test_app
from tests.sampling import factories

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")


@pytest.mark.parametrize("served, url", [
    ([("127.0.0.1", 5101)], "http://127.0.0.1:5101"),
    ([("::1", 5101)], "http://[::1]:5101"),
    ([("10.1.2.3", 8000), ("127.0.0.1", 8001)], "http://10.1.2.3:8000"),
    ([], None),
])
def test_the_derived_url_is_the_address_served(served, url):
    assert derived_public_url(served) == url


def test_a_wildcard_bind_derives_this_machines_network_address_not_0000():
    url = derived_public_url([("0.0.0.0", 8000)])
    assert url == f"http://{_lan_address()}:8000" and "0.0.0.0" not in url


@pytest.mark.parametrize("public, served", [
    ("http://127.0.0.1:5101", [("127.0.0.1", 5101)]),
    ("http://localhost:5101/", [("127.0.0.1", 5101)]),
    ("https://hailong.example.gov.vn", [("127.0.0.1", 8000)]),        # behind a proxy: nothing to check
    ("http://dichvucong.hatinh.gov.vn:8080", [("0.0.0.0", 8000)]),   # another machine's name
    ("http://{lan}:8000", [("0.0.0.0", 8000)]),
])
def test_a_url_that_reaches_the_server_or_that_it_cannot_check_is_fine(public, served):
    assert public_url_problem(public.format(lan=_lan_address()), served) is None


@pytest.mark.parametrize("public, served, words", [
    ("http://127.0.0.1:5000", [("127.0.0.1", 5101)], "points at this machine's port 5000, but this server listens "
                                                     "on 127.0.0.1:5101"),
    ("http://{lan}:5000", [("0.0.0.0", 5101)], "port 5000"),
    ("http://{lan}:5101", [("127.0.0.1", 5101)], "listens on 127.0.0.1:5101"),  # the LAN cannot reach loopback
    ("http://127.0.0.1:8000", [("0.0.0.0", 8000)], "loopback address, which only this machine opens"),
    ("http://0.0.0.0:8000", [("0.0.0.0", 8000)], "not an address a phone can open"),
    ("ftp://hailong.example", [("0.0.0.0", 8000)], "not an http(s) address"),
    ("http://127.0.0.1:99999", [("127.0.0.1", 5000)], "no valid port"),
])
def test_a_url_that_would_not_reach_this_server_is_named_with_the_reason(public, served, words):
    problem = public_url_problem(public.format(lan=_lan_address()), served)
    assert problem and words in problem and "HAILONG_PUBLIC_URL=" in problem


@pytest.mark.parametrize("value, base", [(None, DEFAULT_PUBLIC_URL), ("", DEFAULT_PUBLIC_URL),
                                         (" https://ks.example.gov.vn/ ", "https://ks.example.gov.vn")])
def test_the_configured_url_is_read_without_its_trailing_slash(monkeypatch, tmp_path, value, base):
    monkeypatch.setenv("SECRET_KEY", "x")
    if value is None:
        monkeypatch.delenv("HAILONG_PUBLIC_URL", raising=False)
    else:
        monkeypatch.setenv("HAILONG_PUBLIC_URL", value)
    assert load_config(str(tmp_path))["PUBLIC_BASE_URL"] == base


# -- gunicorn started for real ------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served_token(tmp_path_factory):
    """A migrated SQLite database holding one open invitation; returns (database URL, its token)."""
    url = "sqlite:///" + str(tmp_path_factory.mktemp("public-url") / "url.sqlite")
    app = make_test_app(url)
    with app.app_context():
        factories.make_registry(db.session)
        version, source = factories.make_version(db.session), factories.make_source(db.session)
        intake.ingest(db.session, source, [factories.record("a")])
        (issued,) = waves.launch(db.session, factories.make_wave(db.session, version, fixed_pi=1.0))
        db.session.commit()
        db.engine.dispose()
    return url, issued.token


def _serve(tmp_path, url: str, public: str | None) -> tuple[subprocess.Popen, int, str]:
    """gunicorn as `make run` starts it, on a free port; returns it, the port and its error log so far."""
    port, log = _free_port(), tmp_path / "error.log"
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="public-url-test",
               HAILONG_RATE_LIMIT_FILE=str(tmp_path / "limits.bin"), HAILONG_JOBS_DIR=str(tmp_path / "jobs"))
    env.pop("HAILONG_PUBLIC_URL", None)
    if public is not None:
        env["HAILONG_PUBLIC_URL"] = public
    cmd = [GUNICORN, "-c", "python:survey.gunicorn_conf", "--workers", "1", "--threads", "2",
           "--bind", f"127.0.0.1:{port}", "--error-logfile", str(log), "wsgi:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _get(port, "/healthz")
            return proc, port, log.read_text()
        except OSError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("gunicorn did not start")


def _get(port: int, uri: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", uri)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8")
    finally:
        conn.close()


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(30)


@pytest.mark.slow
def test_unset_the_slip_links_to_the_port_actually_served(tmp_path, served_token):
    url, token = served_token
    proc, port, log = _serve(tmp_path, url, None)
    try:
        status, slip = _get(port, f"/api/v1/invitations/{token}/slip")
    finally:
        _stop(proc)
    assert f"HAILONG_PUBLIC_URL is not set: invitation links and QR codes use http://127.0.0.1:{port}" in log
    assert status == 200 and f"http://127.0.0.1:{port}/s/{token}" in slip
    assert re.search(rf"Mở trang 127\.0\.0\.1:{port} và nhập mã", slip) and ":5000" not in slip


@pytest.mark.slow
def test_a_public_url_on_another_port_of_this_machine_is_warned_about_at_start(tmp_path, served_token):
    url, _token = served_token
    proc, port, log = _serve(tmp_path, url, DEFAULT_PUBLIC_URL)
    _stop(proc)
    (line,) = [line for line in log.splitlines() if "HAILONG_PUBLIC_URL" in line]
    assert "[WARNING]" in line and f"points at this machine's port 5000, but this server listens on " \
                                  f"127.0.0.1:{port}" in line


@pytest.mark.slow
def test_a_public_url_that_matches_is_only_noted(tmp_path, served_token):
    url, _token = served_token
    proc, _port, log = _serve(tmp_path, url, "https://hailong.example.gov.vn")
    _stop(proc)
    assert "[WARNING]" not in log and "Invitation links and QR codes use https://hailong.example.gov.vn" in log
