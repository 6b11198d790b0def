"""One way to write numbers, percentages, dates and names in the reader's language, for pages, PDF and XLSX.

Vietnamese: 10.188 · 48,8 % · 03/12/2026 · 03/12/2026 14:05. English: 10,188 · 48.8% · 3 Dec 2026 ·
3 Dec 2026, 14:05. Babel does the digits; the patterns are fixed here because Babel's own vi/en
defaults ("49%", "3/12/26", "Dec 3, 2026") are not what a Vietnamese office or an English reader expects.

Every function takes `locale` ("vi" / "en"; None = the current request's language, else the app's default),
so a PDF or XLSX written in a background job says which language it is in. Times stored naive are UTC and
are shown in the province's time zone. `install(app)` registers the Jinja filters num, pct, day, when, named.
"""
from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from survey.services.common.periods import local_tz

DATE = {"vi": "dd/MM/yyyy", "en": "d MMM y"}
WHEN = {"vi": "dd/MM/yyyy HH:mm", "en": "d MMM y, HH:mm"}
WHEN_SECONDS = {"vi": "dd/MM/yyyy HH:mm:ss", "en": "d MMM y, HH:mm:ss"}
PERCENT_SIGN = {"vi": "\u00a0%", "en": "%"}  # Vietnamese writes a (no-break) space before %, English none
MISSING = "—"
MINUS = "\u2212"  # a real minus sign, as wide as the plus in a column of figures


def locale_code(locale: Any = None) -> str:
    """"vi" or "en": the one asked for, else the current request's language, else the app's default."""
    if locale is None:
        try:
            from flask import current_app, has_app_context, has_request_context
            from flask_babel import get_locale

            if has_request_context():
                locale = get_locale()
            elif has_app_context():
                locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "vi")
        except ImportError:  # pragma: no cover - Flask-Babel is a dependency
            locale = None
    code = str(locale or "vi").replace("-", "_").split("_")[0].lower()
    return code if code in DATE else "vi"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def num(value: Any, digits: int = 0, locale: Any = None) -> str:
    """A number with the language's grouping and `digits` decimals (vi 10.188 / 85,4; en 10,188 / 85.4); — if none."""
    if _missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=locale_code(locale)).replace("-", MINUS)


def pct(share: Any, digits: int = 1, locale: Any = None) -> str:
    """A share (0.488) as a percentage: vi "48,8 %" (no-break space), en "48.8%"; — if none."""
    if _missing(share):
        return MISSING
    code = locale_code(locale)
    return num(100 * share, digits, code) + PERCENT_SIGN[code]


def points(value: Any, digits: int = 1, locale: Any = None) -> str:
    """A value already in percent (an index, 85.4) written like pct: vi "85,4 %", en "85.4%"."""
    return MISSING if _missing(value) else pct(value / 100, digits, locale)


def _local(moment: datetime) -> datetime:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # stored naive = UTC
    return aware.astimezone(ZoneInfo(local_tz()))


def day(value: date | datetime | str | None, locale: Any = None) -> str:
    """A date: vi 03/12/2026, en 3 Dec 2026 (a datetime: its day in the province's time zone); — if none."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = _local(value).date()
    return format_date(value, DATE[locale_code(locale)], locale=locale_code(locale))


def when(value: datetime | None, locale: Any = None, seconds: bool = False) -> str:
    """A moment in the province's time zone: vi 03/12/2026 14:05, en 3 Dec 2026, 14:05; — if none."""
    if value is None:
        return MISSING
    if not isinstance(value, datetime):
        return day(value, locale)
    code = locale_code(locale)
    pattern = (WHEN_SECONDS if seconds else WHEN)[code]
    return format_datetime(_local(value), pattern, tzinfo=ZoneInfo(local_tz()), locale=code)


def period(start: date | None, end: date | None, locale: Any = None) -> str:
    """A range of days, "01/04/2025 – 30/06/2025"."""
    return f"{day(start, locale)} – {day(end, locale)}"


def named(obj: Any, locale: Any = None) -> str:
    """The English name of a registry row (name_en, title_en) in English when it has one, else the Vietnamese.

    Waves have no English column: an English name lives in their design (`design["name_en"]`, set on the
    wave's edit page) and falls back to the Vietnamese name.
    """
    if obj is None:
        return ""
    english = locale_code(locale) == "en"
    for vi_attr, en_attr in (("name_vi", "name_en"), ("title_vi", "title_en")):
        if hasattr(obj, vi_attr):
            return (getattr(obj, en_attr, "") if english else "") or getattr(obj, vi_attr) or ""
    design = getattr(obj, "design", None)
    if english and isinstance(design, dict) and design.get("name_en"):
        return str(design["name_en"])
    return str(getattr(obj, "name", "") or "")


EXCEL = {"num": "#,##0", "num1": "#,##0.0", "pct": "0.0%", "day": {"vi": "dd/mm/yyyy", "en": "d mmm yyyy"},
         "when": {"vi": "dd/mm/yyyy hh:mm", "en": "d mmm yyyy hh:mm"}}


def excel_format(kind: str, locale: Any = None) -> str:
    """The XLSX number format of a kind of cell (num, num1, pct, day, when): keep the cell a number or a date
    and set this, so Excel shows it with the reader's own separators and still computes with it."""
    fmt = EXCEL[kind]
    return fmt[locale_code(locale)] if isinstance(fmt, dict) else fmt


def _html(text: str):
    """In HTML the no-break space is written &nbsp;: visible in the page source, and what tests look for."""
    from markupsafe import Markup, escape

    return Markup(str(escape(text)).replace("\u00a0", "&nbsp;"))


def install(app) -> None:
    """Register the filters |num |pct |points |day |when |period |named on `app`'s Jinja (idempotent)."""
    app.jinja_env.filters.update({
        "num": lambda v, digits=0: num(v, digits),
        "pct": lambda v, digits=1: _html(pct(v, digits)),
        "points": lambda v, digits=1: _html(points(v, digits)),
        "day": day,
        "when": lambda v, seconds=False: when(v, seconds=seconds),
        "period": period,
        "named": named,
    })


def local_day(moment: datetime | None) -> date | None:
    """The day a stored (naive = UTC) moment falls on in the province's time zone; None stays None."""
    return None if moment is None else _local(moment).date()
