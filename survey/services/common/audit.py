"""Audit log of administrative actions (who, what, when)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from survey.models import AuditLog


def record(session: Session, actor: Any, action: str, target_type: str = "", target_id: Any = "",
           **details: Any) -> AuditLog:
    """Add an audit entry; `actor` is a User, or a string such as "cli". Flushes, never commits."""
    user_id = getattr(actor, "id", None)
    name = getattr(actor, "username", None) or str(actor)
    entry = AuditLog(user_id=user_id, actor=name, action=action, target_type=target_type,
                     target_id=str(target_id), details=details)
    session.add(entry)
    session.flush()
    return entry
