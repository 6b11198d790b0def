"""Computation behind analysis.index: per-group index values and their linearised variances.

Two exact routes give the same numbers (tests/analysis/test_index_paths.py checks it):

- cell moments (fast): when every unit is its own PSU and the calibration is absent or one
  post-stratification whose cells lie inside the groups, the linearised value of any index for
  a unit is θ_g·x_u with x_u = (S̃_u, Ṽ_u) the unit's (cell-residualised) item sums and θ_g a
  per-group coefficient vector.  So Σz and Σz² over a cell (stratum × every grouping) are
  θ·Σx and θ'(Σxx')θ: one pass over the data builds Σx and Σxx' per cell, and every grouping
  of the table (overall, agency, sector, agency × sector, …) costs only cell-level algebra.
- linearised values: z (K, U) is streamed into per-(stratum, group) sums when the same
  conditions hold, and otherwise materialised and handed to analysis.variance (clusters,
  raking, residuals that spill outside a group).

Data is read in blocks of units, twice: pass A collects totals (per group, per cell, per
calibration cell), pass B the moments or linearised values.  Nothing of size units × items is
allocated besides one block, which keeps memory flat and page faults few.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.design import Design
from analysis.index_sources import blocks
from analysis.labels import _factorize_ints
from analysis.linearization import nested_in_groups
from analysis.variance import StrataSums, domain_df

_BLOCK = 1 << 17  # units per block


@dataclass(frozen=True)
class Table:
    """Per-group arrays (G, K) of one grouping: values in [0, 1], se, df (G,), n."""

    values: np.ndarray
    se: np.ndarray
    df: np.ndarray
    ns: np.ndarray


class Engine:
    """Index values and variances of a design for several groupings, from a block source."""

    def __init__(self, d: Design, source, members: list, part_members: list) -> None:
        self.d, self.src = d, source
        self.J, self.E, self.P = source.J, len(members), len(part_members)
        self.K = self.J + self.E + self.P + 1
        self.members, self.part_members = members, part_members
        self.el_matrix = np.zeros((self.E, self.J))
        for e, idx in enumerate(members):
            self.el_matrix[e, idx] = 1.0

    def _fast_ok(self, gc: np.ndarray) -> bool:
        """Units are PSUs and calibration (if any) is one post-stratification inside the groups."""
        d = self.d
        if d.frame.psu is not None:
            return False
        cal = d.calibration
        return cal is None or (len(cal.steps) == 1 and cal.poststrat_only
                               and nested_in_groups(cal, gc, d.calibration_weights))

    def plan(self, ts: np.ndarray, tv: np.ndarray, cnt: np.ndarray) -> Plan:
        """Values, counts and linearisation coefficients per group from item totals (J, G+1)."""
        J, E, P, K = self.J, self.E, self.P, self.K
        G1 = ts.shape[1]
        avail = tv > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(avail, ts / tv, np.nan)
            inv = np.where(avail, 1.0 / tv, 0.0)
        values = np.full((K, G1), np.nan)
        ns = np.zeros((K, G1))
        factors = np.zeros((K, G1))
        values[:J], ns[:J] = p, cnt
        m = self.el_matrix @ avail
        _mean(values, factors, m, self.el_matrix @ np.nan_to_num(p), slice(J, J + E))
        for e, idx in enumerate(self.members):
            ns[J + e] = cnt[idx].max(axis=0)
        tops = []
        for q, members in enumerate(self.part_members):
            rows = [J + e for e in members]
            _mean(values, factors, (m[members] > 0).sum(axis=0), np.nansum(values[rows], axis=0),
                  J + E + q)
            ns[J + E + q] = ns[rows].max(axis=0)
            tops.append(rows)
        top = list(range(J + E, K - 1)) if P else list(range(J, J + E))
        _mean(values, factors, (~np.isnan(values[top])).sum(axis=0),
              np.nansum(values[top], axis=0), K - 1)
        ns[K - 1] = ns[top].max(axis=0)
        tops.append(top)
        return Plan(values, ns, inv, np.nan_to_num(p) * inv, factors, tops)

    def coefficients(self, plan: Plan) -> np.ndarray:
        """θ (G+1, K, 2J): the linearised value of index k for a unit is θ[g, k]·(S̃_u, Ṽ_u)."""
        J, E, K = self.J, self.E, self.K
        theta = np.zeros((plan.inv.shape[1], K, 2 * J))
        j = np.arange(J)
        theta[:, j, j] = plan.inv.T
        theta[:, j, J + j] = -plan.pz.T
        theta[:, J:J + E] = np.einsum("ej,gjx->gex", self.el_matrix, theta[:, :J])
        theta[:, J:J + E] *= plan.factors[J:J + E].T[:, :, None]
        for k, rows in zip(range(J + E, K), plan.tops):
            theta[:, k] = theta[:, rows].sum(axis=1) * plan.factors[k][:, None]
        return theta

    def z(self, plan: Plan, S: np.ndarray, V: np.ndarray, gs: np.ndarray) -> np.ndarray:
        """Linearised values (K, m) of a block for the units' own groups (same as θ·x)."""
        J, E = self.J, self.E
        z = np.empty((self.K, S.shape[1]))
        for k in range(J):
            np.multiply(S[k], np.take(plan.inv[k], gs), out=z[k])
            z[k] -= V[k] * np.take(plan.pz[k], gs)
        np.matmul(self.el_matrix, z[:J], out=z[J:J + E])
        for e in range(E):
            z[J + e] *= np.take(plan.factors[J + e], gs)
        for k, members in zip(range(J + E, self.K), plan.tops):
            np.sum(z[members], axis=0, out=z[k])
            z[k] *= np.take(plan.factors[k], gs)
        return z

    def tables(self, groupings: list, route: str = "auto") -> list:
        """Table per grouping [(gc, G), …].

        route (for tests): "auto"; or force "cells" / "stream" where they apply, or "general"
        (materialised linearised values through analysis.variance).
        """
        if route not in ("auto", "cells", "stream", "general"):
            raise ValueError("route must be auto, cells, stream or general")
        d, J = self.d, self.J
        fast = [route != "general" and self._fast_ok(gc) for gc, _ in groupings]
        kind = ["cells" if f and route in ("auto", "cells") else "stream" if f else "general"
                for f in fast]
        cal = d.calibration
        resid = cal is not None and any(k != "general" for k in kind)
        cells = _Cells(d, [groupings[i] for i, k in enumerate(kind) if k == "cells"], J)
        direct = {i: _Totals(J, G) for i, (_, G) in enumerate(groupings) if kind[i] != "cells"}
        atom = _Totals(J, cal.n_atoms - 1) if resid else None
        for start, stop in blocks(d.n, _BLOCK):  # pass A: totals
            S, V, C = self.src.block(start, stop)
            if cells.C:
                cells.totals.add(cells.code[start:stop], S, V, C)
            for i, tot in direct.items():
                tot.add(np.where(groupings[i][0][start:stop] >= 0, groupings[i][0][start:stop],
                                 groupings[i][1]), S, V, C)
            if atom is not None:
                atom.add(cal.atoms[start:stop], S, V, None)
        plans = {i: self.plan(*tot.grouped()) for i, tot in direct.items()}
        accs = {i: StrataSums(d.frame.a, d.frame.b, d.frame.strata, groupings[i][0],
                              groupings[i][1], self.K, d.frame.n_strata)
                for i in direct if kind[i] == "stream"}
        full = {i: np.empty((self.K, d.n)) for i in direct if kind[i] == "general"}
        if atom is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(cal.atom_weight > 0, 1.0 / cal.atom_weight, 0.0)
            mean_s, mean_v = atom.s * share, atom.v * share
        for start, stop in blocks(d.n, _BLOCK):  # pass B: moments / linearised values
            S, V, _ = self.src.block(start, stop)
            if atom is not None:
                a, wb = cal.atoms[start:stop], d.calibration_weights[start:stop]
                St, Vt = S - np.take(mean_s, a, axis=1) * wb, V - np.take(mean_v, a, axis=1) * wb
            else:
                St, Vt = S, V
            if cells.C:
                cells.moments(start, stop, St, Vt)
            for i in direct:
                gc, G = groupings[i]
                gs = np.where(gc[start:stop] >= 0, gc[start:stop], G)
                if kind[i] == "stream":
                    accs[i].add(self.z(plans[i], St, Vt, gs), start)
                else:
                    full[i][:, start:stop] = self.z(plans[i], S, V, gs)
        out: list = [None] * len(groupings)
        for i, table in zip([i for i, k in enumerate(kind) if k == "cells"], cells.tables(self)):
            out[i] = table
        for i in direct:
            gc, G = groupings[i]
            if kind[i] == "stream":
                var, df = accs[i].variance(), domain_df(d.frame, d.weights, gc, G)
            else:
                var, df = d.linearized_variance(full.pop(i), gc, G)
            out[i] = _table(plans[i], var, df, G)
        return out


