"""The only bridge between the database and analysis/: a wave's weights, design and index table.

Weights (docs/methodology.md §5): base 1/π of the invitation → nonresponse adjustment within the
wave's strata (Σ 1/π invited / Σ 1/π responded) → post-stratification to the period's dossier
counts by agency × sector (Dossier.completed_at in the wave period; a cell without dossiers keeps
its weights), fpc = the stratum's dossier count.  Only probability-sample responses (with an
invitation of the wave) are weighted; walk-up kiosk answers are counted, never weighted.  Partial
responses count with the items they answered.

    wave_index_table(session, wave_id, *, source="db", method="logit", level=0.95,
                     min_n=None, max_rse=None, scope="tthc") -> WaveTable
      .overall: Cell · .agencies {agency_id: Cell} · .sectors {sector_code: Cell}
      .agency_sectors {(agency_id, sector_code): Cell} · .service_points {service_point_id: Cell}
      Cell (analysis.table): key, code, label_vi, label_en, index (analysis.IndexResult: .items
      {item code: Estimate}, .elements {name: Estimate}, .parts {name: Estimate}, .overall; all
      percent), target (TargetRef: value, year, scope, sector_code, labels | None), status
      ("meets" | "below" | "not_distinguishable" | None without target), flags (small-cell
      reasons of the overall index, () = fine), rank (within its grouping; None when flagged),
      .est = index.overall, measure (analysis.table.Measure: what the overall index measures).
      Targets: analysis.table.target_for (docs/indicators.md): the services part is held to the
      sector's own target (tthc_sector: land, construction, investment; public_service: health,
      education) or the all-sectors scope `scope` ("tthc"); a SIPAS index (policy + services) to
      the province's target of the year or the "service" target; anything else, or a number not
      comparable with SIPAS 2023 (3-point kiosk scale, 2017–2021 criteria), to none.
      Also: items, elements {name: item codes}, parts, labels {code: (vi, en)}, respondents,
      walkup_excluded, strata (StratumWeighting), kish_deff, effective_n, notes, settings,
      measures {"overall" | "part:p" | "element:e" | "item:c": Measure}, indicator_questions
      {code: IndicatorQuestion}, indicators {"overall" | "agencies" | "sectors": {key: IndicatorCell}}
      (judgement indicators and needs as weighted shares in percent, analysis.indicators).
    The result classes live in analysis.wave / analysis.table and are re-exported here.
    wave_data(session, wave_id, source="memory") -> WaveData   design + arrays for ad-hoc domains

source="db" reads the per-response score rows written with the answers (response_score, one row per
respondent: survey/services/respond/scores.py), computing from the answers only for responses without
one (a note says how many); source="memory" loads the answers and lets analysis do it; both give the
same table (tested).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import chain

import numpy as np
from sqlalchemy import BigInteger, Float, String, case, cast, func, select
from sqlalchemy.orm import Session

import analysis
from analysis.indicators import indicator_cells, indicator_questions, measures_of, option_matrix
from analysis.table import Cell, TargetRef, empty_result, judge, target_for, targets_in_force
from analysis.wave import StratumWeighting, WaveData, WaveTable, by_code
from survey.models import (
    Agency,
    Answer,
    Invitation,
    QuestionnaireVersion,
    Response,
    Sector,
    ServicePoint,
    Target,
    Wave,
    WaveStratum,
)
from survey.models.fieldwork import Outcome
from survey.models.registry import TargetScope
from survey.models.response import ResponseMode
from survey.services.questionnaires.bank import index_structure as _tree
from survey.services.questionnaires.bank import iter_questions, scale_for
from survey.services.respond import scores as stored_scores
from survey.services.weights import wave_design

OWN_TARGET_SCOPE = TargetScope.TTHC_SECTOR
__all__ = ["Cell", "ResultsError", "StratumWeighting", "TargetRef", "WaveData", "WaveTable",
           "index_structure", "wave_data", "wave_index_table"]


class ResultsError(ValueError):
    """The wave cannot be analysed (message in Vietnamese, for the user)."""


def index_structure(content: Mapping) -> dict:
    """The questionnaire's index tree as columns, with each item's satisfied and valid codes."""
    out = dict(_tree(content))
    questions = {q["code"]: q for q in iter_questions(content)}
    out["valid"] = [[c["code"] for c in scale_for(content, questions[code])["codes"]] for code in out["items"]]
    return out


def _wave(session: Session, wave_id: int) -> Wave:
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise ResultsError("Không tìm thấy đợt khảo sát %s" % wave_id)
    return wave


def _respondents(wave_id: int):
    """The WHERE of a wave's probability-sample respondents (responses joined to their invitation)."""
    return (Invitation.wave_id == wave_id, Response.probability_sample.is_(True))


