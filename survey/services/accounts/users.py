"""Staff accounts: creation, roles, disabling, password checks and sign-in throttling.

Passwords are hashed with werkzeug's scrypt. Sign-in throttling works on two keys so that it
cannot be dodged by changing IP address:

- per account: ``User.failed_logins`` / ``User.locked_until`` (the account is locked for
  ``LOCK_MINUTES`` after ``MAX_FAILURES`` consecutive failures);
- per username: failures are audit-logged as ``auth.login_failed`` with the typed username, and
  a username with ``MAX_FAILURES`` failures within ``LOCK_MINUTES`` is refused too — also for
  usernames that do not exist, so the answer never reveals whether an account exists.

Services add/flush, never commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import has_request_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from survey.models import AuditLog, User
from survey.models._base import utcnow
from survey.models.user import ROLES, Role
from survey.services.common import audit

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_FAILURES = 5
LOCK_MINUTES = 15
HASH_METHOD = "scrypt"
# Checked against when the username is unknown, so both paths cost one scrypt evaluation.
_DUMMY_HASH = generate_password_hash("not-a-real-password-hai-long", method=HASH_METHOD)
ROLE_LABELS = {
    Role.ADMIN: _l("Quản trị viên"),
    Role.ANALYST: _l("Cán bộ phân tích (toàn tỉnh)"),
    Role.AGENCY_VIEWER: _l("Cán bộ cơ quan (chỉ xem cơ quan mình)"),
    Role.OFFICER: _l("Cán bộ tại quầy"),
}


def _(msgid: str, **variables) -> str:
    """gettext inside a request; plain Vietnamese in the CLI (the locale selector needs a request)."""
    if has_request_context():
        return gettext(msgid, **variables)
    return msgid % variables if variables else msgid


class UserError(ValueError):
    """A refused account operation, with a message fit to show the user (Vietnamese)."""


@dataclass(frozen=True)
class SignIn:
    """Outcome of a sign-in attempt: the user when it succeeded, else why not."""

    user: User | None
    locked: bool = False
    locked_until: datetime | None = None


def check_password_policy(password: str, username: str = "") -> None:
    """Raise UserError when a password is too short, too long, or the username itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(_("Mật khẩu phải có ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(_("Mật khẩu quá dài (tối đa %(n)d ký tự).", n=MAX_PASSWORD_LENGTH))
    if username and password.strip().lower() == username.strip().lower():
        raise UserError(_("Mật khẩu không được trùng với tên đăng nhập."))
    if len(set(password)) < 4:
        raise UserError(_("Mật khẩu quá đơn giản: hãy dùng nhiều ký tự khác nhau."))


def _check_scope(session: Session, role: str, agency_id: int | None, service_point_id: int | None) -> None:
    from survey.models import Agency, ServicePoint

    if role not in ROLES:
        raise UserError(_("Vai trò không hợp lệ: %(role)s", role=role))
    if role == Role.AGENCY_VIEWER:
        if agency_id is None or session.get(Agency, agency_id) is None:
            raise UserError(_("Cán bộ cơ quan phải gắn với một cơ quan có trong danh mục."))
    elif agency_id is not None and session.get(Agency, agency_id) is None:
        raise UserError(_("Không tìm thấy cơ quan."))
    if role == Role.OFFICER and (service_point_id is None or session.get(ServicePoint, service_point_id) is None):
        raise UserError(_("Cán bộ tại quầy phải gắn với một điểm phục vụ có trong danh mục."))


def normalise_username(username: str) -> str:
    """Usernames are compared case-insensitively and without surrounding spaces."""
    return (username or "").strip().lower()


def get_by_username(session: Session, username: str) -> User | None:
    """The account with this username (case-insensitive), or None."""
    return session.scalar(select(User).where(User.username == normalise_username(username)))


def create_user(session: Session, username: str, password: str, role: str, agency_id: int | None = None,
                service_point_id: int | None = None, full_name: str = "") -> User:
    """Create an account with a scrypt password hash; raise UserError on bad input. Flushes."""
    name = normalise_username(username)
    if not name or len(name) > 80 or any(ch.isspace() for ch in name):
        raise UserError(_("Tên đăng nhập không hợp lệ (1–80 ký tự, không có khoảng trắng)."))
    if get_by_username(session, name) is not None:
        raise UserError(_("Tên đăng nhập %(name)s đã tồn tại.", name=name))
    check_password_policy(password, name)
    _check_scope(session, role, agency_id, service_point_id)
    user = User(username=name, password_hash=generate_password_hash(password, method=HASH_METHOD),
                role=Role(role), agency_id=agency_id, service_point_id=service_point_id,
                full_name=(full_name or "").strip()[:255], active=True, failed_logins=0)
    session.add(user)
    session.flush()
    return user


def set_role(session: Session, user: User, role: str, agency_id: int | None = None,
             service_point_id: int | None = None) -> User:
    """Change a user's role and scope (agency for viewers, service point for officers). Flushes."""
    _check_scope(session, role, agency_id, service_point_id)
    user.role = Role(role)
    user.agency_id = agency_id
    user.service_point_id = service_point_id if role == Role.OFFICER else None
    session.flush()
    return user


def disable(session: Session, user: User) -> User:
    """Disable an account: it can no longer sign in and its open sessions stop working. Flushes."""
    user.active = False
    session.flush()
    return user


def enable(session: Session, user: User) -> User:
    """Re-enable a disabled account and clear its lock. Flushes."""
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> User:
    """Replace a user's password (policy-checked) and clear its lock. Flushes."""
    check_password_policy(password, user.username)
    user.password_hash = generate_password_hash(password, method=HASH_METHOD)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def verify_password(user: User | None, password: str) -> bool:
    """True when the password matches; spends the same scrypt time when the user is unknown."""
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return False
    return check_password_hash(user.password_hash, password or "")


def recent_failures(session: Session, username: str, now: datetime | None = None) -> int:
    """Failed sign-ins for this username in the last LOCK_MINUTES (from the audit log)."""
    now = now or utcnow()
    since = now - timedelta(minutes=LOCK_MINUTES)
    # A success resets the count: only failures after the latest success are counted.
    last_ok = session.scalar(select(func.max(AuditLog.at)).where(
        AuditLog.action == "auth.login", AuditLog.target_id == _key(username)))
    if last_ok is not None and last_ok > since:
        since = last_ok
    return session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "auth.login_failed", AuditLog.target_id == _key(username),
        AuditLog.at > since)) or 0


