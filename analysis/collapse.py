"""Collapsing strata and calibration cells that have fewer than two respondents (methodology §5).

A stratum with one respondent has no within-stratum variance to estimate, and a
post-stratification cell with one respondent fixes that respondent's weight at the cell total, so
its linearised residual is 0: either way the design would silently claim zero variance for it.
The remedy survey statisticians use (the collapsed-strata estimator: Wolter 2007; collapsing
weighting cells: Kalton & Flores-Cervantes 2003) is to merge each such stratum or cell with a documented
neighbour before the calibration, and to use the merged groups as variance strata and as
calibration cells.

    c = collapse_strata(strata, cells, weights, keys=None, census=(), min_n=2)
    c.strata {stratum: collapsed stratum} · c.cells {cell: collapsed cell}
    c.merged · c.merged_cells · c.lonely · c.n_collapsed

A stratum is *deficient* when 0 < (respondents with a positive weight) < min_n.  Exempt —
never merged, never a neighbour — are census strata (every dossier answered, n_h = N_h: no
sampling variance) and strata whose respondents all weigh 0 (as if nobody had answered).

Distance between cells, on their keys (agency key, sector key) as ranks in sorted order:
  tier 0: same agency, |Δ sector rank|;  tier 1: same sector, |Δ agency rank|;
  tier 2: otherwise |Δ agency rank|, then |Δ sector rank|.
A group's distance to a cell is that of its nearest member cell.

1. Strata.  Stage 1: each deficient stratum, taken in the order of its first cell, joins the
   nearest stratum that had min_n respondents from the start (ties: the cell that sorts first).
   Stage 2, only when there is none (e.g. every stratum is a singleton): deficient groups merge
   with the nearest other group, ties to the group with fewer respondents (singletons pair up)
   then to the cell that sorts first, repeatedly until they reach min_n.  A stratum with no
   stratum left to join stays *lonely* (reported).
2. Cells, after the strata, by the same two stages, the neighbours taken inside the cell's
   collapsed stratum when it has other cells (schemes coarser than agency × sector).
The collapsed group is named after its member with the most respondents (ties: first in order).
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.labels import factorize


@dataclass(frozen=True)
class Collapse:
    """What was merged: every original label maps to the label of its collapsed group."""

    strata: dict         # original stratum → collapsed stratum (itself when not merged)
    cells: dict          # original calibration cell → collapsed cell
    merged: tuple        # strata merged because they had fewer than min_n positive-weight respondents
    merged_cells: tuple  # cells merged for the same reason (after the strata)
    lonely: tuple        # strata still below min_n with nothing left to merge with
    positive: dict       # original stratum → respondents with a positive weight

    @property
    def n_collapsed(self) -> int:
        """Number of strata merged into a neighbour because of too few respondents."""
        return len(self.merged)

    def groups(self) -> dict:
        """{collapsed stratum: sorted members} of the strata that were merged with others."""
        out: dict = {}
        for h, g in self.strata.items():
            out.setdefault(g, []).append(h)
        return {g: tuple(m) for g, m in out.items() if len(m) > 1}


def _order(value: Any) -> tuple:
    """A sort key that orders numbers numerically and everything else as text."""
    if isinstance(value, bool | int | float | np.integer | np.floating):
        return (0, float(value), "")
    if isinstance(value, tuple):
        return (1, 0.0, "") + tuple(x for v in value for x in _order(v))
    return (2, 0.0, str(value))


def _key(cell: Any, keys: Mapping | None) -> tuple:
    """(agency key, sector key) of a cell: from keys, or the cell label itself when it is a pair."""
    k = keys[cell] if keys is not None and cell in keys else cell
    if isinstance(k, tuple) and len(k) == 2:
        return k
    return ("", k)  # one agency: neighbours are the nearest labels in sorted order


class _Groups:
    """Disjoint groups of items (root label per item), each with its positive-respondent count."""

    def __init__(self, counts: np.ndarray) -> None:
        self.root = np.arange(len(counts), dtype=np.int64)
        self.count = np.asarray(counts, dtype=np.int64).copy()

    def union(self, i: int, j: int) -> None:
        """Merge the groups of items i and j (the group of i keeps its root)."""
        a, b = int(self.root[i]), int(self.root[j])
        if a != b:
            self.root[self.root == b] = a
            self.count[a] += self.count[b]

    def size(self, i: int) -> int:
        """Positive respondents in the group of item i."""
        return int(self.count[self.root[i]])


def _rank(values: list) -> np.ndarray:
    """Dense ranks of values in sorted order (equal values share a rank)."""
    distinct = sorted(set(values), key=_order)
    pos = {v: r for r, v in enumerate(distinct)}
    return np.array([pos[v] for v in values], dtype=np.int64)


def _distance(ra: np.ndarray, rs: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Neighbour distance code of every atom from the nearest member atom (smaller = nearer)."""
    big = int(max(ra.max(initial=0), rs.max(initial=0))) + 2
    best = np.full(ra.shape[0], np.iinfo(np.int64).max, dtype=np.int64)
    for m in members.tolist():
        da, ds = np.abs(ra - ra[m]), np.abs(rs - rs[m])
        tier = np.where(da == 0, 0, np.where(ds == 0, 1, 2))
        d1 = np.where(tier == 0, ds, da)
        d2 = np.where(tier == 2, ds, 0)
        np.minimum(best, (tier * big + d1) * big + d2, out=best)
    return best


