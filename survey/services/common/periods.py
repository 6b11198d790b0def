"""Periods of local dates (the province's time zone) and their bounds in UTC."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
# The days a wave's period may cover. Intake refuses dossiers completed before 2000 and targets are set
# for 2000-2100, so no sensible wave lies outside; the bound also keeps the previous period (up to as
# long again, before the start) and local midnights in UTC inside the calendar that date() can hold.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def local_tz() -> str:
    """The province's time zone name (BABEL_DEFAULT_TIMEZONE), Asia/Ho_Chi_Minh by default."""
    try:
        from flask import current_app

        return current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TZ)
    except RuntimeError:
        return DEFAULT_TZ


def period_bounds(start: date, end: date, tz: str | None = None) -> tuple[datetime, datetime]:
    """[local midnight of start, local midnight after end) as naive UTC datetimes."""
    zone = ZoneInfo(tz or local_tz())
    lo = datetime.combine(start, time(0), zone).astimezone(UTC).replace(tzinfo=None)
    hi = datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(UTC).replace(tzinfo=None)
    return lo, hi


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of equal length that ends the day before `start`.

    A period of whole calendar months (a month, a quarter, a year) is compared with the same number of
    months before it (Q2 → Q1, not "the 91 days before April"); any other period with the same number
    of days.
    """
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        index = start.year * 12 + start.month - 1 - months
        return date(index // 12, index % 12 + 1, 1), start - timedelta(days=1)
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)