def _key(username: str) -> str:
    return normalise_username(username)[:64]


def attempt_sign_in(session: Session, username: str, password: str, ip: str = "") -> SignIn:
    """Check credentials with throttling per account and per username; audit every attempt. Flushes."""
    now = utcnow()
    user = get_by_username(session, username)
    key = _key(username)
    locked_until = None
    if user is not None and user.locked_until is not None and user.locked_until > now:
        locked_until = user.locked_until
    elif recent_failures(session, username, now) >= MAX_FAILURES:
        locked_until = now + timedelta(minutes=LOCK_MINUTES)
    if locked_until is not None:
        verify_password(None, password)  # same cost as a real check
        audit.record(session, "anonymous", "auth.login_refused_locked", "username", key, ip=ip)
        return SignIn(None, locked=True, locked_until=locked_until)
    if user is not None and user.active and verify_password(user, password):
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        audit.record(session, user, "auth.login", "username", key, ip=ip)
        return SignIn(user)
    if user is None or not user.active:
        verify_password(None, password)
    else:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
    audit.record(session, "anonymous", "auth.login_failed", "username", key, ip=ip)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        return SignIn(None, locked=True, locked_until=user.locked_until)
    return SignIn(None)


def list_users(session: Session, role: str | None = None, active: bool | None = None) -> list[User]:
    """Accounts ordered by username, optionally filtered by role and active flag."""
    stmt = select(User).order_by(User.username)
    if role:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active == active)
    return list(session.scalars(stmt))
