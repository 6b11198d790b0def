"""Answers checked against the exact questionnaire version they claim to answer.

- Questions hidden by `show_if` are not asked: an answer sent for one is ignored, never stored
  (hiding cascades: a question whose controlling question is hidden is hidden too).
- A required, visible question without an answer is an error unless the response is `partial`.
- Anything else that does not fit the version (unknown item, out-of-scale code, wrong type, text
  too long, an exclusive choice combined with others, a phone that is no Vietnamese number) is an
  error with a machine code and a message.
- A `phone` answer (the call-back number) is cleaned to its national digits and never becomes an
  answer row: comments.py sends it to `contact_request`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from survey.services.common.redact import normalise_phone
from survey.services.common.texts import storable_text
from survey.services.questionnaires.bank import answer_codes, iter_questions
from survey.services.questionnaires.bank import visible as is_visible  # one show_if rule for pages and validation

DEFAULT_TEXT_MAX = 1000
OTHER_TEXT_MAX = 500
# answer.value_int is a 32-bit INTEGER: a number question without min/max must still fit it, or storing
# the answer fails (PostgreSQL "integer out of range") and the value stuck in a draft fails every submit.
VALUE_INT_MIN, VALUE_INT_MAX = -(2 ** 31), 2 ** 31 - 1

MESSAGES = {
    "unknown_item": _l("Câu hỏi không có trong bảng hỏi này."),
    "required": _l("Vui lòng trả lời câu hỏi này."),
    "wrong_type": _l("Câu trả lời không đúng dạng."),
    "out_of_scale": _l("Mức đánh giá không có trong thang đo."),
    "invalid_option": _l("Lựa chọn không có trong danh sách."),
    "too_long": _l("Nội dung quá dài (tối đa %(n)s ký tự)."),
    "not_integer": _l("Vui lòng nhập một số nguyên."),
    "too_small": _l("Số phải lớn hơn hoặc bằng %(n)s."),
    "too_large": _l("Số phải nhỏ hơn hoặc bằng %(n)s."),
    "no_other_box": _l("Câu hỏi này không có ô ghi ý kiến khác."),
    "exclusive": _l("Lựa chọn này không thể chọn cùng các lựa chọn khác."),
    "invalid_phone": _l("Số điện thoại không hợp lệ. Xin nhập số di động (10 chữ số, ví dụ 0912 345 678) "
                        "hoặc số cố định (11 chữ số, ví dụ 024 3825 3456)."),
}


@dataclass(frozen=True)
class AnswerError:
    """One problem with one item: a machine code and a message for people."""

    item: str
    code: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The message in the current language."""
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])

    def as_dict(self) -> dict:
        """JSON form for API answers."""
        return {"item": self.item, "code": self.code, "message": self.message}


# --- the questionnaire's shape -------------------------------------------------------------------

def sections(content: dict) -> list[dict]:
    """The questionnaire's sections (one screen each), in order."""
    return list(content.get("sections") or [])


def questions(content: dict) -> list[dict]:
    """Every question in order (each dict also gets its section id under `section`)."""
    return list(iter_questions(content))


def option_codes(content: dict, question: dict) -> list[int]:
    """Allowed integer codes of a scale/single/multiple question."""
    return [c["code"] for c in answer_codes(content, question)]


def visible_sections(content: dict, answers: dict[str, Any]) -> list[dict]:
    """Sections with at least one question visible under the current answers (the screens to show)."""
    out, seen = [], {}
    for section in sections(content):
        shown = False
        for q in section.get("questions") or []:
            if is_visible(q, seen):
                shown = True
                if q["code"] in answers:
                    seen[q["code"]] = answers[q["code"]]
        if shown:
            out.append(section)
    return out


# Seconds a first-time respondent takes, measured by reading the question aloud and answering it on a
# tablet: a rating or one choice is read and tapped; several choices take longer; text is optional
# almost everywhere, so a short remark is counted. Plus a moment per screen (reading its title, "next").
SECONDS_PER_QUESTION = {"scale": 7, "single": 8, "multiple": 12, "number": 10, "text": 20, "phone": 15}
SECONDS_PER_SCREEN = 3


