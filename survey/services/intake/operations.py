"""Intake API keys as operators manage them (`hailong apikey`), each change audit-logged.

`actor` is who makes the change (a User, or a string such as "cli"). Flushes, never commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from survey.models import ApiKey, SourceSystem
from survey.services.common import audit
from survey.services.intake import apikeys
from survey.services.intake.batch import get_or_create_source


@dataclass(frozen=True)
class NewKey:
    """A key just made: its row, the key in clear (shown once), its source and whether that was created too."""

    row: ApiKey
    key: str
    source: SourceSystem
    source_created: bool


def issue_key(session: Session, actor: Any, source_code: str, name: str = "") -> NewKey:
    """A new API key for a source system, created when missing (`apikey.create`)."""
    source, created = get_or_create_source(session, source_code, name)
    row, key = apikeys.create_key(session, source)
    audit.record(session, actor, "apikey.create", "api_key", row.prefix, source=source.code)
    return NewKey(row, key, source, created)


def revoke_key(session: Session, actor: Any, prefix: str) -> ApiKey | None:
    """Revoke the key with this prefix (`apikey.revoke`); None, and nothing logged, when there is none."""
    row = apikeys.revoke(session, prefix)
    if row is not None:
        audit.record(session, actor, "apikey.revoke", "api_key", row.prefix, source=row.source_system.code)
    return row
