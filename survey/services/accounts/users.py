"""Staff accounts: creation, roles, disabling and password checks.

Passwords are hashed with werkzeug's scrypt. Sign-in throttling is in signin.py beside this file,
server-side sessions in sessions.py. Services add/flush, never commit.
"""
from __future__ import annotations

import re

from flask import has_request_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from survey.models import User
from survey.models.user import ROLES, Role
from survey.services.common import audit

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
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
    """Re-enable a disabled account and clear its sign-in delay. Flushes."""
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> User:
    """Replace a user's password (policy-checked) and clear its sign-in delay. Flushes."""
    check_password_policy(password, user.username)
    user.password_hash = generate_password_hash(password, method=HASH_METHOD)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # a shape check: the mail server has the last word


def set_mail(session: Session, actor, user: User, email: str, case_digest: bool) -> User:
    """Set where feedback-case mail goes and whether the daily digest is wanted (UserError on a bad address);
    logs `user.set_mail`. Flushes."""
    address = (email or "").strip()
    if address and (len(address) > 255 or not EMAIL.match(address)):
        raise UserError(_("Địa chỉ e-mail không hợp lệ."))
    if case_digest and not address:
        raise UserError(_("Cần có địa chỉ e-mail để nhận thư tổng hợp hằng ngày."))
    before = [user.email, user.case_digest]
    user.email, user.case_digest = address, bool(case_digest)
    session.flush()
    audit.record(session, actor, "user.set_mail", "user", user.id, username=user.username,
                 changes={"email": [before[0], address], "case_digest": [before[1], bool(case_digest)]})
    return user


def verify_hash(password_hash: str | None, password: str) -> bool:
    """True when the password matches the hash; None (no usable account) costs the same scrypt time."""
    if password_hash is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return False
    return check_password_hash(password_hash, password or "")


def verify_password(user: User | None, password: str) -> bool:
    """True when the password matches; spends the same scrypt time when the user is unknown."""
    return verify_hash(user.password_hash if user is not None else None, password)


def list_users(session: Session, role: str | None = None, active: bool | None = None) -> list[User]:
    """Accounts ordered by username, optionally filtered by role and active flag."""
    stmt = select(User).order_by(User.username)
    if role:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active == active)
    return list(session.scalars(stmt))
