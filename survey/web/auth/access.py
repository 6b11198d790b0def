"""Per-role access: decorators for views and the agency-subtree scope of agency viewers."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Agency
from survey.services.hierarchy import descendants


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
    return descendants(session.execute(select(Agency.id, Agency.parent_id)), root_id)


def visible_agency_ids(session: Session, user) -> set[int] | None:
    """Agencies a user may see: None means all (admin, analyst); a set for agency viewers."""
    if user.role in ("admin", "analyst"):
        return None
    if user.agency_id is None:
        return set()
    return agency_subtree_ids(session, user.agency_id)
