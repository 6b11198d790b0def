"""Linearised (Taylor) variance of domain estimates in a stratified cluster design.

The estimators hand this module, for every unit (a row, or an aggregate of rows of one PSU),
its linearised value z (on the scale of a population total) for the estimate of the unit's own
group.  The variance of group g is the with-replacement (ultimate cluster) variance of the PSU
totals of z, stratum by stratum, with the finite population correction (docs/methodology.md §3):

    V_g = Σ_h a_h Σ_{i∈h} E_{hi}² − b_h (Σ_{i∈h} E_{hi})²,
    a_h = f_h n_h / (n_h − 1),  b_h = a_h / n_h,  f_h = 1 − n_h / N_h,

with E the PSU totals of the (calibration-residualised) z.  Everything is computed from
group-wise sums (bincount over integer codes), never by looping over rows, so a table of
hundreds of domains costs a few passes over the data.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LONELY = ("adjust", "remove", "certainty", "fail")


@dataclass(frozen=True)
class Frame:
    """The sampling structure: strata, PSUs and the per-stratum variance multipliers."""

    strata: np.ndarray        # (n,) stratum code of each unit
    psu: np.ndarray | None    # (n,) global PSU code, None = every unit is its own PSU
    psu_strata: np.ndarray    # (P,) stratum of each PSU
    n_psu: np.ndarray         # (H,) PSUs per stratum in the whole design
    a: np.ndarray             # (H,) multiplier of Σ E²
    b: np.ndarray             # (H,) multiplier of (Σ E)²

    @property
    def n_strata(self) -> int:
        """Number of strata H."""
        return self.n_psu.shape[0]


def make_frame(strata: np.ndarray, psu: np.ndarray | None, n_psu: np.ndarray,
               psu_strata: np.ndarray, pop_psu: np.ndarray, lonely_psu: str,
               strata_labels: list) -> Frame:
    """Per-stratum multipliers a_h, b_h from PSU counts, fpc and the lonely-PSU rule."""
    if lonely_psu not in LONELY:
        raise ValueError("lonely_psu must be one of %s, got %r" % (", ".join(LONELY), lonely_psu))
    n_h = n_psu.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(np.isinf(pop_psu), 1.0, (pop_psu - n_h) / pop_psu)
        a = np.where(n_h > 1, f * n_h / (n_h - 1), f)
        b = np.where(n_h > 1, a / n_h, 0.0)
    lonely = n_h == 1
    if lonely.any():
        if lonely_psu == "fail":
            names = ", ".join(repr(strata_labels[h]) for h in np.flatnonzero(lonely)[:10])
            raise ValueError("stratum %s has only one PSU (lonely_psu='fail'); choose "
                             "lonely_psu='adjust', 'remove' or 'certainty'" % names)
        if lonely_psu in ("remove", "certainty"):
            a = np.where(lonely, 0.0, a)
        # "adjust" (R survey 4.1): the lonely PSU's total is measured from zero, the grand
        # mean of the linearised values of every ratio-type estimator.
    full = f < 1e-7  # R: a (nearly) fully enumerated stratum contributes nothing
    a = np.where(full, 0.0, a)
    b = np.where(full, 0.0, b)
    return Frame(strata, psu, psu_strata, n_psu, a, b)


def sum_by(codes: np.ndarray, size: int, values: np.ndarray) -> np.ndarray:
    """Column sums of values (K, n) grouped by codes (n,) in 0..size−1 → (K, size)."""
    out = np.empty((values.shape[0], size))
    for k in range(values.shape[0]):
        out[k] = np.bincount(codes, weights=values[k], minlength=size)
    return out


def _pairs(a: np.ndarray, b: np.ndarray, size_b: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes of the distinct (a, b) pairs: (pair code per element, unique pair keys)."""
    keys, inv = np.unique(a * size_b + b, return_inverse=True)
    return inv.reshape(-1), keys


def _distinct_per_group(a: np.ndarray, size_a: int, g: np.ndarray, G: int) -> np.ndarray:
    """How many distinct values of a occur in each group (bincount when the grid is small)."""
    if size_a * G <= 4 * max(a.shape[0], 1_000_000):
        present = np.bincount(a * G + g, minlength=size_a * G) > 0
        return present.reshape(size_a, G).sum(axis=0)
    _, keys = _pairs(a, g, G)
    return np.bincount(keys % G, minlength=G)


