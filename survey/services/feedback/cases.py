"""Opening feedback cases: a pass over new responses that routes low ratings and complaints to the responsible unit.

`scan` reads the responses after the "cases" cursor by id, in batches, and opens at most one case per
(response, case type) for the unit that decides the dossier (the dossier's competent agency; a walk-up
answer without a dossier goes to its service point's agency). Walk-up answers open cases too: they are
feedback, not the index. Running it twice opens nothing new: the cursor moves on, and the unique
(response, case type) key holds if two passes race. When the themes module is there, comments are tagged
first (the batch's own until none is left), and the cursor never passes a response whose comments are
still untagged, so a complaint is never skipped for being tagged late. Services flush, never commit.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from survey.models import (
    Answer,
    CaseEvent,
    CaseRule,
    CaseRuleKind,
    Comment,
    CommentTag,
    Dossier,
    FeedbackCase,
    FeedbackCursor,
    Invitation,
    QuestionnaireVersion,
    Response,
    ServicePoint,
    Theme,
)
from survey.models._base import utcnow
from survey.services.feedback import case_rules
from survey.services.questionnaires.bank import index_structure

CURSOR = "cases"
BATCH = 500
THEMES_MODULE = "survey.services.feedback.themes"
SYSTEM = "hệ thống"  # the actor of events no person made
WHERE_FROM = (
    Response.id,
    Response.questionnaire_version_id,
    Response.invitation_id,
    Response.service_point_id,
    Response.agency_id,
)


@dataclass
class ScanResult:
    """What one pass did: responses read, cases opened, and where the cursor now stands."""

    read: int = 0
    opened: list[FeedbackCase] = field(default_factory=list)
    cursor: int = 0
    held_back: bool = False  # stopped before a response whose comments could not be tagged


def _tag_comments(session: Session, limit: int) -> int | None:
    """Suggest themes for up to `limit` untagged comments; how many it stamped (None: no themes module)."""
    if importlib.util.find_spec(THEMES_MODULE) is None:
        return None
    return importlib.import_module(THEMES_MODULE).tag_untagged(session, limit=limit).comments


def _cursor(session: Session) -> FeedbackCursor:
    # FOR UPDATE: two passes on PostgreSQL queue here instead of reading the same batch.
    row = session.get(FeedbackCursor, CURSOR, with_for_update=True)
    if row is None:
        row = FeedbackCursor(name=CURSOR, last_response_id=0)
        session.add(row)
        session.flush()
    return row


class _Shapes:
    """Per version: its questionnaire, index items and overall item (read once per pass)."""

    def __init__(self, session: Session) -> None:
        self.session, self.cache = session, {}

    def get(self, version_id: int) -> tuple[int, list[str], str | None]:
        if version_id not in self.cache:
            version = self.session.get(QuestionnaireVersion, version_id)
            tree = index_structure(version.content or {})
            self.cache[version_id] = (version.questionnaire_id, tree["items"], tree["overall_item"])
        return self.cache[version_id]


def _fires(
    rule: CaseRule, ratings: dict[str, int], items: list[str], overall: str | None, complaint: int | None
) -> tuple[bool, int | None]:
    """Whether a rule opens a case for this response, and the comment it is about (complaints)."""
    if rule.kind == CaseRuleKind.OVERALL_LOW:
        value = ratings.get(overall) if overall else None
        return value is not None and value <= (rule.threshold or 0), None
    if rule.kind == CaseRuleKind.ITEM_LOW:
        return any(ratings.get(code) is not None and ratings[code] <= (rule.threshold or 0) for code in items), None
    return complaint is not None, complaint


def responsible_agencies(session: Session, responses: list[Row]) -> dict[int, int | None]:
    """The unit that answers for each response: the dossier's competent agency (the invitation's copy of it
    once the dossier is unlinked), else the service point's agency, else the response's own."""
    invited = {r.invitation_id for r in responses if r.invitation_id is not None}
    by_invitation = {
        invitation_id: dossier_agency or invitation_agency
        for invitation_id, invitation_agency, dossier_agency in session.execute(
            select(Invitation.id, Invitation.agency_id, Dossier.agency_id)
            .outerjoin(Dossier, Dossier.id == Invitation.dossier_id)
            .where(Invitation.id.in_(invited))
        )
    }
    points = {r.service_point_id for r in responses if r.service_point_id is not None}
    by_point = {
        point_id: agency_id
        for point_id, agency_id in session.execute(
            select(ServicePoint.id, ServicePoint.agency_id).where(ServicePoint.id.in_(points))
        )
    }
    return {
        r.id: by_invitation.get(r.invitation_id) or by_point.get(r.service_point_id) or r.agency_id for r in responses
    }


def _ratings(session: Session, ids: list[int], codes: set[str]) -> dict[int, dict[str, int]]:
    """The integer answers to `codes` (the items some rule reads) of each response."""
    out: dict[int, dict[str, int]] = {i: {} for i in ids}
    if not codes:
        return out
    rows = session.execute(
        select(Answer.response_id, Answer.item_code, Answer.value_int).where(
            Answer.response_id.in_(ids), Answer.item_code.in_(codes), Answer.value_int.is_not(None)
        )
    )
    for response_id, code, value in rows:
        out[response_id].setdefault(code, value)
    return out


def _codes_read(responses: list[Row], rules: dict[int, list[CaseRule]], shapes: _Shapes) -> set[str]:
    """The item codes the batch's rules compare with a threshold (only those answers are loaded)."""
    codes: set[str] = set()
    for version_id in {r.questionnaire_version_id for r in responses}:
        questionnaire_id, items, overall = shapes.get(version_id)
        kinds = {rule.kind for rule in rules.get(questionnaire_id, [])}
        if CaseRuleKind.OVERALL_LOW in kinds and overall:
            codes.add(overall)
        if CaseRuleKind.ITEM_LOW in kinds:
            codes.update(items)
    return codes


