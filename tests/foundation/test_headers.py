"""Security headers: a nonce-based CSP on every answer, no framing or sniffing, HSTS only over HTTPS."""
from __future__ import annotations

import re
from pathlib import Path

from survey.paths import TEMPLATE_DIR

PAGES = ["/", "/healthz", "/auth/login", "/kiosk/", "/s/not-a-token", "/api/v1/openapi.json", "/no-such-page"]


def _csp(resp) -> dict[str, str]:
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else ""
            for d in (part.strip() for part in resp.headers["Content-Security-Policy"].split(";"))}


def test_every_answer_forbids_framing_sniffing_and_foreign_scripts(client):
    for path in PAGES:
        resp = client.get(path)
        csp = _csp(resp)
        assert csp["frame-ancestors"] == "'none'" and resp.headers["X-Frame-Options"] == "DENY", path
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"], path
        assert csp["object-src"] == "'none'" and csp["default-src"] == "'self'", path
        assert "Strict-Transport-Security" not in resp.headers, path


def test_the_nonce_is_fresh_per_request_and_marks_the_pages_inline_script(client):
    first, second = client.get("/kiosk/"), client.get("/kiosk/")
    nonces = [re.search(r"'nonce-([^']+)'", _csp(r)["script-src"]).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16
    assert f'<script nonce="{nonces[0]}">' in first.get_data(as_text=True)


def test_hsts_is_sent_over_https(client):
    resp = client.get("/healthz", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_template_has_an_inline_script_or_style_block_without_the_nonce():
    offenders = []
    for path in Path(TEMPLATE_DIR).rglob("*.html"):
        if path.parent.name == "reports":
            continue  # rendered into a PDF by WeasyPrint, never served to a browser: no CSP applies
        for tag in re.findall(r"<style\b[^>]*>", path.read_text(encoding="utf-8")):
            if "csp_nonce()" not in tag:
                offenders.append(f"{path.name}: {tag}")
        for tag in re.findall(r"<script\b[^>]*>", path.read_text(encoding="utf-8")):
            if "src=" in tag or 'type="application/json"' in tag or "csp_nonce()" in tag:
                continue
            offenders.append(f"{path.name}: {tag}")
        assert not re.search(r"\son[a-z]+=\"", path.read_text(encoding="utf-8")), f"inline handler in {path.name}"
    assert offenders == []
