"""How a kiosk proves which device it is: the long credential, never a session or CSRF token.

The credential travels in the X-Device-Credential header (set by the kiosk's script from
localStorage). The HttpOnly cookie with the same value is accepted only together with the
X-Kiosk header, which a cross-site form or image cannot send, so the JSON endpoints need no CSRF
token.
"""
from __future__ import annotations

from types import SimpleNamespace

from flask import current_app, request

from survey.extensions import db
from survey.models import Device
from survey.services.common.tokens import hash_token
from survey.services.kiosk import devices

HEADER = "X-Device-Credential"
COOKIE = "hl_device"
COOKIE_DAYS = 400  # the longest lifetime browsers keep; the kiosk's script renews it


def credential_from_request(allow_plain_cookie: bool = False) -> str | None:
    """The presented credential (header first; cookie with X-Kiosk, or alone for page loads)."""
    value = request.headers.get(HEADER)
    if value:
        return value
    if allow_plain_cookie or request.headers.get("X-Kiosk") == "1":
        return request.cookies.get(COOKIE)
    return None


def current_device(allow_plain_cookie: bool = False) -> Device | None:
    """The active device making this request, or None."""
    return devices.authenticate(db.session, credential_from_request(allow_plain_cookie))


# Credential hash → (device id, service point id), so a submission needs no look-up query. Safe
# because the submission's own transaction re-checks the credential (see api.py), so a revoked
# or re-enrolled device is refused at once; entries of unknown credentials are never kept.
_known: dict[str, tuple[int, int]] = {}
MAX_KNOWN = 10_000


def device_identity() -> SimpleNamespace | None:
    """id, service_point_id and secret_hash of the presenting device (cached; the caller re-checks)."""
    credential = credential_from_request()
    if not credential or len(credential) > 200:
        return None
    digest = hash_token(credential)
    hit = _known.get(digest)
    if hit is None:
        device = devices.authenticate(db.session, credential)
        if device is None:
            return None
        if len(_known) >= MAX_KNOWN:
            _known.clear()
        hit = _known[digest] = (device.id, device.service_point_id)
    return SimpleNamespace(id=hit[0], service_point_id=hit[1], secret_hash=digest)


def forget(secret_hash: str) -> None:
    """Drop a cached identity (its device was revoked or re-enrolled)."""
    _known.pop(secret_hash, None)


def forget_all() -> None:
    """Drop every cached identity."""
    _known.clear()


def set_device_cookie(response, credential: str) -> None:
    """Remember the credential in an HttpOnly cookie scoped to /kiosk (page loads, offline shell)."""
    response.set_cookie(COOKIE, credential, max_age=COOKIE_DAYS * 86400, path="/kiosk",
                        httponly=True, samesite="Strict",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
