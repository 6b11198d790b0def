"""Intake API keys: one or more per source system; the secret is shown once and only its hash is kept.

A key looks like ``hl3f9a1c.<secret>``: the part before the dot is a public prefix used to find the
row, the whole key is hashed with survey.services.common.tokens.hash_token and compared in constant time.
What a key may send is its scope (survey.services.intake.scopes).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from survey.models import ApiKey, ApiKeyScope, SourceSystem
from survey.models._base import utcnow
from survey.services.common.tokens import hash_token, new_token, same_hash
from survey.services.intake.scopes import Scope

TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is a hint for admins, not a log: one write a minute at most


class ScopeError(ValueError):
    """A scope that cannot be stored: no row and not whole-province, or a row that names nothing."""


def create_key(session: Session, source: SourceSystem, scopes: list[Scope] | None = None,
               label: str = "") -> tuple[ApiKey, str]:
    """A new key for a source system; returns the row and the key in clear (show it once).

    `scopes` None makes a whole-province key (the provincial one-stop software); otherwise the key
    may send only what one of the rows admits.
    """
    while True:
        prefix = "hl" + secrets.token_hex(3)
        if not session.execute(select(ApiKey.id).where(ApiKey.prefix == prefix)).first():
            break
    key = f"{prefix}.{new_token()}"
    row = ApiKey(source_system_id=source.id, prefix=prefix, key_hash=hash_token(key), label=label.strip())
    session.add(row)
    set_scopes(session, row, scopes)
    return row, key


def set_scopes(session: Session, row: ApiKey, scopes: list[Scope] | None) -> None:
    """Replace what the key may send: None = whole province, else these rows (at least one)."""
    if scopes is not None:
        scopes = sorted(set(scopes), key=Scope.sort_key)
        if not scopes or any(s.empty() for s in scopes):
            raise ScopeError("a scoped key needs at least one row, and each row must name something")
    row.all_agencies = scopes is None
    row.scopes = [ApiKeyScope(agency_id=s.agency_id, service_point_id=s.service_point_id, sector_id=s.sector_id)
                  for s in scopes or ()]
    session.flush()


def rotate(session: Session, row: ApiKey) -> tuple[ApiKey, str]:
    """A new secret with the same source, label and scope; the old key is revoked at once."""
    if row.revoked_at is not None:
        raise ValueError("a revoked key cannot be rotated")
    scopes = None if row.all_agencies else [Scope(s.agency_id, s.service_point_id, s.sector_id) for s in row.scopes]
    new, key = create_key(session, row.source_system, scopes, row.label)
    row.revoked_at = utcnow()
    session.flush()
    return new, key


def authenticate(session: Session, key: str | None) -> ApiKey | None:
    """The key row a presented key belongs to, or None (unknown, wrong or revoked key)."""
    if not key or "." not in key or len(key) > 200:
        return None
    prefix = key.split(".", 1)[0]
    row = session.execute(select(ApiKey).where(ApiKey.prefix == prefix)
                          .options(selectinload(ApiKey.scopes))).scalar_one_or_none()
    if row is None or row.revoked_at is not None or not same_hash(key, row.key_hash):
        return None
    return row


def touch(session: Session, key_id: int, now: datetime | None = None) -> None:
    """Record that the key was used, unless that was done less than a minute ago (one cheap UPDATE)."""
    now = now or utcnow()
    session.execute(update(ApiKey).where(ApiKey.id == key_id, or_(ApiKey.last_used_at.is_(None),
                                                                   ApiKey.last_used_at < now - TOUCH_EVERY))
                    .values(last_used_at=now))


def stale(row: ApiKey, now: datetime | None = None) -> bool:
    """Whether `touch` would write (so a request can skip the UPDATE most of the time)."""
    return row.last_used_at is None or row.last_used_at < (now or utcnow()) - TOUCH_EVERY


def find(session: Session, prefix: str) -> ApiKey | None:
    """The key with this prefix, revoked or not."""
    return session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()


def revoke(session: Session, prefix: str) -> ApiKey | None:
    """Revoke the key with this prefix (idempotent); None when there is no such key."""
    row = find(session, prefix)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, newest first, with its source system and scope."""
    return list(session.execute(select(ApiKey).join(ApiKey.source_system)
                                .options(selectinload(ApiKey.scopes).selectinload(ApiKeyScope.agency),
                                         selectinload(ApiKey.scopes).selectinload(ApiKeyScope.service_point),
                                         selectinload(ApiKey.scopes).selectinload(ApiKeyScope.sector))
                                .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())).scalars())
