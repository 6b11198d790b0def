"""Security headers on every answer: a nonce-based Content-Security-Policy, no framing, no sniffing, HSTS.

Why a nonce and not 'unsafe-inline': the few inline scripts (kiosk enrolment, credential renewal) are
ours; anything else injected into a page must not run. Templates mark theirs, and their few
page-specific <style> blocks, with `nonce="{{ csp_nonce() }}"`. Inline style attributes stay allowed
(style-src-attr): progress and rate bars set their width from data, and a style attribute runs no code.
"""
from __future__ import annotations

import secrets

from flask import Flask, g, request

HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This request's CSP nonce (made on first use)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def policy(nonce: str) -> str:
    """The Content-Security-Policy for a page whose inline scripts carry `nonce`."""
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        f"style-src 'self' 'nonce-{nonce}'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def _https(app: Flask) -> bool:
    return bool(request.is_secure or app.config.get("SESSION_COOKIE_SECURE")
                or str(app.config.get("PUBLIC_BASE_URL") or "").startswith("https://"))


def install(app: Flask) -> None:
    """Add the headers to every response and `csp_nonce()` to the templates."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.before_request
    def _fresh_nonce():
        g.pop("csp_nonce", None)  # g can outlive a request (an app context pushed around several)

    @app.after_request
    def _security_headers(resp):
        resp.headers["Content-Security-Policy"] = policy(csp_nonce())
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if _https(app):
            resp.headers["Strict-Transport-Security"] = HSTS
        return resp
