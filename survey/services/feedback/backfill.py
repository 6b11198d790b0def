"""Responses stored before comments existed (migration 0009): their free text redacted in place and filed.

New responses get this on write (survey.services.respond.comments); `hailong feedback backfill` gives it
to the older ones, a batch of responses per transaction so that a long run holds no lock for long and
can stop and start again anywhere. What needs it is what has none yet: a text answer without its comment
row. So a rerun, or a run after new responses came in, finds only what is left, and never redacts twice.

Each such answer's text is redacted in place (the answer then holds what every page and export shows),
what was typed goes to `comment_raw` when redaction changed it, and the comment row gets the response's
wave, agency, service point, sampling flag, local day of submission and overall rating, exactly as on
write; its created_at is the response's submission time, so the comments keep their order.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, exists, func, select, update
from sqlalchemy.orm import Session

from survey.models import Answer, Comment, QuestionnaireVersion, Response
from survey.services.common.audit import record
from survey.services.common.redact import redact
from survey.services.respond.comments import attach, store_extras

BATCH = 500  # responses per transaction


@dataclass(frozen=True)
class Step:
    """What one batch did: the last response id it read, and how many responses, comments and spans."""

    last_id: int
    responses: int
    comments: int
    redactions: int


def _unfiled():
    """Text answers that have no comment row yet."""
    filed = exists().where(Comment.response_id == Answer.response_id, Comment.item_code == Answer.item_code)
    return and_(Answer.value_text.is_not(None), Answer.value_text != "", ~filed)


def remaining(session: Session, after_id: int = 0) -> int:
    """How many responses after `after_id` still have free text to file."""
    query = select(func.count(func.distinct(Answer.response_id))).where(_unfiled(), Answer.response_id > after_id)
    return session.scalar(query) or 0


def backfill_batch(session: Session, after_id: int = 0, size: int = BATCH, actor: str = "cli") -> Step:
    """Redact and file the free text of the next `size` responses after `after_id` that need it (flushes only)."""
    ids = list(
        session.scalars(
            select(Answer.response_id)
            .where(_unfiled(), Answer.response_id > after_id)
            .group_by(Answer.response_id)
            .order_by(Answer.response_id)
            .limit(size)
        )
    )
    if not ids:
        return Step(after_id, 0, 0, 0)
    found = session.execute(
        select(Answer.id, Answer.response_id, Answer.item_code, Answer.value_text).where(
            _unfiled(), Answer.response_id.in_(ids)
        )
    ).all()
    responses = {
        r.id: r
        for r in session.execute(
            select(
                Response.id,
                Response.questionnaire_version_id,
                Response.wave_id,
                Response.agency_id,
                Response.service_point_id,
                Response.probability_sample,
                Response.submitted_at,
            ).where(Response.id.in_(ids))
        ).all()
    }
    overall = _overall(session, responses)
    free: dict[int, dict[str, tuple[str, str, int]]] = {}
    changed = []
    for answer in found:
        redacted = redact(answer.value_text)
        free.setdefault(answer.response_id, {})[answer.item_code] = (redacted.text, answer.value_text, redacted.count)
        if redacted.count:
            changed.append({"answer_id": answer.id, "redacted": redacted.text})
    if changed:
        table = Answer.__table__
        session.execute(
            update(table).where(table.c.id == bindparam("answer_id")).values(value_text=bindparam("redacted")), changed
        )
    filed = 0
    for rid, texts in free.items():
        r = responses[rid]
        values = {
            "submitted_at": r.submitted_at,
            "wave_id": r.wave_id,
            "agency_id": r.agency_id,
            "service_point_id": r.service_point_id,
            "probability_sample": r.probability_sample,
        }
        rows = attach([], values, texts, overall.get(rid), None)
        store_extras(session, rid, rows)
        filed += len(rows.comments)
    step = Step(ids[-1], len(ids), filed, sum(c for texts in free.values() for _t, _r, c in texts.values()))
    record(
        session,
        actor,
        "feedback.backfill",
        "response",
        f"{ids[0]}-{ids[-1]}",
        responses=step.responses,
        comments=step.comments,
        redactions=step.redactions,
    )
    return step


def _overall(session: Session, responses: dict) -> dict[int, int]:
    """Each response's answer to its version's overall item, when the version has one and it was answered."""
    version_ids = {r.questionnaire_version_id for r in responses.values()}
    items = {
        vid: (content or {}).get("overall_item")
        for vid, content in session.execute(
            select(QuestionnaireVersion.id, QuestionnaireVersion.content).where(
                QuestionnaireVersion.id.in_(version_ids)
            )
        )
    }
    wanted = {rid: items.get(r.questionnaire_version_id) for rid, r in responses.items()}
    codes = {code for code in wanted.values() if code}
    if not codes:
        return {}
    rows = session.execute(
        select(Answer.response_id, Answer.item_code, Answer.value_int).where(
            Answer.response_id.in_(list(responses)), Answer.item_code.in_(codes), Answer.value_int.is_not(None)
        )
    )
    return {rid: value for rid, code, value in rows if wanted.get(rid) == code}
