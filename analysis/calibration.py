"""Weighting: post-stratification, raking, trimming, nonresponse adjustment, Kish's design effect.

The functions here compute weight factors; `Design.poststratify` / `Design.rake` wrap them and
record each calibration step so the variance can use the residuals of the regression on the
calibration cells, weighted by the weights before calibration (as R's postStratify/calibrate).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from analysis.labels import factorize


def _cell_totals(codes: np.ndarray, labels: list, totals: Mapping, w: np.ndarray,
                 partial: bool, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Sample weight sums and population totals per cell, with R's consistency checks."""
    if (codes < 0).any():
        raise ValueError("%s: %d rows have a missing cell label" % (what, int((codes < 0).sum())))
    if not isinstance(totals, Mapping):
        raise TypeError("%s: totals must be a dict {cell: population count}" % what)
    sample = np.bincount(codes, weights=w, minlength=len(labels))
    pop = np.empty(len(labels))
    unknown = []
    for c, label in enumerate(labels):
        value = totals.get(label)
        if value is None:
            if sample[c] > 0:
                unknown.append(label)
            pop[c] = 0.0
            continue
        value = float(value)
        if not np.isfinite(value) or value < 0:
            raise ValueError("%s: population total of cell %r must be ≥ 0, got %r"
                             % (what, label, totals[label]))
        pop[c] = value
    if unknown:
        raise ValueError("%s: cells in the sample have no population total: %s"
                         % (what, ", ".join(map(repr, unknown[:10]))))
    bad = (pop == 0) & (sample > 0)
    if bad.any():
        raise ValueError("%s: cells with sampled weight but a population total of 0: %s"
                         % (what, ", ".join(repr(labels[c]) for c in np.flatnonzero(bad)[:10])))
    present = set(labels[c] for c in np.flatnonzero(sample > 0))
    absent = [k for k, v in totals.items() if float(v) > 0 and k not in present]
    if absent and not partial:
        raise ValueError("%s: cells with a population total have no sampled weight: %s "
                         "(collapse them, or pass partial=True to ignore them)"
                         % (what, ", ".join(map(repr, absent[:10]))))
    return sample, pop


