"""User aggregate: accounts with roles and scopes."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models._base import allowed, enum_type, utcnow
from survey.models.registry import Agency, ServicePoint


class Role(StrEnum):
    """What a staff account may do (survey.services.accounts.users has the labels)."""

    ADMIN = "admin"
    ANALYST = "analyst"
    AGENCY_VIEWER = "agency_viewer"
    OFFICER = "officer"


# The values as plain strings, for form choices and command-line options.
ROLES = tuple(role.value for role in Role)


class User(UserMixin, db.Model):
    """A staff account: administrator, analyst, agency viewer (agency subtree) or counter officer."""

    __tablename__ = "user_account"
    __table_args__ = (allowed("role", Role),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, 16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_point.id"))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Where feedback-case mail goes (new and overdue cases, and the daily digest when asked for).
    email: Mapped[str] = mapped_column(String(255), default="", server_default="")
    case_digest: Mapped[bool] = mapped_column(default=False, server_default=false())

    agency: Mapped[Agency | None] = relationship()
    service_point: Mapped[ServicePoint | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts through this
        return self.active


class UserSession(db.Model):
    """A signed-in browser: the cookie holds a random token, the database its hash and whether it still counts.

    Why server-side: a signed cookie alone stays valid until it expires, after logout or a password
    reset too. Revoking the row ends that session; a password, role or status change revokes them all.
    """

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(String(255), default="", server_default="")

    user: Mapped[User] = relationship()
