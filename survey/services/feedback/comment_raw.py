"""A comment's text exactly as typed: read by an administrator only, every read audited, and purged.

The raw text may hold what redaction replaced (a phone number, an ID number, a name), so each read is an
audit entry naming the comment, and it is purged (one comment, or all older than N days) once nobody needs
it; the redacted text stays and every page and export keeps reading that.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from survey.models import Comment, CommentRaw
from survey.models._base import utcnow
from survey.services.common import audit

MAX_DAYS = 3650


def read(session: Session, actor, comment: Comment) -> str | None:
    """The raw text of `comment` (None when purged or never kept); the read is audited either way."""
    raw = session.get(CommentRaw, comment.id)
    audit.record(session, actor, "comment.raw_read", "comment", comment.id, found=raw is not None)
    return raw.text if raw is not None else None


def purge_one(session: Session, actor, comment: Comment) -> bool:
    """Delete one comment's raw text; False when there was none. Audited when deleted."""
    deleted = session.execute(delete(CommentRaw).where(CommentRaw.comment_id == comment.id)).rowcount
    session.expire(comment, ["raw"])
    if deleted:
        audit.record(session, actor, "comment.raw_purge", "comment", comment.id)
    return bool(deleted)


def check_days(days: int | None) -> str | None:
    """Why `days` cannot be a purge age (in words), or None when it can (1 to MAX_DAYS)."""
    if days is None or not 1 <= days <= MAX_DAYS:
        return str(_l("Số ngày phải là số nguyên từ 1 đến %(n)d.", n=MAX_DAYS))
    return None


def purge_older(session: Session, actor, days: int) -> int:
    """Delete the raw text of every comment stored more than `days` days ago; returns how many. Audited."""
    problem = check_days(days)
    if problem:
        raise ValueError(problem)
    cutoff = utcnow() - timedelta(days=days)
    old = select(Comment.id).where(Comment.created_at < cutoff)
    deleted = (
        session.execute(
            delete(CommentRaw).where(CommentRaw.comment_id.in_(old)).execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
    session.expire_all()
    audit.record(session, actor, "comment.raw_purge_older", "comments", "", days=days, purged=deleted)
    return deleted


def stored(session: Session) -> tuple[int, object]:
    """How many raw texts are kept, and when the oldest of their comments was stored (None when none)."""
    n, oldest = session.execute(
        select(func.count(CommentRaw.comment_id), func.min(Comment.created_at)).join(
            Comment, Comment.id == CommentRaw.comment_id
        )
    ).one()
    return int(n or 0), oldest
