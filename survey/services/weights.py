"""A wave's weights and design: base 1/π → nonresponse adjustment within strata → collapse of strata
with one respondent → post-stratification to the collapsed agency × sector cells (unit × event type for
hospital and school waves stratified so), totalled over the wave's frame only.

Called by survey.services.results.wave_data with the respondent columns it read (see there for the
order of `col`); docs/methodology.md §5 states the method.  The `weighting` it returns is a tuple of
StratumWeighting rows that also carries `.collapse` (CollapseFacts: which strata and cells were
merged, the collapsed fpc counts and calibration totals, by stratum and cell key), so publications
and microdata can state and reproduce the design.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from analysis.wave import StratumWeighting
from analysis.weighting import design_for_wave
from survey.models import Agency, Invitation, Wave
from survey.services.common.periods import period_bounds
from survey.services.sampling import frames
from survey.services.sampling.strata import count_by_cell


@dataclass(frozen=True)
class CollapseFacts:
    """What the singleton rule (methodology §5) did, by stratum key and cell key ("AGENCY|sector")."""

    strata: dict   # stratum key → collapsed stratum key (every stratum with respondents)
    cells: dict    # cell key → collapsed cell key (the post-stratification cell)
    fpc: dict      # collapsed stratum key → its population count for the fpc (None: no fpc)
    totals: dict   # collapsed cell key → its calibration total
    merged: tuple  # stratum keys merged with a neighbour because they had one respondent
    lonely: tuple  # stratum keys left alone with one respondent (nothing to merge with)

    @property
    def n_collapsed(self) -> int:
        """How many strata were merged with a neighbour."""
        return len(self.merged)


class Weighting(tuple):
    """The per-stratum StratumWeighting rows, with `.collapse` (CollapseFacts)."""

    collapse: CollapseFacts

    def __new__(cls, rows, collapse: CollapseFacts) -> Weighting:
        obj = super().__new__(cls, rows)
        obj.collapse = collapse
        return obj


def wave_design(session: Session, wave: Wave, strata: dict, col: list) -> tuple:
    """Nonresponse-adjusted, collapsed, post-stratified design; per-stratum weighting facts; notes."""
    invited = {r[0]: (int(r[1]), float(r[2] or 0.0)) for r in session.execute(
        select(Invitation.stratum_id, func.count(), func.sum(1.0 / Invitation.pi))
        .where(Invitation.wave_id == wave.id).group_by(Invitation.stratum_id))}
    agency, sector = np.array(col[3], dtype=np.int64), np.array(col[8], dtype=np.int64)
    sid = np.array([-1 if v is None else v for v in col[1]], dtype=np.int64)
    frame = frames.frame_of(wave.design)
    bounds = period_bounds(wave.period_start, wave.period_end, (wave.design or {}).get("timezone"))
    if (wave.design or {}).get("scheme") == frames.EVENT_SCHEME:
        cell, pair, code, totals, missing = _event_cells(session, strata, sid, agency, sector, frame, bounds)
    else:
        cell, pair, code, totals, missing = _dossier_cells(session, col, sid, agency, sector, frame, bounds)
    # Stratum of each respondent (an invitation without stratum: its own cell, coded negative).
    sid = np.where(sid >= 0, sid, -1 - cell)
    names = _agency_keys(session, {a for a, _ in pair.values()})
    keys = {c: (names.get(a, ("", str(a))), code[c]) for c, (a, _) in pair.items()}
    d, report = design_for_wave(1.0 / np.array(col[2], dtype=float), sid,
                                {k: v[1] for k, v in invited.items()},
                                {k: s.population for k, s in strata.items()}, cell, totals, keys=keys)
    facts = _facts(report, strata, pair, code, names)
    weighting = Weighting((StratumWeighting(
        st.key, st.pi, st.population, invited.get(st.id, (0, 0.0))[0], report.respondents.get(st.id, 0),
        report.respondents.get(st.id, 0) / invited[st.id][0] if invited.get(st.id, (0,))[0] else math.nan,
        report.factors.get(st.id, math.nan)) for st in sorted(strata.values(), key=lambda st: st.key)), facts)
    notes = []
    if facts.merged:
        notes.append("%d tầng chỉ có một người trả lời được gộp với tầng lân cận (cùng cơ quan, lĩnh vực gần "
                      "nhất; nếu không có thì cùng lĩnh vực, cơ quan gần nhất): phương sai và hậu phân tầng "
                      "tính trên tầng gộp." % facts.n_collapsed)
    if facts.lonely:
        notes.append("%d tầng chỉ có một người trả lời và không có tầng nào để gộp: sai số chuẩn ở đó không "
                     "ước lượng được." % len(facts.lonely))
    extra = _extra_cells(report, sid, cell)
    if extra:
        notes.append("%d ô cơ quan × lĩnh vực chỉ có một người trả lời được gộp với ô lân cận cùng tầng khi "
                     "hậu phân tầng." % extra)
    if report.no_fpc:
        notes.append("%d tầng chưa có số hồ sơ hợp lệ: không hiệu chỉnh quần thể hữu hạn (fpc) ở các tầng đó."
                     % len(report.no_fpc))
    if report.kept_cells:  # respondents but no dossier in the period (e.g. not yet imported)
        notes.append("%d ô cơ quan × lĩnh vực có người trả lời nhưng không có hồ sơ trong kỳ: giữ nguyên "
                     "trọng số." % len(report.kept_cells))
    if missing:
        notes.append("%d ô cơ quan × lĩnh vực (%d hồ sơ) không có người trả lời: không được đại diện."
                     % (len(missing), sum(missing.values())))
    return d, weighting, tuple(notes)


def _dossier_cells(session: Session, col: list, sid: np.ndarray, agency: np.ndarray, sector: np.ndarray,
                   frame: dict, bounds: tuple) -> tuple:
    """Post-stratification cells agency × sector, with the frame's counts as their totals.

    Returns (cell per respondent, {cell: (agency id, sector id)}, {cell: sector code}, {cell: total},
    {cell with events but no respondent: count}).
    """
    cell = agency * (int(sector.max()) + 1) + sector  # agency × sector as one integer
    counts = count_by_cell(session, "agency_sector", *bounds, frame)
    pair = {int(c): (int(a), int(s)) for c, a, s in zip(cell.tolist(), agency.tolist(), sector.tolist())}
    code = dict(zip(cell.tolist(), col[4]))  # sector code of each cell
    present = set(pair.values())
    missing = {c: v for c, v in counts.items() if c not in present and v > 0}
    return cell, pair, code, {c: counts.get(p, 0) for c, p in pair.items()}, missing


def _event_cells(session: Session, strata: dict, sid: np.ndarray, agency: np.ndarray, sector: np.ndarray,
                 frame: dict, bounds: tuple) -> tuple:
    """Post-stratification cells of a hospital or school wave: the strata themselves, unit × event type,
    with the frame's event counts as totals (agency × sector would pool inpatients with outpatients).

    Returns what _dossier_cells does, the code of a cell being its event type.
    """
    type_of = {h: st.key.rsplit("|", 1)[-1] for h, st in strata.items()}
    kinds = sorted(set(type_of.values()) | {"*"})
    index = {t: k for k, t in enumerate(kinds)}
    event = [type_of.get(int(h), "*") for h in sid.tolist()]
    cell = agency * len(kinds) + np.array([index[t] for t in event], dtype=np.int64)
    pair = {int(c): (int(a), int(s)) for c, a, s in zip(cell.tolist(), agency.tolist(), sector.tolist())}
    code = dict(zip(cell.tolist(), event))
    counts: dict[tuple, int] = {}
    for (a, _s, t), n in count_by_cell(session, frames.EVENT_SCHEME, *bounds, frame).items():
        counts[(a, t or "*")] = counts.get((a, t or "*"), 0) + n
    totals = {c: counts.get((a, code[c]), 0) for c, (a, _s) in pair.items()}
    present = {(a, code[c]) for c, (a, _s) in pair.items()}
    missing = {k: v for k, v in counts.items() if k not in present and v > 0}
    return cell, pair, code, totals, missing


def _agency_keys(session: Session, ids: set) -> dict:
    """{agency id: (parent code, code)}: the neighbour order puts sibling agencies next to each other."""
    parent = aliased(Agency)
    rows = session.execute(select(Agency.id, parent.code, Agency.code).outerjoin(parent, parent.id == Agency.parent_id)
                           .where(Agency.id.in_(ids))).all() if ids else []
    return {r[0]: (r[1] or "", r[2]) for r in rows}


def _facts(report, strata: dict, pair: dict, code: dict, names: dict) -> CollapseFacts:
    """The collapse of the report keyed by stratum keys and "AGENCY|sector" cell keys."""
    def skey(h: int) -> str:
        if h >= 0:
            return strata[h].key if h in strata else "?%d" % h
        return "?|%s|%s" % (pair[-1 - h][0], code[-1 - h])

    def ckey(c: int) -> str:
        return "%s|%s" % (names.get(pair[c][0], ("", str(pair[c][0])))[1], code[c])

    col = report.collapse
    return CollapseFacts({skey(h): skey(g) for h, g in col.strata.items()},
                         {ckey(c): ckey(g) for c, g in col.cells.items()},
                         {skey(g): (int(v) if v is not None else None) for g, v in report.stratum_population.items()},
                         {ckey(c): float(v) for c, v in report.cell_population.items()},
                         tuple(sorted(skey(h) for h in col.merged)), tuple(sorted(skey(h) for h in col.lonely)))


def _extra_cells(report, sid: np.ndarray, cell: np.ndarray) -> int:
    """Cells merged inside a stratum that itself was not merged (schemes coarser than agency × sector)."""
    merged = set(report.collapse.merged)
    of_merged = set(cell[np.isin(sid, list(merged))].tolist()) if merged else set()
    return len(set(report.collapse.merged_cells) - of_merged)
