"""Variance of domain estimates in calibrated designs, and the dispatching entry point.

Calibration (post-stratification, raking) makes the linearised values the residuals of a
regression on the calibration cells, weighted by the weights before calibration (R's
postStratify / calibrate: svyrecvar's postStrata step).  With joint calibration cells
("atoms") κ the residual of unit u for group g is z_u − w_u·B[κ(u), g]; B is computed from
atom-level sums.  When every calibration cell lies inside one group the residual stays in the
group (fast path); otherwise it spills to other units of the same cells, and the variance is
expanded as Σ(Z − W·B)² from PSU × atom sums (general path, never a loop over units).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from analysis.variance import (
    Frame,
    StrataSums,
    _distinct_per_group,
    _pairs,
    psu_pairs,
    sum_by,
    uncalibrated_variance,
)

_CHUNK = 8_000_000  # max cells of one dense (atoms or strata) × groups × statistics block


@dataclass(frozen=True)
class Calibration:
    """The calibration steps of a design, seen from its joint atoms (cells of all steps crossed)."""

    atoms: np.ndarray            # (n,) joint atom of each unit
    n_atoms: int
    steps: tuple                 # per step: (atom → step cell (A,), X (A_s, C_s) or None for
                                 # post-stratification, g (A_s,), w_step / w_final (A,))
    atom_weight: np.ndarray      # (A,) Σ final weights
    poststrat_only: bool
    step_cells: tuple            # per step: (n,) step cell codes (for the nesting test)


def make_calibration(steps: list, w: np.ndarray) -> Calibration | None:
    """Joint atoms and per-atom factors for a list of (cells (n,), X, g) calibration steps."""
    if not steps:
        return None
    if len(steps) == 1:
        atoms = steps[0][0]
        n_atoms = steps[0][2].shape[0]  # the step's cells (atoms of a raking step) are the atoms
        maps = [np.arange(n_atoms)]
    else:
        stacked = np.stack([s[0] for s in steps])
        keys, atoms = np.unique(stacked, axis=1, return_inverse=True)
        atoms = atoms.reshape(-1)
        n_atoms = keys.shape[1]
        maps = [keys[i] for i in range(len(steps))]
    gk = [steps[i][2][maps[i]] for i in range(len(steps))]
    out = []
    for i, (_cells, X, g) in enumerate(steps):
        ratio = np.ones(n_atoms)
        for j in range(i + 1, len(steps)):
            ratio = ratio / np.where(gk[j] == 0, 1.0, gk[j])  # w_step / w_final per atom
        out.append((maps[i], X, g, ratio))
    atom_weight = np.bincount(atoms, weights=w, minlength=n_atoms)
    poststrat = all(X is None for _, X, _ in steps)
    return Calibration(atoms, n_atoms, tuple(out), atom_weight, poststrat,
                       tuple(s[0] for s in steps))


def nested_in_groups(cal: Calibration, gc: np.ndarray, w: np.ndarray) -> bool:
    """Every post-stratification cell lies inside one group (so residuals stay in the group)."""
    if not cal.poststrat_only:
        return False
    pos = w > 0  # zero-weight units have zero residuals wherever they are
    everything = pos.all()
    g = gc + 1 if everything else gc[pos] + 1
    G1 = int(g.max()) + 1 if g.size else 1
    for cells, _step in zip(cal.step_cells, cal.steps):
        c = cells if everything else cells[pos]
        groups_per_cell = _distinct_per_group(g, G1, c, int(c.max()) + 1 if c.size else 0)
        if (groups_per_cell > 1).any():
            return False
    return True


def _fitted(cal: Calibration, zk: np.ndarray) -> np.ndarray:
    """Per-atom calibration adjustment B (A, Gc·K): residual = z − w·B (R's postStrata/calibrate).

    Step by step, as R's svyrecvar: β = (X'DX)⁻¹ X'(x/g) with D the weights before the step,
    then x ← x − w_step·Xβ.  Post-stratification (X = the cell indicators) reduces to cell means.
    """
    A = cal.n_atoms
    B = np.zeros_like(zk)
    for amap, X, g, ratio in cal.steps:
        n_cells = g.shape[0]
        agg = sparse.csr_matrix((np.ones(A), (amap, np.arange(A))), shape=(n_cells, A))
        g_atom = g[amap]
        safe_g = np.where(g == 0, 1.0, g)
        current = zk - cal.atom_weight[:, None] * B if B.any() else zk
        xs = np.asarray(agg @ current) / safe_g[:, None]
        pre = agg @ (cal.atom_weight * ratio / np.where(g_atom == 0, 1.0, g_atom))
        if X is None:  # post-stratification: the regression on cell indicators is the cell mean
            fitted = xs / np.where(pre > 0, pre, 1.0)[:, None]
        else:
            gram = X.T @ (pre[:, None] * X)
            fitted = X @ (np.linalg.pinv(gram, hermitian=True) @ (X.T @ xs))
        B += ratio[:, None] * fitted[amap]
    return B


def domain_variance(frame: Frame, w: np.ndarray, z: np.ndarray, gc: np.ndarray, G: int,
                    cal: Calibration | None = None, force_general: bool = False) -> np.ndarray:
    """Variances (G, K) of K statistics for G groups from unit values z (K, n) of the own group."""
    K = z.shape[0]
    H = frame.n_strata
    out = np.zeros((G, K))
    if G == 0 or K == 0:
        return out
    width = max(H, cal.n_atoms if cal is not None else 1) * K
    step = max(1, _CHUNK // max(width, 1))
    nested = cal is not None and not force_general and nested_in_groups(cal, gc, w)
    if cal is not None and not nested and not force_general:
        spilled = _spill_pairs(frame, w, z, gc, G, cal)
        if spilled is not None:
            return np.maximum(spilled, 0.0)
    for g0 in range(0, G, step):
        g1 = min(G, g0 + step)
        inside = (gc >= g0) & (gc < g1)
        if inside.all():  # the common case: no copy of z
            sel, zs, gs = None, z, gc - g0 if g0 else gc
        else:
            sel = np.flatnonzero(inside)
            zs, gs = z[:, sel], gc[sel] - g0
        Gc = g1 - g0
        if cal is None:
            out[g0:g1] = uncalibrated_variance(frame, zs, sel, gs, Gc)
            continue
        atoms = cal.atoms if sel is None else cal.atoms[sel]
        zk = sum_by(atoms * Gc + gs, cal.n_atoms * Gc, zs)               # (K, A·Gc)
        zk = zk.reshape(K, cal.n_atoms, Gc).transpose(1, 2, 0).reshape(cal.n_atoms, Gc * K)
        B = _fitted(cal, zk).reshape(cal.n_atoms, Gc, K)
        if nested:  # residuals stay in the unit's own group: e = z − w·B(atom, group)
            flat = np.ascontiguousarray(B.transpose(2, 0, 1)).reshape(K, cal.n_atoms * Gc)
            idx = atoms * Gc + gs
            ws = w if sel is None else w[sel]
            e = np.empty_like(zs)
            for k in range(K):
                np.subtract(zs[k], ws * flat[k][idx], out=e[k])
            out[g0:g1] = uncalibrated_variance(frame, e, sel, gs, Gc)
        else:
            out[g0:g1] = _general(frame, w, zs, sel, gs, Gc, cal, B)
    return np.maximum(out, 0.0)


def _spill_pairs(frame: Frame, w: np.ndarray, z: np.ndarray, gc: np.ndarray, G: int,
                 cal: Calibration, max_ratio: float = 4.0) -> np.ndarray | None:
    """Variance of one post-stratification whose cells cross a few groups, by (unit, group) pairs.

    Units are their own PSUs.  Group g's residual is e_u = [g(u) = g]·z_u − w_u·B[c(u), g] for
    every unit u of a cell c that holds units of g (zero elsewhere), B[c, g] = Σ_{c ∩ g} z / Σ_c d
    / g_c (the cell mean of §7).  Collapsed cells (§5) span two or three groups, so the pairs
    number about n and this costs a pass over them.  None when the layout does not fit (clusters,
    several steps, or cells crossing many groups: then _general).
    """
    if frame.psu is not None or len(cal.steps) != 1 or not cal.poststrat_only:
        return None
    amap, _X, g, _ratio = cal.steps[0]
    A, K, n = cal.n_atoms, z.shape[0], z.shape[1]
    atoms = cal.atoms
    inside = gc >= 0
    keys, inv = np.unique(atoms[inside] * G + gc[inside], return_inverse=True)  # (cell, group) pairs
    pc, pg = keys // G, keys % G
    per_cell = np.bincount(pc, minlength=A)
    total = int(per_cell[atoms].sum())
    if total > max_ratio * max(n, 1):
        return None
    safe_g = np.where(g == 0, 1.0, g)
    pre = cal.atom_weight / safe_g[amap]  # Σ_c d, the weights before the step (one step: atoms = cells)
    Z = np.zeros((K, keys.shape[0]))
    for k in range(K):
        Z[k] = np.bincount(inv.reshape(-1), weights=z[k][inside], minlength=keys.shape[0])
    B = np.where(pre[pc] > 0, 1.0 / (safe_g[amap][pc] * np.where(pre[pc] > 0, pre[pc], 1.0)), 0.0) * Z
    start = np.concatenate(([0], np.cumsum(per_cell)))  # pairs are sorted by cell
    reps = per_cell[atoms]
    unit = np.repeat(np.arange(n), reps)
    offs = np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
    pair = start[atoms[unit]] + offs
    own = (gc[unit] == pg[pair]).astype(float)
    e = z[:, unit] * own - w[unit] * B[:, pair]
    acc = StrataSums(frame.a, frame.b, frame.strata[unit], pg[pair], G, K, frame.n_strata)
    acc.add(e)
    return acc.variance()


def _general(frame: Frame, w, zs, sel, gs, Gc, cal: Calibration, B) -> np.ndarray:
    """Variance when calibration residuals spill outside the group: expand (Z − W·B)²."""
    K = zs.shape[0]
    A = cal.n_atoms
    H = frame.n_strata
    tot, psu, h, g = psu_pairs(frame, zs, sel, gs, Gc)
    term1 = sum_by(g, Gc, tot * tot * frame.a[h])                   # (K, Gc)
    # (PSU, atom) weight totals of the whole design.
    if frame.psu is None:
        n = w.shape[0]
        pk_psu, pk_atom, pk_w = np.arange(n), cal.atoms, w
        pk_h = frame.strata
    else:
        inv, keys = _pairs(frame.psu, cal.atoms, A)
        pk_w = np.bincount(inv, weights=w, minlength=keys.shape[0])
        pk_psu, pk_atom = keys // A, keys % A
        pk_h = frame.psu_strata[pk_psu]
    # term2: Σ a_h Z_(psu,g) W_(psu,atom) B_(atom,g) over PSUs holding both.
    pg_i, pk_i = _join(psu, pk_psu)
    vals = (tot[:, pg_i] * (frame.a[h[pg_i]] * pk_w[pk_i])) * B[pk_atom[pk_i], g[pg_i]].T
    term2 = sum_by(g[pg_i], Gc, vals)
    # term3: B' Q B with Q = Σ_psu a_h W_(psu,atom) W_(psu,atom').
    i, j = _join(pk_psu, pk_psu)
    q = sparse.csr_matrix((frame.a[pk_h[i]] * pk_w[i] * pk_w[j], (pk_atom[i], pk_atom[j])),
                          shape=(A, A))
    Bf = B.reshape(A, Gc * K)
    term3 = np.einsum("ak,ak->k", Bf, np.asarray(q @ Bf)).reshape(Gc, K).T
    # term4: Σ_h b_h (Σ_{psu∈h} E)², Σ_{psu∈h} E = Z_(h,g) − Σ_atom W_(h,atom) B_(atom,g).
    wh = sparse.csr_matrix((pk_w, (pk_h, pk_atom)), shape=(H, A))
    zh = sum_by(h * Gc + g, H * Gc, tot).reshape(K, H, Gc).transpose(1, 2, 0)
    diff = zh - np.asarray(wh @ Bf).reshape(H, Gc, K)
    term4 = np.einsum("h,hgk->kg", frame.b, diff * diff)
    return (term1 - 2 * term2 + term3 - term4).T


def _join(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs (i, j) with left[i] == right[j] (an equi-join on integer keys)."""
    order = np.argsort(right, kind="stable")
    sorted_r = right[order]
    start = np.searchsorted(sorted_r, left, side="left")
    stop = np.searchsorted(sorted_r, left, side="right")
    reps = stop - start
    li = np.repeat(np.arange(left.shape[0]), reps)
    offs = np.arange(li.shape[0]) - np.repeat(np.cumsum(reps) - reps, reps)
    return li, order[np.repeat(start, reps) + offs]
