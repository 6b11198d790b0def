"""Where released microdata comes from: the wave's publication (its frozen frame), else the live answers.

A wave with a publication exports the respondents of that version's frozen frame (DESIGN §7b): the
weights, strata, domains and index answers are the published ones, bit for bit, so late dossiers or a
changed method never move an exported weight silently (a restatement is a new version, and so is its
export). The codes of agencies and service points are those frozen with the version. Only what enters
no published number is read from the database by response id: the coded answers outside the index,
the `partial` flag and the receipt time. A wave without any publication exports its live answers,
labelled provisional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from survey.models import Agency, Answer, Response, ServicePoint, Wave
from survey.services.common.formats import local_day
from survey.services.workspace import wavedata

DATES = ("submitted_at", "received_at")


@dataclass(frozen=True)
class Source:
    """The respondents to release and what they are: a final or provisional publication version, or live data."""

    data: Any  # analysis.wave.WaveData (frozen, or computed now)
    kind: str  # "final" | "provisional" | "live"
    agencies: dict  # agency id → (code, parent id, level), as frozen with the version
    points: dict  # service point id → code
    version: int | None = None
    published_at: datetime | None = None
    content_hash: str = ""

    @property
    def provisional(self) -> bool:
        """Figures that may still change (a provisional version, or a wave never published)."""
        return self.kind != "final"

    @property
    def population(self) -> dict:
        """Sampling stratum key → its dossier count, as the weights used it."""
        return {s.key: s.population for s in self.data.strata or ()}


def _registry(session: Session, inputs: dict | None) -> tuple[dict, dict]:
    """Agencies and service points from a version's frozen registry (else today's)."""
    frozen = (inputs or {}).get("registry") or {}
    if frozen.get("agencies"):
        agencies = {int(r[0]): (str(r[1]), r[4], str(r[5])) for r in frozen["agencies"]}
        points = {int(r[0]): str(r[1]) for r in frozen.get("service_points") or []}
        return agencies, points
    agencies = {a.id: (a.code, a.parent_id, str(a.level)) for a in session.scalars(select(Agency))}
    return agencies, {p.id: p.code for p in session.scalars(select(ServicePoint))}


def load(session: Session, wave: Wave, version: int | None = None) -> Source:
    """The publication a page of this wave reads (final `version`, else the current one) or, without one,
    the live data; raises wavedata.NotPublished when a `version` asked for does not exist."""
    shown = wavedata.published(session, wave, version)
    if shown is None:
        if version is not None:
            raise wavedata.NotPublished(wave.code)
        agencies, points = _registry(session, None)
        return Source(wavedata.load_live(session, wave).data, "live", agencies, points)
    view = shown.view
    agencies, points = _registry(session, view.inputs)
    return Source(
        shown.frame.data,
        "provisional" if shown.provisional else "final",
        agencies,
        points,
        view.version,
        view.published_at,
        view.content_hash,
    )


def _among(session: Session, column: Any, ids: list[int]) -> Any:
    """`column` is one of `ids`: on PostgreSQL one array parameter (= ANY), which costs the driver nothing
    to send, where an IN list of thousands of parameters is parsed and bound one by one."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(BigInteger)))
    return column.in_(ids)


def _answers(session: Session, ids: list[int], codes: list[str]) -> dict:
    """{response id: {question code: sorted codes}} of the coded answers of these responses."""
    out: dict = {}
    for start in range(0, len(ids), 5000):
        found = session.connection().execute(
            select(Answer.response_id, Answer.item_code, Answer.value_int).where(
                _among(session, Answer.response_id, ids[start : start + 5000]),
                Answer.item_code.in_(codes),
                Answer.value_int.is_not(None),
            )
        ).all()  # fetched at once: row by row costs more than the query
        for rid, code, value in found:
            out.setdefault(rid, {}).setdefault(code, []).append(value)
    for mine in out.values():
        for chosen in mine.values():
            if len(chosen) > 1:  # only multiple choice has several
                chosen.sort()
    return out


