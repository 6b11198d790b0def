"""The SIPAS satisfaction index (DESIGN.md §7) with linearised confidence intervals.

item    = weighted share of valid answers that are "satisfied" (codes 4, 5), in percent
element = mean of its item indices; part = mean of its elements; overall = mean of the parts
          (or of the elements when the structure has no parts)

Every level is a linear combination of item ratios p_j = Σw·s_j / Σw·v_j, so its linearised
value is the same combination of the items' values (s_j − p_j v_j)/Σw·v_j: correlation between
items and items answered by fewer people are accounted for exactly.  A component without
valid answers in a domain is left out of the mean of its parent (docs/methodology.md §6).

The engine runs on per-unit sums (`IndexSums`), so rows may be single responses (in-memory
path) or pre-aggregated per PSU/group/cell (e.g. by the database): the results are identical.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.ci import proportion_interval
from analysis.design import Design
from analysis.estimate import Estimate
from analysis.index_engine import Engine, Table
from analysis.index_sources import AnswerSource, SumsSource


@dataclass(frozen=True)
class IndexSums:
    """Per-unit sums for J items, laid out (J, U): one row per item, one column per unit.

    satisfied[j, u] = Σ w·1{answer satisfied}, valid[j, u] = Σ w·1{valid answer}, with w the
    design's *base* weights (those given to Design(...)); count[j, u] = number of valid
    answers with a positive weight.
    """

    satisfied: np.ndarray
    valid: np.ndarray
    count: np.ndarray

    def __post_init__(self) -> None:
        shapes = {self.satisfied.shape, self.valid.shape, self.count.shape}
        if len(shapes) != 1 or self.satisfied.ndim != 2:
            raise ValueError("IndexSums arrays must all have the same (items, units) shape")

    @property
    def n_units(self) -> int:
        """Number of units U."""
        return int(self.satisfied.shape[1])

    def aggregate(self, units: Any) -> IndexSums:
        """Sum units into coarser units (codes 0…V−1 per current unit), e.g. rows → PSU × cell."""
        codes = np.asarray(units, dtype=np.int64).reshape(-1)
        if codes.shape[0] != self.n_units or (codes < 0).any():
            raise ValueError("aggregate: give one non-negative unit code per current unit")
        size = int(codes.max()) + 1 if codes.size else 0
        out = [np.stack([np.bincount(codes, weights=M[j], minlength=size) for j in range(M.shape[0])])
               if M.shape[0] else np.zeros((0, size)) for M in (self.satisfied, self.valid, self.count)]
        return IndexSums(*out)


@dataclass(frozen=True)
class IndexResult:
    """Item, element, part and overall indices (percent) of one domain."""

    items: dict
    elements: dict
    parts: dict
    overall: Estimate


@dataclass(frozen=True)
class Structure:
    """A validated index tree over answer columns."""

    columns: tuple            # the item columns used, sorted
    elements: dict            # name → tuple of column indices
    parts: dict               # name → tuple of element names (may be empty)

    @classmethod
    def parse(cls, structure: Mapping, n_columns: int) -> Structure:
        """Validate {"elements": {name: [columns]}, "parts": {name: [elements]}}."""
        if not isinstance(structure, Mapping) or "elements" not in structure:
            raise ValueError("structure must be a dict with 'elements' (and optionally 'parts')")
        elements: dict = {}
        for name, cols in dict(structure["elements"]).items():
            cols = tuple(int(c) for c in cols)
            if not cols:
                raise ValueError("element %r has no items" % (name,))
            bad = [c for c in cols if not 0 <= c < n_columns]
            if bad:
                raise ValueError("element %r refers to column %d; answers have %d columns"
                                 % (name, bad[0], n_columns))
            elements[name] = cols
        if not elements:
            raise ValueError("structure has no elements")
        parts: dict = {}
        for name, members in dict(structure.get("parts") or {}).items():
            members = tuple(members)
            unknown = [m for m in members if m not in elements]
            if unknown or not members:
                raise ValueError("part %r names unknown elements: %r" % (name, unknown or members))
            parts[name] = members
        columns = tuple(sorted({c for cols in elements.values() for c in cols}))
        return cls(columns, elements, parts)


def index_sums(weights: Any, answers: Any, satisfied: Iterable = (4, 5),
               valid: Iterable | None = (1, 2, 3, 4, 5)) -> IndexSums:
    """Row-level sums (each row its own unit) from an n × J array of scale codes (NaN = none).

    `weights` are the weights the design is built with (its base weights)."""
    w = np.asarray(weights, dtype=float).reshape(-1)
    a = np.asarray(answers)
    if a.ndim != 2:
        raise ValueError("answers must be an n × J array (one column per item)")
    source = AnswerSource(w, a, list(range(a.shape[1])), satisfied, valid)
    S, V, C = source.block(0, w.shape[0])
    return IndexSums(satisfied=S, valid=V, count=C)


def satisfaction_index(d: Design, answers: Any, structure: Mapping, by: Any = None,
                       method: str = "logit", level: float = 0.95,
                       satisfied: Iterable = (4, 5), valid: Iterable | None = (1, 2, 3, 4, 5)):
    """SIPAS indices of a design's rows: an IndexResult, or {group: IndexResult} with by=.

    `satisfied` / `valid`: the codes that count as satisfied / as an answer on the scale, for
    every column, or one list per answer column.  Codes outside `valid` raise ValueError
    (valid=None accepts any non-NaN code).  `method`: the interval (see analysis.ci).
    """
    return index_table_answers(d, answers, structure, {"_": by}, method, level, satisfied,
                               valid)["_"]


def index_table_answers(d: Design, answers: Any, structure: Mapping, partitions: Mapping,
                        method: str = "logit", level: float = 0.95,
                        satisfied: Iterable = (4, 5), valid: Iterable | None = (1, 2, 3, 4, 5),
                        route: str = "auto") -> dict:
    """index_table for an n × J array of scale codes (read in blocks, never copied whole)."""
    a = np.asarray(answers)
    if a.ndim != 2:
        raise ValueError("answers must be an n × J array (one column per item)")
    st = Structure.parse(structure, a.shape[1])
    source = AnswerSource(d.weights, a, list(st.columns), satisfied, valid)
    return _table(d, source, st, partitions, method, level, route)


def satisfaction_index_from_sums(d: Design, sums: IndexSums, structure: Mapping, by: Any = None,
                                 method: str = "logit", level: float = 0.95):
    """The same indices from per-unit sums (the design has one row per unit)."""
    return index_table(d, sums, structure, {"_": by}, method, level)["_"]


def index_table(d: Design, sums: IndexSums, structure: Mapping, partitions: Mapping,
                method: str = "logit", level: float = 0.95, route: str = "auto") -> dict:
    """Indices for several groupings at once: {name: by} → {name: IndexResult or {group: …}}.

    The weighted item sums are prepared once and shared by every grouping (by=None gives the
    whole-sample IndexResult).  `route` is for tests (see analysis.index_engine).
    """
    if sums.n_units != d.n:
        raise ValueError("sums have %d units but the design has %d rows" % (sums.n_units, d.n))
    st = Structure.parse(structure, sums.satisfied.shape[0])
    cols = list(st.columns)
    w, w0 = d.weights, d.base_weights
    scale = None if np.array_equal(w, w0) else np.divide(w, w0, out=np.zeros_like(w), where=w0 > 0)
    return _table(d, SumsSource(sums.satisfied, sums.valid, sums.count, cols, scale), st,
                  partitions, method, level, route)


def _table(d: Design, source, st: Structure, partitions: Mapping, method: str, level: float,
           route: str) -> dict:
    """Shared by the in-memory and the sums entry points."""
    cols = list(st.columns)
    pos = {c: k for k, c in enumerate(cols)}
    members = [[pos[c] for c in items] for items in st.elements.values()]
    names = list(st.elements)
    part_members = [[names.index(e) for e in elems] for elems in st.parts.values()]
    engine = Engine(d, source, members, part_members)
    groupings, labels = [], []
    for by in partitions.values():
        gc, lab = d.groups(by)
        groupings.append((gc, len(lab)))
        labels.append(lab)
    out = {}
    for name, by, lab, table in zip(partitions, partitions.values(), labels,
                                    engine.tables(groupings, route)):
        results = _results(list(st.columns), names, list(st.parts), table, lab, method, level,
                           d.n if d.calibrated else None)
        out[name] = results[None] if by is None else results
    return out


def _results(cols, names, part_names, table: Table, labels, method, level, n_rows=None) -> dict:
    """{label: IndexResult} in percent, with the requested interval method (n_rows: see
    analysis.ci.proportion_interval; None = the valid answers)."""
    J, E = len(cols), len(names)
    K = table.values.shape[1]
    lo, hi = proportion_interval(table.values, table.se, table.df[:, None], table.ns, method, level,
                                 n_rows)
    v100, s100, l100, h100 = (100 * a for a in (table.values, table.se, lo, hi))
    out = {}
    for g, label in enumerate(labels):
        df = int(table.df[g])
        row = [Estimate(float(v100[g, k]), float(s100[g, k]), float(l100[g, k]),
                        float(h100[g, k]), df, int(table.ns[g, k])) for k in range(K)]
        out[label] = IndexResult(items=dict(zip(cols, row[:J])),
                                 elements=dict(zip(names, row[J:J + E])),
                                 parts=dict(zip(part_names, row[J + E:K - 1])),
                                 overall=row[K - 1])
    return out