class _Totals:
    """Item totals of S, V and counts per code (J, size + 1), accumulated block by block."""

    def __init__(self, J: int, size: int) -> None:
        self.size = size + 1
        self.s, self.v, self.c = (np.zeros((J, self.size)) for _ in range(3))

    def add(self, codes: np.ndarray, S, V, C) -> None:
        """Add one block of (J, m) arrays by integer codes (m,)."""
        for M, T in ((S, self.s), (V, self.v), (C, self.c)):
            if M is None:
                continue
            for k in range(M.shape[0]):
                T[k] += np.bincount(codes, weights=M[k], minlength=self.size)

    def grouped(self) -> tuple:
        """(ts, tv, cnt) with the last column (units in no group) zeroed."""
        for T in (self.s, self.v, self.c):
            T[:, -1] = 0.0
        return self.s, self.v, self.c


class _Cells:
    """Cells = stratum × every fast grouping; Σx and Σxx' per cell of x = (S̃, Ṽ)."""

    def __init__(self, d: Design, groupings: list, J: int) -> None:
        self.d, self.groupings = d, groupings
        self.C = 0
        if not groupings or d.n == 0:
            return
        code = d.frame.strata.astype(np.int64)
        for gc, G in groupings:  # finest common refinement, re-coded densely at each step
            code, _ = _factorize_ints(code * (G + 1) + (gc + 1))
        self.code = code
        self.C = int(code.max()) + 1
        self.first = np.zeros(self.C, dtype=np.int64)
        self.first[code[::-1]] = np.arange(code.shape[0])[::-1]  # a unit of each cell
        self.positive = np.bincount(code, weights=(d.weights > 0).astype(float), minlength=self.C)
        self.totals = _Totals(J, self.C - 1)
        self.m1 = np.zeros((self.C, 2 * J))
        self.m2 = np.zeros((self.C, 2 * J, 2 * J))

    def moments(self, start: int, stop: int, St: np.ndarray, Vt: np.ndarray) -> None:
        """Add Σx and Σxx' of one block, cell by cell (rows sorted by cell inside the block)."""
        codes = self.code[start:stop]
        order = np.argsort(codes, kind="stable")
        sorted_codes = codes[order]
        X = np.concatenate([np.take(St, order, axis=1), np.take(Vt, order, axis=1)])
        cuts = np.flatnonzero(np.diff(sorted_codes)) + 1
        starts = np.concatenate(([0], cuts))
        present = sorted_codes[starts]
        self.m1[present] += np.add.reduceat(X, starts, axis=1).T
        bounds = np.append(starts, X.shape[1])
        for c, a, b in zip(present.tolist(), bounds[:-1].tolist(), bounds[1:].tolist()):
            seg = X[:, a:b]
            self.m2[c] += seg @ seg.T

    def tables(self, engine: Engine) -> list:
        """Cell-level algebra per grouping."""
        out = []
        if not self.groupings:
            return out
        frame = self.d.frame
        h_c = frame.strata[self.first]
        J = engine.J
        for gc, G in self.groupings:
            g_c = gc[self.first]
            gsafe = np.where(g_c >= 0, g_c, G)
            grouped = _Totals(J, G)
            grouped.add(gsafe, self.totals.s[:, :self.C], self.totals.v[:, :self.C],
                        self.totals.c[:, :self.C])
            plan = engine.plan(*grouped.grouped())
            theta = engine.coefficients(plan)[gsafe]                  # (C, K, 2J)
            sz = np.einsum("ckx,cx->ck", theta, self.m1)
            sq = np.einsum("ckx,ckx->ck", np.matmul(theta, self.m2), theta)
            acc = StrataSums(frame.a, frame.b, h_c, g_c, G, engine.K, frame.n_strata)
            out.append(_table(plan, _pair_variance(acc, sz, sq),
                              _cell_df(self.positive, h_c, g_c, G), G))
        return out


