"""A response's free text as comment rows and its call-back phone: made once, stored by both write paths.

`prepare_response` redacts every text answer (text questions and "other" texts, survey.services.common.redact)
before it becomes an answer row, so `answer.value_text` never holds what was removed, and gives each
non-empty one a `comment` row: the redacted text, folded for search, the response's wave, agency, service
point and sampling flag, the local day of submission (never the time) and the respondent's overall rating
(the version's `overall_item`, when answered).

`comment_raw` keeps what was typed only where redaction changed it: a comment without one had nothing
removed, so its `text` is exactly what was typed. The administrator thus always sees what was typed, and
the only copies of personal data are the raw rows a purge deletes.

A `phone` question's answer is never an answer row: its national digits go to `contact_request`, apart
from the answers, in the same transaction.

The rows travel to the write paths as `AnswerRows`, a list of answer rows that also carries the comment
rows, the raw texts and the phone, so every caller of prepare_response keeps its (values, rows) shape.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from survey.models import Comment, CommentRaw, ContactRequest
from survey.services.common.periods import local_tz
from survey.services.common.redact import fold, redact

COMMENT_COLUMNS = tuple(c.name for c in Comment.__table__.columns if c.name not in ("id", "response_id"))


class AnswerRows(list):
    """A response's answer rows (dicts), with its comment rows, raw texts ({item: text}), call-back phone
    and score rows (scores.py; set by prepare_response)."""

    __slots__ = ("comments", "raw", "contact", "scores")

    def __init__(
        self,
        rows=(),
        comments: list[dict] | None = None,
        raw: dict[str, str] | None = None,
        contact: dict | None = None,
    ):
        super().__init__(rows)
        self.comments: list[dict] = comments or []
        self.raw: dict[str, str] = raw or {}
        self.contact: dict | None = contact  # {"phone": digits, "created_at": submitted_at}
        self.scores: list[dict] = []


def local_day(moment: datetime) -> date:
    """The province's local day of a naive UTC timestamp."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(local_tz())).date()


def redact_free_text(
    kinds: dict[str, str], cleaned: dict[str, Any], texts: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str], dict[str, tuple[str, str, int]], str | None]:
    """Redact text answers and "other" texts; take phone answers out of the answers.

    Returns (answers, other texts, {item: (redacted, as typed, redactions)}, the first phone given).
    `kinds` maps each item code to its question type.
    """
    answers, other, free, phone = {}, {}, {}, None
    for code, value in cleaned.items():
        kind = kinds.get(code)
        if kind == "phone":
            phone = phone or value
            continue
        if kind == "text" and isinstance(value, str):
            found = redact(value)
            free[code] = (found.text, value, found.count)
            value = found.text
        answers[code] = value
    for code, value in texts.items():
        if code in answers:  # an "other" box of a question hidden or left out carries nothing
            found = redact(value)
            free[code] = (found.text, value, found.count)
            other[code] = found.text
    return answers, other, free, phone


def attach(
    rows: list[dict], values: dict, free: dict[str, tuple[str, str, int]], overall: Any, phone: str | None
) -> AnswerRows:
    """The answer rows with the comment rows, raw texts and contact of the response `values` describe."""
    at = values["submitted_at"]
    day = local_day(at)
    comments = [
        {
            "item_code": code,
            "text": text,
            "folded": fold(text),
            "redactions": count,
            "wave_id": values["wave_id"],
            "agency_id": values["agency_id"],
            "service_point_id": values["service_point_id"],
            "day": day,
            "overall": overall if isinstance(overall, int) and not isinstance(overall, bool) else None,
            "probability_sample": values["probability_sample"],
            "tagged_at": None,
            "created_at": at,
        }
        for code, (text, _typed, count) in free.items()
        if text
    ]
    raw = {code: typed for code, (text, typed, count) in free.items() if text and count}
    contact = {"phone": phone, "created_at": at} if phone else None
    return AnswerRows(rows, comments, raw, contact)


def store_extras(executor: Session | Connection, response_id: int, rows: list[dict]) -> None:
    """Insert a stored response's comment, comment_raw and contact_request rows (ORM path and fallback)."""
    comments, raw, contact = extras(rows)
    if comments:
        table = Comment.__table__
        ids = dict(
            executor.execute(
                insert(table).returning(table.c.item_code, table.c.id),
                [{**c, "response_id": response_id} for c in comments],
            ).all()
        )
        if raw:
            executor.execute(
                insert(CommentRaw.__table__), [{"comment_id": ids[code], "text": text} for code, text in raw.items()]
            )
    if contact:
        executor.execute(insert(ContactRequest.__table__).values(response_id=response_id, **contact))


def extras(rows: list[dict]) -> tuple[list[dict], dict[str, str], dict | None]:
    """(comment rows, raw texts, contact) carried by answer rows; none for a plain list."""
    if isinstance(rows, AnswerRows):
        return rows.comments, rows.raw, rows.contact
    return [], {}, None
