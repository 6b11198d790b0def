"""Per-role access: decorators for views and the agency-subtree scope of agency viewers."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Agency


def role_required(*roles: str):
    """Allow signed-in users whose role is one of `roles` (403 for others, login for anonymous)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def agency_subtree_ids(session: Session, root_id: int) -> set[int]:
    """Ids of an agency and every agency below it."""
    rows = session.execute(select(Agency.id, Agency.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for agency_id, parent_id in rows:
        children.setdefault(parent_id, []).append(agency_id)
    seen, stack = set(), [root_id]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, []))
    return seen


def visible_agency_ids(session: Session, user) -> set[int] | None:
    """Agencies a user may see: None means all (admin, analyst); a set for agency viewers."""
    if user.role in ("admin", "analyst"):
        return None
    if user.agency_id is None:
        return set()
    return agency_subtree_ids(session, user.agency_id)
