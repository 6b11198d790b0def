"""The only bridge between the database and analysis/: a wave's weights, design and index table.

Weights (docs/methodology.md §5): base 1/π of the invitation → nonresponse adjustment within the
wave's strata (Σ 1/π invited / Σ 1/π responded) → post-stratification to the period's dossier
counts by agency × sector (Dossier.completed_at in the wave period; a cell without dossiers keeps
its weights) with fpc = the stratum's dossier count.  Only probability-sample responses (with an
invitation of the wave) are weighted; walk-up kiosk answers are counted, never weighted.  Partial
responses count with the items they answered.

    wave_index_table(session, wave_id, *, source="db", method="logit", level=0.95,
                     min_n=None, max_rse=None, scope="tthc") -> WaveTable
        .overall: Cell; .agencies {agency_id: Cell}; .sectors {sector_code: Cell};
        .agency_sectors {(agency_id, sector_code): Cell}; .service_points {service_point_id: Cell}
        Cell: key, code, label_vi, label_en, index (analysis.IndexResult: .items {item code:
        Estimate}, .elements {name: Estimate}, .parts {name: Estimate}, .overall Estimate, all
        in percent), target (TargetRef | None), status ("meets" | "below" |
        "not_distinguishable" | None without target), flags (small-cell reasons of the overall
        index, () when fine), rank (within its grouping, None when flagged); .est = index.overall.
        WaveTable also: items, elements, parts, labels, respondents, walkup_excluded, strata
        (StratumWeighting per stratum), kish_deff, effective_n, notes, settings.
    wave_data(session, wave_id, source="memory") -> WaveData   (design + arrays for ad-hoc domains)
    microdata(session, wave_id) -> Microdata   (anonymised rows: no ids, phones, texts or times)

source="db" lets the database compute the per-PSU (= per-response) item sums with GROUP BY;
source="memory" loads the answers and lets analysis do it; both give the same table (tested).
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping

import numpy as np
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

import analysis
from survey.models import (Agency, Answer, Invitation, QuestionnaireVersion, Response, Sector, ServicePoint,
                           Target, Wave, WaveStratum)
from survey.services.waves import count_by_cell, period_bounds

OWN_TARGET_SCOPE = "tthc_sector"  # land, construction, investment: their own targets when present


class ResultsError(ValueError):
    """The wave cannot be analysed (message in Vietnamese, for the user)."""


@dataclass(frozen=True)
class TargetRef:
    """The target a cell is judged against (percent)."""

    value: float
    year: int
    scope: str
    sector_code: str
    label_vi: str
    label_en: str


@dataclass(frozen=True)
class Cell:
    """One domain of the table: its indices, target, status, small-cell flags and rank."""

    key: Any
    code: str
    label_vi: str
    label_en: str
    index: analysis.IndexResult
    target: TargetRef | None = None
    status: str | None = None
    flags: tuple = ()
    rank: int | None = None

    @property
    def est(self) -> analysis.Estimate:
        """The overall (SIPAS) index of the cell."""
        return self.index.overall


@dataclass(frozen=True)
class StratumWeighting:
    """Fieldwork and weighting of one stratum."""

    key: str
    pi: float
    population: int | None
    invited: int
    responded: int
    response_rate: float
    nonresponse_factor: float


@dataclass(frozen=True)
class WaveData:
    """A wave's probability-sample respondents as arrays, with their survey design."""

    wave_id: int
    design: analysis.Design | None
    items: tuple                   # index item codes, column order
    structure: dict                # {"elements": {name: [columns]}, "parts": {name: [elements]}}
    satisfied: list                # per column, the codes counting as satisfied
    valid: list                    # per column, the scale's codes
    answers: np.ndarray | None     # (n, J) codes, NaN = no answer (source="memory")
    sums: analysis.IndexSums | None  # per-response sums at base weights (source="db")
    agency_id: np.ndarray
    sector_code: np.ndarray
    service_point_id: np.ndarray   # object, None when unknown
    outcome: np.ndarray
    mode: np.ndarray
    stratum: np.ndarray            # stratum key
    strata: tuple = ()
    walkup_excluded: int = 0
    notes: tuple = ()

    @property
    def n(self) -> int:
        """Number of respondents."""
        return int(self.agency_id.shape[0])

    def index(self, by: Any = None, method: str = "logit", level: float = 0.95):
        """SIPAS indices for the whole wave or by=groups (any label array, None = out of every group)."""
        if self.design is None:
            return {} if by is not None else None
        if self.answers is not None:
            return analysis.satisfaction_index(self.design, self.answers, self.structure, by=by,
                                               method=method, level=level,
                                               satisfied=self.satisfied, valid=self.valid)
        return analysis.satisfaction_index_from_sums(self.design, self.sums, self.structure, by=by,
                                                     method=method, level=level)