def _complaints(session: Session, ids: list[int]) -> dict[int, int]:
    """The first complaint-tagged comment of each response that has one."""
    rows = session.execute(
        select(Comment.response_id, Comment.id)
        .join(CommentTag, CommentTag.comment_id == Comment.id)
        .join(Theme, Theme.id == CommentTag.theme_id)
        .where(Comment.response_id.in_(ids), Theme.complaint.is_(True), Theme.active.is_(True))
        .order_by(Comment.id)
    )
    out: dict[int, int] = {}
    for response_id, comment_id in rows:
        out.setdefault(response_id, comment_id)
    return out


def _untagged_from(session: Session, ids: list[int]) -> int | None:
    """The first response (by id) among `ids` with a comment not yet tagged."""
    return session.scalar(
        select(Comment.response_id)
        .where(Comment.response_id.in_(ids), Comment.tagged_at.is_(None))
        .order_by(Comment.response_id)
        .limit(1)
    )


def open_case(
    session: Session, response: Row, rule: CaseRule, agency_id: int, comment_id: int | None, now: datetime
) -> FeedbackCase:
    """A new case from a rule, due sla_days after it opens, with its "opened" event (added; the pass flushes)."""
    case = FeedbackCase(
        response_id=response.id,
        comment_id=comment_id,
        agency_id=agency_id,
        rule_kind=rule.kind,
        case_type=rule.case_type,
        opened_at=now,
        due_at=now + timedelta(days=rule.sla_days),
    )
    session.add(case)
    case.events.append(CaseEvent(at=now, actor=SYSTEM, action="opened", to_agency_id=agency_id, note=str(rule.kind)))
    return case


def _open_for(
    session: Session, responses: Iterable[Row], rules: dict[int, list[CaseRule]], now: datetime, shapes: _Shapes
) -> list[FeedbackCase]:
    responses = list(responses)
    ids = [r.id for r in responses]
    ratings, complaints = _ratings(session, ids, _codes_read(responses, rules, shapes)), _complaints(session, ids)
    units = responsible_agencies(session, responses)
    existing = set(
        session.execute(
            select(FeedbackCase.response_id, FeedbackCase.case_type).where(FeedbackCase.response_id.in_(ids))
        )
    )
    opened = []
    for response in responses:
        questionnaire_id, items, overall = shapes.get(response.questionnaire_version_id)
        agency_id = units[response.id]
        for rule in rules.get(questionnaire_id, []):
            if (response.id, rule.case_type) in existing:
                continue
            fires, comment_id = _fires(rule, ratings[response.id], items, overall, complaints.get(response.id))
            if not fires:
                continue
            if agency_id is None:
                break  # no unit to route it to (a response without agency or service point)
            opened.append(open_case(session, response, rule, agency_id, comment_id, now))
            existing.add((response.id, rule.case_type))
    return opened


def scan(session: Session, batch: int = BATCH, now: datetime | None = None) -> ScanResult:
    """Open the cases new responses call for, moving the "cases" cursor; idempotent. Flushes."""
    now = now or utcnow()
    tagging = _tag_comments(session, limit=batch * 4) is not None
    cursor = _cursor(session)
    rules = case_rules.active_rules(session)
    shapes = _Shapes(session)
    result = ScanResult(cursor=cursor.last_response_id)
    while True:
        # Columns, not Response objects: the pass reads where each response came from, nothing else.
        responses = list(
            session.execute(
                select(*WHERE_FROM).where(Response.id > cursor.last_response_id).order_by(Response.id).limit(batch)
            )
        )
        if not responses:
            break
        if tagging:
            ids = [r.id for r in responses]
            # Tag until this batch's comments are all stamped; each round stamps some, so it ends.
            while (stop := _untagged_from(session, ids)) is not None and _tag_comments(session, limit=batch * 4):
                pass
            if stop is not None:
                responses = [r for r in responses if r.id < stop]
                result.held_back = True
        result.opened += _open_for(session, responses, rules, now, shapes)
        result.read += len(responses)
        if responses:
            cursor.last_response_id = responses[-1].id
        session.flush()
        if result.held_back or len(responses) < batch:
            break
    result.cursor = cursor.last_response_id
    return result
