"""Internal consistency of an element's items: Cronbach's alpha with Feldt's interval."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats


def cronbach_alpha(items: Any, level: float = 0.95) -> tuple[float, float, float]:
    """Cronbach's alpha of an n × k matrix of item scores, with Feldt's (1965) interval.

    α = k/(k−1)·(1 − Σ var(item) / var(sum)), sample variances (ddof = 1) over the rows that
    answered every item (listwise deletion; NaN = no answer).  Feldt: (1 − α)/(1 − α̂) follows
    F(n − 1, (n − 1)(k − 1)), so the interval is 1 − (1 − α̂)·F quantiles (as psych::alpha.ci).
    Fewer than 2 complete rows, or no variance in the sum, give (nan, nan, nan).
    """
    x = np.asarray(items, dtype=float)
    if x.ndim != 2:
        raise ValueError("cronbach_alpha needs an n × k matrix of item scores")
    k = x.shape[1]
    if k < 2:
        raise ValueError("cronbach_alpha needs at least 2 items (got %d)" % k)
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    x = x[~np.isnan(x).any(axis=1)]
    n = x.shape[0]
    if n < 2:
        return (math.nan, math.nan, math.nan)
    total_var = float(np.var(x.sum(axis=1), ddof=1))
    if total_var <= 0:
        return (math.nan, math.nan, math.nan)
    alpha = k / (k - 1) * (1 - float(np.var(x, axis=0, ddof=1).sum()) / total_var)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    lo = 1 - (1 - alpha) * float(stats.f.ppf(1 - tail, df1, df2))
    hi = 1 - (1 - alpha) * float(stats.f.ppf(tail, df1, df2))
    return (alpha, lo, hi)
