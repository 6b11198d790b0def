"""Case rules per questionnaire: what opens a feedback case (a low overall rating, a low item, a complaint),
of which type, due within how many days; checked, audited, with sensible defaults for the bank.

A rule is kept when switched off (cases it opened still name its kind), so there is no delete.
Services flush, never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import CaseRule, CaseRuleKind, Questionnaire, QuestionnaireVersion
from survey.services.common import audit
from survey.services.common.i18n import tr as _

THRESHOLD_MIN, THRESHOLD_MAX = 1, 5
SLA_MAX_DAYS = 365
CASE_TYPE = re.compile(r"^[a-z0-9_]{1,40}$")  # a code (the list filter and the CSV use it), not a label
LOW_RATING, COMPLAINT = "danh_gia_thap", "khieu_nai"
# Words for the default case types; a province's own types show their code with spaces.
TYPE_LABELS = {LOW_RATING: _l("Đánh giá thấp"), COMPLAINT: _l("Khiếu nại")}


class RuleError(ValueError):
    """A refused rule, with a message fit to show the administrator (Vietnamese)."""


@dataclass(frozen=True)
class RuleInput:
    """What the form (or a command) asks for."""

    kind: str
    threshold: int | None
    case_type: str
    sla_days: int | None


def has_overall_item(session: Session, questionnaire_id: int) -> bool:
    """Whether the questionnaire's latest version names an overall-satisfaction item."""
    content = session.scalar(
        select(QuestionnaireVersion.content)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(QuestionnaireVersion.id.desc())
        .limit(1)
    )
    return bool(content and content.get("overall_item"))


def _checked(
    session: Session, questionnaire_id: int, data: RuleInput, rule_id: int | None = None, active: bool = True
) -> RuleInput:
    if session.get(Questionnaire, questionnaire_id) is None:
        raise RuleError(_("Không tìm thấy bảng hỏi."))
    if data.kind not in {k.value for k in CaseRuleKind}:
        raise RuleError(_("Loại quy tắc không hợp lệ."))
    case_type = (data.case_type or "").strip().lower()
    if not CASE_TYPE.match(case_type):
        raise RuleError(_("Loại phản ánh phải là mã 1–40 ký tự: chữ thường không dấu, số, dấu gạch dưới."))
    if data.sla_days is None or not 0 < data.sla_days <= SLA_MAX_DAYS:
        raise RuleError(_("Thời hạn xử lý phải từ 1 đến %(n)d ngày.", n=SLA_MAX_DAYS))
    threshold = data.threshold
    if data.kind == CaseRuleKind.COMPLAINT:
        threshold = None  # a complaint theme has no rating to compare
    elif threshold is None or not THRESHOLD_MIN <= threshold <= THRESHOLD_MAX:
        raise RuleError(_("Ngưỡng phải là một mức từ 1 đến 5."))
    if data.kind == CaseRuleKind.OVERALL_LOW and not has_overall_item(session, questionnaire_id):
        raise RuleError(_("Bảng hỏi này không có câu đánh giá chung: hãy dùng quy tắc theo từng câu hỏi."))
    twin = active and session.scalar(
        select(CaseRule.id).where(
            CaseRule.questionnaire_id == questionnaire_id,
            CaseRule.kind == data.kind,
            CaseRule.case_type == case_type,
            CaseRule.active.is_(True),
            CaseRule.id != (rule_id or 0),
        )
    )
    if twin:
        raise RuleError(_("Bảng hỏi này đã có một quy tắc cùng loại và cùng loại phản ánh đang áp dụng."))
    return RuleInput(data.kind, threshold, case_type, data.sla_days)


def _fields(rule: CaseRule) -> dict[str, Any]:
    return {
        "kind": str(rule.kind),
        "threshold": rule.threshold,
        "case_type": rule.case_type,
        "sla_days": rule.sla_days,
        "active": rule.active,
    }


