"""The QĐ 766-style satisfaction score of an agency and period, from dossiers, their ratings and events.

The formula and what in it is official or assumed: docs/methodology.md §17. In short, over the dossiers D
of the agency settled in the period (completed_at inside it; withdrawn dossiers left out), a dossier is
unfavourable when it was overdue, drew a petition (phản ánh, kiến nghị), or its latest rating is "not
satisfied"; each dossier counts once, whatever the number of reasons:

    score (%) = 100 × (|D| − |unfavourable|) / |D|        points (of 18) = score × 18 / 100

No dossiers: the score is undefined (None, shown as "—"). Ratings come from the intake (API, CSV) and
from answers to the shipped dossier-eval questionnaire (its 0–18 sum, via an invitation's dossier).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from survey.models import Agency, Answer, Dossier, Invitation, Questionnaire, QuestionnaireVersion, Response
from survey.models.fieldwork import Outcome
from survey.models.qd766 import DossierEvent, DossierEventKind, DossierRating, RatingLevel
from survey.services.common.i18n import tr as _
from survey.services.common.periods import period_bounds
from survey.services.questionnaires.bank import score as questionnaire_score

POINTS = 18  # the satisfaction group's weight in the 100-point QĐ 766 index
NOT_SATISFIED_BELOW = 6  # a 0–18 score in the dossier-eval "weak" band (0–5) counts as not satisfied
EVAL_INSTRUMENT = "dossier-eval"


@dataclass(frozen=True)
class Score:
    """The counts behind one agency's (or group's) 766-style score and the score itself."""

    dossiers: int = 0
    overdue: int = 0
    apologised: int = 0  # overdue dossiers with an apology letter (reported; the score does not use it)
    petitions: int = 0  # dossiers with at least one petition
    rated: int = 0  # dossiers with at least one rating
    not_satisfied: int = 0  # dossiers whose latest rating is "not satisfied"
    unfavourable: int = 0  # dossiers with any of overdue, petition, not satisfied (each counted once)

    @property
    def value(self) -> float | None:
        """The score in percent (§17), None when the agency settled no dossier in the period."""
        return 100.0 * (self.dossiers - self.unfavourable) / self.dossiers if self.dossiers else None

    @property
    def points(self) -> float | None:
        """The score as points of the group's 18."""
        return None if self.value is None else self.value * POINTS / 100

    def __add__(self, other: Score) -> Score:
        return Score(*(a + b for a, b in zip(self._counts(), other._counts(), strict=True)))

    def _counts(self) -> tuple[int, ...]:
        return (
            self.dossiers,
            self.overdue,
            self.apologised,
            self.petitions,
            self.rated,
            self.not_satisfied,
            self.unfavourable,
        )


def parse_period(text: str) -> tuple[date, date]:
    """A period as `2025-Q3`, `2025-W27`, `2025-07`, `2025` or `2025-07-01:2025-09-30` → (first day, last day)."""
    text = (text or "").strip()
    try:
        if m := re.fullmatch(r"(\d{4})-?Q([1-4])", text, re.IGNORECASE):
            year, q = int(m[1]), int(m[2])
            return date(year, 3 * q - 2, 1), _month_end(year, 3 * q)
        if m := re.fullmatch(r"(\d{4})-W(\d{2})", text, re.IGNORECASE):  # ISO week: the portal ranks weekly
            monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return monday, monday + timedelta(days=6)
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            return date(int(m[1]), int(m[2]), 1), _month_end(int(m[1]), int(m[2]))
        if re.fullmatch(r"\d{4}", text):
            return date(int(text), 1, 1), date(int(text), 12, 31)
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*(?::|\.\.)\s*(\d{4}-\d{2}-\d{2})", text):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if end >= start:
                return start, end
    except ValueError:
        pass
    raise ValueError(
        _(
            "Kỳ không hợp lệ: %(value)s (ví dụ 2025-Q3, 2025-W27, 2025-07, 2025 hoặc 2025-07-01:2025-09-30).",
            value=text[:40],
        )
    )


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def _settled(start: date, end: date, agencies: set[int] | None, sector_id: int | None, channel: str | None):
    """The WHERE of the dossiers a period's score counts (and the dashboard's sector and channel filters)."""
    low, high = period_bounds(start, end)
    where = [Dossier.completed_at >= low, Dossier.completed_at < high, Dossier.outcome != Outcome.WITHDRAWN]
    if agencies is not None:
        where.append(Dossier.agency_id.in_(sorted(agencies)))
    if sector_id is not None:
        where.append(Dossier.sector_id == sector_id)
    if channel:
        where.append(Dossier.channel == channel)
    return where


