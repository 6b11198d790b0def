"""Comment themes: the province's list (edited by admins and analysts), tags set by hand, and suggestions.

A theme's keywords (one per line) are folded like the comments (lower case, no diacritics) and matched as
whole words or phrases on a comment's folded text: "may lay so" suggests "Cơ sở vật chất, máy lấy số" for
"Máy lấy số bị hỏng". Folding merges words that differ only by their marks ("tiền" and "tiện" both fold to
"tien"), so the default keywords are phrases chosen not to collide. Suggested tags are `auto`; a person's
tag is not, and a person removing a suggestion is final (the comment is already stamped `tagged_at`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from survey.models import Comment, CommentTag, Theme
from survey.models._base import utcnow
from survey.services.common import audit
from survey.services.common.redact import fold

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_KEYWORDS = 100  # lines in one theme
MAX_KEYWORD_CHARS = 80  # characters in one keyword
MAX_NAME_CHARS = 120  # the name columns' width


class ThemeError(ValueError):
    """A theme or tag request that cannot be done; the message is for the reader, in their language."""


@dataclass(frozen=True)
class ThemeInput:
    """What a person types for a theme (the keywords as typed, one per line)."""

    code: str
    name_vi: str
    name_en: str = ""
    keywords: str = ""
    complaint: bool = False


@dataclass(frozen=True)
class TagRun:
    """What one suggestion pass did: comments stamped and tags added."""

    comments: int
    tags: int


def keyword_lines(text: str) -> list[str]:
    """The keywords of a text box: one per line, trimmed, blank lines and repeats dropped, order kept."""
    seen: dict[str, None] = {}
    for line in (text or "").replace("\r", "\n").split("\n"):
        line = " ".join(line.split())
        if line and line.casefold() not in {k.casefold() for k in seen}:
            seen[line] = None
    return list(seen)


def validate(session: Session, data: ThemeInput, theme: Theme | None = None) -> list[str]:
    """Every problem with `data` for a new theme (or for editing `theme`), in words; empty when it is fine."""
    errors = []
    if not CODE.match(data.code or ""):
        errors.append(
            str(
                _l(
                    "Mã chủ đề gồm 1–40 chữ thường không dấu, chữ số, “-” hoặc “_”, "
                    "bắt đầu bằng chữ hoặc số (ví dụ: thai_do)."
                )
            )
        )
    else:
        other = session.scalar(select(Theme).where(Theme.code == data.code))
        if other is not None and other is not theme:
            errors.append(str(_l("Đã có chủ đề mã “%(code)s”.", code=data.code)))
    if not (data.name_vi or "").strip():
        errors.append(str(_l("Hãy nhập tên chủ đề bằng tiếng Việt.")))
    if len(data.name_vi or "") > MAX_NAME_CHARS or len(data.name_en or "") > MAX_NAME_CHARS:
        errors.append(str(_l("Tên chủ đề dài tối đa %(n)d ký tự.", n=MAX_NAME_CHARS)))
    words = keyword_lines(data.keywords)
    if len(words) > MAX_KEYWORDS:
        errors.append(
            str(_l("Danh sách từ khoá quá dài: tối đa %(n)d dòng (đang có %(m)d).", n=MAX_KEYWORDS, m=len(words)))
        )
    long = [w for w in words if len(w) > MAX_KEYWORD_CHARS]
    if long:
        errors.append(
            str(_l("Mỗi từ khoá dài tối đa %(n)d ký tự: “%(word)s…” quá dài.", n=MAX_KEYWORD_CHARS, word=long[0][:30]))
        )
    if any(not re.search(r"\w", fold(w)) for w in words):  # "!!!" would match any punctuation
        errors.append(str(_l("Từ khoá phải có ít nhất một chữ hoặc chữ số.")))
    return errors


def list_themes(session: Session, active_only: bool = False) -> list[Theme]:
    """The themes, active ones first, by Vietnamese name."""
    query = select(Theme).order_by(Theme.active.desc(), Theme.name_vi, Theme.code)
    if active_only:
        query = query.where(Theme.active.is_(True))
    return list(session.scalars(query))


def by_code(session: Session, code: str) -> Theme:
    """The theme with this code; ThemeError (in words) when there is none."""
    theme = session.scalar(select(Theme).where(Theme.code == (code or "").strip()))
    if theme is None:
        raise ThemeError(str(_l("Không có chủ đề mã “%(code)s”.", code=(code or "")[:40])))
    return theme


def _changes(theme: Theme, data: ThemeInput) -> dict:
    fields = {
        "code": data.code,
        "name_vi": data.name_vi.strip(),
        "name_en": (data.name_en or "").strip(),
        "keywords": "\n".join(keyword_lines(data.keywords)),
        "complaint": bool(data.complaint),
    }
    return {k: [getattr(theme, k), v] for k, v in fields.items() if getattr(theme, k) != v}


def create_theme(session: Session, actor, data: ThemeInput) -> Theme:
    """Add a theme (ThemeError listing every problem when `data` is not valid); audited."""
    errors = validate(session, data)
    if errors:
        raise ThemeError(" ".join(errors))
    theme = Theme(
        code=data.code,
        name_vi=data.name_vi.strip(),
        name_en=(data.name_en or "").strip(),
        keywords="\n".join(keyword_lines(data.keywords)),
        complaint=bool(data.complaint),
        active=True,
    )
    session.add(theme)
    session.flush()
    audit.record(session, actor, "theme.create", "theme", theme.code, name_vi=theme.name_vi, complaint=theme.complaint)
    return theme


def update_theme(session: Session, actor, theme: Theme, data: ThemeInput) -> dict:
    """Change a theme's code, names, keywords or complaint flag; returns the changes (audited when any)."""
    errors = validate(session, data, theme)
    if errors:
        raise ThemeError(" ".join(errors))
    changes = _changes(theme, data)
    for key, (_old, new) in changes.items():
        setattr(theme, key, new)
    if changes:
        session.flush()
        audit.record(session, actor, "theme.update", "theme", theme.code, changes=changes)
    return changes