def wave_data(session: Session, wave_id: int, source: str = "memory") -> WaveData:
    """Respondents of a wave with weights, design and answers (or DB-computed per-response sums)."""
    return _load(session, wave_id, source)[0]


def _load(session: Session, wave_id: int, source: str) -> tuple[WaveData, dict | None]:
    """wave_data, and with source="db" the indicator questions' option matrices read with the scores."""
    if source not in ("memory", "db"):
        raise ValueError("source must be 'memory' or 'db'")
    wave = _wave(session, wave_id)
    tree = index_structure(session.get(QuestionnaireVersion, wave.questionnaire_version_id).content)
    items = tuple(tree["items"])
    col = _respondent_columns(session, wave.id)
    walkup = session.scalar(select(func.count()).select_from(Response).where(
        Response.wave_id == wave.id, Response.probability_sample.is_(False) | Response.invitation_id.is_(None)))
    ids = np.array(col[0], dtype=np.int64)
    strata = {s.id: s for s in session.scalars(select(WaveStratum).where(WaveStratum.wave_id == wave.id))}
    keys = {sid: s.key for sid, s in strata.items()}
    skey = np.array([keys.get(st) or "?|%s|%s" % (a, sc) for st, a, sc in zip(col[1], col[3], col[4])], dtype=object)
    design, weighting, notes = wave_design(session, wave, strata, col) if ids.size else (None, (), ())
    answers = sums = options = None
    overall_item = tree.get("overall_item")
    if source == "memory" or design is None:
        answers = _answer_matrix(session, wave.id, ids, items) if source == "memory" else None
        overall = _answer_matrix(session, wave.id, ids, (overall_item,))[:, 0] if overall_item else None
        if ids.size:
            version = session.get(QuestionnaireVersion, wave.questionnaire_version_id)
            notes = (*notes, *stored_scores.notes_for(
                stored_scores.unscored(session, wave, version, _respondents(wave.id))))
    else:  # per-response score rows (scores.py); weights are the design's base weights
        version = session.get(QuestionnaireVersion, wave.questionnaire_version_id)
        read = stored_scores.read(session, wave, version, ids, _respondents(wave.id),
                                  indicator_questions(version.content))
        bw = design.base_weights
        sums = analysis.IndexSums(satisfied=read.satisfied * bw, valid=read.valid * bw, count=read.valid * (bw > 0))
        overall, options = (read.overall if overall_item else None), read.options
        notes = (*notes, *read.notes)
    obj = lambda k: np.array(col[k], dtype=object)  # noqa: E731
    return WaveData(wave.id, design, items, {"elements": tree["elements"], "parts": tree["parts"]},
                    tree["satisfied"], tree["valid"], answers, sums, np.array(col[3], dtype=np.int64), obj(4),
                    obj(5), obj(6), obj(7), skey, overall, weighting, int(walkup or 0), notes, ids), options


def _respondent_columns(session: Session, wave_id: int) -> list:
    """The wave's respondents in id order as 9 columns (lists): response id, stratum id (None), π, agency id,
    sector code, service point id (None), outcome, mode (their enums), sector id.

    Read as numbers (stored_scores.columns: packed by PostgreSQL itself) and mapped back in numpy:
    fetching 10^6 rows of mixed types as row objects took longer than the whole index table.
    """
    outcomes, modes = list(Outcome), list(ResponseMode)
    code = lambda column, members: case({m.value: k for k, m in enumerate(members)},  # noqa: E731
                                        value=cast(column, String), else_=-1)
    query = (select(*(cast(c, BigInteger) for c in (
        Response.id, func.coalesce(Invitation.stratum_id, -1))), cast(Invitation.pi, Float),
        *(cast(c, BigInteger) for c in (Invitation.agency_id, Invitation.sector_id,
                                        func.coalesce(Invitation.service_point_id, -1),
                                        code(Invitation.outcome, outcomes), code(Response.mode, modes))))
        .join(Invitation, Invitation.id == Response.invitation_id).where(*_respondents(wave_id))
        .order_by(Response.id))
    got = stored_scores.columns(session, query, "iifiiiii", ordered=True)
    rid, stratum, pi, agency, sector, point, outcome, mode = got
    sectors = dict(session.execute(select(Sector.id, Sector.code)).all())
    uniq, inverse = np.unique(sector, return_inverse=True)
    sector_code = np.array([sectors.get(k) for k in uniq.tolist()] + [None], dtype=object)[inverse.reshape(-1)]
    none = lambda a: np.where(a >= 0, a.astype(object), None).tolist()  # noqa: E731
    member = lambda a, values: np.array(values, dtype=object)[a].tolist()  # noqa: E731  (CHECKed: never -1)
    return [rid.tolist(), none(stratum), pi.tolist(), agency.tolist(), sector_code.tolist(), none(point),
            member(outcome, outcomes), member(mode, modes), sector.tolist()]


