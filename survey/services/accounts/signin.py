"""Sign-in throttling that counts each attempt once, before the password is checked.

An attempt takes three short steps, each the caller's own transaction, so no lock is held while
scrypt runs:

1. `reserve`: one UPDATE ... SET failed_logins = failed_logins + 1 ... RETURNING, on the row of the
   account, only while its delay is not running. N parallel attempts therefore count N, and once
   the count reaches FREE_FAILURES each further attempt must wait `delay_after(count)` seconds
   (2, 4, 8 … capped at MAX_DELAY): attempts during the delay are refused without the password
   being checked at all. The delay never grows while it runs, so an attacker cannot keep the real
   user out for longer than the current delay, and a browser that signed in before is not held by
   it at all (survey/web/auth/throttle.py).
2. `check`: the password against the stored hash, or a dummy hash for an unknown or disabled
   account (the same time either way).
3. `succeeded` (count back to 0, `auth.login`) or `failed` (`auth.login_failed`, one row per
   checked password: those are bounded by the per-address and site-wide limits).

Attempts refused by a limit or a delay are not audited one by one (anonymous requests could flood
the log): `throttled` counts them in one `auth.login_throttled` row per address and minute.
Usernames without an account get the same delay from the web layer's shared table, so the
answers never tell whether an account exists. Flushes, never commits.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, null, or_, select, update
from sqlalchemy.orm import Session

from survey.models import AuditLog, User
from survey.models._base import utcnow
from survey.services.accounts.users import normalise_username, verify_hash
from survey.services.common import audit

FREE_FAILURES = 5  # consecutive failures before the first delay: room for typos
MAX_DELAY = 15 * 60  # seconds; the delay doubles up to this
THROTTLED = "auth.login_throttled"


def delay_after(failures: int) -> float:
    """Seconds the next attempt must wait after `failures` consecutive failures: 0, then 2, 4, 8 … MAX_DELAY."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(2 ** (failures - FREE_FAILURES + 1), MAX_DELAY))


@dataclass(frozen=True)
class Attempt:
    """A reserved sign-in attempt: whose, the hash to check against, or how long to wait when refused."""

    key: str  # the normalised username (also the audit target)
    user_id: int | None = None  # None: no such account
    password_hash: str | None = None  # None: unknown or disabled account (checked against a dummy hash)
    failures: int = 0  # consecutive failures counting this attempt
    retry_after: int | None = None  # refused: seconds until the account's delay ends


def _key(username: str) -> str:
    return normalise_username(username)[:64]


def _delay_until(failures, now: datetime):
    """SQL for locked_until after `failures` (a column expression) consecutive failures."""
    steps, n = [], FREE_FAILURES
    while delay_after(n) < MAX_DELAY:
        steps.append((failures == n, now + timedelta(seconds=delay_after(n))))
        n += 1
    return case((failures < FREE_FAILURES, null()), *steps, else_=now + timedelta(seconds=MAX_DELAY))


def reserve(session: Session, username: str, now: datetime | None = None, ignore_delay: bool = False) -> Attempt:
    """Count an attempt on the account before its password is checked; refuse it while the delay runs. Flushes.

    `ignore_delay` is for a browser that signed in to this account before (its own limit applies).
    """
    now = now or utcnow()
    key = _key(username)
    counted = User.failed_logins + 1
    stmt = update(User).where(User.username == key)
    if not ignore_delay:
        stmt = stmt.where(or_(User.locked_until.is_(None), User.locked_until <= now))
    row = session.execute(
        stmt.values(failed_logins=counted, locked_until=_delay_until(counted, now))
        .returning(User.id, User.failed_logins, User.password_hash, User.active)
        .execution_options(synchronize_session=False)).first()
    if row is not None:
        _expire(session, row.id)
        return Attempt(key, row.id, row.password_hash if row.active else None, row.failed_logins)
    found = session.execute(select(User.id, User.locked_until).where(User.username == key)).first()
    if found is None:
        return Attempt(key)
    wait = (found.locked_until - now).total_seconds() if found.locked_until else 0
    return Attempt(key, found.id, retry_after=max(1, math.ceil(wait)))


def _expire(session: Session, user_id: int) -> None:
    """A loaded User must not keep showing the counter from before the UPDATE."""
    loaded = session.identity_map.get(session.identity_key(User, user_id))
    if loaded is not None:
        session.expire(loaded)


def check(attempt: Attempt, password: str) -> bool:
    """Whether the password matches (scrypt, outside any transaction); False for unknown or disabled accounts."""
    return verify_hash(attempt.password_hash, password)


def succeeded(session: Session, attempt: Attempt, ip: str = "", now: datetime | None = None) -> User | None:
    """Sign the account in: count back to 0, last sign-in time, `auth.login`. Flushes.

    None when the account was disabled or its password changed since the check (it does not sign in).
    """
    now = now or utcnow()
    done = session.execute(
        update(User).where(User.id == attempt.user_id, User.active.is_(True),
                           User.password_hash == attempt.password_hash)
        .values(failed_logins=0, locked_until=None, last_login_at=now)
        .execution_options(synchronize_session=False))
    if not done.rowcount:
        failed(session, attempt, ip)
        return None
    _expire(session, attempt.user_id)
    user = session.get(User, attempt.user_id)
    audit.record(session, user, "auth.login", "username", attempt.key, ip=ip)
    return user


def failed(session: Session, attempt: Attempt, ip: str = "") -> None:
    """Audit a checked wrong password (`auth.login_failed`); the attempt was counted by `reserve`. Flushes."""
    audit.record(session, "anonymous", "auth.login_failed", "username", attempt.key, ip=ip,
                 failures=attempt.failures)


def throttled(session: Session, ip: str, reason: str, now: datetime | None = None) -> AuditLog:
    """Count an attempt refused unchecked in this address's `auth.login_throttled` row of this minute. Flushes.

    `reason` is the limit that refused it: address, global, device, account or username.
    """
    now = now or utcnow()
    minute = now.replace(second=0, microsecond=0)
    address = (ip or "")[:64]
    if session.get_bind().dialect.name == "postgresql":
        # Parallel refusals of one address wait here for each other, so they find one row, not one each.
        # (SQLite has one writer at a time anyway.)
        lock = int.from_bytes(hashlib.blake2b(f"{THROTTLED}\0{address}".encode(), digest_size=8).digest(),
                              "big", signed=True)
        session.execute(select(func.pg_advisory_xact_lock(lock)))
    entry = session.scalar(select(AuditLog).where(
        AuditLog.action == THROTTLED, AuditLog.target_type == "address", AuditLog.target_id == address,
        AuditLog.at >= minute).order_by(AuditLog.id.desc()).limit(1).with_for_update())
    if entry is None:
        entry = audit.record(session, "anonymous", THROTTLED, "address", address, minute=minute.isoformat(),
                             count=0, reasons={})
        entry.at = now  # the minute it counts, also when the caller says which
    reasons = dict(entry.details.get("reasons", {}))
    reasons[reason] = reasons.get(reason, 0) + 1
    entry.details = {**entry.details, "count": entry.details.get("count", 0) + 1, "reasons": reasons}
    session.flush()
    return entry