@dataclass(frozen=True)
class Plan:
    """Per-group tables: values/ns/factors (K, G+1), inv/pz (J, G+1), composite members."""

    values: np.ndarray
    ns: np.ndarray
    inv: np.ndarray
    pz: np.ndarray
    factors: np.ndarray
    tops: list


def _mean(values, factors, m, total, target) -> None:
    """values[target] = total / m (mean of m available components); factor 1/m."""
    with np.errstate(invalid="ignore", divide="ignore"):
        values[target] = np.where(m > 0, total / m, np.nan)
        factors[target] = np.where(m > 0, 1.0 / m, 0.0)


def _pair_variance(acc: StrataSums, sz: np.ndarray, sq: np.ndarray) -> np.ndarray:
    """Variance per group from per-cell Σz (C, K) and Σz² (C, K): cells → (stratum, group)."""
    size = acc.size
    for k in range(sz.shape[1]):
        acc.sum[k] = np.bincount(acc.codes, weights=sz[:, k], minlength=size)
        acc.sq[k] = np.bincount(acc.codes, weights=sq[:, k], minlength=size)
    return acc.variance()


def _cell_df(positive: np.ndarray, h_c: np.ndarray, g_c: np.ndarray, G: int) -> np.ndarray:
    """PSUs (= units with positive weight) − strata per group, from cell counts."""
    ok = (g_c >= 0) & (positive > 0)
    n_psu = np.bincount(g_c[ok], weights=positive[ok], minlength=G)
    pairs = np.unique(h_c[ok] * G + g_c[ok])
    n_str = np.bincount(pairs % G, minlength=G)
    return (n_psu - n_str).astype(np.int64)


def _table(plan: Plan, var: np.ndarray, df: np.ndarray, G: int) -> Table:
    """Cut the trailing no-group column and take square roots."""
    values = plan.values[:, :G].T
    se = np.where(np.isnan(values), np.nan, np.sqrt(np.maximum(var, 0.0)))
    return Table(values, se, df, plan.ns[:, :G].T)
