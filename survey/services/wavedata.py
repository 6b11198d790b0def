"""Wave data for the workspace: respondents as arrays, the survey design and SIPAS indices by domain.

Prefers survey.services.results (the ANALYSIS engineer's bridge) when it is installed; this module
only shapes its output for the dashboard. The fallback loader below builds the same design from
the database (base weight 1/π, post-stratified to each stratum's dossier count, fpc = that count)
and is used only while results.py is absent.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis import Design, satisfaction_index
from survey.models import Answer, Dossier, Invitation, QuestionnaireVersion, Response, Sector, Wave, WaveStratum

CHANNEL_FROM_ANSWER = {1: "in_person", 2: "online", 3: "online", 4: "postal"}


@dataclass(frozen=True)
class WaveFrame:
    """One row per probability-sample respondent of a wave (restricted to the visible agencies)."""

    wave_id: int
    response_id: np.ndarray       # internal only: never exported or shown
    structure: dict
    labels: dict                  # item code → Vietnamese label; element name → label; part → label
    agency: np.ndarray            # agency id
    sector: np.ndarray            # sector code (object)
    point: np.ndarray             # service point id (object, None when unknown)
    channel: np.ndarray           # in_person | online | postal (object, None when unknown)
    outcome: np.ndarray           # approved | rejected | withdrawn
    stratum: np.ndarray           # stratum key
    answers: np.ndarray           # (n, J) scale codes, NaN = no answer
    overall: np.ndarray           # overall-satisfaction item (NaN = no answer)
    design: Design | None

    @property
    def n(self) -> int:
        """Number of respondents."""
        return int(self.agency.shape[0])

    def index(self, by: Any = None, mask: np.ndarray | None = None):
        """SIPAS indices (percent) for the whole frame or by groups; rows outside `mask` are out of the domain."""
        if self.design is None:
            return {} if by is not None else None
        if mask is not None and not mask.any():  # an empty domain: nothing to estimate
            return {} if by is not None else None
        if mask is None and by is None:
            return satisfaction_index(self.design, self.answers, self.structure)
        labels = np.array(by if by is not None else [1] * self.n, dtype=object)
        if mask is not None:
            labels = np.where(mask, labels, None)
        if all(v is None for v in labels.tolist()):  # no row has a group: every group is empty
            return {} if by is not None else None
        out = satisfaction_index(self.design, self.answers, self.structure, by=labels)
        return out if by is not None else out.get(1)


def index_labels(content: dict) -> dict:
    """Vietnamese labels of items, elements and parts from a questionnaire version's content."""
    from survey.services.questionnaires import iter_questions

    labels: dict = {}
    for q in iter_questions(content):
        text = q.get("short") or q.get("text") or {}
        labels[q["code"]] = text.get("vi", q["code"]) if isinstance(text, dict) else str(text)
        labels["en:" + q["code"]] = text.get("en", labels[q["code"]]) if isinstance(text, dict) else str(text)
    index = content.get("index") or {}
    for group in ("elements", "parts"):
        for name, node in (index.get(group) or {}).items():
            labels[name] = (node.get("label") or {}).get("vi", name)
            labels["en:" + name] = (node.get("label") or {}).get("en", name)
    return labels


def load(session: Session, wave: Wave, visible: set[int] | None = None) -> WaveFrame:
    """Respondents of `wave` (only agencies in `visible` when given) with their design."""
    from survey.services.questionnaires import index_structure

    version = session.get(QuestionnaireVersion, wave.questionnaire_version_id)
    structure = index_structure(version.content)
    items = structure["items"]
    stmt = (select(Response.id, Response.agency_id, Sector.code, Response.service_point_id, Invitation.outcome,
                   Invitation.pi, WaveStratum.key, WaveStratum.population, Dossier.channel)
            .join(Invitation, Invitation.id == Response.invitation_id)
            .join(WaveStratum, WaveStratum.id == Invitation.stratum_id)
            .join(Sector, Sector.id == Response.sector_id)
            .outerjoin(Dossier, Dossier.id == Invitation.dossier_id)
            .where(Response.wave_id == wave.id, Response.probability_sample.is_(True))
            .order_by(Response.id))
    if visible is not None:
        stmt = stmt.where(Response.agency_id.in_(sorted(visible) or [-1]))
    rows = session.execute(stmt).all()
    n, position = len(rows), {r[0]: i for i, r in enumerate(rows)}
    answers = np.full((n, len(items)), np.nan)
    overall = np.full(n, np.nan)
    channel = np.array([r.channel for r in rows], dtype=object)
    column = {code: j for j, code in enumerate(items)}
    overall_item = structure.get("overall_item")
    if n:
        wanted = set(items) | {overall_item, "CHANNEL"}
        ids = [r[0] for r in rows]
        for chunk in range(0, n, 5000):
            part = ids[chunk:chunk + 5000]
            for rid, code, value in session.execute(select(Answer.response_id, Answer.item_code, Answer.value_int)
                                                    .where(Answer.response_id.in_(part),
                                                           Answer.item_code.in_(wanted))):
                i = position[rid]
                if value is None:
                    continue
                if code in column:
                    answers[i, column[code]] = value
                elif code == overall_item:
                    overall[i] = value
                elif code == "CHANNEL" and channel[i] is None:
                    channel[i] = CHANNEL_FROM_ANSWER.get(value)
    design = None
    if n:
        strata = np.array([r.key for r in rows], dtype=object)
        pops = {r.key: r.population for r in rows if r.population}
        keys, counts = np.unique(strata.astype(str), return_counts=True)
        n_h = dict(zip(keys.tolist(), counts.tolist()))
        # fpc = the stratum's dossier count (never below its respondents, e.g. before counts are final)
        fpc = np.array([max(r.population or 0, n_h[str(r.key)]) for r in rows], dtype=float)
        base = Design(np.array([1.0 / r.pi for r in rows]), strata=strata, fpc=fpc)
        design = base.poststratify(strata, pops, partial=True) if len(pops) == len(set(strata.tolist())) else base
    return WaveFrame(
        wave_id=wave.id, response_id=np.array([r[0] for r in rows], dtype=np.int64), structure=structure, labels=index_labels(version.content),
        agency=np.array([r.agency_id for r in rows], dtype=np.int64),
        sector=np.array([r.code for r in rows], dtype=object),
        point=np.array([r.service_point_id for r in rows], dtype=object),
        channel=channel, outcome=np.array([r.outcome for r in rows], dtype=object),
        stratum=np.array([r.key for r in rows], dtype=object), answers=answers, overall=overall, design=design)


_CACHE: dict = {}
_CACHE_SIZE = 16


def cached_load(session: Session, wave: Wave, visible: set[int] | None = None) -> WaveFrame:
    """load(), memoised per process for closed waves (their answers no longer change)."""
    if wave.status != "closed":
        return load(session, wave, visible)
    bind = session.get_bind()
    url = getattr(bind, "engine", bind).url.render_as_string()
    key = (url, wave.id, wave.created_at, wave.closed_at,
           None if visible is None else frozenset(visible))
    frame = _CACHE.get(key)
    if frame is None:
        frame = load(session, wave, visible)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = frame
    return frame
