"""Account changes an administrator (admin pages) or an operator (`hailong user`) makes, each with its audit row.

One function per change, so the page and the command record the same thing. `actor` is the User
making the change, or a string such as "cli". A new password, a new role or scope and disabling
end every open session of the account (the audit row says how many): whoever held a copy of its
cookie is out, whether an admin page or `hailong user` made the change. Flushes, never commits:
the caller's run_write does.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from survey.models import User
from survey.services.accounts import sessions, users
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
    after = [user.role, user.agency_id, user.service_point_id]
    # Saving the form unchanged keeps the account's sessions; any change of what it may see ends them.
    revoked = sessions.revoke_all(session, user.id) if after != before else 0
    audit.record(session, actor, "user.set_role", "user", user.id, username=user.username, before=before,
                 after=after, sessions_revoked=revoked)
    return user


def set_active(session: Session, actor: Any, user: User, enable: bool) -> User:
    """Re-enable (`user.enable`) or disable (`user.disable`, its sessions end) an account. Flushes."""
    (users.enable if enable else users.disable)(session, user)
    revoked = 0 if enable else sessions.revoke_all(session, user.id)
    audit.record(session, actor, "user.enable" if enable else "user.disable", "user", user.id,
                 username=user.username, sessions_revoked=revoked)
    return user


def change_password(session: Session, actor: Any, user: User, password: str) -> User:
    """Set a new password (policy-checked: users.UserError), end the account's sessions, log `user.set_password`."""
    users.set_password(session, user, password)
    revoked = sessions.revoke_all(session, user.id)
    audit.record(session, actor, "user.set_password", "user", user.id, username=user.username,
                 sessions_revoked=revoked)
    return user


def revoke_session(session: Session, actor: Any, user: User, session_id: int) -> int:
    """End one session of the account and log `user.session_revoke`; returns 1, or 0 if it had ended. Flushes."""
    revoked = sessions.revoke_one(session, user.id, session_id)
    audit.record(session, actor, "user.session_revoke", "user", user.id, username=user.username,
                 session_id=session_id, sessions_revoked=revoked)
    return revoked


def revoke_sessions(session: Session, actor: Any, user: User) -> int:
    """End every session of the account and log `user.sessions_revoke`; returns how many. Flushes."""
    revoked = sessions.revoke_all(session, user.id)
    audit.record(session, actor, "user.sessions_revoke", "user", user.id, username=user.username,
                 sessions_revoked=revoked)
    return revoked


def log_out(session: Session, user: User, token: str | None) -> int:
    """End the signed-in browser's own session and log `auth.logout`. Flushes."""
    revoked = sessions.revoke_token(session, token)
    audit.record(session, user, "auth.logout", "user", user.id, sessions_revoked=revoked)
    return revoked


def log_out_everywhere(session: Session, user: User) -> int:
    """End every session of the signed-in user (this browser too) and log `auth.logout_everywhere`. Flushes."""
    revoked = sessions.revoke_all(session, user.id)
    audit.record(session, user, "auth.logout_everywhere", "user", user.id, sessions_revoked=revoked)
    return revoked
