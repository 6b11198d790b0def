"""Score rows from stored answers: the backfill of responses stored before migration 0012, and the check.

New responses get their score rows on write (scores.py). `hailong scores backfill` gives them to
the older ones, a batch of responses per transaction in id order, so that a long run holds no lock
for long: what needs one is what has none yet, so a rerun after an interruption (or after new
responses came in) finds only what is left, and never writes a row twice. `hailong scores check`
recomputes every response's rows from its answers and reports those missing or disagreeing.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import exists, func, insert, select
from sqlalchemy.orm import Session

from survey.models import Answer, QuestionnaireVersion, Response, ResponseScore
from survey.services.common.audit import record
from survey.services.respond.scores import MASKS, layout_for, score_rows

BATCH = 2000  # responses per transaction


@dataclass(frozen=True)
class Step:
    """What one batch did: the last response id it read and how many responses it scored."""

    last_id: int
    responses: int


def _unscored():
    return ~exists().where(ResponseScore.response_id == Response.id)


def remaining(session: Session) -> int:
    """How many responses have no score row yet."""
    return session.scalar(select(func.count()).select_from(Response).where(_unscored())) or 0


def computed(session: Session, ids: list[int]) -> dict[int, list[dict]]:
    """{response id: score rows computed from its stored answers} of these responses."""
    if not ids:
        return {}
    heads = session.execute(select(Response.id, Response.wave_id, Response.questionnaire_version_id)
                            .where(Response.id.in_(ids))).all()
    contents = dict(session.execute(select(QuestionnaireVersion.id, QuestionnaireVersion.content).where(
        QuestionnaireVersion.id.in_({h.questionnaire_version_id for h in heads}))).all())
    answers = session.execute(select(Answer.response_id, Answer.item_code, Answer.value_int)
                              .where(Answer.response_id.in_(ids), Answer.value_int.is_not(None))
                              .order_by(Answer.response_id)).all()
    by_response = {rid: [(a.item_code, a.value_int) for a in group]
                   for rid, group in groupby(answers, key=lambda a: a.response_id)}
    return {h.id: score_rows(layout_for(contents[h.questionnaire_version_id]), by_response.get(h.id, ()),
                             h.wave_id, h.questionnaire_version_id) for h in heads}


def store_computed(session: Session, ids: list[int]) -> None:
    """Insert the score rows of these responses (which have none) from their stored answers (flushes only).

    For a bulk path that inserts answer rows itself (the demo's simulated waves) instead of taking
    them from prepare_response.
    """
    rows = [{**row, "response_id": rid} for rid, found in computed(session, ids).items() for row in found]
    if rows:
        session.execute(insert(ResponseScore.__table__), rows)


def backfill_batch(session: Session, after_id: int = 0, size: int = BATCH, actor: str = "cli") -> Step:
    """Score the next `size` responses after `after_id` that have no score row (flushes only)."""
    ids = list(session.scalars(select(Response.id).where(_unscored(), Response.id > after_id)
                               .order_by(Response.id).limit(size)))
    if not ids:
        return Step(after_id, 0)
    store_computed(session, ids)
    record(session, actor, "scores.backfill", "response", f"{ids[0]}-{ids[-1]}", responses=len(ids))
    return Step(ids[-1], len(ids))


@dataclass(frozen=True)
class Problem:
    """A response whose score rows are missing or disagree with its answers."""

    response_id: int
    kind: str  # "missing" | "differs"


def count_responses():
    """The query counting every response (what `check` goes through)."""
    return select(func.count()).select_from(Response)


def check(session: Session, size: int = BATCH) -> Iterator[tuple[int, list[Problem], int]]:
    """Each batch's (last response id, problems, responses read): stored score rows against their answers'."""
    after = 0
    columns = [ResponseScore.response_id, ResponseScore.block, ResponseScore.wave_id,
               ResponseScore.questionnaire_version_id, *(getattr(ResponseScore, m) for m in MASKS),
               ResponseScore.overall]
    while True:
        ids = list(session.scalars(select(Response.id).where(Response.id > after).order_by(Response.id)
                                   .limit(size)))
        if not ids:
            return
        stored: dict[int, list[dict]] = {}
        for row in session.execute(select(*columns).where(ResponseScore.response_id.in_(ids))
                                   .order_by(ResponseScore.response_id, ResponseScore.block)).mappings():
            stored.setdefault(row["response_id"], []).append({k: v for k, v in row.items() if k != "response_id"})
        problems = [Problem(rid, "missing") if rid not in stored else Problem(rid, "differs")
                    for rid, want in computed(session, ids).items() if stored.get(rid) != want]
        yield ids[-1], sorted(problems, key=lambda p: p.response_id), len(ids)
        after = ids[-1]
