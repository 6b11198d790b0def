"""A database that cannot be reached is a 503 with Retry-After on every page and JSON API, never a 500."""
from __future__ import annotations

import socket

from survey import create_app


def _closed_port() -> int:
    with socket.socket() as s:  # a port nothing listens on once this socket is closed
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pages_and_the_kiosk_api_answer_503_while_the_database_is_unreachable():
    down = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret-key", "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/none",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
    })
    client = down.test_client()
    kiosk = client.post("/kiosk/api/responses", json={}, headers={"X-Device-Credential": "x" * 40})
    assert kiosk.status_code == 503 and kiosk.headers["Retry-After"] == "30"
    assert kiosk.get_json()["code"] == 503
    page = client.get("/s/" + "t" * 24)
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "503" in page.get_data(as_text=True)
