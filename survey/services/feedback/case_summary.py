"""The monthly summary of feedback cases per unit: opened, resolved, resolved on time, median days to close,
and still open past due at the month's end (or now, for the running month).

A month is the province's calendar month (local midnights, stored as UTC). A case counts for the unit
that holds it now: a reassigned case is the new unit's to answer for.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from survey.models import Agency, CaseStatus, FeedbackCase
from survey.models._base import utcnow
from survey.services.common.periods import period_bounds

CSV_HEADER = [
    "thang",
    "ma_don_vi",
    "don_vi",
    "mo_moi",
    "da_giai_quyet",
    "giai_quyet_dung_han",
    "trung_vi_ngay_dong",
    "qua_han_dang_mo",
]


@dataclass
class Row:
    """One unit's month."""

    agency: Agency
    opened: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    median_days: float | None = None
    overdue_open: int = 0


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[first local midnight of the month, the next month's) in naive UTC."""
    last = date(year + (month == 12), month % 12 + 1, 1)
    start, end = period_bounds(date(year, month, 1), date.fromordinal(last.toordinal() - 1))
    return start, end


def parse_month(text: str | None, today: date | None = None) -> tuple[int, int] | None:
    """ "2026-12" → (2026, 12); empty → the current month; anything else → None."""
    if not text:
        today = today or utcnow().date()
        return today.year, today.month
    try:
        year, month = (int(p) for p in text.split("-"))
    except ValueError:
        return None
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def summary(
    session: Session,
    year: int,
    month: int,
    visible: set[int] | frozenset[int] | None = None,
    now: datetime | None = None,
) -> list[Row]:
    """One row per unit with any case in the month (sorted by name), plus a total row's figures via `total`."""
    now = now or utcnow()
    start, end = month_bounds(year, month)
    cut = min(end, now)  # "overdue open" as the month ended, or as things stand in the running month
    stmt = select(FeedbackCase).where(
        FeedbackCase.opened_at < end, or_(FeedbackCase.closed_at.is_(None), FeedbackCase.closed_at >= start)
    )
    if visible is not None:
        stmt = stmt.where(FeedbackCase.agency_id.in_(visible or {-1}))
    rows: dict[int, Row] = {}
    days: dict[int, list[float]] = {}
    agencies = {}
    for case in session.scalars(stmt):
        if case.agency_id not in agencies:
            agencies[case.agency_id] = session.get(Agency, case.agency_id)
        row = rows.setdefault(case.agency_id, Row(agencies[case.agency_id]))
        if start <= case.opened_at < end:
            row.opened += 1
        closed_in = case.closed_at is not None and start <= case.closed_at < end
        if closed_in:
            days.setdefault(case.agency_id, []).append((case.closed_at - case.opened_at).total_seconds() / 86400)
            if case.status == CaseStatus.RESOLVED:
                row.resolved += 1
                row.resolved_on_time += case.closed_at <= case.due_at
        still_open = case.closed_at is None or case.closed_at >= cut
        if still_open and case.opened_at < cut and case.due_at < cut:
            row.overdue_open += 1
    for agency_id, values in days.items():
        rows[agency_id].median_days = statistics.median(values)
    return sorted(
        (r for r in rows.values() if r.opened or r.resolved or r.overdue_open or r.median_days is not None),
        key=lambda r: r.agency.name_vi,
    )


def total(rows: list[Row]) -> dict:
    """The province's (or the viewer's) totals of the summary's counts."""
    return {k: sum(getattr(r, k) for r in rows) for k in ("opened", "resolved", "resolved_on_time", "overdue_open")}


def to_csv(rows: list[Row], year: int, month: int) -> str:
    """The summary as CSV (UTF-8, comma, a header of ASCII column names; days with a dot decimal)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow(
            [
                f"{year:04d}-{month:02d}",
                r.agency.code,
                r.agency.name_vi,
                r.opened,
                r.resolved,
                r.resolved_on_time,
                "" if r.median_days is None else f"{r.median_days:.1f}",
                r.overdue_open,
            ]
        )
    return out.getvalue()
