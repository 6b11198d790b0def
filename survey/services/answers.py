"""Answers checked against the exact questionnaire version they claim to answer.

- Questions hidden by `show_if` are not asked: an answer sent for one is ignored, never stored
  (hiding cascades: a question whose controlling question is hidden is hidden too).
- A required, visible question without an answer is an error unless the response is `partial`.
- Anything else that does not fit the version (unknown item, out-of-scale code, wrong type, text
  too long, an exclusive choice combined with others) is an error with a machine code and a message.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from survey.services.questionnaires import answer_codes, iter_questions
from survey.services.questionnaires import visible as is_visible  # one show_if rule for pages and validation

DEFAULT_TEXT_MAX = 1000
OTHER_TEXT_MAX = 500

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


# --- validation ----------------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _check(content: dict, q: dict, value: Any) -> tuple[Any, AnswerError | None]:
    """Validate one non-empty value; return the cleaned value or an error."""
    code, kind = q["code"], q.get("type")
    if kind in ("scale", "single"):
        if not _is_int(value):
            return None, AnswerError(code, "wrong_type")
        if value not in option_codes(content, q):
            return None, AnswerError(code, "out_of_scale" if kind == "scale" else "invalid_option")
        return value, None
    if kind == "multiple":
        if not isinstance(value, list) or not all(_is_int(v) for v in value):
            return None, AnswerError(code, "wrong_type")
        allowed = option_codes(content, q)
        if any(v not in allowed for v in value):
            return None, AnswerError(code, "invalid_option")
        chosen = sorted(set(value))
        exclusive = {o["code"] for o in q.get("options") or [] if o.get("exclusive")}
        if len(chosen) > 1 and exclusive.intersection(chosen):
            return None, AnswerError(code, "exclusive")
        return chosen, None
    if kind == "text":
        if not isinstance(value, str):
            return None, AnswerError(code, "wrong_type")
        limit = int(q.get("max_length") or DEFAULT_TEXT_MAX)
        text = value.strip()
        if len(text) > limit:
            return None, AnswerError(code, "too_long", {"n": limit})
        return text or None, None
    if kind == "number":
        if not _is_int(value):
            return None, AnswerError(code, "not_integer")
        if q.get("min") is not None and value < q["min"]:
            return None, AnswerError(code, "too_small", {"n": q["min"]})
        if q.get("max") is not None and value > q["max"]:
            return None, AnswerError(code, "too_large", {"n": q["max"]})
        return value, None
    return None, AnswerError(code, "wrong_type")


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
    by_code = {q["code"]: q for q in questions(content)}
    errors = [AnswerError(c, "unknown_item") for c in list(answers) + list(other) if c not in by_code]
    cleaned: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for code, q in by_code.items():
        if not is_visible(q, cleaned):
            continue  # not asked: whatever was sent for it is ignored
        value = answers.get(code)
        if not _empty(value):
            value, error = _check(content, q, value)
            if error:
                errors.append(error)
                continue
        if _empty(value):
            if q.get("required") and not partial and (only is None or code in only):
                errors.append(AnswerError(code, "required"))
            continue
        cleaned[code] = value
        if code in other:
            text, error = _other_text(q, value, other[code])
            if error:
                errors.append(error)
            elif text:
                texts[code] = text
    return cleaned, texts, errors


def _other_text(q: dict, value: Any, text: Any) -> tuple[str | None, AnswerError | None]:
    """The free text of an "other" option: only kept when that option is chosen."""
    if q.get("other_text") is None:
        return None, AnswerError(q["code"], "no_other_box")
    if text is None:
        return None, None
    if not isinstance(text, str):
        return None, AnswerError(q["code"], "wrong_type")
    chosen = value if isinstance(value, list) else [value]
    if q["other_text"] not in chosen:
        return None, None
    text = text.strip()
    limit = int(q.get("max_length") or OTHER_TEXT_MAX)
    if len(text) > limit:
        return None, AnswerError(q["code"], "too_long", {"n": limit})
    return text or None, None


def answer_rows(content: dict, answers: dict[str, Any], other: dict[str, str]) -> list[dict]:
    """Answer rows (dicts) per item, per chosen code for multiple choice; "other" text rides on its code's row."""
    rows = []
    for q in questions(content):
        code = q["code"]
        if code not in answers:
            continue
        value = answers[code]
        if q.get("type") == "text":
            rows.append({"item_code": code, "value_int": None, "value_text": value})
            continue
        for v in value if isinstance(value, list) else [value]:
            text = other.get(code) if v == q.get("other_text") else None
            rows.append({"item_code": code, "value_int": v, "value_text": text})
    return rows