def duration(content: dict) -> tuple[int, int]:
    """(minutes, screens) of the usual path through a questionnaire, computed from its questions:
    the screens and questions shown before any answer (conditional ones are the exception)."""
    screens = visible_sections(content, {})
    seconds = sum(SECONDS_PER_SCREEN + sum(SECONDS_PER_QUESTION.get(q.get("type"), 8)
                                           for q in s.get("questions") or [] if not q.get("show_if"))
                  for s in screens)
    return max(1, -(-seconds // 60)), len(screens)


# --- validation ----------------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


class _Question:
    """One question's checks, read once from the version's content (see checks_for)."""

    __slots__ = ("code", "kind", "source", "required", "allowed", "exclusive", "low", "high", "limit",
                 "other_code", "other_limit")

    def __init__(self, content: dict, q: dict):
        self.code, self.kind, self.source = q["code"], q.get("type"), q
        self.required = bool(q.get("required"))
        coded = self.kind in ("scale", "single", "multiple")
        self.allowed = frozenset(c["code"] for c in answer_codes(content, q)) if coded else frozenset()
        self.exclusive = frozenset(o["code"] for o in q.get("options") or [] if o.get("exclusive"))
        low, high = q.get("min"), q.get("max")
        self.low = VALUE_INT_MIN if low is None else max(low, VALUE_INT_MIN)
        self.high = VALUE_INT_MAX if high is None else min(high, VALUE_INT_MAX)
        self.limit = int(q.get("max_length") or DEFAULT_TEXT_MAX)
        self.other_code = q.get("other_text")
        self.other_limit = int(q.get("max_length") or OTHER_TEXT_MAX)

    def check(self, value: Any) -> tuple[Any, AnswerError | None]:
        """Validate one non-empty value; return the cleaned value or an error."""
        kind = self.kind
        if kind in ("scale", "single"):
            if not _is_int(value):
                return None, AnswerError(self.code, "wrong_type")
            if value not in self.allowed:
                return None, AnswerError(self.code, "out_of_scale" if kind == "scale" else "invalid_option")
            return value, None
        if kind == "multiple":
            if not isinstance(value, list) or not all(_is_int(v) for v in value):
                return None, AnswerError(self.code, "wrong_type")
            if any(v not in self.allowed for v in value):
                return None, AnswerError(self.code, "invalid_option")
            chosen = sorted(set(value))
            if len(chosen) > 1 and self.exclusive.intersection(chosen):
                return None, AnswerError(self.code, "exclusive")
            return chosen, None
        if kind == "text":
            if not storable_text(value):
                return None, AnswerError(self.code, "wrong_type")
            text = value.strip()
            if len(text) > self.limit:
                return None, AnswerError(self.code, "too_long", {"n": self.limit})
            return text or None, None
        if kind == "number":
            if not _is_int(value):
                return None, AnswerError(self.code, "not_integer")
            if value < self.low:
                return None, AnswerError(self.code, "too_small", {"n": self.low})
            if value > self.high:
                return None, AnswerError(self.code, "too_large", {"n": self.high})
            return value, None
        if kind == "phone":
            return self._phone(value)
        return None, AnswerError(self.code, "wrong_type")

    def _phone(self, value: Any) -> tuple[str | None, AnswerError | None]:
        # A form field may have read "0912345678" as the number 912345678: normalise_phone takes it back.
        if _is_int(value):
            value = str(value)
        if not storable_text(value):
            return None, AnswerError(self.code, "wrong_type")
        if not value.strip():
            return None, None
        digits = normalise_phone(value)
        return (digits, None) if digits else (None, AnswerError(self.code, "invalid_phone"))

    def other_text(self, value: Any, text: Any) -> tuple[str | None, AnswerError | None]:
        """The free text of an "other" option: only kept when that option is chosen."""
        if self.other_code is None:
            return None, AnswerError(self.code, "no_other_box")
        if text is None:
            return None, None
        if not storable_text(text):
            return None, AnswerError(self.code, "wrong_type")
        if self.other_code not in (value if isinstance(value, list) else [value]):
            return None, None
        text = text.strip()
        if len(text) > self.other_limit:
            return None, AnswerError(self.code, "too_long", {"n": self.other_limit})
        return text or None, None


class Checks:
    """A questionnaire version's questions with their checks ready, in questionnaire order."""

    def __init__(self, content: dict):
        self.content = content
        self.questions = [_Question(content, q) for q in iter_questions(content)]
        self.by_code = {q.code: q for q in self.questions}
        self.kinds = {q.code: q.kind for q in self.questions}


_checks: dict[int, Checks] = {}
_CHECKS_KEPT = 64


def checks_for(content: dict) -> Checks:
    """The checks of a version's content, read once per content object.

    Why: re-reading every question's scale and options for each submission was most of a kiosk
    submission's own CPU. A version's content never changes once loaded, so the checks are kept
    for the content object itself (the entry holds it, so its id is not reused while kept).
    """
    found = _checks.get(id(content))
    if found is None or found.content is not content:
        if len(_checks) >= _CHECKS_KEPT:
            _checks.clear()  # contents loaded afresh by every link-flow request: keep the cache small
        found = _checks[id(content)] = Checks(content)
    return found


def clean_answers(content: dict, answers: dict[str, Any], other: dict[str, Any] | None = None,
                  *, partial: bool = False, only: set[str] | None = None
                  ) -> tuple[dict[str, Any], dict[str, str], list[AnswerError]]:
    """Validate answers against one questionnaire version; returns (answers, other texts, errors).

    `only` restricts the required-answer check to those item codes (one screen of the link flow);
    every given answer is still checked.
    """
    other = other or {}
    if not isinstance(answers, dict) or not isinstance(other, dict):
        return {}, {}, [AnswerError("", "wrong_type")]
    checks = checks_for(content)
    by_code = checks.by_code
    errors = [AnswerError(c, "unknown_item") for c in list(answers) + list(other) if c not in by_code]
    cleaned: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for q in checks.questions:
        code = q.code
        if not is_visible(q.source, cleaned):
            continue  # not asked: whatever was sent for it is ignored
        value = answers.get(code)
        if not _empty(value):
            value, error = q.check(value)
            if error:
                errors.append(error)
                continue
        if _empty(value):
            if q.required and not partial and (only is None or code in only):
                errors.append(AnswerError(code, "required"))
            continue
        cleaned[code] = value
        if code in other:
            text, error = q.other_text(value, other[code])
            if error:
                errors.append(error)
            elif text:
                texts[code] = text
    return cleaned, texts, errors


def answer_rows(content: dict, answers: dict[str, Any], other: dict[str, str]) -> list[dict]:
    """Answer rows (dicts) per item, per chosen code for multiple choice; "other" text rides on its code's row.

    A phone answer has no row (it is contact data, see comments.py).
    """
    rows = []
    for q in checks_for(content).questions:
        code = q.code
        if code not in answers or q.kind == "phone":
            continue
        value = answers[code]
        if q.kind == "text":
            rows.append({"item_code": code, "value_int": None, "value_text": value})
            continue
        for v in value if isinstance(value, list) else [value]:
            text = other.get(code) if v == q.other_code else None
            rows.append({"item_code": code, "value_int": v, "value_text": text})
    return rows
