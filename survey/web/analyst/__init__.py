"""The analyst blueprint; its views live in views.py, charts.py and downloads.py beside this file."""
import math

from flask import Blueprint
from flask_babel import format_decimal

from survey.services.common import audit
from survey.services.feedback.case_rules import type_label

bp = Blueprint("analyst", __name__)


@bp.app_template_filter("num1")
def num1(value) -> str:
    """A percentage with one decimal in the reader's locale (85,4 in Vietnamese; — when undefined)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return format_decimal(value, format="0.0").replace("-", "\u2212")  # a real minus sign


@bp.app_template_filter("num2")
def num2(value) -> str:
    """A number with two decimals in the reader's locale (a correlation, say)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return format_decimal(value, format="0.00").replace("-", "\u2212")


@bp.app_template_filter("int_fmt")
def int_fmt(value) -> str:
    """An integer with the locale's grouping (12.345 in Vietnamese)."""
    return "—" if value is None else format_decimal(int(value), format="#,##0")


@bp.app_template_filter("actor")
def actor(name) -> str:
    """Who did a step, in words ("hệ thống" for the scheduled pass, a username otherwise)."""
    return audit.actor_label(str(name or ""))


@bp.app_template_filter("case_type")
def case_type(code) -> str:
    """A feedback case's type in words (the default types named, others as their code with spaces)."""
    return type_label(code)


from survey.web.analyst import cases, charts, counter, downloads, inbox, indicators, views  # noqa: E402,F401  (views attach to bp)