def _unsatisfied(level: str | None, score: int | None) -> bool:
    """A rating's verdict: its level when given (the citizen's own word), else its 0–18 score's band."""
    if level is not None:
        return level == RatingLevel.NOT_SATISFIED
    return score is not None and score < NOT_SATISFIED_BELOW


def _flags(where: list):
    """One row per counted dossier: its agency and 0/1 flags, computed by the database (no row leaves it
    before the GROUP BY): late, apology, petition, and the verdict and time of its latest intake rating.

    The latest timing event and the latest rating come from row_number() windows, one pass over each
    table: correlated "ORDER BY … LIMIT 1" subqueries per dossier took seconds at 100,000 dossiers.
    """
    ev, rt = DossierEvent, DossierRating
    timing = (
        select(
            ev.dossier_id,
            ev.kind,
            func.row_number().over(partition_by=ev.dossier_id, order_by=(ev.at.desc(), ev.id.desc())).label("rn"),
        )
        .join(Dossier, Dossier.id == ev.dossier_id)
        .where(ev.kind.in_((DossierEventKind.ON_TIME, DossierEventKind.OVERDUE)), *where)
        .subquery()
    )
    flagged = (
        select(
            ev.dossier_id,
            func.max(case((ev.kind == DossierEventKind.PETITION, 1), else_=0)).label("petition"),
            func.max(case((ev.kind == DossierEventKind.APOLOGY_LETTER, 1), else_=0)).label("apology"),
        )
        .join(Dossier, Dossier.id == ev.dossier_id)
        .where(ev.kind.in_((DossierEventKind.PETITION, DossierEventKind.APOLOGY_LETTER)), *where)
        .group_by(ev.dossier_id)
        .subquery()
    )
    verdict = case(
        (rt.level.is_not(None), case((rt.level == RatingLevel.NOT_SATISFIED, 1), else_=0)),
        (rt.score < NOT_SATISFIED_BELOW, 1),
        else_=0,
    )
    rating = (
        select(
            rt.dossier_id,
            verdict.label("verdict"),
            rt.rated_at,
            func.row_number().over(partition_by=rt.dossier_id, order_by=(rt.rated_at.desc(), rt.id.desc())).label("rn"),
        )
        .join(Dossier, Dossier.id == rt.dossier_id)
        .where(*where)
        .subquery()
    )
    late = case(
        (timing.c.kind == DossierEventKind.OVERDUE, 1),
        (timing.c.kind == DossierEventKind.ON_TIME, 0),
        (Dossier.on_time == false(), 1),
        else_=0,
    )
    return (
        select(
            Dossier.id.label("id"),
            Dossier.agency_id.label("agency_id"),
            late.label("late"),
            func.coalesce(flagged.c.apology, 0).label("apology"),
            func.coalesce(flagged.c.petition, 0).label("petition"),
            rating.c.verdict.label("verdict"),
            rating.c.rated_at.label("rated_at"),
        )
        .outerjoin(timing, and_(timing.c.dossier_id == Dossier.id, timing.c.rn == 1))
        .outerjoin(flagged, flagged.c.dossier_id == Dossier.id)
        .outerjoin(rating, and_(rating.c.dossier_id == Dossier.id, rating.c.rn == 1))
        .where(*where)
        .subquery()
    )


def _counts(late, apology, petition, verdict) -> tuple[int, ...]:
    """A dossier's contribution to the Score counts (verdict: None = not rated, 1 = not satisfied)."""
    bad = verdict == 1
    return 1, late, late * apology, petition, int(verdict is not None), int(bad), int(bool(late or petition or bad))


