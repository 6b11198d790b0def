"""What a staff member's browser holds: its session token, and a mark that it has signed in before.

The Flask session cookie carries a random token; the user loader accepts the cookie only while
the token's UserSession row is live (survey/services/accounts/sessions.py), so logout, logout
everywhere and an admin's revocation end a copied cookie too.

The "known browser" cookie (OWASP's device cookie) is signed, names the account it signed in to
and carries a random nonce. Sign-in attempts that bring it for that account skip the per-address,
site-wide and per-account limits and have their own small limit (kind login_device), so an
attacker who exhausts those limits cannot keep the real user out. It proves nothing by itself:
the password is still checked.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, g, request, session
from flask_login import login_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from survey.extensions import db
from survey.models import User
from survey.services.accounts import sessions
from survey.services.accounts.users import normalise_username

TOKEN_KEY = "session_token"
KNOWN_COOKIE = "hailong_known"
KNOWN_DAYS = 90
_KNOWN_SALT = "hailong-known-browser"


def lifetime() -> sessions.Lifetime:
    """The idle and absolute session limits from the configuration."""
    return sessions.Lifetime(idle=timedelta(hours=float(current_app.config.get("SESSION_IDLE_HOURS", 12))),
                             absolute=timedelta(hours=float(current_app.config.get("SESSION_MAX_HOURS", 168))))


def user_agent() -> str:
    """The browser's self-description, for the list of sessions."""
    return request.headers.get("User-Agent", "")


def token() -> str | None:
    """This browser's session token, if it has one."""
    return session.get(TOKEN_KEY)


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the user whose live session this cookie names, else None."""
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    current = token()
    if current is None:
        # Tests of other features sign in by writing `_user_id` into the cookie; only a TESTING app
        # accepts that. Remove once their helpers call tests.auth.conftest.open_browser_session.
        user = db.session.get(User, int(user_id)) if current_app.testing else None
        return user if user is not None and user.active else None
    row = sessions.live_session(db.session, int(user_id), current, lifetime())
    if row is None or not row.user.active:
        return None
    if sessions.needs_touch(row):
        g.touch_session = row.id  # written by check_session, before the view runs
    return row.user


def begin(user: User, new_token: str) -> None:
    """Make this browser signed in as `user` with a fresh cookie (only the language choice survives)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    session[TOKEN_KEY] = new_token


def rotate(new_token: str) -> None:
    """Give this browser a new session token (its old one was revoked with the account's others)."""
    session[TOKEN_KEY] = new_token


def forget() -> None:
    """Drop the sign-in from this browser's cookie (the language choice stays)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_KNOWN_SALT)


def known_for(username: str) -> str | None:
    """The nonce of this browser's known-browser mark when it is for `username`, else None."""
    raw = request.cookies.get(KNOWN_COOKIE)
    if not raw:
        return None
    try:
        mark = _serializer().loads(raw, max_age=KNOWN_DAYS * 86400)
    except BadSignature:
        return None
    if not isinstance(mark, dict) or mark.get("u") != normalise_username(username):
        return None
    nonce = mark.get("n")
    return nonce if isinstance(nonce, str) and nonce else None


def mark_known(response, user: User):
    """Set the known-browser mark for `user` on the sign-in answer."""
    value = _serializer().dumps({"u": user.username, "n": secrets.token_urlsafe(16)})
    response.set_cookie(KNOWN_COOKIE, value, max_age=KNOWN_DAYS * 86400, path="/auth/", httponly=True,
                        samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response
