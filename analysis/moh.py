"""The Ministry of Health's way of stating satisfaction, beside the platform's index, and the frozen shape of a
public health / education wave's extra tables (docs/indicators.md "Public health and education").

The platform's index is the mean of item shares (item = weighted share of its valid answers that are 4 or 5;
element = mean of its items; the part = mean of its elements), so every element weighs the same whatever
its number of items. The MoH's reports under QĐ 3869/QĐ-BYT count answers instead:

- "tỷ lệ hài lòng chung": the answers 4 or 5 among all valid answers of the forms, pooled over every item
  (an element with 11 items weighs 11/36 of it, one with 5 weighs 5/36), counted over the forms without
  sampling weights (`pooled_unweighted`); here also weighted, with its CI (`pooled`: a ratio of totals,
  R's svyratio(~sat, ~valid));
- "điểm trung bình" per section: the mean answer code (1–5) of the section's valid answers (`mean_scores`,
  weighted ratios svyratio(~sum of codes, ~valid answers));
- where the form has an overall question on the scale (the education forms' OVR1), the share of
  respondents whose overall answer is 4 or 5 (`overall_share`, svyciprop).
Pure numpy over an analysis.Design (no Flask, no database).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.design import Design
from analysis.estimate import Estimate


@dataclass(frozen=True)
class MohRates:
    """The MoH-style rates of one domain (percent; mean scores on the 1–5 scale)."""

    pooled: Estimate                  # weighted Σ answers 4–5 / Σ valid answers, percent
    pooled_unweighted: float          # the same counted over the forms (what a tally of the forms gives)
    answers: int                      # valid answers counted
    overall_share: Estimate | None = None   # respondents with the overall answer 4–5, percent
    mean_scores: dict = field(default_factory=dict)  # {element: Estimate on 1–5}


@dataclass(frozen=True)
class ServiceTables:
    """A public health / education wave's extra groupings, frozen into its publication.

    service: "health" | "education"; levels {event type: analysis.table.Cell}; areas {area agency id:
    Cell}; area_of {facility agency id: area agency id}; moh: MohRates of the whole wave and
    moh_facilities {facility agency id: MohRates}; residences {commune code: Cell} by the respondent's own
    commune (when the source gave it).
    """

    service: str
    instrument: str
    levels: dict
    areas: dict
    area_of: dict
    moh: MohRates | None = None
    moh_facilities: dict = field(default_factory=dict)
    residences: dict = field(default_factory=dict)  # {official commune code: Cell}: the respondents' own area


def _percent(e: Estimate) -> Estimate:
    return Estimate(100 * e.value, 100 * e.se, 100 * e.ci_low, 100 * e.ci_high, e.df, e.n)


def answer_counts(answers: np.ndarray, columns, satisfied: list, valid: list) -> tuple:
    """Per respondent over `columns`: (satisfied answers, valid answers, sum of the valid codes)."""
    n = answers.shape[0]
    sat, val, codes = np.zeros(n), np.zeros(n), np.zeros(n)
    for j in columns:
        a = answers[:, j]
        ok = np.isin(a, list(valid[j]))
        val += ok
        sat += np.isin(a, list(satisfied[j])) & ok
        codes += np.where(ok, a, 0.0)
    return sat, val, codes


def moh_rates(d: Design, answers: np.ndarray, satisfied: list, valid: list, elements: dict,
              overall: np.ndarray | None = None, by: Any = None, method: str = "logit",
              level: float = 0.95) -> tuple:
    """(MohRates of all rows, {group: MohRates} by `by`, or {} without it).

    answers: n × J codes (NaN = no answer); satisfied / valid: per column, the codes; elements {name:
    columns}; overall: 1 / 0 / NaN per row (the overall question answered 4–5 / otherwise / not), or None.
    """
    sat, val, _codes = answer_counts(answers, range(answers.shape[1]), satisfied, valid)
    # The overall question's respondents are a domain (R: subset(des, !is.na(OVR1))): its df counts only
    # their PSUs, so the non-answers are left out of the groups rather than passed as NaN.
    answered = ~np.isnan(overall) if overall is not None else None
    share = d.proportion(np.nan_to_num(overall), by=np.where(answered, 0, None), method=method,
                         level=level).get(0) if overall is not None else None
    scores = {}
    for name, columns in elements.items():
        _s, v, c = answer_counts(answers, columns, satisfied, valid)
        scores[name] = d.ratio(c, v, level=level)

    def tally(mask: np.ndarray) -> float:
        """The unweighted pooled rate of the rows in `mask` (percent; NaN without valid answers)."""
        total = val[mask].sum()
        return float(100 * sat[mask].sum() / total) if total else float("nan")

    whole = MohRates(_percent(d.ratio(sat, val, level=level)), tally(np.ones(d.n, dtype=bool)), int(val.sum()),
                     _percent(share) if share is not None else None, scores)
    if by is None:
        return whole, {}
    labels = np.asarray(by, dtype=object)
    pooled_by = d.ratio(sat, val, by=labels, level=level)
    share_by = d.proportion(np.nan_to_num(overall), by=np.where(answered, labels, None), method=method,
                            level=level) if overall is not None else {}
    per = {}
    for key, est in pooled_by.items():
        mask = labels == key
        per[key] = MohRates(_percent(est), tally(mask), int(val[mask].sum()),
                            _percent(share_by[key]) if key in share_by else None)
    return whole, per
