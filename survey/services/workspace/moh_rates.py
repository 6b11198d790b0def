"""The Ministry of Health's own way of stating satisfaction, beside the platform's index (docs/indicators.md
"Public health and education").

The platform's index is the mean of item shares (item = share of its valid answers that are 4 or 5;
element = mean of its items; the part = mean of its elements), so every element weighs the same whatever
its number of items. The MoH's reports under QĐ 3869/QĐ-BYT count answers instead:

- "tỷ lệ hài lòng chung": the answers 4 or 5 among all valid answers of the form, pooled over every item
  (an element with 11 items weighs 11/36 of it, one with 5 weighs 5/36), counted over the forms without
  sampling weights (`pooled_unweighted`); we also give it weighted, with its CI (`pooled`, a ratio of
  totals, svyratio);
- "điểm trung bình" per section: the mean answer code (1–5) of the section's valid answers (`mean_scores`,
  weighted ratios);
- where the form has an overall question on the scale (the education forms' OVR1), the share of
  respondents whose overall answer is 4 or 5 (`overall_share`, weighted proportion).

The health forms have no overall question on the scale (G1 is a percent of expectations), so their
`overall_share` is None.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis import Estimate
from analysis.wave import WaveData
from survey.services.questionnaires.bank import iter_questions, scale_for


@dataclass(frozen=True)
class MohRates:
    """The MoH-style rates of one domain (percent; mean scores on the 1–5 scale)."""

    pooled: Estimate                  # weighted Σ answers 4–5 / Σ valid answers, percent
    pooled_unweighted: float          # the same counted over the forms (what a tally of the forms gives)
    answers: int                      # valid answers counted
    overall_share: Estimate | None = None   # respondents with the overall answer 4–5, percent
    mean_scores: dict = field(default_factory=dict)  # {element: Estimate on 1–5}


def _percent(e: Estimate) -> Estimate:
    return Estimate(100 * e.value, 100 * e.se, 100 * e.ci_low, 100 * e.ci_high, e.df, e.n)


def _counts(data: WaveData, columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per respondent over `columns`: (satisfied answers, valid answers, sum of valid codes)."""
    sat, val, codes = np.zeros(data.n), np.zeros(data.n), np.zeros(data.n)
    for j in columns:
        a = data.answers[:, j]
        ok = np.isin(a, list(data.valid[j]))
        val += ok
        sat += np.isin(a, list(data.satisfied[j])) & ok
        codes += np.where(ok, a, 0.0)
    return sat, val, codes


def _overall(data: WaveData, content: dict) -> np.ndarray | None:
    """1 / 0 / NaN per respondent: the overall question answered 4–5 / otherwise on the scale / not."""
    code = content.get("overall_item")
    question = next((q for q in iter_questions(content) if q["code"] == code), None) if code else None
    scale = scale_for(content, question) if question else None
    if scale is None or data.overall_answer is None:
        return None
    a = data.overall_answer
    valid = np.isin(a, [c["code"] for c in scale["codes"]])
    return np.where(valid, np.isin(a, list(scale.get("satisfied") or (4, 5))).astype(float), np.nan)


def rates(data: WaveData, content: dict, method: str = "logit", level: float = 0.95) -> tuple:
    """(MohRates of the whole wave, {facility agency id: MohRates}); (None, {}) without answers."""
    d = data.design
    if d is None or data.answers is None or not data.items:
        return None, {}
    sat, val, codes = _counts(data, range(len(data.items)))
    overall = _overall(data, content)
    pooled = d.ratio(sat, val, level=level)
    by = data.agency_id
    pooled_by = d.ratio(sat, val, by=by, level=level)
    share = d.proportion(overall, method=method, level=level) if overall is not None else None
    share_by = d.proportion(overall, by=by, method=method, level=level) if overall is not None else {}
    scores = {}
    for name, columns in data.structure["elements"].items():
        _s, v, c = _counts(data, columns)
        scores[name] = d.ratio(c, v, level=level)
    counted = lambda mask: (float(100 * sat[mask].sum() / val[mask].sum()) if val[mask].sum() else float("nan"))  # noqa: E731
    whole = MohRates(_percent(pooled), counted(np.ones(data.n, dtype=bool)), int(val.sum()),
                     _percent(share) if share is not None else None, scores)
    per = {}
    for key, est in pooled_by.items():
        mask = by == key
        per[key] = MohRates(_percent(est), counted(mask), int(val[mask].sum()),
                            _percent(share_by[key]) if key in share_by else None)
    return whole, per
