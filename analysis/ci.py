"""Confidence intervals: t(df) Wald intervals and the proportion methods of R's svyciprop + Wilson.

Every function is vectorised over numpy arrays (an index table has thousands of cells).
Conventions (docs/methodology.md §5):

- df < 1 (or NaN) → the interval is undefined (NaN), as qt(·, 0) is NaN in R.
- p̂ exactly 0 or 1 has a linearised variance of 0 whatever the sample size; rather than a
  zero-width interval every method then returns the Clopper–Pearson interval for the n valid
  answers (the Korn–Graubard interval with effective n = n).
- var = 0 with 0 < p̂ < 1 (a fully enumerated domain) gives the zero-width interval [p̂, p̂].
"""
from __future__ import annotations

import numpy as np
from scipy import special

METHODS = ("logit", "beta", "mean", "wilson")


def t_quantile(level: float, df) -> np.ndarray:
    """Two-sided critical value qt(1 − (1 − level)/2, df); NaN where df < 1."""
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1, got %r" % (level,))
    df = np.asarray(df, dtype=float)
    ok = np.isfinite(df) & (df >= 1) | np.isposinf(df)
    out = np.full(df.shape, np.nan)
    out[ok] = special.stdtrit(df[ok], 1 - (1 - level) / 2)
    return out


def wald(value, se, df, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """value ± t(df)·se (R: confint(stat, df = df))."""
    value = np.asarray(value, dtype=float)
    half = t_quantile(level, df) * np.asarray(se, dtype=float)
    return value - half, value + half


def proportion_interval(p, se, df, n, method: str = "logit", level: float = 0.95,
                        n_rows=None) -> tuple[np.ndarray, np.ndarray]:
    """Interval for a proportion p ∈ [0, 1] with linearised se, design df and n valid answers.

    n_rows (default n): the rows of the design R's svyciprop(method = "beta") sees, whose
    nrow(design) − 1 enters the Korn–Graubard df adjustment — every row of a calibrated design
    (R's subset of one keeps all rows), the domain's answering rows otherwise."""
    if method not in METHODS:
        raise ValueError("method must be one of %s, got %r" % (", ".join(METHODS), method))
    n_rows = n if n_rows is None else n_rows
    p, se, df, n, n_rows = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (p, se, df, n, n_rows)))
    p, se, df, n, n_rows = p.copy(), se.copy(), df.copy(), n.copy(), n_rows.copy()
    c = t_quantile(level, df)
    var = se * se
    edge = (p == 0) | (p == 1)
    inner = ~edge & (p > 0) & (p < 1)
    lo = np.full(p.shape, np.nan)
    hi = np.full(p.shape, np.nan)
    if method == "mean":
        lo[inner], hi[inner] = p[inner] - c[inner] * se[inner], p[inner] + c[inner] * se[inner]
    elif method == "logit":
        with np.errstate(divide="ignore", invalid="ignore"):
            eta = special.logit(p[inner])
            half = c[inner] * se[inner] / (p[inner] * (1 - p[inner]))
        lo[inner], hi[inner] = special.expit(eta - half), special.expit(eta + half)
    elif method == "wilson":
        with np.errstate(divide="ignore", invalid="ignore"):
            n_eff = np.where(var[inner] > 0, p[inner] * (1 - p[inner]) / var[inner], np.inf)
        lo[inner], hi[inner] = _wilson(p[inner], n_eff, c[inner])
    else:
        lo[inner], hi[inner] = _korn_graubard(p[inner], var[inner], df[inner], n_rows[inner], level)
    # p̂ ∈ {0, 1}: Clopper–Pearson for the n valid answers (Wilson uses its own n-based form).
    if method == "wilson":
        lo[edge], hi[edge] = _wilson(p[edge], n[edge], c[edge])
    else:
        lo[edge], hi[edge] = _clopper_pearson(p[edge], n[edge], level)
    undefined = ~np.isfinite(c) | ~np.isfinite(p) | ~np.isfinite(se)
    lo[undefined] = np.nan
    hi[undefined] = np.nan
    return lo, hi


def _wilson(p, n_eff, c):
    """Wilson score interval with effective sample size n_eff and critical value c."""
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(np.isinf(n_eff), 0.0, c * c / n_eff)
        centre = (p + k / 2) / (1 + k)
        half = c / (1 + k) * np.sqrt(np.where(np.isinf(n_eff), 0.0, p * (1 - p) / n_eff)
                                     + np.where(np.isinf(n_eff), 0.0, k / (4 * n_eff)))
    return np.maximum(centre - half, 0.0), np.minimum(centre + half, 1.0)


def _korn_graubard(p, var, df, n, level):
    """R svyciprop(method = "beta"): beta quantiles at a df-adjusted effective sample size."""
    alpha = 1 - level
    lo = np.full(p.shape, np.nan)
    hi = np.full(p.shape, np.nan)
    exact = var == 0  # fully enumerated domain: no sampling error
    lo[exact], hi[exact] = p[exact], p[exact]
    s = ~exact
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p[s] * (1 - p[s]) / var[s]
        ratio = special.stdtrit(n[s] - 1, alpha / 2) / special.stdtrit(df[s], alpha / 2)
        n_eff = n_eff * ratio * ratio
        lo[s] = special.betaincinv(n_eff * p[s], n_eff * (1 - p[s]) + 1, alpha / 2)
        hi[s] = special.betaincinv(n_eff * p[s] + 1, n_eff * (1 - p[s]), 1 - alpha / 2)
    return lo, hi


def _clopper_pearson(p, n, level):
    """Exact binomial interval for x = n·p successes out of n (p ∈ {0, 1} here)."""
    alpha = 1 - level
    lo = np.full(p.shape, np.nan)
    hi = np.full(p.shape, np.nan)
    ok = n >= 1
    x = np.rint(p * n)
    with np.errstate(invalid="ignore"):
        lo_v = np.where(x > 0, special.betaincinv(np.maximum(x, 1e-300), n - x + 1, alpha / 2), 0.0)
        hi_v = np.where(x < n, special.betaincinv(x + 1, np.maximum(n - x, 1e-300), 1 - alpha / 2), 1.0)
    lo[ok], hi[ok] = lo_v[ok], hi_v[ok]
    return lo, hi
