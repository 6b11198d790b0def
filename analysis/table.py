"""A table of index cells for reports: each domain's indices with its target, status, flags and rank.

Pure data handling on top of analysis.compare (no database): survey/services/results.py fills it
from a wave, the dashboard and the PDF report read it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from analysis.compare import rank, small_cell, target_status
from analysis.estimate import NAN_ESTIMATE, Estimate
from analysis.index import IndexResult


@dataclass(frozen=True)
class TargetRef:
    """A target (percent) with where it comes from."""

    value: float
    year: int
    scope: str
    sector_code: str = ""
    label_vi: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class Cell:
    """One domain: its indices (percent), target, status of the overall index, flags and rank."""

    key: Any
    code: str
    label_vi: str
    label_en: str
    index: IndexResult
    target: TargetRef | None = None
    status: str | None = None      # meets | below | not_distinguishable; None without a target
    flags: tuple = ()              # small-cell reasons: few_answers, high_rse, no_interval
    rank: int | None = None        # within its grouping; None for flagged cells

    @property
    def est(self) -> Estimate:
        """The overall (SIPAS) index of the cell."""
        return self.index.overall


def judge(results: Mapping, target_of: Callable[[Any], TargetRef | None],
          label_of: Callable[[Any], tuple], min_n: int = 30, max_rse: float = 0.3,
          ranked: bool = True) -> dict:
    """{key: Cell} from {key: IndexResult}: status against target_of(key), flags, ranks.

    label_of(key) gives (code, label_vi, label_en).  Ranks: descending overall index among the
    cells that are not flagged (ties share a rank).
    """
    cells = {}
    for key, res in results.items():
        target = target_of(key)
        est = res.overall
        cells[key] = Cell(key, *label_of(key), res, target,
                          target_status(est, target.value) if target is not None else None,
                          small_cell(est, min_n, max_rse).reasons)
    if ranked:
        ranks = rank({k: c.est for k, c in cells.items()}, min_n, max_rse)
        cells = {k: replace(c, rank=ranks.get(k)) for k, c in cells.items()}
    return cells


def targets_in_force(rows: Iterable, year: int) -> dict:
    """{(scope, sector_code): TargetRef} for `year` from TargetRef rows: the latest target of a
    year ≤ `year` (the milestone in force, e.g. 2025's for 2026), else the earliest later one."""
    out: dict = {}
    for t in sorted(rows, key=lambda t: t.year):
        key = (t.scope, t.sector_code)
        held = out.get(key)
        if held is None or (t.year <= year and (held.year > year or t.year > held.year)):
            out[key] = t
    return out


def empty_result(items: Iterable, elements: Iterable, parts: Iterable) -> IndexResult:
    """An IndexResult with every estimate NaN and n = 0 (a domain without respondents)."""
    return IndexResult({k: NAN_ESTIMATE for k in items}, {k: NAN_ESTIMATE for k in elements},
                       {k: NAN_ESTIMATE for k in parts}, NAN_ESTIMATE)

