"""The link survey's screen form: Flask-WTF gives the CSRF check; the questions come from the version."""
from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField


class ScreenForm(FlaskForm):
    """One questionnaire screen; `action` is back, next or submit."""

    action = HiddenField(default="next")


def read_screen(section: dict, form: MultiDict) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed answers of one screen from posted fields q_<CODE> and o_<CODE> (other text).

    Integers become int; anything else stays a string so validation can say what is wrong.
    """
    answers: dict[str, Any] = {}
    other: dict[str, str] = {}
    for q in section.get("questions") or []:
        code, kind, name = q["code"], q.get("type"), "q_" + q["code"]
        if kind == "multiple":
            answers[code] = [_int_or_str(v) for v in form.getlist(name) if v.strip()]
        elif kind in ("text", "phone"):  # a phone keeps its leading 0 in the draft
            answers[code] = form.get(name, "")
        else:
            answers[code] = _int_or_str(form.get(name, ""))
        if q.get("other_text") is not None and form.get("o_" + code, "").strip():
            other[code] = form.get("o_" + code, "")
    return answers, other


def _int_or_str(value: str) -> Any:
    value = (value or "").strip()
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        return value
