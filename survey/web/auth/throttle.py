"""One sign-in attempt through every limit, the password checked only when all of them let it pass.

In order, each refusal answered 429 with Retry-After and counted in the address's summary row:
1. A browser that signed in to this account before (browser.known_for) has its own bucket,
   login_device, and skips the rest of the limits but the password. Others take a token from
   login_address (per client address) and then login_global (the whole site): taken before the
   password is checked, so parallel guesses cannot all pass; given back when the attempt is not
   a checked failure (it signed in, or a later limit refused it).
2. The account's growing delay (survey/services/accounts/signin.py), counted in the database
   before the check; a username without an account gets the same delay from the shared table.
3. The password (scrypt, outside any transaction), then the outcome committed.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import request

from survey.extensions import db
from survey.models import User
from survey.services.accounts import sessions, signin
from survey.services.common.txn import run_write
from survey.web import limits
from survey.web.auth import browser


@dataclass(frozen=True)
class Outcome:
    """The user and the new session's token when the attempt signed in; else why not and for how long."""

    user: User | None = None
    token: str | None = None
    refused_by: str | None = None  # address, global, device or account: the attempt was not checked
    retry_after: int | None = None


def attempt(username: str, password: str) -> Outcome:
    """Run one sign-in attempt through the limits; see the module docstring for the order."""
    ip = request.remote_addr or ""
    known = browser.known_for(username)
    buckets = [("device", "login_device", known)] if known else [
        ("address", "login_address", ip), ("global", "login_global", "all")]
    taken: list[tuple[str, str]] = []
    for reason, kind, key in buckets:
        retry = limits.check(kind, key)
        if retry is not None:
            return _refuse(taken, ip, reason, retry)
        taken.append((kind, key))
    reserved = run_write(lambda: signin.reserve(db.session, username, ignore_delay=known is not None))
    retry = reserved.retry_after
    if reserved.user_id is None and known is None:
        retry = limits.backoff("login_username", reserved.key, signin.delay_after)
    if retry is not None:
        return _refuse(taken, ip, "account", retry)
    if signin.check(reserved, password):
        outcome = run_write(lambda: _succeed(reserved, ip))
        if outcome.user is not None:  # else disabled or re-passworded meanwhile: a checked failure, audited
            _give_back(taken)
        return outcome
    run_write(lambda: signin.failed(db.session, reserved, ip))
    return Outcome()


def _succeed(reserved: signin.Attempt, ip: str) -> Outcome:
    user = signin.succeeded(db.session, reserved, ip)
    if user is None:
        return Outcome()
    _row, token = sessions.open_session(db.session, user, browser.user_agent())
    return Outcome(user, token)


def _give_back(taken: list[tuple[str, str]]) -> None:
    for kind, key in taken:
        limits.refund(kind, key)


def _refuse(taken: list[tuple[str, str]], ip: str, reason: str, retry: int) -> Outcome:
    _give_back(taken)
    run_write(lambda: signin.throttled(db.session, ip, reason))
    return Outcome(refused_by=reason, retry_after=retry)