@dataclass(frozen=True)
class WaveTable:
    """The full index table of a wave (see the module docstring)."""

    wave_id: int
    code: str
    name: str
    period_start: date
    period_end: date
    year: int
    items: tuple
    elements: dict
    parts: dict
    labels: dict
    overall: Cell
    agencies: dict
    sectors: dict
    agency_sectors: dict
    service_points: dict
    respondents: int
    walkup_excluded: int
    strata: tuple
    kish_deff: float
    effective_n: float
    notes: tuple
    settings: dict = field(default_factory=dict)


def index_structure(content: Mapping) -> dict:
    """Index tree of a questionnaire version: items, elements/parts as columns, satisfied and valid codes."""
    from survey.services.questionnaires import index_structure as tree, iter_questions, scale_for

    out = dict(tree(content))
    questions = {q["code"]: q for q in iter_questions(content)}
    out["valid"] = [[c["code"] for c in scale_for(content, questions[code])["codes"]] for code in out["items"]]
    return out


def _wave(session: Session, wave_id: int) -> Wave:
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise ResultsError("Không tìm thấy đợt khảo sát %s" % wave_id)
    return wave


def wave_data(session: Session, wave_id: int, source: str = "memory") -> WaveData:
    """Respondents of a wave with weights, design and answers (or DB-computed per-response sums)."""
    if source not in ("memory", "db"):
        raise ValueError("source must be 'memory' or 'db'")
    wave = _wave(session, wave_id)
    tree = index_structure(session.get(QuestionnaireVersion, wave.questionnaire_version_id).content)
    items = tuple(tree["items"])
    rows = session.execute(
        select(Response.id, Invitation.stratum_id, Invitation.pi, Invitation.agency_id, Sector.code,
               Invitation.service_point_id, Invitation.outcome, Response.mode, Invitation.sector_id)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(Sector, Sector.id == Invitation.sector_id)
        .where(Invitation.wave_id == wave.id, Response.probability_sample.is_(True))
        .order_by(Response.id)).all()
    walkup = session.scalar(select(func.count()).select_from(Response).where(
        Response.wave_id == wave.id, (Response.probability_sample.is_(False)) | Response.invitation_id.is_(None)))
    n = len(rows)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    strata = {s.id: s for s in session.scalars(select(WaveStratum).where(WaveStratum.wave_id == wave.id))}
    skey = np.array([strata[r[1]].key if r[1] in strata else "?|%s|%s" % (r[3], r[4]) for r in rows], dtype=object)
    base = np.array([1.0 / r[2] for r in rows]) if n else np.zeros(0)
    agency = np.array([r[3] for r in rows], dtype=np.int64)
    sector = np.array([r[4] for r in rows], dtype=object)
    design, weighting, notes = _design(session, wave, strata, skey, base, agency, rows) if n else (None, (), ())
    answers = sums = None
    if source == "memory":
        answers = _answer_matrix(session, ids, items)
    elif design is not None:  # sums at the design's base weights (1/π × nonresponse factor)
        s, v = _db_indicators(session, wave.id, ids, items, tree)
        bw = design.base_weights
        sums = analysis.IndexSums(satisfied=s * bw, valid=v * bw, count=v * (bw > 0))
    return WaveData(wave.id, design, items, {"elements": tree["elements"], "parts": tree["parts"]},
                    tree["satisfied"], tree["valid"], answers, sums, agency, sector,
                    np.array([r[5] for r in rows], dtype=object), np.array([r[6] for r in rows], dtype=object),
                    np.array([r[7] for r in rows], dtype=object), skey, weighting, int(walkup or 0), notes)


def _answer_matrix(session: Session, ids: np.ndarray, items: tuple) -> np.ndarray:
    """(n, J) answer codes of the index items, NaN when not answered."""
    out = np.full((ids.shape[0], len(items)), np.nan)
    if not ids.size:
        return out
    row = {int(r): i for i, r in enumerate(ids)}
    col = {code: j for j, code in enumerate(items)}
    for start in range(0, ids.shape[0], 5000):  # bounded IN lists
        chunk = [int(x) for x in ids[start:start + 5000]]
        for rid, code, value in session.execute(
                select(Answer.response_id, Answer.item_code, Answer.value_int)
                .where(Answer.response_id.in_(chunk), Answer.item_code.in_(items), Answer.value_int.is_not(None))):
            out[row[rid], col[code]] = value
    return out


