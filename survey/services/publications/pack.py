"""The reproducibility pack of a publication version: what goes in it, assembled from the frozen frame.

One ZIP per publication version (docs/reproducibility.md): microdata (CSV, SPSS .sav, Stata .dta) with
the design variables, the calibration cells and their totals, the codebook and index tree, the numbers
as published (published.csv) and R, Stata and SPSS syntax that recompute them. Everything that enters
a number comes from the version itself: the frozen frame (weights, design, index answers, domains) and
its frozen inputs (collapse facts, calibration totals, registry codes); only the other coded answers
(indicators, profile), which no index number uses, are read by response id. The pack holds no personal
data: no database ids, dossier codes, phone numbers, devices, free text or times; rows are numbered in
an order that depends on their content only, so the anonymous id links to no response or time.

    pack_data(session, view) -> PackData     from a publication version (publications.PublishedView)
    build(data) -> bytes                     the ZIP (pack_files writes each member)
    filename(data) -> str                    hailong-pack-<wave>-v<version>.zip
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from survey.models import QuestionnaireVersion, Wave
from survey.services import publications
from survey.services.publications import pack_answers, pack_files

GROUPINGS = ("overall", "agencies", "sectors", "agency_sectors", "service_points")
GROUPING_NAMES = {
    "overall": "overall",
    "agencies": "agency",
    "sectors": "sector",
    "agency_sectors": "agency_sector",
    "service_points": "service_point",
}
LEVELS = ("item", "element", "part", "overall", "indicator")
INDICATOR_GROUPINGS = ("overall", "agencies", "sectors")  # the groupings WaveTable.indicators has


class PackError(ValueError):
    """A version that cannot be packed (no respondents, or frozen inputs that disagree with the frame)."""


@dataclass(frozen=True)
class PackData:
    """Everything a pack is written from: one row per respondent, the cells, the tree and the published table."""

    meta: dict  # wave, publication, questionnaire, method: written into the manifest
    settings: dict  # method, level, lonely_psu, min_n, max_rse
    design: dict  # stratum, fpc, w_base, w_nonresponse, w_final, cell: arrays (n,)
    domains: dict  # agency, sector, service_point codes (n,) ("" = unknown)
    answers: dict  # variable name → float array (n,), NaN = not answered / withheld
    variables: list  # pack_answers.Variable for the answer columns, in questionnaire order
    cells: list  # [(cell, population total)] as frozen
    tree: dict  # items, satisfied, valid, elements {name: items}, parts {name: elements}
    labels: dict  # code → (vi, en) of items, elements, parts
    published: list  # rows of published.csv (pack_files.PUBLISHED_COLUMNS)
    content: dict = field(default_factory=dict)  # the questionnaire version
    suppressed: dict = field(default_factory=dict)  # variable → answered values withheld (pack_answers)

    @property
    def n(self) -> int:
        """Number of respondents."""
        return int(self.design["w_final"].shape[0])

    @property
    def item_vars(self) -> dict:
        """Index item code → its microdata column."""
        return {i: pack_answers.safe_name(i) for i in self.tree["items"]}


def published_rows(table: Any) -> list:
    """Every number of a WaveTable as flat rows: grouping, key, level, component, estimate, status (the
    index of every grouping, then the indicators)."""
    rows = []
    for grouping in GROUPINGS:
        cells = {None: table.overall} if grouping == "overall" else getattr(table, grouping)
        for key, cell in cells.items():
            if key is None and grouping != "overall":
                continue  # respondents without a service point form no published cell
            code = "" if grouping == "overall" else str(cell.code)
            parts = [
                ("item", table.items, cell.index.items),
                ("element", list(table.elements), cell.index.elements),
                ("part", list(table.parts), cell.index.parts),
                ("overall", ["SIPAS"], {"SIPAS": cell.index.overall}),
            ]
            for level, names, values in parts:
                for name in names:
                    e = values.get(name)
                    if e is None:
                        continue
                    row = _row(GROUPING_NAMES[grouping], code, level, name, e)
                    if level == "overall":
                        row.update(
                            status=cell.status or "",
                            flags=" ".join(cell.flags),
                            rank=cell.rank,
                            target=cell.target.value if cell.target else None,
                        )
                    rows.append(row)
    return rows + indicator_rows(table)


def _row(grouping: str, key: str, level: str, component: str, e: Any) -> dict:
    """One published.csv row of an estimate; status, flags, rank and target are the overall cells' own."""
    return {"grouping": grouping, "key": key, "level": level, "component": component, "value": e.value,
            "se": e.se, "ci_low": e.ci_low, "ci_high": e.ci_high, "df": e.df, "n": e.n, "status": "", "flags": "",
            "rank": None, "target": None}