def _responses(session: Session, ids: list[int]) -> dict:
    """{response id: (partial, moment the server stored it, moment the client says it started or, better,
    was submitted)}."""
    out = {}
    for start in range(0, len(ids), 5000):
        for rid, partial, stored, started, sent in session.execute(
            select(
                Response.id, Response.partial, Response.submitted_at, Response.started_at, Response.client_submitted_at
            ).where(_among(session, Response.id, ids[start : start + 5000]))
        ).all():
            out[rid] = (bool(partial), stored, sent or started)
    return out


def answered_on(mode: str, stored: datetime | None, started: datetime | None) -> date | None:
    """The day the respondent answered: on a kiosk, by the tablet's own clock when it submitted (or, for
    answers stored before that was kept, when it started: a session lasts minutes), so an answer the offline
    queue sent days later keeps its day; else, and when the tablet sent no usable time, the day the server
    received it (a phone sends at once)."""
    if mode != "link" and started is not None:
        return local_day(started)
    return local_day(stored)


def kept(src: Source, visible: set[int] | None) -> list[int]:
    """The frame's rows inside `visible` (agency ids; None = all), in the frame's order."""
    data = src.data
    if visible is None:
        return list(range(data.n))
    return [i for i, agency in enumerate(np.asarray(data.agency_id).tolist()) if int(agency) in visible]


def records(
    session: Session,
    src: Source,
    questions: list[str],
    visible: set[int] | None,
    rows: list[int] | None = None,
    facts: bool = True,
) -> list[dict]:
    """One dict per respondent inside `visible` (agency ids; None = all), or of the frame rows `rows` in that
    order: the design and domain values, `partial`, the two dates (without `facts`: none of these three, read
    from the responses) and {question code: sorted codes} under "answers". Only these rows' answers are read:
    a caller going CHUNK rows at a time holds one chunk of answers at a time."""
    data = src.data
    keep = kept(src, visible) if rows is None else list(rows)
    all_ids = np.asarray(data.response_ids if data.response_ids is not None else [], dtype=np.int64)
    ids = all_ids[keep].tolist() if len(all_ids) and keep else []
    items = {code: j for j, code in enumerate(data.items)} if data.answers is not None else {}
    rest = [code for code in questions if code not in items]  # the index answers come from the frame
    coded = _answers(session, ids, rest) if ids and rest else {}
    found = _responses(session, ids) if ids and facts else {}
    weights = (data.design.weights[keep] if data.design is not None else np.zeros(len(keep))).tolist()
    wanted = [code for code in questions if code in items]
    column = {code: j for j, code in enumerate(wanted)}
    # plain floats of only the columns asked for: indexing numpy per cell is slow, a whole matrix is large
    matrix = np.asarray(data.answers)[keep][:, [items[c] for c in wanted]].tolist() if wanted and keep else []
    out = []
    for pos, i in enumerate(keep):
        rid = ids[pos] if ids else None
        agency = src.agencies.get(int(data.agency_id[i]), (str(data.agency_id[i]), None, ""))
        point = data.service_point_id[i]
        mode = str(data.mode[i])
        frozen, mine = matrix[pos] if wanted else (), coded.get(rid, {})
        answers = {}
        for code in questions:
            j = column.get(code)
            if j is None:
                answers[code] = mine.get(code, [])
            else:  # an index answer exactly as frozen
                value = frozen[j]
                answers[code] = [] if value != value else [int(value)]  # NaN: not answered
        rec = {
            "stratum": str(data.stratum[i]),
            "agency": agency[0],
            "sector": str(data.sector_code[i]),
            "service_point": "" if point is None else src.points.get(int(point), str(point)),
            "mode": mode,
            "outcome": data.outcome[i],
            "weight": weights[pos],
            "answers": answers,
        }
        if facts:
            partial, stored, started = found.get(rid, (None, None, None))
            rec["partial"] = None if partial is None else int(partial)
            rec["submitted_at"] = answered_on(mode, stored, started)
            rec["received_at"] = local_day(stored)
        out.append(rec)
    return out
