"""Reading estimates against targets and each other: target status, change between periods,
small-cell flags, ranking, and element importance for a priority (importance–performance) matrix.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.ci import wald
from analysis.design import Design
from analysis.estimate import Estimate
from analysis.index import Structure

MEETS, BELOW, NOT_DISTINGUISHABLE = "meets", "below", "not_distinguishable"
QUADRANTS = ("improve", "keep", "low_priority", "overkill")


def target_status(estimate: Estimate, target: float) -> str:
    """"meets" if the CI's lower bound ≥ target, "below" if its upper bound < target, else
    "not_distinguishable" (also when the interval is undefined)."""
    if estimate.ci_low >= target:
        return MEETS
    if estimate.ci_high < target:
        return BELOW
    return NOT_DISTINGUISHABLE


def change(before: Estimate, after: Estimate, level: float = 0.95) -> Estimate:
    """after − before for two independent samples (e.g. two waves).

    se = √(se_a² + se_b²); df = df_a + df_b (the df of the two designs stacked, as R's degf of
    the combined design); t(df) interval; n = the smaller n.
    """
    value = after.value - before.value
    se = math.sqrt(after.se ** 2 + before.se ** 2)
    df = int(after.df + before.df)
    lo, hi = wald(value, se, df, level)
    return Estimate(value, se, float(lo), float(hi), df, min(after.n, before.n))


@dataclass(frozen=True)
class Comparison:
    """A change between two periods and whether it may be called significant.

    reason: "" (compared), "flagged" (either side is a small cell: the change is shown but never
    called significant), "dependent" (overlapping samples: not compared as independent, no change),
    "undefined" (either side has no estimate or no standard error).
    """

    change: Estimate | None
    significant: bool
    direction: str               # "up" | "down" | "" (not significant or not compared)
    reason: str = ""


def compare(before: Estimate | None, after: Estimate | None, min_n: int = 30, max_rse: float = 0.3,
            independent: bool = True, level: float = 0.95) -> Comparison:
    """after − before, called significant only when its CI excludes 0 and neither side is flagged
    (small_cell); samples that are not independent (overlapping periods) are not compared at all."""
    if not independent:
        return Comparison(None, False, "", "dependent")
    if before is None or after is None or not (math.isfinite(before.se) and math.isfinite(after.se)):
        return Comparison(None, False, "", "undefined")
    moved = change(before, after, level)
    if small_cell(before, min_n, max_rse).small or small_cell(after, min_n, max_rse).small:
        return Comparison(moved, False, "", "flagged")
    if moved.ci_low > 0:
        return Comparison(moved, True, "up")
    if moved.ci_high < 0:
        return Comparison(moved, True, "down")
    return Comparison(moved, False, "")


def overlaps(a: tuple, b: tuple) -> bool:
    """Whether two closed periods (start, end) share at least one day (their samples may share dossiers)."""
    return a[0] <= b[1] and b[0] <= a[1]


def pick_periods(periods: Mapping[Hashable, tuple], keep: Hashable, order: Iterable[Hashable]) -> tuple[list, dict]:
    """Choose periods that never overlap: `keep` always, then the others in `order` (most preferred first,
    e.g. latest published), each only when it overlaps none chosen so far.

    periods: {key: (start, end)}. Returns (chosen keys sorted by start, {left-out key: the chosen key it
    overlaps}).
    """
    chosen = [keep]
    left: dict = {}
    for key in order:
        if key == keep:
            continue
        clash = next((c for c in chosen if overlaps(periods[key], periods[c])), None)
        if clash is None:
            chosen.append(key)
        else:
            left[key] = clash
    return sorted(chosen, key=lambda k: periods[k]), left


@dataclass(frozen=True)
class CellFlags:
    """Why a cell should be shown but not ranked or compared (empty tuple = fine)."""

    few_answers: bool
    high_rse: bool
    no_interval: bool

    @property
    def small(self) -> bool:
        """True when any flag is set."""
        return self.few_answers or self.high_rse or self.no_interval

    @property
    def reasons(self) -> tuple:
        """Flag names that are set, e.g. ("few_answers",)."""
        return tuple(name for name in ("few_answers", "high_rse", "no_interval") if getattr(self, name))


def small_cell(estimate: Estimate, min_n: int = 30, max_rse: float = 0.3) -> CellFlags:
    """Flags: n < min_n, relative SE > max_rse (or undefined), or no confidence interval."""
    rse = estimate.rse
    return CellFlags(few_answers=estimate.n < min_n,
                     high_rse=not (math.isfinite(rse) and rse <= max_rse),
                     no_interval=not estimate.has_interval)


def rank(estimates: Mapping[Hashable, Estimate], min_n: int = 30,
         max_rse: float = 0.3) -> dict:
    """Rank (1 = highest value, ties share a rank) of the cells that are not small; others None."""
    ok = {k: e.value for k, e in estimates.items()
          if not small_cell(e, min_n, max_rse).small and math.isfinite(e.value)}
    order = sorted(ok.values(), reverse=True)
    first = {}
    for position, value in enumerate(order, start=1):
        first.setdefault(value, position)
    return {k: (first[ok[k]] if k in ok else None) for k in estimates}


def priority_quadrant(importance: Mapping[Hashable, float],
                      performance: Mapping[Hashable, float]) -> dict:
    """Quadrant of each element split at the means of importance and performance:
    improve (high importance, low performance), keep (high, high), low_priority (low, low),
    overkill (low importance, high performance).  Elements with a missing value get None."""
    keys = [k for k in importance if k in performance
            and math.isfinite(importance[k]) and math.isfinite(performance[k])]
    out: dict = {k: None for k in importance}
    if not keys:
        return out
    mi = sum(importance[k] for k in keys) / len(keys)
    mp = sum(performance[k] for k in keys) / len(keys)
    for k in keys:
        high_i, high_p = importance[k] >= mi, performance[k] >= mp
        out[k] = ("keep" if high_p else "improve") if high_i else ("overkill" if high_p else "low_priority")
    return out


def element_importance(d: Design, answers: Any, structure: Mapping, overall: Any = None,
                       satisfied: Iterable = (4, 5), level: float = 0.95) -> dict:
    """Importance of each element for overall satisfaction: {element: Estimate of a correlation}.

    For every respondent x = share of satisfied answers among the element's answered items and
    y = 1 if the overall-satisfaction answer `overall` (codes) is satisfied, else 0 — or, with
    no overall item, the share of satisfied answers over all *other* elements' items.  The
    value is the design-weighted Pearson correlation of x and y over respondents with both
    (R: cov2cor(svyvar(~x + y, design, na.rm = TRUE))), with a linearised se and t(df) CI.
    """
    a = np.asarray(answers, dtype=float)
    st = Structure.parse(structure, a.shape[1])
    sat = np.isin(a, np.asarray(list(satisfied), dtype=float))
    answered = ~np.isnan(a)
    overall_y = None
    if overall is not None:
        o = np.asarray(overall, dtype=float).reshape(-1)
        overall_y = np.where(np.isnan(o), np.nan, np.isin(o, list(satisfied)).astype(float))
    out = {}
    for name, cols in st.elements.items():
        x = _share(sat, answered, list(cols))
        if overall_y is None:
            others = [c for c in st.columns if c not in cols]
            y = _share(sat, answered, others) if others else np.full(d.n, np.nan)
        else:
            y = overall_y
        out[name] = correlation(d, x, y, level)
    return out


def _share(sat: np.ndarray, answered: np.ndarray, cols: list) -> np.ndarray:
    """Per row: satisfied answers / answered items among cols (NaN when none answered)."""
    n_ans = answered[:, cols].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_ans > 0, (sat[:, cols] & answered[:, cols]).sum(axis=1) / n_ans, np.nan)


def correlation(d: Design, x: Any, y: Any, level: float = 0.95) -> Estimate:
    """Design-weighted Pearson correlation with a linearised standard error (rows with both)."""
    x = np.asarray(x, dtype=float).reshape(-1)
    y = np.asarray(y, dtype=float).reshape(-1)
    ok = ~(np.isnan(x) | np.isnan(y))
    w = np.where(ok, d.weights, 0.0)
    xs, ys = np.where(ok, x, 0.0), np.where(ok, y, 0.0)
    t0 = w.sum()
    n = int((ok & (d.weights > 0)).sum())
    everyone = np.zeros(d.n, dtype=np.int64)  # missing values leave the domain's df unchanged
    df = d.df
    if t0 <= 0:
        return Estimate(math.nan, math.nan, math.nan, math.nan, df, n)
    mx, my = (w * xs).sum() / t0, (w * ys).sum() / t0
    dx, dy = np.where(ok, xs - mx, 0.0), np.where(ok, ys - my, 0.0)
    sxx, syy, sxy = (w * dx * dx).sum() / t0, (w * dy * dy).sum() / t0, (w * dx * dy).sum() / t0
    if sxx <= 0 or syy <= 0:
        return Estimate(math.nan, math.nan, math.nan, math.nan, df, n)
    r = sxy / math.sqrt(sxx * syy)
    # Influence of r on the total scale: IF(Sxy)/√(SxxSyy) − r/2·(IF(Sxx)/Sxx + IF(Syy)/Syy).
    z = w / t0 * ((dx * dy - sxy) / math.sqrt(sxx * syy)
                  - r / 2 * ((dx * dx - sxx) / sxx + (dy * dy - syy) / syy))
    var, dfs = d.linearized_variance(z[None, :], everyone, 1)
    se = math.sqrt(max(float(var[0, 0]), 0.0))
    lo, hi = wald(r, se, dfs[0], level)
    return Estimate(float(r), se, float(lo), float(hi), int(dfs[0]), n)