def _eval_verdicts(session: Session, where: list) -> dict[int, tuple]:
    """dossier id → (submitted at, not satisfied) of its latest scored answer to the dossier-eval questionnaire."""
    answered = session.execute(
        select(Response.id, Response.submitted_at, Invitation.dossier_id, QuestionnaireVersion.content)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(Dossier, Dossier.id == Invitation.dossier_id)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Response.questionnaire_version_id)
        .join(Questionnaire, Questionnaire.id == QuestionnaireVersion.questionnaire_id)
        .where(Questionnaire.instrument == EVAL_INSTRUMENT, *where)
        .order_by(Response.submitted_at, Response.id)
    ).all()
    answers: dict[int, dict] = defaultdict(dict)
    ids = [row[0] for row in answered]
    for i in range(0, len(ids), 900):
        for rid, code, value in session.execute(
            select(Answer.response_id, Answer.item_code, Answer.value_int).where(
                Answer.response_id.in_(ids[i : i + 900])
            )
        ):
            answers[rid][code] = value
    latest: dict[int, tuple] = {}
    for rid, submitted_at, dossier_id, content in answered:  # oldest first: the latest answer stays
        result = questionnaire_score(content, answers.get(rid, {}))
        if result is not None:  # an unanswered criterion: no score, no rating (bank.score)
            latest[dossier_id] = (submitted_at, _unsatisfied(None, result["total"]))
    return latest


def by_agency(
    session: Session,
    start: date,
    end: date,
    visible: set[int] | None = None,
    *,
    sector_id: int | None = None,
    channel: str | None = None,
) -> dict[int, Score]:
    """Each agency's own score (the dossiers it decides) for the period, optionally of one sector or channel;
    agencies without dossiers are absent.

    The database counts (one GROUP BY over the dossiers with their flags); answers to the dossier-eval
    questionnaire, scored in Python, then correct the dossiers they rate more recently than the intake did.
    """
    where = _settled(start, end, visible, sector_id, channel)
    f = _flags(where)
    bad = case((f.c.verdict == 1, 1), else_=0)
    unfavourable = case((or_(f.c.late == 1, f.c.petition == 1, f.c.verdict == 1), 1), else_=0)
    totals = {
        agency_id: list(map(int, row))
        for agency_id, *row in session.execute(
            select(
                f.c.agency_id,
                func.count(),
                func.sum(f.c.late),
                func.sum(f.c.late * f.c.apology),
                func.sum(f.c.petition),
                func.count(f.c.verdict),
                func.sum(bad),
                func.sum(unfavourable),
            ).group_by(f.c.agency_id)
        )
    }
    evals = _eval_verdicts(session, where) if totals else {}
    ids = sorted(evals)
    for i in range(0, len(ids), 900):
        for dossier_id, agency_id, late, apology, petition, verdict, rated_at in session.execute(
            select(f).where(f.c.id.in_(ids[i : i + 900]))
        ):
            when, eval_bad = evals[dossier_id]
            if verdict is not None and rated_at is not None and rated_at >= when:
                continue  # the intake's rating is the later word (same time: the intake's)
            before = _counts(late, apology, petition, verdict)
            after = _counts(late, apology, petition, int(eval_bad))
            totals[agency_id] = [t - b + a for t, b, a in zip(totals[agency_id], before, after, strict=True)]
    return {agency_id: Score(*row) for agency_id, row in totals.items()}


def rolled_up(session: Session, own: dict[int, Score]) -> dict[int, Score]:
    """Each agency's score over its subtree (itself and every unit below it) from the agencies' own scores."""
    parent = dict(session.execute(select(Agency.id, Agency.parent_id)).all())
    totals: dict[int, Score] = defaultdict(Score)
    for agency_id, score in own.items():
        seen, node = set(), agency_id
        while node is not None and node not in seen:  # a cycle in a hand-edited registry must not loop forever
            seen.add(node)
            totals[node] = totals[node] + score
            node = parent.get(node)
    return dict(totals)


def overall(own: dict[int, Score]) -> Score:
    """The score of every dossier counted in `own` together (the province, or a viewer's agencies)."""
    return sum(own.values(), Score())