def domain_df(frame: Frame, w: np.ndarray, gc: np.ndarray, G: int) -> np.ndarray:
    """PSUs − strata among units of each group with a positive weight (R's degf of the subset)."""
    sel = (gc >= 0) & (w > 0)
    everything = sel.all()
    g = gc if everything else gc[sel]
    h = frame.strata if everything else frame.strata[sel]
    if frame.psu is None:
        n_psu = np.bincount(g, minlength=G)
    else:
        psu = frame.psu if everything else frame.psu[sel]
        n_psu = _distinct_per_group(psu, frame.psu_strata.shape[0], g, G)
    n_str = _distinct_per_group(h, frame.n_strata, g, G)
    return (n_psu - n_str).astype(np.int64)


def psu_pairs(frame: Frame, zs: np.ndarray, sel: np.ndarray, gs: np.ndarray, Gc: int):
    """PSU totals per (PSU, group): values (K, m), their PSU, stratum and group codes."""
    if frame.psu is None:
        if sel is None:
            return zs, np.arange(zs.shape[1]), frame.strata, gs
        return zs, sel, frame.strata[sel], gs
    inv, keys = _pairs(frame.psu if sel is None else frame.psu[sel], gs, Gc)
    totals = sum_by(inv, keys.shape[0], zs)
    psu = keys // Gc
    return totals, psu, frame.psu_strata[psu], keys % Gc


class StrataSums:
    """Accumulates Σz and Σz² per (stratum, group) over chunks of PSU totals.

    variance() = Σ_h a_h Σ_{i∈h} z² − b_h (Σ_{i∈h} z)² per group.  Units outside every group
    (g < 0) are skipped; their zeros only matter through n_h, which is in a_h and b_h.
    """

    def __init__(self, a: np.ndarray, b: np.ndarray, h: np.ndarray, g: np.ndarray, G: int,
                 K: int, n_strata: int) -> None:
        inside = g >= 0
        code = np.where(inside, h * G + np.maximum(g, 0), -1)
        if G == 0:  # no group at all: every unit goes to the discarded slot
            keys, remap = np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
        elif n_strata * G <= 4 * max(code.shape[0], 1_000_000):
            present = np.bincount(code[inside], minlength=n_strata * G) > 0
            remap = np.cumsum(present) - 1
            keys = np.flatnonzero(present)
        else:
            keys = np.unique(code[inside])
            remap = None
        npairs = keys.shape[0]
        if remap is not None:
            self.codes = np.where(inside, remap[np.maximum(code, 0)], npairs)
        else:
            self.codes = np.where(inside, np.searchsorted(keys, code), npairs)
        self.pair_g = keys % max(G, 1)
        self.pair_a = a[keys // max(G, 1)]
        self.pair_b = b[keys // max(G, 1)]
        self.G, self.size = G, npairs + 1
        self.sum = np.zeros((K, self.size))
        self.sq = np.zeros((K, self.size))

    def add(self, z: np.ndarray, start: int = 0) -> None:
        """Add values z (K, m) of units start … start+m−1."""
        codes = self.codes[start:start + z.shape[1]]
        for k in range(z.shape[0]):
            self.sum[k] += np.bincount(codes, weights=z[k], minlength=self.size)
            self.sq[k] += np.bincount(codes, weights=z[k] * z[k], minlength=self.size)

    def variance(self) -> np.ndarray:
        """(G, K) variances."""
        s, q = self.sum[:, :-1], self.sq[:, :-1]
        per_pair = q * self.pair_a - s * s * self.pair_b
        out = np.empty((self.sum.shape[0], self.G))
        for k in range(per_pair.shape[0]):
            out[k] = np.bincount(self.pair_g, weights=per_pair[k], minlength=self.G)
        return out.T


def uncalibrated_variance(frame: Frame, zs, sel, gs, Gc) -> np.ndarray:
    """Σ_h a_h Σ E² − b_h (Σ E)² for every group, E = PSU totals of zs."""
    tot, _, h, g = psu_pairs(frame, zs, sel, gs, Gc)
    acc = StrataSums(frame.a, frame.b, h, g, Gc, tot.shape[0], frame.n_strata)
    acc.add(tot)
    return acc.variance()
