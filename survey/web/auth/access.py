"""Per-role access: decorators for views and the agency-subtree scope of agency viewers."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from survey.services.registry.hierarchy import agency_subtree_ids, visible_agency_ids  # noqa: F401  (views import them here)


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

