"""Server-side sign-in sessions: a random token in the browser's cookie, its hash in a UserSession row.

Why: a signed cookie alone stays valid until it expires, so a copied one kept working after logout
and after a password reset. Here a session counts only while its row is live: not revoked, seen
within the idle limit and younger than the absolute limit. Logout revokes the row; a password,
role or status change revokes every row of the account (survey.services.accounts.operations).

Flushes, never commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from survey.models import User, UserSession
from survey.models._base import utcnow
from survey.services.common.tokens import hash_token, new_token

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often: one write a minute, not a request
KEEP_DEAD = timedelta(days=30)  # ended sessions stay listed this long (who signed in from where), then go
USER_AGENT_LENGTH = 255


@dataclass(frozen=True)
class Lifetime:
    """How long a session lives: `idle` without a request, `absolute` in all."""

    idle: timedelta
    absolute: timedelta


def open_session(session: Session, user: User, user_agent: str = "", now: datetime | None = None
                 ) -> tuple[UserSession, str]:
    """Start a session for `user`; returns the row and the token for the cookie (stored only as a hash). Flushes."""
    now = now or utcnow()
    # The account's long-dead rows go first, so the table does not grow with every sign-in.
    session.execute(delete(UserSession).where(
        UserSession.user_id == user.id,
        or_(UserSession.revoked_at < now - KEEP_DEAD, UserSession.last_seen_at < now - KEEP_DEAD)))
    token = new_token()
    row = UserSession(user_id=user.id, token_hash=hash_token(token), created_at=now, last_seen_at=now,
                      user_agent=(user_agent or "")[:USER_AGENT_LENGTH])
    session.add(row)
    session.flush()
    return row, token


def _live(lifetime: Lifetime, now: datetime):
    return (UserSession.revoked_at.is_(None), UserSession.last_seen_at > now - lifetime.idle,
            UserSession.created_at > now - lifetime.absolute)


def live_session(session: Session, user_id: int, token: str | None, lifetime: Lifetime,
                 now: datetime | None = None) -> UserSession | None:
    """The live session of `user_id` that `token` names, or None (unknown, revoked, idle too long or too old)."""
    if not token:
        return None
    now = now or utcnow()
    return session.scalar(select(UserSession).where(
        UserSession.token_hash == hash_token(token), UserSession.user_id == user_id, *_live(lifetime, now)))


def needs_touch(row: UserSession, now: datetime | None = None) -> bool:
    """Whether the row's last_seen_at is old enough to be written again."""
    return row.last_seen_at <= (now or utcnow()) - TOUCH_EVERY


def touch(session: Session, session_id: int, now: datetime | None = None) -> None:
    """Record that the session was used now (unless it was revoked meanwhile). Flushes."""
    now = now or utcnow()
    session.execute(update(UserSession).where(UserSession.id == session_id, UserSession.revoked_at.is_(None),
                                              UserSession.last_seen_at < now)
                    .values(last_seen_at=now))


def active_sessions(session: Session, user_id: int, lifetime: Lifetime, now: datetime | None = None
                    ) -> list[UserSession]:
    """The account's live sessions, the most recently used first."""
    now = now or utcnow()
    return list(session.scalars(select(UserSession).where(UserSession.user_id == user_id, *_live(lifetime, now))
                                .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def revoke_token(session: Session, token: str | None, now: datetime | None = None) -> int:
    """End the session that `token` names; returns 1 when a live row was revoked, else 0. Flushes."""
    if not token:
        return 0
    return _revoke(session, UserSession.token_hash == hash_token(token), now)


def revoke_one(session: Session, user_id: int, session_id: int, now: datetime | None = None) -> int:
    """End one session of the account; returns how many rows were revoked (0 or 1). Flushes."""
    return _revoke(session, (UserSession.id == session_id) & (UserSession.user_id == user_id), now)


def revoke_all(session: Session, user_id: int, now: datetime | None = None) -> int:
    """End every session of the account; returns how many were still open. Flushes."""
    return _revoke(session, UserSession.user_id == user_id, now)


def _revoke(session: Session, where, now: datetime | None) -> int:
    # One UPDATE, so a revocation racing a sign-in or a touch cannot be lost; rows already loaded
    # in this session are updated too (SQLAlchemy's synchronize_session).
    result = session.execute(update(UserSession).where(where, UserSession.revoked_at.is_(None))
                             .values(revoked_at=now or utcnow()))
    return result.rowcount
