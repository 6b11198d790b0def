"""Intake API keys as operators manage them (admin page, `hailong apikey`), each change audit-logged.

`actor` is who makes the change (a User, or a string such as "cli"). Flushes, never commits.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Agency, ApiKey, Sector, ServicePoint, SourceSystem
from survey.services.common import audit
from survey.services.intake import apikeys
from survey.services.intake.apikeys import ScopeError
from survey.services.intake.batch import get_or_create_source
from survey.services.intake.scopes import Scope


@dataclass(frozen=True)
class NewKey:
    """A key just made: its row, the key in clear (shown once), its source and whether that was created too."""

    row: ApiKey
    key: str
    source: SourceSystem
    source_created: bool


def scopes_from_codes(session: Session, agencies: tuple[str, ...] = (), points: tuple[str, ...] = (),
                      sectors: tuple[str, ...] = ()) -> list[Scope]:
    """Scope rows from registry codes: one row per combination of the values given (ScopeError if unknown)."""
    def ids(model, codes: tuple[str, ...], what: str) -> list[int | None]:
        if not codes:
            return [None]
        found = dict(session.execute(select(model.code, model.id).where(model.code.in_(codes))).all())
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise ScopeError(f"{what}: {', '.join(unknown)}")
        return [found[c] for c in codes]

    rows = itertools.product(ids(Agency, agencies, "agency"), ids(ServicePoint, points, "service_point"),
                             ids(Sector, sectors, "sector"))
    return [Scope(*row) for row in rows if any(v is not None for v in row)]


def describe(row: ApiKey) -> list[dict] | str:
    """The key's scope by registry codes ("all" for a whole-province key), for the audit log and listings."""
    if row.all_agencies:
        return "all"
    described = []
    for s in row.scopes:
        named = {"agency": s.agency, "service_point": s.service_point, "sector": s.sector}
        described.append({name: unit.code for name, unit in named.items() if unit is not None})
    return described


def issue_key(session: Session, actor: Any, source_code: str, name: str = "", *, scopes: list[Scope] | None = None,
              label: str = "") -> NewKey:
    """A new API key for a source system, created when missing (`apikey.create`); `scopes` None = whole province."""
    source, created = get_or_create_source(session, source_code, name)
    row, key = apikeys.create_key(session, source, scopes, label)
    audit.record(session, actor, "apikey.create", "api_key", row.prefix, source=source.code, label=row.label,
                 scope=describe(row))
    return NewKey(row, key, source, created)


def change_scope(session: Session, actor: Any, row: ApiKey, scopes: list[Scope] | None) -> ApiKey:
    """Replace what the key may send (`apikey.scope`, with the scope before and after)."""
    before = describe(row)
    apikeys.set_scopes(session, row, scopes)
    audit.record(session, actor, "apikey.scope", "api_key", row.prefix, source=row.source_system.code,
                 before=before, after=describe(row))
    return row


def rotate_key(session: Session, actor: Any, row: ApiKey) -> NewKey:
    """A new secret for the key, same source, label and scope; the old one stops working (`apikey.rotate`)."""
    new, key = apikeys.rotate(session, row)
    audit.record(session, actor, "apikey.rotate", "api_key", row.prefix, source=row.source_system.code,
                 new_prefix=new.prefix)
    return NewKey(new, key, row.source_system, False)


def revoke_key(session: Session, actor: Any, prefix: str) -> ApiKey | None:
    """Revoke the key with this prefix (`apikey.revoke`); None, and nothing logged, when there is none."""
    row = apikeys.revoke(session, prefix)
    if row is not None:
        audit.record(session, actor, "apikey.revoke", "api_key", row.prefix, source=row.source_system.code)
    return row