def _answer_matrix(session: Session, wave_id: int, ids: np.ndarray, items: tuple) -> np.ndarray:
    """(n, J) answer codes of the index items, NaN when not answered (one query, no Python loop)."""
    out = np.full((ids.shape[0], len(items)), np.nan)
    if not items:  # no index items (e.g. dossier-eval): an empty CASE is invalid SQL
        return out
    column = case({code: j for j, code in enumerate(items)}, value=Answer.item_code)
    got = session.connection().execute(
        select(Answer.response_id, column, Answer.value_int)
        .join(Response, Response.id == Answer.response_id).join(Invitation, Invitation.id == Response.invitation_id)
        .where(*_respondents(wave_id), Answer.item_code.in_(items), Answer.value_int.is_not(None))).all()
    if got:
        a = _int_matrix(got, 3)
        at, known = _positions(ids, a[:, 0])
        out[at[known], a[known, 1]] = a[known, 2]
    return out


def _option_matrices(session: Session, wave_id: int, ids: np.ndarray, questions: Mapping) -> dict:
    """{question code: (n, K) 0/1/NaN option indicators} of the indicator questions (one query)."""
    codes = list(questions)
    got = session.connection().execute(
        select(Answer.response_id, case({c: j for j, c in enumerate(codes)}, value=Answer.item_code),
               Answer.value_int)
        .join(Response, Response.id == Answer.response_id).join(Invitation, Invitation.id == Response.invitation_id)
        .where(*_respondents(wave_id), Answer.item_code.in_(codes), Answer.value_int.is_not(None))).all() \
        if codes and ids.size else []
    a = _int_matrix(got, 3) if got else np.zeros((0, 3), dtype=np.int64)
    at, known = _positions(ids, a[:, 0])
    a, at = a[known], at[known]
    return {c: option_matrix(ids.shape[0], at[a[:, 1] == j], a[a[:, 1] == j, 2], questions[c].options)
            for j, c in enumerate(codes)}