def indicator_rows(table: Any) -> list:
    """The judgement indicators and needs of a WaveTable as published.csv rows: one per domain × question
    × option, level "indicator", component "<question>=<option>" (docs/indicators.md §3)."""
    rows = []
    questions = getattr(table, "indicator_questions", None) or {}
    for grouping in INDICATOR_GROUPINGS:
        for key, cell in (getattr(table, "indicators", None) or {}).get(grouping, {}).items():
            if key is None and grouping != "overall":
                continue  # as for the index: no published cell of unknown units
            code = "" if grouping == "overall" else str(cell.code)
            for q, spec in questions.items():
                shares, flags = cell.shares.get(q) or {}, cell.flags.get(q) or {}
                for option in spec.options:
                    e = shares.get(option)
                    if e is None:
                        continue
                    row = _row(GROUPING_NAMES[grouping], code, "indicator", "%s=%s" % (q, option), e)
                    rows.append({**row, "flags": " ".join(flags.get(option, ()))})
    return rows


def _fpc(value: Any) -> float:
    return math.inf if value is None else float(value)


def design_columns(data: Any, inputs: dict, agency_code: dict) -> dict:
    """Per-respondent design variables from the frozen design and the frozen collapse facts; refuses a
    version whose facts do not describe its design (the pack must rebuild exactly that design)."""
    d = data.design
    collapse = (inputs.get("weighting") or {}).get("collapse") or {}
    strata_map, cells_map, fpc_of = collapse.get("strata") or {}, collapse.get("cells") or {}, collapse.get("fpc") or {}
    keys = [str(k) for k in data.stratum.tolist()]
    stratum = np.array([strata_map.get(k, k) for k in keys], dtype=object)
    cell_keys = [
        "%s|%s" % (agency_code.get(int(a), str(a)), s)
        for a, s in zip(data.agency_id.tolist(), data.sector_code.tolist())
    ]
    cell = np.array([cells_map.get(k, k) for k in cell_keys], dtype=object)
    h = np.asarray(d.frame.strata)
    pop = np.asarray(d._pop, dtype=float)[h]  # the frozen design's population per variance stratum
    fpc = np.array([_fpc(fpc_of.get(s)) if s in fpc_of else pop[i] for i, s in enumerate(stratum.tolist())])
    if not _same_partition(stratum, h) or not np.array_equal(fpc, pop):
        raise PackError("publication %s: the frozen collapse facts do not describe its design" % inputs.get("wave"))
    if d._steps and not _same_partition(cell, np.asarray(d._steps[-1][0])):
        raise PackError("publication %s: the frozen calibration cells do not describe its design" % inputs.get("wave"))
    factor = {s.key: s.nonresponse_factor for s in data.strata}
    w_nr = np.asarray(d.base_weights, dtype=float)
    f = np.array([factor.get(k) or 1.0 for k in keys], dtype=float)
    return {
        "stratum": stratum,
        "fpc": fpc,
        "w_base": w_nr / np.where(np.isfinite(f), f, 1.0),
        "w_nonresponse": w_nr,
        "w_final": np.asarray(d.weights, dtype=float),
        "cell": cell,
    }


def _same_partition(labels: np.ndarray, codes: np.ndarray) -> bool:
    """Whether two labellings of the rows group them identically."""
    pairs = {(str(a), int(b)) for a, b in zip(labels.tolist(), codes.tolist())}
    return len(pairs) == len({p[0] for p in pairs}) == len({p[1] for p in pairs})


