"""Intake API keys: one or more per source system; the secret is shown once and only its hash is kept.

A key looks like ``hl3f9a1c.<secret>``: the part before the dot is a public prefix used to find the
row, the whole key is hashed with survey.services.common.tokens.hash_token and compared in constant time.
"""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import ApiKey, SourceSystem
from survey.models._base import utcnow
from survey.services.common.tokens import hash_token, new_token, same_hash


def create_key(session: Session, source: SourceSystem) -> tuple[ApiKey, str]:
    """A new key for a source system; returns the row and the key in clear (show it once)."""
    while True:
        prefix = "hl" + secrets.token_hex(3)
        if not session.execute(select(ApiKey.id).where(ApiKey.prefix == prefix)).first():
            break
    key = f"{prefix}.{new_token()}"
    row = ApiKey(source_system_id=source.id, prefix=prefix, key_hash=hash_token(key))
    session.add(row)
    session.flush()
    return row, key


def authenticate(session: Session, key: str | None) -> SourceSystem | None:
    """The source system a presented key belongs to, or None (unknown, wrong or revoked key)."""
    if not key or "." not in key or len(key) > 200:
        return None
    prefix = key.split(".", 1)[0]
    row = session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    if row is None or row.revoked_at is not None or not same_hash(key, row.key_hash):
        return None
    return row.source_system


def revoke(session: Session, prefix: str) -> ApiKey | None:
    """Revoke the key with this prefix (idempotent); None when there is no such key."""
    row = session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, newest first, with its source system."""
    return list(session.execute(select(ApiKey).join(ApiKey.source_system)
                                .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())).scalars())
