"""Where the index engine reads item sums from, one block of units at a time.

A source yields, for units start…stop, three (J, m) float arrays at the design's *final*
weights: S = Σw·1{satisfied}, V = Σw·1{valid answer}, C = number of valid answers (weight > 0).
Reading in blocks keeps memory flat: nothing of size units × items is built besides the input.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class AnswerSource:
    """Blocks computed from an n × J_all array of scale codes (NaN = no answer) and weights."""

    def __init__(self, weights: np.ndarray, answers: np.ndarray, columns: list,
                 satisfied: Iterable, valid: Iterable | None) -> None:
        a = np.asarray(answers)
        if a.ndim != 2 or a.shape[0] != weights.shape[0]:
            raise ValueError("answers must be an n × J array with one row per design row (%d)"
                             % weights.shape[0])
        if a.dtype.kind not in "fiub":
            raise ValueError("answers must be numeric scale codes (NaN = no answer)")
        self.w, self.a, self.cols = weights, a, list(columns)
        self.n, self.J = weights.shape[0], len(self.cols)
        self.sat = _codes(satisfied, self.cols, a.shape[1], "satisfied")
        self.valid = None if valid is None else _codes(valid, self.cols, a.shape[1], "valid")
        self.all_cols = self.cols == list(range(a.shape[1]))

    def block(self, start: int, stop: int) -> tuple:
        """(S, V, C) for units start … stop − 1, each (J, stop − start)."""
        a = self.a[start:stop]
        a = a if self.all_cols else a[:, self.cols]
        at = np.ascontiguousarray(a.T, dtype=float)
        answered = ~np.isnan(at)
        if self.valid is not None:
            ok = _isin(at, self.valid) | ~answered
            if not ok.all():
                k = int(np.flatnonzero(~ok.all(axis=1))[0])
                bad = np.unique(at[k][~ok[k]])[:10]
                codes = self.valid if isinstance(self.valid, np.ndarray) else self.valid[k]
                raise ValueError("answers in column %d contain codes outside the scale %s: %s"
                                 % (self.cols[k], codes.astype(int).tolist(), bad.tolist()))
        w = self.w[start:stop]
        S = _isin(at, self.sat) * w
        V = answered * w
        C = (answered & (w > 0)).astype(float)
        return S, V, C


def _codes(spec: Iterable, cols: list, n_columns: int, name: str):
    """One code array for every column, or a list (one per used column) when given per column."""
    spec = list(spec)
    if spec and all(isinstance(v, (list, tuple, set, frozenset, np.ndarray)) for v in spec):
        if len(spec) != n_columns:
            raise ValueError("%s: give one code list per answer column (%d), got %d"
                             % (name, n_columns, len(spec)))
        return [np.asarray(sorted(set(spec[c])), dtype=float) for c in cols]
    return np.asarray(sorted(set(spec)), dtype=float)


def _isin(at: np.ndarray, codes) -> np.ndarray:
    """Membership of a (J, m) block in shared codes or in per-row codes."""
    if isinstance(codes, np.ndarray):
        return np.isin(at, codes)
    return np.stack([np.isin(at[k], codes[k]) for k in range(at.shape[0])]) if at.shape[0] \
        else np.zeros(at.shape, dtype=bool)


class SumsSource:
    """Blocks read from per-unit sums (J_all, U) at base weights, rescaled to final weights."""

    def __init__(self, satisfied: np.ndarray, valid: np.ndarray, count: np.ndarray,
                 columns: list, scale: np.ndarray | None) -> None:
        self.s, self.v, self.c = satisfied, valid, count
        self.cols = list(columns)
        self.all_cols = self.cols == list(range(satisfied.shape[0]))
        self.scale = scale
        self.n, self.J = satisfied.shape[1], len(self.cols)

    def block(self, start: int, stop: int) -> tuple:
        """(S, V, C) for units start … stop − 1, each (J, stop − start)."""
        out = []
        for M in (self.s, self.v, self.c):
            part = M[:, start:stop] if self.all_cols else M[self.cols, start:stop]
            out.append(np.array(part, dtype=float))
        if self.scale is not None:
            sc = self.scale[start:stop]
            out[0] *= sc
            out[1] *= sc
        return tuple(out)


def blocks(n: int, size: int):
    """(start, stop) pairs covering 0 … n − 1."""
    for start in range(0, n, size):
        yield start, min(n, start + size)