def _merge(groups: _Groups, item_of_atom: np.ndarray, ra: np.ndarray, rs: np.ndarray,
           allowed, min_n: int, exempt: np.ndarray) -> list:
    """Merge deficient items with their nearest allowed neighbour (module docstring).

    Stage 1: each deficient item joins the group of the nearest atom of an item that had min_n
    respondents from the start (order-independent).  Stage 2, for items with no such neighbour:
    groups still deficient merge with the nearest allowed group, ties to the smaller group, in
    key order, until they reach min_n.  Returns the deficient items now grouped with others.
    """
    n_items = groups.count.shape[0]
    counts = groups.count.copy()
    healthy = (counts >= min_n) & ~exempt
    first = np.full(n_items, len(item_of_atom), dtype=np.int64)
    np.minimum.at(first, item_of_atom, np.arange(len(item_of_atom)))
    order = [i for i in np.argsort(first, kind="stable").tolist() if not exempt[i] and counts[i] < min_n]
    left = []
    for i in order:  # stage 1
        roots = groups.root[item_of_atom]
        root = int(groups.root[i])
        cand = np.flatnonzero((roots != root) & healthy[item_of_atom] & allowed(root, roots))
        if cand.size == 0:
            left.append(i)
            continue
        code = _distance(ra, rs, np.flatnonzero(roots == root))
        groups.union(int(item_of_atom[cand[np.lexsort((cand, code[cand]))[0]]]), root)
    for i in left:  # stage 2
        while groups.size(i) < min_n:
            roots = groups.root[item_of_atom]
            root = int(groups.root[i])
            cand = np.flatnonzero((roots != root) & ~exempt[item_of_atom] & allowed(root, roots))
            if cand.size == 0:  # nothing left to merge with: stays lonely (reported)
                break
            code = _distance(ra, rs, np.flatnonzero(roots == root))
            size = groups.count[roots]
            groups.union(int(item_of_atom[cand[np.lexsort((cand, size[cand], code[cand]))[0]]]), root)
    members = np.bincount(groups.root, minlength=n_items)
    return [i for i in order if members[groups.root[i]] > 1]