def _positions(ids: np.ndarray, response_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of `response_ids` in the sorted `ids`, and which were found there.

    A response committed between the respondent query and an answer query (a live wave, each
    statement seeing its own snapshot) is not among `ids`: its answers are left out, not misplaced.
    """
    at = np.searchsorted(ids, response_ids)
    known = at < ids.shape[0]
    known[known] = ids[at[known]] == response_ids[known]
    return np.where(known, at, 0), known


def _int_matrix(rows: list, width: int) -> np.ndarray:
    """Result rows of integers as an (m, width) array (numpy is slow on Row objects directly)."""
    return np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=width * len(rows)).reshape(-1, width)


def _setting(name: str, default: float) -> float:
    """A small-cell threshold from the app config (HAILONG_MIN_CELL_ANSWERS / HAILONG_MAX_CELL_RSE)."""
    try:
        from flask import current_app

        return current_app.config.get(name, default)
    except RuntimeError:  # outside an application context
        return default


def wave_index_table(session: Session, wave_id: int, *, source: str = "db", method: str = "logit",
                     level: float = 0.95, min_n: int | None = None, max_rse: float | None = None,
                     scope: TargetScope = TargetScope.TTHC) -> WaveTable:
    """The wave's indices overall and by agency, sector, agency × sector and service point."""
    wave = _wave(session, wave_id)
    data, options = _load(session, wave_id, source)
    min_n = int(min_n if min_n is not None else _setting("MIN_CELL_ANSWERS", 30))
    max_rse = float(max_rse if max_rse is not None else _setting("MAX_CELL_RSE", 0.3))
    year = wave.period_end.year
    content = session.get(QuestionnaireVersion, wave.questionnaire_version_id).content
    measures = measures_of(content)
    measure = measures.get("overall")
    targets = targets_in_force([TargetRef(t.value, t.year, t.scope, t.sector_code, t.label_vi or "Mục tiêu %d"
                                          % t.year, t.label_en or "Target %d" % t.year)
                                for t in session.scalars(select(Target))], year)
    own = lambda code: target_for(measure, code, targets, year, scope)  # noqa: E731  (code "" = all sectors)
    groupings = {"overall": None, "agencies": data.agency_id, "sectors": data.sector_code,
                 "agency_sectors": (data.agency_id, data.sector_code), "service_points": data.service_point_id}
    if data.design is None or not data.items:  # no respondents, or no index items (e.g. dossier-eval)
        tables = {k: {} for k in groupings}
        tables["overall"] = empty_result(range(len(data.items)), data.structure["elements"], data.structure["parts"])
    elif data.answers is not None:
        tables = analysis.index_table_answers(data.design, data.answers, data.structure, groupings, method, level,
                                              data.satisfied, data.valid)
    else:
        tables = analysis.index_table(data.design, data.sums, data.structure, groupings, method, level)
    tables["overall"] = by_code(tables["overall"], data.items)
    for kind in ("agencies", "sectors", "agency_sectors", "service_points"):
        tables[kind] = {k: by_code(v, data.items) for k, v in tables[kind].items()}
    names = _names(session)
    unnamed = lambda k: (str(k), str(k), str(k))  # noqa: E731

    def pair(key: tuple) -> tuple:
        """(code, label_vi, label_en) of an agency × sector cell."""
        a, s = names["agency"].get(key[0], unnamed(key[0])), names["sector"].get(key[1], unnamed(key[1]))
        return "%s|%s" % (a[0], s[0]), "%s — %s" % (a[1], s[1]), "%s — %s" % (a[2], s[2])

    whole = ("", "Toàn tỉnh", "Whole province")
    label = {"agencies": lambda k: names["agency"].get(k, unnamed(k)), "sectors": lambda k: names["sector"].get(
        k, unnamed(k)), "agency_sectors": pair, "service_points": lambda k: names["point"].get(k, unnamed(k))}
    sector_of = {"agencies": lambda k: "", "sectors": lambda k: k, "agency_sectors": lambda k: k[1],
                 "service_points": lambda k: ""}
    judged = {kind: judge(tables[kind], lambda k, kind=kind: own(sector_of[kind](k)), label[kind], min_n, max_rse,
                          measure=measure) for kind in label}
    overall = judge({None: tables["overall"]}, lambda k: own(""), lambda k: whole, min_n, max_rse, ranked=False,
                    measure=measure)[None]
    questions = indicator_questions(content)
    if options is None or options.keys() != questions.keys():  # what the score rows do not hold: from the answers
        rest = {c: q for c, q in questions.items() if options is None or c not in options}
        options = {**(options or {}), **_option_matrices(session, wave.id, data.response_ids, rest)}
        options = {c: options[c] for c in questions}
    indicators = indicator_cells(
        data.design, questions, options,
        {"overall": None, "agencies": data.agency_id, "sectors": data.sector_code},
        lambda kind, k: whole if kind == "overall" else label[kind](k), method, level, min_n, max_rse)
    d = data.design
    return WaveTable(
        wave.id, wave.code, wave.name, wave.period_start, wave.period_end, year, data.items,
        {k: tuple(data.items[j] for j in v) for k, v in data.structure["elements"].items()},
        {k: tuple(v) for k, v in data.structure["parts"].items()}, _labels(content), overall, **judged,
        respondents=data.n, walkup_excluded=data.walkup_excluded, strata=data.strata,
        kish_deff=d.kish_deff if d is not None else math.nan, effective_n=d.effective_n if d is not None else 0.0,
        notes=data.notes, settings={"min_n": min_n, "max_rse": max_rse, "method": method, "level": level,
                                    "source": source, "scope": scope},
        measures=measures, indicator_questions=questions, indicators=indicators)


def _names(session: Session) -> dict:
    """(code, name_vi, name_en) of agencies and service points by id, of sectors by code."""
    rows = {"agency": select(Agency.id, Agency.code, Agency.name_vi, Agency.name_en),
            "sector": select(Sector.code, Sector.code, Sector.name_vi, Sector.name_en),
            "point": select(ServicePoint.id, ServicePoint.code, ServicePoint.name_vi, ServicePoint.name_en)}
    return {k: {r[0]: (r[1], r[2], r[3] or r[2]) for r in session.execute(q)} for k, q in rows.items()}


def _labels(content: Mapping) -> dict:
    """{item / element / part code: (label_vi, label_en)} from the questionnaire version."""
    out = {}
    for q in iter_questions(content):
        text = q.get("short") or q.get("text") or {}
        out[q["code"]] = (text.get("vi", q["code"]), text.get("en") or text.get("vi", q["code"]))
    for group in ("elements", "parts"):
        for name, node in ((content.get("index") or {}).get(group) or {}).items():
            label = node.get("label") or {}
            out[name] = (label.get("vi", name), label.get("en") or label.get("vi", name))
    return out