def poststratify_factors(w: np.ndarray, cells: Any, totals: Mapping,
                         partial: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Cell codes (n,) and factors g_c = N_c / Ŵ_c so that Σ_c w·g = N_c in every cell."""
    codes, labels = factorize(cells, w.shape[0], "cells")
    sample, pop = _cell_totals(codes, labels, totals, w, partial, "poststratify")
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(sample > 0, pop / sample, 1.0)
    return codes, g


def rake_factors(w: np.ndarray, margins: list, tol: float = 1e-10,
                 maxit: int = 1000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iterative proportional fitting to full convergence.

    Returns the codes (n,) of the raking atoms (crossed margin cells present in the sample),
    the model matrix X of the atoms (dummies of every margin, reference coding after the
    first) and the per-atom factors.  Converged means every margin total is matched within
    `tol` relative; otherwise a ValueError is raised (R only warns).
    """
    if not margins:
        raise ValueError("rake: give at least one margin (cells, totals)")
    n = w.shape[0]
    cols, pops, sizes = [], [], []
    grand = None
    for m, item in enumerate(margins):
        try:
            cells, totals = item
        except (TypeError, ValueError):
            raise TypeError("rake: margin %d must be a pair (cells, {cell: total})" % m) from None
        codes, labels = factorize(cells, n, "margin %d cells" % m)
        sample, pop = _cell_totals(codes, labels, totals, w, True, "rake margin %d" % m)
        total = float(sum(float(v) for v in totals.values()))
        if grand is None:
            grand = total
        elif abs(total - grand) > 1e-6 * max(abs(grand), 1.0):
            raise ValueError("rake: margin %d totals sum to %g but margin 0 sums to %g; raking "
                             "needs margins of the same population" % (m, total, grand))
        missing = [labels[c] for c in np.flatnonzero(sample == 0) if pop[c] > 0]
        if missing:
            raise ValueError("rake margin %d: cells with a population total have no sampled "
                             "weight: %s" % (m, ", ".join(map(repr, missing[:10]))))
        cols.append(codes)
        pops.append(pop)
        sizes.append(len(labels))
    stacked = np.stack(cols)
    keys, atoms = np.unique(stacked, axis=1, return_inverse=True)
    atoms = atoms.reshape(-1)
    A = keys.shape[1]
    W = np.bincount(atoms, weights=w, minlength=A)
    f = np.ones(A)
    for _ in range(maxit):
        for m in range(len(margins)):
            cur = np.bincount(keys[m], weights=W * f, minlength=sizes[m])
            with np.errstate(divide="ignore", invalid="ignore"):
                adj = np.where(cur > 0, pops[m] / cur, 1.0)
            f = f * adj[keys[m]]
        worst = 0.0
        for m in range(len(margins)):
            cur = np.bincount(keys[m], weights=W * f, minlength=sizes[m])
            worst = max(worst, float(np.max(np.abs(cur - pops[m])) / max(grand, 1e-300)))
        if worst <= tol:
            break
    else:
        raise ValueError("rake: margins not matched within %g after %d iterations "
                         "(inconsistent margins or empty cells?)" % (tol, maxit))
    X = _rake_matrix(keys, sizes)
    return atoms, X, f


def _rake_matrix(keys: np.ndarray, sizes: list) -> np.ndarray:
    """Dummies of every margin cell for each atom; margins after the first drop one level."""
    A = keys.shape[1]
    blocks = []
    for m, size in enumerate(sizes):
        d = np.zeros((A, size))
        d[np.arange(A), keys[m]] = 1.0
        d = d[:, d.any(axis=0)]
        blocks.append(d if m == 0 else d[:, 1:])
    return np.hstack(blocks)


def trim_weights(w: np.ndarray, lower: float | None = None, upper: float | None = None,
                 strict: bool = False) -> np.ndarray:
    """R's trimWeights: clip to [lower, upper], share the trimmed amount equally among the rest.

    The total weight is kept.  With strict=True the step repeats until no weight is outside
    the bounds (the redistribution can push others over).
    """
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if lo > hi:
        raise ValueError("trim: lower bound %g is above upper bound %g" % (lo, hi))
    w = np.asarray(w, dtype=float).copy()
    for _ in range(1000):
        outside = (w < lo) | (w > hi)
        if not outside.any():
            return w
        if outside.all():
            raise ValueError("trim: every weight is outside [%g, %g]" % (lo, hi))
        clipped = np.clip(w, lo, hi)
        excess = float(np.sum(w - clipped))
        clipped[~outside] += excess / int((~outside).sum())
        w = clipped
        if not strict:
            return w
    raise ValueError("trim: strict trimming did not settle within 1000 rounds")


def adjust_nonresponse(weights: Any, responded: Any, classes: Any) -> np.ndarray:
    """Weighting-class adjustment: respondents carry the weight of their class's nonrespondents.

    `weights`, `responded` (bool) and `classes` cover the whole sample (respondents and
    nonrespondents).  Returns new weights: w·Σ_c w / Σ_{c, responded} w for respondents and 0
    for nonrespondents.  A class with sampled weight but no respondent raises ValueError
    (collapse it with a neighbour first).
    """
    w = np.asarray(weights, dtype=float)
    resp = np.asarray(responded, dtype=bool)
    if resp.shape != w.shape:
        raise ValueError("responded must have one value per weight")
    codes, labels = factorize(classes, w.shape[0], "classes")
    if (codes < 0).any():
        raise ValueError("adjust_nonresponse: %d rows have a missing class" % int((codes < 0).sum()))
    every = np.bincount(codes, weights=w, minlength=len(labels))
    got = np.bincount(codes, weights=w * resp, minlength=len(labels))
    empty = (got == 0) & (every > 0)
    if empty.any():
        raise ValueError("adjust_nonresponse: classes without respondents: %s"
                         % ", ".join(repr(labels[c]) for c in np.flatnonzero(empty)[:10]))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(got > 0, every / got, 0.0)
    return np.where(resp, w * factor[codes], 0.0)


def nonresponse_factors(respondent_totals: Mapping, sample_totals: Mapping) -> dict:
    """Class factors Σ_c w(sample) / Σ_c w(respondents) from per-class weight sums (e.g. SQL)."""
    out = {}
    for cls, got in respondent_totals.items():
        every = float(sample_totals.get(cls, 0.0))
        if got <= 0:
            raise ValueError("nonresponse_factors: class %r has no respondent weight" % (cls,))
        if every < got:
            raise ValueError("nonresponse_factors: class %r has more respondent weight (%g) "
                             "than sampled weight (%g)" % (cls, got, every))
        out[cls] = every / float(got)
    return out


def kish_deff(weights: Any) -> float:
    """Kish's design effect of unequal weighting, n·Σw² / (Σw)², over positive weights."""
    w = np.asarray(weights, dtype=float)
    w = w[w > 0]
    if w.size == 0:
        return float("nan")
    return float(w.size * np.dot(w, w) / w.sum() ** 2)


def effective_n(weights: Any) -> float:
    """Kish's effective sample size (Σw)² / Σw² (= n / deff), over positive weights."""
    w = np.asarray(weights, dtype=float)
    w = w[w > 0]
    if w.size == 0:
        return 0.0
    return float(w.sum() ** 2 / np.dot(w, w))
