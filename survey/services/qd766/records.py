"""Validating one rating or dossier-event record (API item or CSV line) without touching the database.

`validate_rating` / `validate_event` turn a raw record into the row's column values (all but the dossier's
id, which the batch looks up) and a content hash, or list every problem with a stable code (REASON_CODES)
and a Vietnamese message, in the same shape as the dossier intake (survey.services.intake.records).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from survey.models.qd766 import EVENT_KINDS, RATING_LEVELS, SCORE_MAX
from survey.services.common.i18n import tr as _
from survey.services.common.texts import storable_text
from survey.services.intake.records import FUTURE_SLACK, RecordResult, _err, _when

RATING_FIELDS = ("external_id", "dossier", "rated_at", "level", "score")
EVENT_FIELDS = ("external_id", "dossier", "kind", "at", "note")
REASON_CODES = (
    "not_an_object",
    "missing_field",
    "bad_value",
    "bad_date",
    "date_in_future",
    "bad_level",
    "bad_score",
    "bad_kind",
    "unknown_dossier",
    "conflict",
    "out_of_scope",
)
NOTE_MAX = 2000
MAX_LEN = {"external_id": 128, "dossier": 128, "level": 16, "kind": 16}


class Kind(StrEnum):
    """Which of the two record types a batch holds."""

    RATING = "rating"
    EVENT = "event"


@dataclass
class Item:
    """The outcome of one record: the row to store (None when rejected), its dossier's external id, errors."""

    result: RecordResult
    dossier: str | None = None
    row: dict | None = None
    extra: dict = field(default_factory=dict)


def _start(raw: object, index: int) -> tuple[Item, dict | None]:
    if not isinstance(raw, dict):
        item = Item(RecordResult(index, None))
        _err(item.result, "not_an_object", "", _("Bản ghi phải là một đối tượng JSON."))
        return item, None
    ext = raw.get("external_id")
    return Item(RecordResult(index, str(ext)[:128] if ext is not None else None)), raw


def _text(raw: dict, name: str, result: RecordResult) -> str | None:
    """A trimmed string field (numbers accepted for ids, as spreadsheets write them); None when absent."""
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and name in ("external_id", "dossier"):
        value = str(value)
    if not isinstance(value, str):
        _err(result, "bad_value", name, _("Trường %(field)s phải là chuỗi ký tự.", field=name))
        return None
    if not storable_text(value):
        _err(
            result,
            "bad_value",
            name,
            _("Trường %(field)s chứa ký tự không hợp lệ (NUL hoặc mã Unicode lẻ).", field=name),
        )
        return None
    value = value.strip()
    if len(value) > MAX_LEN[name]:
        _err(result, "bad_value", name, _("Trường %(field)s dài quá %(n)d ký tự.", field=name, n=MAX_LEN[name]))
        return None
    return value or None


def _required(item: Item, values: dict, names: tuple[str, ...]) -> None:
    for name in names:
        if values.get(name) is None and not any(e["field"] == name for e in item.result.errors):
            _err(item.result, "missing_field", name, _("Thiếu trường bắt buộc: %(field)s.", field=name))


def _not_future(item: Item, name: str, when: datetime | None, now: datetime) -> None:
    if when is not None and when > now + FUTURE_SLACK:
        _err(item.result, "date_in_future", name, _("Ngày ở trường %(field)s nằm ở tương lai.", field=name))


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _score(raw: dict, item: Item) -> int | None:
    value = raw.get("score")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(value.strip()) if isinstance(value, str) else value
    except ValueError:
        number = None
    if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= SCORE_MAX:
        _err(
            item.result,
            "bad_score",
            "score",
            _(
                "Điểm đánh giá phải là số nguyên từ 0 đến %(max)d (bảng đánh giá hồ sơ chín tiêu chí): %(value)s",
                max=SCORE_MAX,
                value=str(value)[:20],
            ),
        )
        return None
    return number


def validate_rating(raw: object, index: int, zone: ZoneInfo, now: datetime) -> Item:
    """Check one rating: external_id, dossier, rated_at, and a level, a 0–18 score or both."""
    item, raw = _start(raw, index)
    if raw is None:
        return item
    r = item.result
    values = {name: _text(raw, name, r) for name in ("external_id", "dossier", "level")}
    rated_at = _when(raw, "rated_at", r, zone)
    score = _score(raw, item)
    _required(item, {**values, "rated_at": rated_at}, ("external_id", "dossier", "rated_at"))
    if values["level"] is not None and values["level"] not in RATING_LEVELS:
        _err(
            r,
            "bad_level",
            "level",
            _(
                "Mức đánh giá không hợp lệ: %(value)s (chấp nhận: %(allowed)s).",
                value=values["level"],
                allowed=", ".join(RATING_LEVELS),
            ),
        )
    if values["level"] is None and score is None and not any(e["field"] in ("level", "score") for e in r.errors):
        _err(r, "missing_field", "level", _("Cần mức đánh giá (level) hoặc điểm đánh giá (score), hoặc cả hai."))
    _not_future(item, "rated_at", rated_at, now)
    item.dossier = values["dossier"]
    if r.errors:
        return item
    item.row = {
        "external_id": values["external_id"],
        "rated_at": rated_at,
        "level": values["level"],
        "score": score,
        "content_hash": _hash(
            values["external_id"],
            values["dossier"],
            rated_at.isoformat(),
            values["level"] or "",
            "" if score is None else str(score),
        ),
    }
    return item


def validate_event(raw: object, index: int, zone: ZoneInfo, now: datetime) -> Item:
    """Check one dossier event: external_id, dossier, kind, at and an optional note."""
    item, raw = _start(raw, index)
    if raw is None:
        return item
    r = item.result
    values = {name: _text(raw, name, r) for name in ("external_id", "dossier", "kind")}
    at = _when(raw, "at", r, zone)
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        _err(r, "bad_value", "note", _("Trường %(field)s phải là chuỗi ký tự.", field="note"))
        note = None
    elif note is not None and len(note) > NOTE_MAX:
        _err(r, "bad_value", "note", _("Trường %(field)s dài quá %(n)d ký tự.", field="note", n=NOTE_MAX))
    elif note is not None and not storable_text(note):
        _err(
            r,
            "bad_value",
            "note",
            _("Trường %(field)s chứa ký tự không hợp lệ (NUL hoặc mã Unicode lẻ).", field="note"),
        )
    _required(item, {**values, "at": at}, ("external_id", "dossier", "kind", "at"))
    if values["kind"] is not None and values["kind"] not in EVENT_KINDS:
        _err(
            r,
            "bad_kind",
            "kind",
            _(
                "Loại sự kiện không hợp lệ: %(value)s (chấp nhận: %(allowed)s).",
                value=values["kind"],
                allowed=", ".join(EVENT_KINDS),
            ),
        )
    _not_future(item, "at", at, now)
    item.dossier = values["dossier"]
    if r.errors:
        return item
    note = (note or "").strip()
    item.row = {
        "external_id": values["external_id"],
        "kind": values["kind"],
        "at": at,
        "note": note,
        "content_hash": _hash(values["external_id"], values["dossier"], values["kind"], at.isoformat(), note),
    }
    return item


VALIDATORS = {Kind.RATING: validate_rating, Kind.EVENT: validate_event}