def cell_totals(design: dict, inputs: dict) -> list:
    """[(cell, total)]: the frozen calibration totals of the cells with respondents (kept cells: own weights)."""
    frozen = ((inputs.get("weighting") or {}).get("collapse") or {}).get("totals") or {}
    cells, w = design["cell"], design["w_final"]
    return [(c, float(frozen[c]) if c in frozen else float(w[cells == c].sum())) for c in sorted(set(cells.tolist()))]


def pack_data(session: Session, view: Any, k: int = 5) -> PackData:
    """PackData of one publication version, from its frozen frame and inputs."""
    wave = session.get(Wave, view.wave_id)
    frame = publications.frame(session, view)
    data = frame.data
    if data.design is None or data.n == 0:
        raise PackError("Phiên bản này không có người trả lời: không có gói tái lập.")
    content = session.get(QuestionnaireVersion, wave.questionnaire_version_id).content
    registry = view.inputs.get("registry") or {}
    agency_code = {int(r[0]): str(r[1]) for r in registry.get("agencies") or []}
    point_code = {int(r[0]): str(r[1]) for r in registry.get("service_points") or []}
    design = design_columns(data, view.inputs, agency_code)
    domains = {
        "agency": np.array([agency_code.get(int(a), str(a)) for a in data.agency_id.tolist()], dtype=object),
        "sector": np.array([str(s) for s in data.sector_code.tolist()], dtype=object),
        "service_point": np.array(
            ["" if p is None else point_code.get(int(p), str(p)) for p in data.service_point_id.tolist()], dtype=object
        ),
    }
    variables = pack_answers.variables(content)
    answers = pack_answers.read(session, content, variables, np.asarray(data.response_ids, dtype=np.int64))
    for j, item in enumerate(data.items):  # the index answers exactly as frozen
        answers[pack_answers.safe_name(item)] = np.asarray(data.answers[:, j], dtype=float)
    answers, suppressed = pack_answers.protect_profile(content, variables, answers, domains, k)
    table = view.table
    tree = {
        "items": list(table.items),
        "elements": {e: list(v) for e, v in table.elements.items()},
        "parts": {p: list(v) for p, v in table.parts.items()},
        "satisfied": {i: [int(c) for c in s] for i, s in zip(data.items, data.satisfied)},
        "valid": {i: [int(c) for c in s] for i, s in zip(data.items, data.valid)},
    }
    settings = {k_: v for k_, v in dict(table.settings).items() if isinstance(v, (str, int, float, bool))}
    settings.setdefault("method", "logit")
    settings.setdefault("level", 0.95)
    settings["lonely_psu"] = data.design._lonely
    meta = {
        "wave": wave.code,
        "wave_name": wave.name,
        "period_start": wave.period_start.isoformat(),
        "period_end": wave.period_end.isoformat(),
        "kind": str(view.kind),
        "version": view.version,
        "published_at": view.published_at.isoformat(timespec="seconds"),
        "method_version": view.method_version,
        "code_version": view.code_version,
        "content_hash": view.content_hash,
        "instrument": content.get("instrument", ""),
        "questionnaire_version": content.get("version", ""),
        "respondents": data.n,
        "collapsed_strata": view.collapsed_strata,
        "merged_strata": list(((view.inputs.get("weighting") or {}).get("collapse") or {}).get("merged") or []),
        "k": k,
    }
    labels = {
        c: tuple(table.labels.get(c, (c, c)))
        for c in list(tree["items"]) + list(tree["elements"]) + list(tree["parts"])
    }
    return PackData(
        meta,
        settings,
        design,
        domains,
        answers,
        variables,
        cell_totals(design, view.inputs),
        tree,
        labels,
        published_rows(table),
        content,
        suppressed,
    )


def filename(data: PackData) -> str:
    """The download's file name."""
    return "hailong-pack-%s-v%s.zip" % (pack_answers.safe_name(str(data.meta["wave"])), data.meta["version"])


def build(data: PackData, progress: Any = None) -> bytes:
    """The pack as ZIP bytes (deterministic for the same data: fixed member order and dates); progress(name)
    after each member file is made."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in pack_files.members(data, progress):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, body)
    return buf.getvalue()
