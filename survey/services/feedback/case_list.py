"""Reading feedback cases for the case pages: a filtered, sorted, paged list, and one case's detail.

The detail shows what the respondent said (the redacted comment, the ratings) and where and when by
day, never the dossier's code, the invitation or anything else that names the respondent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from survey.models import (
    Agency,
    Answer,
    CaseEvent,
    CaseStatus,
    Comment,
    FeedbackCase,
    QuestionnaireVersion,
    Response,
    ServicePoint,
)
from survey.models._base import utcnow
from survey.services.feedback.case_actions import OPEN
from survey.services.questionnaires.bank import answer_codes, index_structure, iter_questions

SORTS = {
    "opened": FeedbackCase.opened_at,
    "due": FeedbackCase.due_at,
    "status": FeedbackCase.status,
    "type": FeedbackCase.case_type,
    "agency": Agency.name_vi,
}


@dataclass(frozen=True)
class Filters:
    """The list's filters (empty = all); `visible` is the viewer's agencies (None = all)."""

    status: str = ""
    case_type: str = ""
    agency_id: int | None = None
    overdue: bool = False
    visible: frozenset[int] | None = None


def is_overdue(case: FeedbackCase, now: datetime | None = None) -> bool:
    """Open and past its due time."""
    return case.status in OPEN and case.due_at < (now or utcnow())


def _filtered(stmt: Select, f: Filters, now: datetime) -> Select:
    if f.visible is not None:
        stmt = stmt.where(FeedbackCase.agency_id.in_(f.visible or {-1}))
    if f.status in {s.value for s in CaseStatus}:
        stmt = stmt.where(FeedbackCase.status == f.status)
    if f.case_type:
        stmt = stmt.where(FeedbackCase.case_type == f.case_type)
    if f.agency_id is not None:
        stmt = stmt.where(FeedbackCase.agency_id == f.agency_id)
    if f.overdue:
        stmt = stmt.where(FeedbackCase.status.in_(OPEN), FeedbackCase.due_at < now)
    return stmt


def count_cases(session: Session, f: Filters) -> int:
    """How many cases match the filters."""
    return session.scalar(_filtered(select(func.count(FeedbackCase.id)), f, utcnow())) or 0


def find_cases(
    session: Session, f: Filters, sort: str = "due", desc: bool = False, page: int = 1, per_page: int = 25
) -> list[tuple[FeedbackCase, Agency]]:
    """(case, its unit) rows of one page, sorted by `sort` (then newest first)."""
    now = utcnow()
    column = SORTS.get(sort, FeedbackCase.due_at)
    order = column.desc() if desc else column.asc()
    stmt = _filtered(select(FeedbackCase, Agency).join(Agency, Agency.id == FeedbackCase.agency_id), f, now)
    rows = session.execute(
        stmt.order_by(order, FeedbackCase.id.desc()).limit(per_page).offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(rows)


def case_types(session: Session, visible: frozenset[int] | None) -> list[str]:
    """The case types present among the viewer's cases, for the filter."""
    stmt = select(FeedbackCase.case_type).distinct().order_by(FeedbackCase.case_type)
    if visible is not None:
        stmt = stmt.where(FeedbackCase.agency_id.in_(visible or {-1}))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class Rating:
    """One rating the respondent gave: the question, the code and its label (vi, en)."""

    code: str
    text: dict
    value: int
    label: dict
    overall: bool


@dataclass(frozen=True)
class Detail:
    """What a case page shows besides the case itself."""

    submitted: datetime  # shown as its day only
    service_point: ServicePoint | None
    walk_up: bool
    comments: list[Comment]
    ratings: list[Rating]
    events: list[tuple[CaseEvent, Agency | None, Agency | None]]


def _ratings(session: Session, response: Response) -> list[Rating]:
    content = session.get(QuestionnaireVersion, response.questionnaire_version_id).content or {}
    tree = index_structure(content)
    wanted = [*tree["items"], *([tree["overall_item"]] if tree["overall_item"] else [])]
    values = {
        code: value
        for code, value in session.execute(
            select(Answer.item_code, Answer.value_int).where(
                Answer.response_id == response.id, Answer.item_code.in_(wanted), Answer.value_int.is_not(None)
            )
        )
    }
    out = []
    for question in iter_questions(content):
        code = question["code"]
        if code in values:
            labels = {c["code"]: c.get("label", {}) for c in answer_codes(content, question)}
            out.append(
                Rating(
                    code,
                    question.get("text", {}),
                    values[code],
                    labels.get(values[code], {}),
                    code == tree["overall_item"],
                )
            )
    return out


def detail(session: Session, case: FeedbackCase) -> Detail:
    """The case's redacted comments, ratings, where (service point) and when (day), and its history."""
    response = session.get(Response, case.response_id)
    comments = list(session.scalars(select(Comment).where(Comment.response_id == response.id).order_by(Comment.id)))
    if case.comment_id is not None:  # the comment a complaint is about comes first
        comments.sort(key=lambda c: c.id != case.comment_id)
    agencies = {
        a.id: a
        for a in session.scalars(
            select(Agency).where(
                Agency.id.in_({e.from_agency_id for e in case.events} | {e.to_agency_id for e in case.events})
            )
        )
    }
    events = [(e, agencies.get(e.from_agency_id), agencies.get(e.to_agency_id)) for e in case.events]
    point = session.get(ServicePoint, response.service_point_id) if response.service_point_id else None
    return Detail(
        response.submitted_at, point, response.invitation_id is None, comments, _ratings(session, response), events
    )
