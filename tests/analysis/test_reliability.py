"""Cronbach's alpha with Feldt's interval (R: the psych::alpha.ci formula)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import cronbach_alpha
from tests.analysis import r_goldens as R


def test_alpha_and_feldt_interval_match_r(df):
    for cols, golden in ((["a1", "a2", "a4"], R.ALPHA_A124), (["a1", "a2", "a3", "a4"], R.ALPHA_A1_A4)):
        alpha, lo, hi = cronbach_alpha(np.column_stack([df[c] for c in cols]))
        assert (alpha, lo, hi) == pytest.approx((golden["alpha"], golden["lo"], golden["hi"]), rel=1e-9)


def test_rows_with_a_missing_item_are_left_out(df):
    m = np.column_stack([df[c] for c in ("a1", "a2", "a3", "a4")])
    complete = m[~np.isnan(m).any(axis=1)]
    assert complete.shape[0] == R.ALPHA_A1_A4["n"]
    assert cronbach_alpha(m) == cronbach_alpha(complete)


def test_degenerate_inputs_give_nan_or_a_clear_error():
    assert all(math.isnan(v) for v in cronbach_alpha([[1, 2, 3]]))       # one complete row
    assert all(math.isnan(v) for v in cronbach_alpha([[3, 3], [3, 3]]))  # no variance
    with pytest.raises(ValueError, match="at least 2 items"):
        cronbach_alpha([[1], [2]])
    with pytest.raises(ValueError, match="n × k matrix"):
        cronbach_alpha([1, 2, 3])
