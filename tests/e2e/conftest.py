"""Real-browser fixtures: a live server on its own SQLite file and Debian's Chromium via Playwright."""
from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium_or_skip():
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        pytest.fail("CI must run the browser tests: /usr/bin/chromium is missing (make chromium installs it)")
    pytest.skip("Chromium is not installed (`make chromium` installs Debian's package as root)")


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """An app on a fresh migrated SQLite file with the questionnaire bank and the demo province."""
    from survey.extensions import db
    from tests.conftest import make_test_app

    url = "sqlite:///" + str(tmp_path_factory.mktemp("e2e") / "e2e.sqlite")
    app = make_test_app(url, WTF_CSRF_ENABLED=True, PUBLIC_BASE_URL="http://127.0.0.1")
    with app.app_context():
        from survey import QUESTIONNAIRE_DIR
        from survey.services.demo import seed_demo
        from survey.services.questionnaires.bank import load_bank

        load_bank(db.session, QUESTIONNAIRE_DIR)
        ctx = seed_demo(db.session)
        db.session.commit()
        app.config["E2E_DEMO"] = ctx.data
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    """Serve the live app on a free loopback port in a background thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    live_app.config["PUBLIC_BASE_URL"] = base
    yield base
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (never `playwright install`)."""
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page per test (phone-sized viewport, Vietnamese)."""
    context = browser.new_context(viewport={"width": 412, "height": 915}, locale="vi-VN")
    pg = context.new_page()
    blocked: list[str] = []
    # A script or style the Content-Security-Policy blocks is a broken page even when the test's steps pass.
    pg.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield pg
    context.close()
    assert blocked == [], blocked