def collapse_strata(strata: Any, cells: Any, weights: Any, keys: Mapping | None = None,
                    census: Collection = (), min_n: int = 2) -> Collapse:
    """Merge strata, then calibration cells, with fewer than min_n positive-weight respondents.

    strata, cells, weights: one value per respondent.  keys: {cell: (agency key, sector key)}
    for the neighbour order (default: the cell label itself when it is a pair, else one agency).
    census: strata whose respondents are their whole population (n_h = N_h): never merged,
    never absorb another stratum (they have no sampling variance).  Strata and cells whose
    respondents all have weight 0 are treated alike (as if nobody had answered there).
    """
    w = np.asarray(weights, dtype=float).reshape(-1)
    n = w.shape[0]
    hc, hl = factorize(strata, n, "strata")
    cc, cl = factorize(cells, n, "cells")
    if (hc < 0).any() or (cc < 0).any():
        raise ValueError("collapse: every respondent needs a stratum and a cell")
    pos = w > 0
    # Atoms: distinct (stratum, cell) pairs, sorted by the cell's key, then the stratum.
    pairs = sorted({(int(h), int(c)) for h, c in zip(hc.tolist(), cc.tolist())},
                   key=lambda p: (_order(_key(cl[p[1]], keys)), _order(hl[p[0]])))
    atom_h = np.array([p[0] for p in pairs], dtype=np.int64)
    atom_c = np.array([p[1] for p in pairs], dtype=np.int64)
    ak = [_key(cl[c], keys) for c in atom_c.tolist()]
    ra, rs = _rank([k[0] for k in ak]), _rank([k[1] for k in ak])
    h_pos = np.bincount(hc, weights=pos.astype(float), minlength=len(hl)).astype(np.int64)
    c_pos = np.bincount(cc, weights=pos.astype(float), minlength=len(cl)).astype(np.int64)
    census_set = set(census)
    # Exempt (neither merged nor a neighbour): census strata, which have no sampling variance, and
    # strata or cells whose respondents all weigh 0, which count as having no respondent at all.
    h_exempt = np.array([h in census_set for h in hl], dtype=bool)
    c_exempt = np.zeros(len(cl), dtype=bool)
    c_exempt[np.unique(cc[h_exempt[hc]])] = True
    h_exempt |= h_pos == 0
    c_exempt |= c_pos == 0
    sg = _Groups(h_pos)
    merged = _merge(sg, atom_h, ra, rs, lambda root, roots: True, min_n, h_exempt)
    # Cells: prefer a neighbour inside the same collapsed stratum, else anywhere (non-nested cells).
    cg = _Groups(c_pos)
    stratum_root = sg.root[atom_h]

    def same_stratum(root: int, roots: np.ndarray) -> np.ndarray:
        inside = np.isin(stratum_root, stratum_root[roots == root])
        return inside if (inside & (roots != root)).any() else np.ones(len(atom_c), dtype=bool)

    merged_c = _merge(cg, atom_c, ra, rs, same_stratum, min_n, c_exempt)
    return Collapse(_labels(sg, hl, h_pos, atom_h), _labels(cg, cl, c_pos, atom_c),
                    tuple(hl[i] for i in merged), tuple(cl[i] for i in merged_c),
                    tuple(h for i, h in enumerate(hl) if not h_exempt[i] and sg.size(i) < min_n),
                    dict(zip(hl, h_pos.tolist())))


def _labels(groups: _Groups, labels: list, counts: np.ndarray, item_of_atom: np.ndarray) -> dict:
    """{label: label of its group's representative}: most positive respondents, then first in order."""
    first = {}
    for a, i in enumerate(item_of_atom.tolist()):
        first.setdefault(i, a)
    best: dict = {}
    for i in range(len(labels)):
        r = int(groups.root[i])
        rank = (-int(counts[i]), first.get(i, len(item_of_atom)))
        if r not in best or rank < best[r][0]:
            best[r] = (rank, i)
    return {labels[i]: labels[best[int(groups.root[i])][1]] for i in range(len(labels))}


def collapsed_codes(values: Any, mapping: Mapping) -> np.ndarray:
    """The collapsed label of each value (an object array)."""
    arr = np.asarray(values)
    codes, labels = factorize(arr, arr.shape[0])
    out = np.array([mapping[v] for v in labels] + [None], dtype=object)
    return out[np.where(codes >= 0, codes, len(labels))]
