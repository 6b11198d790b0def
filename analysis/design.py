"""The survey design object and its estimators (R survey's svydesign / svymean / svytotal / …).

    d = Design(weights, strata=None, psu=None, fpc=None, lonely_psu="adjust")
    d.mean(y, by=None) · d.total(y, by=None) · d.ratio(num, den, by=None)
    d.proportion(y, by=None, method="logit") · d.poststratify(cells, totals) · d.rake(margins)

Labels may be any hashable values.  NaN in y means missing: the row leaves the domain of that
estimate (R's na.rm=TRUE) but stays in the design.  Domains (by=) zero out the other rows and
never drop them.  See docs/methodology.md for every formula.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analysis import calibration as calib
from analysis.ci import proportion_interval, wald
from analysis.estimate import Estimate
from analysis.labels import factorize, group_codes
from analysis.linearization import Calibration, domain_variance, make_calibration
from analysis.variance import Frame, domain_df, make_frame


class Design:
    """A stratified (optionally clustered) sample with weights; immutable once built."""

    # The weights the calibration steps produced, when a trim changed them since (else None:
    # the current weights).  A class default, so designs rebuilt without __init__ have it.
    _cal_w: np.ndarray | None = None

    def __init__(self, weights: Any, strata: Any = None, psu: Any = None, fpc: Any = None,
                 lonely_psu: str = "adjust") -> None:
        w = np.array(weights, dtype=float).reshape(-1) if np.ndim(weights) else None
        if w is None:
            raise ValueError("weights must be a one-dimensional array")
        if not np.isfinite(w).all():
            raise ValueError("weights must be finite numbers (%d are not)" % int((~np.isfinite(w)).sum()))
        if (w < 0).any():
            raise ValueError("weights must be ≥ 0 (%d are negative)" % int((w < 0).sum()))
        n = w.shape[0]
        if strata is None:
            h, h_labels = np.zeros(n, dtype=np.int64), [None]
        else:
            h, h_labels = factorize(strata, n, "strata")
            if (h < 0).any():
                raise ValueError("strata: %d rows have a missing stratum" % int((h < 0).sum()))
        H = len(h_labels) if n else 0
        if psu is None:
            psu_codes, psu_strata = None, h
            n_psu = np.bincount(h, minlength=H)
        else:
            p, p_labels = factorize(psu, n, "psu")
            if (p < 0).any():
                raise ValueError("psu: %d rows have a missing PSU" % int((p < 0).sum()))
            # PSUs are nested in strata: the same label in two strata is two PSUs (R nest=TRUE).
            keys, psu_codes = np.unique(h * max(len(p_labels), 1) + p, return_inverse=True)
            psu_codes = psu_codes.reshape(-1)
            psu_strata = keys // max(len(p_labels), 1)
            n_psu = np.bincount(psu_strata, minlength=H)
        pop = _population_psus(fpc, h, n_psu, n, h_labels)
        self._w0 = w
        self._w = w
        self._strata_labels = h_labels
        self._frame: Frame = make_frame(h, psu_codes, n_psu, psu_strata, pop, lonely_psu, h_labels)
        self._pop = pop
        self._lonely = lonely_psu
        self._steps: tuple = ()
        self._cal: Calibration | None = None

    # -- derived designs ------------------------------------------------------------------
    def _derive(self, weights: np.ndarray, steps: tuple) -> Design:
        """A copy sharing the sampling structure, with new weights and calibration steps."""
        new = object.__new__(Design)
        new.__dict__.update(self.__dict__)
        new._w = weights
        new._steps = steps
        new._cal = None
        new._cal_w = None
        return new

    def _earlier_steps(self) -> tuple:
        """Steps a new calibration builds on: none after a trim of a calibrated design, whose
        trimmed weights then count as fixed design weights (methodology §12)."""
        return () if self._cal_w is not None else self._steps

    def poststratify(self, cells: Any, totals: Mapping, partial: bool = False) -> Design:
        """Post-stratify to population counts {cell: N}; the variance uses cell residuals."""
        codes, g = calib.poststratify_factors(self._w, cells, totals, partial)
        step = (codes, None, g)  # model matrix None = the cell indicators themselves
        return self._derive(self._w * g[codes], self._earlier_steps() + (step,))

    def rake(self, margins: Sequence, tol: float = 1e-10, maxit: int = 1000) -> Design:
        """Rake to several margins [(cells, {cell: N}), …] by IPF to full convergence."""
        atoms, X, f = calib.rake_factors(self._w, list(margins), tol, maxit)
        return self._derive(self._w * f[atoms], self._earlier_steps() + ((atoms, X, f),))

    def trim(self, lower: float | None = None, upper: float | None = None,
             strict: bool = False) -> Design:
        """Trim weights as R's trimWeights, keeping earlier calibration steps in the variance.

        As R (design$postStrata is kept), the calibration residuals stay those of the weights
        the calibration produced: z − w_cal·B with w_cal the weights before the trim (methodology
        §5 step 5).  The trimmed weights no longer meet the calibration totals: trim first,
        then calibrate, to keep both.
        """
        trimmed = calib.trim_weights(self._w, lower, upper, strict)
        if np.array_equal(trimmed, self._w):  # nothing outside the bounds: unchanged (as R)
            return self
        if not self._steps:
            return self._derive(trimmed, ())
        new = self._derive(trimmed, self._steps)
        new._cal_w = self.calibration_weights
        return new

    # -- properties -----------------------------------------------------------------------
    @property
    def weights(self) -> np.ndarray:
        """Final weights (after calibration/trimming); read-only view."""
        v = self._w.view()
        v.flags.writeable = False
        return v

    @property
    def base_weights(self) -> np.ndarray:
        """The weights the design was built with (aggregated sums are expressed in these)."""
        v = self._w0.view()
        v.flags.writeable = False
        return v

    @property
    def n(self) -> int:
        """Number of rows (units)."""
        return int(self._w.shape[0])

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs − strata among rows with positive weight."""
        return int(domain_df(self._frame, self._w, np.zeros(self.n, dtype=np.int64), 1)[0])

    @property
    def kish_deff(self) -> float:
        """Kish's design effect of unequal weighting n·Σw²/(Σw)²."""
        return calib.kish_deff(self._w)

    @property
    def effective_n(self) -> float:
        """Kish's effective sample size (Σw)²/Σw²."""
        return calib.effective_n(self._w)

    @property
    def calibration(self) -> Calibration | None:
        """Joint calibration atoms of all steps (built once, on first use)."""
        if self._cal is None and self._steps:
            self._cal = make_calibration(list(self._steps), self.calibration_weights)
        return self._cal

    @property
    def calibration_weights(self) -> np.ndarray:
        """The weights calibration residuals are expressed in: those the calibration produced
        (before any later trim, as R's trimWeights keeps them), else the final weights."""
        return self._w if self._cal_w is None else self._cal_w

    @property
    def calibrated(self) -> bool:
        """Whether calibration steps enter the variance (R's is.calibrated)."""
        return bool(self._steps)

    @property
    def frame(self) -> Frame:
        """The strata/PSU structure with its variance multipliers."""
        return self._frame

    # -- estimators -----------------------------------------------------------------------
    def mean(self, y: Any, by: Any = None, level: float = 0.95):
        """Weighted mean (svymean): an Estimate, or {group: Estimate} with by=."""
        y = self._column(y, "y")
        return self._ratio_like(y, None, by, level, "mean")

    def total(self, y: Any, by: Any = None, level: float = 0.95):
        """Weighted total (svytotal); missing values contribute nothing."""
        y = self._column(y, "y")
        return self._ratio_like(y, None, by, level, "total")

    def ratio(self, num: Any, den: Any, by: Any = None, level: float = 0.95):
        """Ratio of totals Σw·num / Σw·den (svyratio); a row missing either is left out."""
        return self._ratio_like(self._column(num, "num"), self._column(den, "den"), by, level,
                                "ratio")

    def proportion(self, y: Any, by: Any = None, method: str = "logit", level: float = 0.95):
        """Proportion of y == 1 (y in {0, 1}, NaN missing) with an svyciprop-style interval."""
        y = self._column(y, "y")
        ok = np.isnan(y) | (y == 0) | (y == 1)
        if not ok.all():
            raise ValueError("proportion: y must be 0, 1 or NaN (got e.g. %r)" % (y[~ok][0],))
        return self._ratio_like(y, None, by, level, "mean", method)

    # -- internals ------------------------------------------------------------------------
    def _column(self, y: Any, name: str) -> np.ndarray:
        """One float column of length n (booleans become 0/1, None becomes NaN)."""
        arr = np.asarray(y)
        if arr.dtype == object:
            arr = np.array([np.nan if v is None else v for v in arr.tolist()], dtype=float)
        arr = arr.astype(float, copy=False).reshape(-1) if arr.ndim else arr
        if arr.ndim != 1 or arr.shape[0] != self.n:
            raise ValueError("%s must have one value per row (%d)" % (name, self.n))
        return arr

    def groups(self, by: Any) -> tuple[np.ndarray, list]:
        """Group codes (n,) and labels for by= (None → one group labelled None)."""
        if by is None:
            return np.zeros(self.n, dtype=np.int64), [None]
        # Why: a wave's tables ask for the same by= arrays once per question and grouping (~40
        # times), and factorising an object array of 10^6 labels takes ~0.3 s each time. Kept
        # for the very array objects given (the label arrays are never changed in place).
        parts = by if isinstance(by, tuple) else (by,)
        if not all(isinstance(p, np.ndarray) for p in parts):
            return group_codes(by, self.n)
        memo = self.__dict__.setdefault("_groups_memo", {})
        found = memo.get(tuple(id(p) for p in parts))
        if found is not None and len(found[0]) == len(parts) and all(a is b for a, b in zip(found[0], parts)):
            return found[1]
        got = group_codes(by, self.n)
        if len(memo) >= 8:
            memo.clear()
        memo[tuple(id(p) for p in parts)] = (parts, got)
        return got

    def linearized_variance(self, z: np.ndarray, gc: np.ndarray, G: int,
                            residualized: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Variances (G, K) and df (G,) from linearised values z (K, n) of each unit's own group.

        residualized=True: z already holds the calibration residuals (skip that step).
        """
        cal = None if residualized else self.calibration
        var = domain_variance(self._frame, self.calibration_weights, z, gc, G, cal)
        return var, domain_df(self._frame, self._w, gc, G)

    def _ratio_like(self, num, den, by, level, kind, method=None):
        """Shared engine of mean / total / ratio / proportion."""
        gc, labels = self.groups(by)
        G = len(labels)
        valid = ~np.isnan(num) if den is None else ~(np.isnan(num) | np.isnan(den))
        inside = valid & (gc >= 0)
        w = np.where(inside, self._w, 0.0)
        wn = w * np.where(inside, num, 0.0)
        gsafe = np.where(gc >= 0, gc, G)
        t_num = np.bincount(gsafe, weights=wn, minlength=G + 1)[:G]
        if kind == "total":
            value = t_num
            z = wn
        else:
            wd = w if den is None else w * np.where(inside, den, 0.0)
            t_den = np.bincount(gsafe, weights=wd, minlength=G + 1)[:G]
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.where(t_den != 0, t_num / t_den, np.nan)
                rg = np.append(np.nan_to_num(value), 0.0)[gsafe]
                z = np.where(inside, (wn - rg * wd) / np.append(t_den, 1.0)[gsafe], 0.0)
                z = np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)
        n_valid = np.bincount(gsafe, weights=(inside & (self._w > 0)).astype(float),
                              minlength=G + 1)[:G].astype(np.int64)
        var, df = self.linearized_variance(z[None, :], gc, G)
        se = np.sqrt(var[:, 0])
        se = np.where(np.isnan(value), np.nan, se)
        if method is None:
            lo, hi = wald(value, se, df, level)
        else:
            rows = np.full(G, self.n) if self.calibrated else \
                np.bincount(gsafe, weights=inside.astype(float), minlength=G + 1)[:G]
            lo, hi = proportion_interval(value, se, df, n_valid, method, level, rows)
        out = {label: Estimate(float(value[g]), float(se[g]), float(lo[g]), float(hi[g]),
                               int(df[g]), int(n_valid[g])) for g, label in enumerate(labels)}
        return out[None] if by is None else out


def _population_psus(fpc: Any, h: np.ndarray, n_psu: np.ndarray, n: int, labels: list) -> np.ndarray:
    """Population PSU count N_h per stratum from fpc (counts, or sampling fractions ≤ 1)."""
    H = n_psu.shape[0]
    if fpc is None:
        return np.full(H, np.inf)
    f = np.broadcast_to(np.asarray(fpc, dtype=float), (n,)) if np.ndim(fpc) == 0 else \
        np.asarray(fpc, dtype=float).reshape(-1)
    if f.shape[0] != n:
        raise ValueError("fpc must be a number or have one value per row (%d)" % n)
    if np.isnan(f).any() or (f <= 0).any():
        raise ValueError("fpc must be positive (population PSU counts or sampling fractions)")
    hi = np.full(H, -np.inf)
    lo = np.full(H, np.inf)
    np.maximum.at(hi, h, f)
    np.minimum.at(lo, h, f)
    varying = np.flatnonzero(hi != lo)
    if varying.size:
        raise ValueError("fpc must be constant within a stratum (stratum %r varies)"
                         % (labels[varying[0]],))
    finite = np.isfinite(hi)
    if not finite.any():
        return hi  # Inf everywhere: no finite population correction
    if (hi[finite] <= 1).all():  # sampling fractions, as R: N_h = n_h / f_h
        return np.where(finite, n_psu / np.where(finite, hi, 1.0), np.inf)
    short = np.flatnonzero(hi < n_psu)
    if short.size:
        raise ValueError("fpc: stratum %r has %d sampled PSUs but a population of %g"
                         % (labels[short[0]], n_psu[short[0]], hi[short[0]]))
    return hi
