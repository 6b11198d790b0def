"""A wave's weights and design: base 1/π → nonresponse adjustment within strata → post-stratification.

Called by survey.services.results.wave_data with the respondent columns it read (see there for the
order of `col`); docs/methodology.md §5 states the method.
"""
from __future__ import annotations

import math

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.wave import StratumWeighting
from analysis.weighting import design_for_wave
from survey.models import Invitation, Wave
from survey.services.common.periods import period_bounds
from survey.services.sampling.strata import count_by_cell


def wave_design(session: Session, wave: Wave, strata: dict, col: list) -> tuple:
    """Nonresponse-adjusted, post-stratified design; per-stratum weighting facts; notes."""
    invited = {r[0]: (int(r[1]), float(r[2] or 0.0)) for r in session.execute(
        select(Invitation.stratum_id, func.count(), func.sum(1.0 / Invitation.pi))
        .where(Invitation.wave_id == wave.id).group_by(Invitation.stratum_id))}
    agency, sector = np.array(col[3], dtype=np.int64), np.array(col[8], dtype=np.int64)
    cell = agency * (int(sector.max()) + 1) + sector  # agency × sector as one integer
    # Stratum of each respondent (an invitation without stratum: its own cell, coded negative).
    sid = np.array([-1 if v is None else v for v in col[1]], dtype=np.int64)
    sid = np.where(sid >= 0, sid, -1 - cell)
    counts = count_by_cell(session, "agency_sector",
                           *period_bounds(wave.period_start, wave.period_end, (wave.design or {}).get("timezone")))
    pair = {int(c): (int(a), int(s)) for c, a, s in zip(cell.tolist(), agency.tolist(), sector.tolist())}
    d, report = design_for_wave(1.0 / np.array(col[2], dtype=float), sid,
                                {k: v[1] for k, v in invited.items()},
                                {k: s.population for k, s in strata.items()}, cell,
                                {c: counts.get(p, 0) for c, p in pair.items()})
    weighting = tuple(StratumWeighting(
        st.key, st.pi, st.population, invited.get(st.id, (0, 0.0))[0], report.respondents.get(st.id, 0),
        report.respondents.get(st.id, 0) / invited[st.id][0] if invited.get(st.id, (0,))[0] else math.nan,
        report.factors.get(st.id, math.nan)) for st in sorted(strata.values(), key=lambda st: st.key))
    notes = []
    if report.no_fpc:
        notes.append("%d tầng chưa có số hồ sơ hợp lệ: không hiệu chỉnh quần thể hữu hạn (fpc) ở các tầng đó."
                     % len(report.no_fpc))
    if report.kept_cells:  # respondents but no dossier in the period (e.g. not yet imported)
        notes.append("%d ô cơ quan × lĩnh vực có người trả lời nhưng không có hồ sơ trong kỳ: giữ nguyên "
                     "trọng số." % len(report.kept_cells))
    missing = {c: v for c, v in counts.items() if c not in set(pair.values()) and v > 0}
    if missing:
        notes.append("%d ô cơ quan × lĩnh vực (%d hồ sơ) không có người trả lời: không được đại diện."
                     % (len(missing), sum(missing.values())))
    return d, weighting, tuple(notes)
