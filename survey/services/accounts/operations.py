"""Account changes an administrator (admin pages) or an operator (`hailong user`) makes, each with its audit row.

One function per change, so the page and the command record the same thing. `actor` is the User
making the change, or a string such as "cli". Flushes, never commits: the caller's run_write does.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from survey.models import User
from survey.services.accounts import users
from survey.services.common import audit


def create_account(session: Session, actor: Any, username: str, password: str, role: str,
                   agency_id: int | None = None, service_point_id: int | None = None, full_name: str = "") -> User:
    """Create an account and log `user.create`; raises users.UserError on bad input. Flushes."""
    user = users.create_user(session, username, password, role, agency_id, service_point_id, full_name)
    audit.record(session, actor, "user.create", "user", user.id, username=user.username, role=user.role,
                 agency_id=user.agency_id, service_point_id=user.service_point_id)
    return user


def change_role(session: Session, actor: Any, user: User, role: str, agency_id: int | None = None,
                service_point_id: int | None = None) -> User:
    """Change an account's role and scope and log `user.set_role` with before and after. Flushes."""
    before = [user.role, user.agency_id, user.service_point_id]
    users.set_role(session, user, role, agency_id, service_point_id)
    audit.record(session, actor, "user.set_role", "user", user.id, username=user.username, before=before,
                 after=[user.role, user.agency_id, user.service_point_id])
    return user


def set_active(session: Session, actor: Any, user: User, enable: bool) -> User:
    """Re-enable (`user.enable`) or disable (`user.disable`) an account. Flushes."""
    (users.enable if enable else users.disable)(session, user)
    audit.record(session, actor, "user.enable" if enable else "user.disable", "user", user.id,
                 username=user.username)
    return user


def change_password(session: Session, actor: Any, user: User, password: str) -> User:
    """Set a new password (policy-checked: users.UserError) and log `user.set_password`. Flushes."""
    users.set_password(session, user, password)
    audit.record(session, actor, "user.set_password", "user", user.id, username=user.username)
    return user