def add_rule(session: Session, actor: Any, questionnaire_id: int, data: RuleInput) -> CaseRule:
    """Add an active rule (RuleError on bad input) and log `case_rule.create`. Flushes."""
    ok = _checked(session, questionnaire_id, data)
    rule = CaseRule(
        questionnaire_id=questionnaire_id,
        kind=CaseRuleKind(ok.kind),
        threshold=ok.threshold,
        case_type=ok.case_type,
        sla_days=ok.sla_days,
        active=True,
    )
    session.add(rule)
    session.flush()
    audit.record(
        session, actor, "case_rule.create", "case_rule", rule.id, questionnaire_id=questionnaire_id, **_fields(rule)
    )
    return rule


def update_rule(session: Session, actor: Any, rule: CaseRule, data: RuleInput) -> CaseRule:
    """Change a rule's kind, threshold, case type and SLA (RuleError on bad input); log `case_rule.update`."""
    ok = _checked(session, rule.questionnaire_id, data, rule.id, rule.active)
    before = _fields(rule)
    rule.kind, rule.threshold = CaseRuleKind(ok.kind), ok.threshold
    rule.case_type, rule.sla_days = ok.case_type, ok.sla_days
    session.flush()
    after = _fields(rule)
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    audit.record(session, actor, "case_rule.update", "case_rule", rule.id, changes=changes)
    return rule


def set_active(session: Session, actor: Any, rule: CaseRule, active: bool) -> CaseRule:
    """Switch a rule off (cases it opened stay) or on again; log `case_rule.deactivate` / `case_rule.activate`."""
    if active and not rule.active:
        _checked(
            session,
            rule.questionnaire_id,
            RuleInput(str(rule.kind), rule.threshold, rule.case_type, rule.sla_days),
            rule.id,
        )
    rule.active = active
    session.flush()
    audit.record(
        session,
        actor,
        "case_rule.activate" if active else "case_rule.deactivate",
        "case_rule",
        rule.id,
        case_type=rule.case_type,
    )
    return rule


def seed_defaults(session: Session, actor: Any = "cli") -> int:
    """Default rules for every questionnaire that has none yet; returns how many were added. Flushes.

    An overall rating of 2 or less (or, without an overall item, any item at the lowest level) opens a
    "danh_gia_thap" case due in 5 days; a comment tagged with a complaint theme a "khieu_nai" case in 10.
    """
    have = set(session.scalars(select(CaseRule.questionnaire_id).distinct()))
    added = 0
    for questionnaire in session.scalars(select(Questionnaire).order_by(Questionnaire.id)):
        if questionnaire.id in have:
            continue
        if has_overall_item(session, questionnaire.id):
            add_rule(session, actor, questionnaire.id, RuleInput(CaseRuleKind.OVERALL_LOW, 2, LOW_RATING, 5))
        else:
            add_rule(session, actor, questionnaire.id, RuleInput(CaseRuleKind.ITEM_LOW, 1, LOW_RATING, 5))
        add_rule(session, actor, questionnaire.id, RuleInput(CaseRuleKind.COMPLAINT, None, COMPLAINT, 10))
        added += 2
    return added


def active_rules(session: Session) -> dict[int, list[CaseRule]]:
    """Active rules by questionnaire id, oldest first (the first rule of a case type decides its SLA)."""
    out: dict[int, list[CaseRule]] = {}
    for rule in session.scalars(select(CaseRule).where(CaseRule.active.is_(True)).order_by(CaseRule.id)):
        out.setdefault(rule.questionnaire_id, []).append(rule)
    return out


def list_rules(session: Session) -> list[tuple[Questionnaire, list[CaseRule]]]:
    """Every questionnaire with its rules (active first), for the admin page."""
    rules: dict[int, list[CaseRule]] = {}
    for rule in session.scalars(select(CaseRule).order_by(CaseRule.active.desc(), CaseRule.id)):
        rules.setdefault(rule.questionnaire_id, []).append(rule)
    return [(q, rules.get(q.id, [])) for q in session.scalars(select(Questionnaire).order_by(Questionnaire.instrument))]


def type_label(code: str) -> str:
    """A case type in words: the default types' names, else the code with spaces for underscores."""
    label = TYPE_LABELS.get(code)
    return str(label) if label is not None else str(code).replace("_", " ")
