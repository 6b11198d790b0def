"""The access log names the route, not the secret: gunicorn run for real, its log file read back."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from survey.extensions import db
from survey.gunicorn_conf import scrub_url
from survey.services.common.tokens import new_short_code, new_token
from tests.conftest import make_test_app

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
# Every atom that holds a URL or a credential, as an operator might ask for them.
EVERY_ATOM = ('%(r)s|%(U)s|%(q)s|%(f)s|%({referer}i)s|%({raw_uri}e)s|%({query_string}e)s|%({authorization}i)s'
              '|%({x-device-credential}i)s|%({cookie}i)s|%({http_authorization}e)s')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A migrated SQLite database for the served app (the routes answer 404, not 500, to unknown tokens)."""
    url = "sqlite:///" + str(tmp_path_factory.mktemp("access-log") / "log.sqlite")
    app = make_test_app(url)
    with app.app_context():
        db.engine.dispose()
    return url


def _serve(tmp_path, url: str, log_format: str | None):
    """gunicorn as `make run` starts it (survey.gunicorn_conf, wsgi:app), its access log to a file."""
    port, log = _free_port(), tmp_path / "access.log"
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="access-log-test",
               HAILONG_RATE_LIMIT_FILE=str(tmp_path / "limits.bin"))
    cmd = [GUNICORN, "-c", "python:survey.gunicorn_conf", "--workers", "1", "--threads", "2",
           "--bind", f"127.0.0.1:{port}", "--access-logfile", str(log), "--log-level", "warning"]
    cmd += ["--access-logformat", log_format] if log_format else []
    proc = subprocess.Popen([*cmd, "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            _get(port, "/healthz")
            return proc, port, log
        except OSError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("gunicorn did not start")


def _get(port: int, uri: str, headers: dict | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", uri, headers=headers or {})  # the URI as given, not normalised by a client library
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize("log_format", [None, EVERY_ATOM], ids=["default-format", "every-url-atom"])
def test_access_log_shows_routes_not_tokens_codes_or_credentials(tmp_path, database_url, log_format):
    token, code, credential = new_token(), new_short_code(), new_token()
    proc, port, log = _serve(tmp_path, database_url, log_format)
    requests = [
        (f"/s/{token}/1", {}),
        (f"//s/{token}/done", {}),
        (f"/s%2F{token}", {}),
        (f"/api/v1/invitations/{token}/qr.svg", {}),
        (f"/lang/en?next=%2Fs%2F{token}%2F2", {"Referer": f"http://127.0.0.1:{port}/s/{token}/2"}),
        (f"/kiosk/enrol?code={code}", {"Authorization": f"Bearer {credential}"}),
        ("/kiosk/ping", {"X-Device-Credential": credential, "Cookie": f"session={credential}"}),
    ]
    try:
        for uri, headers in requests:
            _get(port, uri, headers)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    lines = [line for line in log.read_text().splitlines() if "/healthz" not in line]
    assert len(lines) == len(requests), lines  # one line per request: the log was written
    text = "\n".join(lines)
    for secret in (token, code, credential):
        assert secret not in text
    assert "/s/<token>/1" in text and "/s/<token>/done" in text
    assert "/api/v1/invitations/<token>/qr.svg" in text
    assert "next=/s/<token>/2" in text
    assert "code=<code>" in text and "/kiosk/ping" in text


def test_every_route_with_a_token_argument_is_scrubbed(app):
    token = new_token()
    rules = [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]
    assert rules  # the respond and invitation routes exist
    with app.test_request_context():
        for rule in rules:
            values = {arg: (token if arg == "token" else 1) for arg in rule.arguments}
            url = app.url_for(rule.endpoint, **values)
            assert token not in scrub_url(url), rule.rule
            assert "<token>" in scrub_url(url), rule.rule


def test_urls_without_secrets_are_logged_unchanged():
    for url in ("/s/", "/analyst/export/index.csv?wave=3&lang=en", "/api/v1/invitations/reissue",
                "/admin/users/5", "https://example.org/analyst/?sector=land"):
        assert scrub_url(url) == url