def set_active(session: Session, actor, theme: Theme, active: bool) -> None:
    """Stop suggesting and offering a theme (its tags stay and are still counted), or take it back; audited."""
    if theme.active == active:
        return
    theme.active = active
    session.flush()
    audit.record(session, actor, "theme.activate" if active else "theme.deactivate", "theme", theme.code)


def tag(session: Session, actor, comment: Comment, code: str) -> CommentTag:
    """Put an active theme on a comment by hand (a suggestion of it becomes a person's tag); audited."""
    theme = by_code(session, code)
    if not theme.active:
        raise ThemeError(str(_l("Chủ đề “%(name)s” đã ngừng sử dụng.", name=theme.name_vi)))
    existing = session.scalar(
        select(CommentTag).where(CommentTag.comment_id == comment.id, CommentTag.theme_id == theme.id)
    )
    if existing is None:
        existing = CommentTag(comment_id=comment.id, theme_id=theme.id, auto=False)
        session.add(existing)
    existing.auto = False
    session.flush()
    audit.record(session, actor, "comment.tag", "comment", comment.id, theme=theme.code)
    return existing


def untag(session: Session, actor, comment: Comment, code: str) -> bool:
    """Take a theme off a comment; False when it was not on it. Audited when removed."""
    theme = by_code(session, code)
    existing = session.scalar(
        select(CommentTag).where(CommentTag.comment_id == comment.id, CommentTag.theme_id == theme.id)
    )
    if existing is None:
        return False
    session.delete(existing)
    session.flush()
    audit.record(session, actor, "comment.untag", "comment", comment.id, theme=theme.code)
    return True


def untagged_count(session: Session) -> int:
    """How many comments have not been looked at for suggestions yet."""
    return session.scalar(select(func.count(Comment.id)).where(Comment.tagged_at.is_(None))) or 0


def _patterns(themes: list[Theme]) -> list[tuple[int, re.Pattern]]:
    """One regular expression per theme: any of its folded keywords as a whole word or phrase."""
    out = []
    for theme in themes:
        words = sorted({" ".join(fold(w).split()) for w in keyword_lines(theme.keywords)} - {""}, key=len, reverse=True)
        if words:
            out.append((theme.id, re.compile(r"(?<!\w)(?:%s)(?!\w)" % "|".join(re.escape(w) for w in words))))
    return out


def suggest(folded: str, patterns: list[tuple[int, re.Pattern]]) -> list[int]:
    """Ids of the themes whose keywords occur in a comment's folded text."""
    text = " ".join((folded or "").split())
    return [theme_id for theme_id, pattern in patterns if pattern.search(text)]


def tag_untagged(session: Session, limit: int = 500) -> TagRun:
    """Suggest active themes for up to `limit` comments not yet looked at (tagged_at NULL), oldest first,
    and stamp them; run again until it returns 0 comments. Flushes, never commits."""
    # Plain rows and set-based writes: loading comments as objects and adding tags one by one took 3.7 ms
    # a comment (74 s for 20 000 on SQLite), and a backfill or the case pass runs this over every comment.
    found = session.execute(
        select(Comment.id, Comment.folded)
        .where(Comment.tagged_at.is_(None))
        .order_by(Comment.id)
        .limit(max(int(limit), 0))
    ).all()
    if not found:
        return TagRun(0, 0)
    ids = [comment_id for comment_id, _folded in found]
    patterns = _patterns(list_themes(session, active_only=True))
    have = {
        (c, t)
        for c, t in session.execute(
            select(CommentTag.comment_id, CommentTag.theme_id).where(CommentTag.comment_id.in_(ids))
        )
    }
    now = utcnow()
    rows = [
        {"comment_id": comment_id, "theme_id": theme_id, "auto": True, "created_at": now}
        for comment_id, folded in found
        for theme_id in suggest(folded, patterns)
        if (comment_id, theme_id) not in have
    ]
    if rows:
        session.execute(insert(CommentTag), rows)
    for start in range(0, len(ids), 500):  # bound the IN list (SQLite allows a few thousand parameters)
        session.execute(update(Comment).where(Comment.id.in_(ids[start : start + 500])).values(tagged_at=now))
    # A comment object this session already holds may never have loaded tagged_at (a row it inserted):
    # the UPDATE's own synchronisation leaves it reading None, so it reloads on next access.
    stamped = set(ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Comment) and obj.id in stamped:
            session.expire(obj, ["tagged_at"])
    session.flush()
    return TagRun(len(ids), len(rows))
