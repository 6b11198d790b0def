"""Counts of the inbox's filtered comments by theme per agency (the inbox's "counts by theme" tab).

A comment may carry several themes, so a row's theme cells may add up to more than its total; comments
without any theme are counted apart. The filters and the viewer's scope are the inbox's (inbox.where).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from survey.models import Agency, Comment, CommentTag, Theme
from survey.services.feedback.inbox import Filters, where


@dataclass(frozen=True)
class Counts:
    """Comments by theme per agency: `cells[(agency_id, theme_id)]`, totals per agency and per theme."""

    agencies: list[Agency | None]
    themes: list[Theme]
    cells: dict[tuple[int | None, int], int]
    totals: dict[int | None, int]
    untagged: dict[int | None, int]
    theme_totals: dict[int, int]
    total: int


def counts_by_theme(session: Session, filters: Filters, visible: set[int] | None) -> Counts:
    """How many of the filtered comments carry each theme, per agency (a comment may carry several)."""
    conds = where(session, filters, visible)
    totals = {
        a: n
        for a, n in session.execute(
            select(Comment.agency_id, func.count(Comment.id)).where(*conds).group_by(Comment.agency_id)
        )
    }
    cells = {
        (a, t): n
        for a, t, n in session.execute(
            select(Comment.agency_id, CommentTag.theme_id, func.count(Comment.id))
            .join(CommentTag, CommentTag.comment_id == Comment.id)
            .where(*conds)
            .group_by(Comment.agency_id, CommentTag.theme_id)
        )
    }
    untagged = {
        a: n
        for a, n in session.execute(
            select(Comment.agency_id, func.count(Comment.id))
            .where(*conds, ~exists().where(CommentTag.comment_id == Comment.id))
            .group_by(Comment.agency_id)
        )
    }
    used = {t for _a, t in cells}
    themes = [t for t in session.scalars(select(Theme).order_by(Theme.name_vi)) if t.active or t.id in used]
    by_id = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_([a for a in totals if a])))}
    agencies = sorted((by_id.get(a) for a in totals), key=lambda a: (a is None, a.name_vi if a else ""))
    theme_totals: dict[int, int] = {}
    for (_a, t), n in cells.items():
        theme_totals[t] = theme_totals.get(t, 0) + n
    return Counts(agencies, themes, cells, totals, untagged, theme_totals, sum(totals.values()))