def _db_indicators(session: Session, wave_id: int, ids: np.ndarray, items: tuple, tree: dict) -> tuple:
    """Per-response satisfied/valid indicators (J, n), computed by the database (GROUP BY response)."""
    cols = [Answer.response_id]
    for j, code in enumerate(items):
        is_item = Answer.item_code == code
        cols.append(func.max(case((and_(is_item, Answer.value_int.in_(tree["satisfied"][j])), 1), else_=0)))
        cols.append(func.max(case((and_(is_item, Answer.value_int.in_(tree["valid"][j])), 1), else_=0)))
    stmt = (select(*cols).join(Response, Response.id == Answer.response_id)
            .join(Invitation, Invitation.id == Response.invitation_id)
            .where(Invitation.wave_id == wave_id, Response.probability_sample.is_(True),
                   Answer.item_code.in_(items))
            .group_by(Answer.response_id))
    s, v = np.zeros((len(items), ids.shape[0])), np.zeros((len(items), ids.shape[0]))
    position = {int(r): i for i, r in enumerate(ids)}
    for row in session.execute(stmt):
        i = position[row[0]]
        s[:, i] = row[1::2]
        v[:, i] = row[2::2]
    return s, v


def _design(session: Session, wave: Wave, strata: dict, skey: np.ndarray, base: np.ndarray,
            agency: np.ndarray, rows: list) -> tuple:
    """Nonresponse-adjusted, post-stratified design; per-stratum weighting facts; notes."""
    notes = []
    invited = {r[0]: (int(r[1]), float(r[2] or 0.0)) for r in session.execute(
        select(Invitation.stratum_id, func.count(), func.sum(1.0 / Invitation.pi))
        .where(Invitation.wave_id == wave.id).group_by(Invitation.stratum_id))}
    sid = np.array([r[1] if r[1] is not None else -1 for r in rows], dtype=np.int64)
    factor = np.ones(base.shape[0])
    weighting = []
    for s in sorted(strata.values(), key=lambda s: s.key):
        mask = sid == s.id
        n_inv, w_inv = invited.get(s.id, (0, 0.0))
        w_resp = float(base[mask].sum())
        f = w_inv / w_resp if w_resp > 0 else math.nan
        if w_resp > 0:
            factor[mask] = f
        weighting.append(StratumWeighting(s.key, s.pi, s.population, n_inv, int(mask.sum()),
                                          int(mask.sum()) / n_inv if n_inv else math.nan, f))
    n_h = {k: int(c) for k, c in zip(*np.unique(skey.astype(str), return_counts=True))}
    pop = {s.key: s.population for s in strata.values()}
    fpc = np.array([pop.get(k) if pop.get(k) and pop[k] >= n_h[k] else np.inf for k in skey.astype(str)])
    if np.isinf(fpc).any():
        notes.append("Một số tầng chưa có số hồ sơ hợp lệ: không áp dụng hiệu chỉnh quần thể hữu hạn (fpc).")
    d = analysis.Design(base * factor, strata=skey, fpc=fpc)
    lo, hi = period_bounds(wave.period_start, wave.period_end, (wave.design or {}).get("timezone"))
    counts = count_by_cell(session, "agency_sector", lo, hi)
    cells = np.empty(len(rows), dtype=object)
    cells[:] = [(r[3], r[8]) for r in rows]
    sampled = {}
    for cell, w in zip(cells.tolist(), d.weights.tolist()):
        sampled[cell] = sampled.get(cell, 0.0) + w
    totals = {c: float(counts[c]) if counts.get(c, 0) > 0 else w for c, w in sampled.items()}
    kept = sum(1 for c in sampled if counts.get(c, 0) <= 0)
    if kept:  # a cell without dossiers in the period keeps its weights
        notes.append("%d ô cơ quan × lĩnh vực có người trả lời nhưng không có hồ sơ trong kỳ: giữ nguyên "
                     "trọng số." % kept)
    missing = {c: v for c, v in counts.items() if c not in sampled and v > 0}
    if missing:
        notes.append("%d ô cơ quan × lĩnh vực (%d hồ sơ) không có người trả lời: không đại diện trong ước lượng."
                     % (len(missing), sum(missing.values())))
    return d.poststratify(cells, totals, partial=True), tuple(weighting), tuple(notes)


def _setting(name: str, default: float) -> float:
    """A small-cell threshold from the app config (HAILONG_MIN_CELL_ANSWERS / _MAX_CELL_RSE)."""
    try:
        from flask import current_app

        return current_app.config.get(name, default)
    except RuntimeError:  # outside an application context
        return default


def _targets(session: Session, year: int) -> dict:
    """{(scope, sector_code): TargetRef in force for `year`} (latest year ≤ year, else the next one)."""
    rows = session.scalars(select(Target).order_by(Target.year)).all()
    out: dict = {}
    for t in rows:
        ref = TargetRef(t.value, t.year, t.scope, t.sector_code, t.label_vi or "Mục tiêu %d" % t.year,
                        t.label_en or "Target %d" % t.year)
        key = (t.scope, t.sector_code)
        held = out.get(key)
        if held is None or (t.year <= year and (held.year > year or t.year > held.year)):
            out[key] = ref
    return out


def wave_index_table(session: Session, wave_id: int, *, source: str = "db", method: str = "logit",
                     level: float = 0.95, min_n: int | None = None, max_rse: float | None = None,
                     scope: str = "tthc") -> WaveTable:
    """The wave's indices overall and by agency, sector, agency × sector and service point (see above)."""
    wave = _wave(session, wave_id)
    data = wave_data(session, wave_id, source=source)
    min_n = int(min_n if min_n is not None else _setting("MIN_CELL_ANSWERS", 30))
    max_rse = float(max_rse if max_rse is not None else _setting("MAX_CELL_RSE", 0.3))
    year = wave.period_end.year
    targets = _targets(session, year)
    general = targets.get((scope, ""))
    by_sector = lambda code: targets.get((OWN_TARGET_SCOPE, code)) or general  # noqa: E731
    names = _names(session)
    groupings = {"overall": None, "agencies": data.agency_id, "sectors": data.sector_code,
                 "agency_sectors": (data.agency_id, data.sector_code), "service_points": data.service_point_id}
    if data.design is None:
        tables = {k: ({} if by is not None else _empty(data)) for k, by in groupings.items()}
    elif data.answers is not None:
        tables = analysis.index_table_answers(data.design, data.answers, data.structure, groupings, method, level,
                                              data.satisfied, data.valid)
    else:
        tables = analysis.index_table(data.design, data.sums, data.structure, groupings, method, level)

    def cells(kind: str, target_of, label_of) -> dict:
        made = {k: _cell(k, res, target_of(k), label_of(k), min_n, max_rse) for k, res in tables[kind].items()}
        ranks = analysis.rank({k: c.est for k, c in made.items() if not c.flags}, min_n, max_rse)
        return {k: (Cell(**{**c.__dict__, "rank": ranks.get(k)}) if k in ranks else c) for k, c in made.items()}

    overall = _cell(None, tables["overall"], general, ("", "Toàn tỉnh", "Whole province"), min_n, max_rse)
    return WaveTable(
        wave.id, wave.code, wave.name, wave.period_start, wave.period_end, year, data.items,
        {k: tuple(data.items[j] for j in v) for k, v in data.structure["elements"].items()},
        {k: tuple(v) for k, v in data.structure["parts"].items()}, _item_labels(session, wave),
        overall,
        cells("agencies", lambda k: general, lambda k: names["agency"].get(k, (str(k), str(k), str(k)))),
        cells("sectors", by_sector, lambda k: names["sector"].get(k, (k, k, k))),
        cells("agency_sectors", lambda k: by_sector(k[1]), lambda k: _pair_label(names, k)),
        cells("service_points", lambda k: general, lambda k: names["point"].get(k, (str(k), str(k), str(k)))),
        data.n, data.walkup_excluded, data.strata,
        data.design.kish_deff if data.design is not None else math.nan,
        data.design.effective_n if data.design is not None else 0.0, data.notes,
        {"min_n": min_n, "max_rse": max_rse, "method": method, "level": level, "source": source, "scope": scope})


def _cell(key, res: analysis.IndexResult, target: TargetRef | None, label: tuple, min_n: int,
          max_rse: float) -> Cell:
    """A Cell with the status of its overall index against the target and its small-cell flags."""
    est = res.overall
    status = analysis.target_status(est, target.value) if target is not None else None
    return Cell(key, label[0], label[1], label[2], res, target, status,
                analysis.small_cell(est, min_n, max_rse).reasons)


def _empty(data: WaveData) -> analysis.IndexResult:
    """The index of a wave without respondents: every estimate NaN, n = 0."""
    nan = analysis.Estimate(math.nan, math.nan, math.nan, math.nan, 0, 0)
    return analysis.IndexResult({code: nan for code in range(len(data.items))},
                                {k: nan for k in data.structure["elements"]},
                                {k: nan for k in data.structure["parts"]}, nan)


def _names(session: Session) -> dict:
    """(code, name_vi, name_en) of agencies, sectors (by code) and service points."""
    return {
        "agency": {r[0]: (r[1], r[2], r[3] or r[2]) for r in session.execute(
            select(Agency.id, Agency.code, Agency.name_vi, Agency.name_en))},
        "sector": {r[0]: (r[0], r[1], r[2] or r[1]) for r in session.execute(
            select(Sector.code, Sector.name_vi, Sector.name_en))},
        "point": {r[0]: (r[1], r[2], r[3] or r[2]) for r in session.execute(
            select(ServicePoint.id, ServicePoint.code, ServicePoint.name_vi, ServicePoint.name_en))},
    }


def _pair_label(names: dict, key: tuple) -> tuple:
    a = names["agency"].get(key[0], (str(key[0]),) * 3)
    s = names["sector"].get(key[1], (key[1],) * 3)
    return ("%s|%s" % (a[0], s[0]), "%s — %s" % (a[1], s[1]), "%s — %s" % (a[2], s[2]))


def _item_labels(session: Session, wave: Wave) -> dict:
    """{item/element/part code: (label_vi, label_en)} from the questionnaire version."""
    from survey.services.questionnaires import iter_questions

    content = session.get(QuestionnaireVersion, wave.questionnaire_version_id).content
    out = {}
    for q in iter_questions(content):
        text = q.get("short") or q.get("text") or {}
        out[q["code"]] = (text.get("vi", q["code"]), text.get("en", text.get("vi", q["code"])))
    for group in ("elements", "parts"):
        for name, node in ((content.get("index") or {}).get(group) or {}).items():
            label = node.get("label") or {}
            out[name] = (label.get("vi", name), label.get("en", label.get("vi", name)))
    return out


@dataclass(frozen=True)
class Microdata:
    """Anonymised respondent rows: a random pseudo-id (not linkable to the response or dossier),
    design variables, the final weight and every non-text answer; no free text, no times."""

    columns: tuple
    rows: tuple

    def as_dicts(self) -> list[dict]:
        """One dict per respondent."""
        return [dict(zip(self.columns, row)) for row in self.rows]


def microdata(session: Session, wave_id: int) -> Microdata:
    """The wave's weighted probability-sample respondents for export (see Microdata)."""
    from survey.services.questionnaires import iter_questions

    wave = _wave(session, wave_id)
    data = wave_data(session, wave_id, source="db")
    content = session.get(QuestionnaireVersion, wave.questionnaire_version_id).content
    codes = [q["code"] for q in iter_questions(content) if q.get("type") != "text"]
    ids = [r[0] for r in session.execute(
        select(Response.id).join(Invitation, Invitation.id == Response.invitation_id)
        .where(Invitation.wave_id == wave.id, Response.probability_sample.is_(True)).order_by(Response.id))]
    values: dict = {}
    for start in range(0, len(ids), 5000):
        for rid, code, value in session.execute(
                select(Answer.response_id, Answer.item_code, Answer.value_int)
                .where(Answer.response_id.in_(ids[start:start + 5000]), Answer.item_code.in_(codes),
                       Answer.value_int.is_not(None))):
            values.setdefault((rid, code), []).append(value)
    names = _names(session)
    # A fresh random order per export: the pseudo-id says nothing about the response or its time.
    order = np.random.default_rng(secrets.randbits(64)).permutation(len(ids))
    weights = data.design.weights if data.design is not None else np.zeros(0)
    rows = []
    for rank, i in enumerate(order.tolist(), start=1):
        pid = "R%06d" % rank
        answers = []
        for code in codes:
            got = sorted(values.get((ids[i], code), []))
            answers.append(None if not got else got[0] if len(got) == 1 else "|".join(map(str, got)))
        point = data.service_point_id[i]
        rows.append((pid, data.stratum[i], pid, float(weights[i]),
                     names["agency"].get(int(data.agency_id[i]), ("",))[0], data.sector_code[i],
                     names["point"].get(point, ("",))[0] if point is not None else "",
                     data.outcome[i], data.mode[i], *answers))
    columns = ("respondent", "stratum", "psu", "weight", "agency", "sector", "service_point",
               "outcome", "mode", *codes)
    return Microdata(columns, tuple(rows))
