"""Degenerate singleton designs (methodology §10): all singletons, one stratum, zero weights."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.weighting import design_for_wave
from tests.analysis import r_goldens as R
from tests.analysis.conftest import assert_matches


def chain(strata, base, y, population, totals=None, **kw):
    """design_for_wave with every stratum its own cell and no nonresponse (factor 1)."""
    strata = np.asarray(strata, dtype=object)
    base = np.asarray(base, dtype=float)
    sampled = {h: float(base[strata == h].sum()) for h in set(strata.tolist())}
    d, report = design_for_wave(base, strata, sampled, population, strata, totals or population, **kw)
    return d, report, np.asarray(y, dtype=float)


def test_when_every_stratum_is_a_singleton_they_collapse_in_pairs_and_match_r():
    d, report, y = chain(list("abcdef"), [2, 3, 4, 5, 6, 7], [1, 0, 1, 1, 0, 1], dict.fromkeys("abcdef", 10))
    assert report.collapse.strata == {"a": "a", "b": "a", "c": "c", "d": "c", "e": "e", "f": "e"}
    assert report.n_collapsed == 6
    assert report.stratum_population == {"a": 20, "c": 20, "e": 20}
    assert_matches(d.mean(y), R.DEG_ALL_SINGLETONS, rtol=1e-9)  # the R call is beside the golden
    old, _, _ = chain(list("abcdef"), [2, 3, 4, 5, 6, 7], y, dict.fromkeys("abcdef", 10), collapse=False)
    assert old.mean(y).se == pytest.approx(0.0, abs=1e-15)  # what the old rule published
    assert old.mean(y).df == 0


def test_one_stratum_with_several_respondents_needs_no_collapse():
    y = [1, 0, 1, 1]
    d, report, y = chain(["s"] * 4, [2.0, 2, 3, 3], y, {"s": 40})
    old, _, _ = chain(["s"] * 4, [2.0, 2, 3, 3], y, {"s": 40}, collapse=False)
    assert report.n_collapsed == 0 and report.collapse.lonely == ()
    assert d.mean(y) == old.mean(y) and d.mean(y).se > 0


def test_a_wave_of_one_respondent_has_no_interval_and_says_so():
    d, report, y = chain(["s"], [4.0], [1.0], {"s": 40})
    assert report.collapse.lonely == ("s",) and report.n_collapsed == 0
    est = d.mean(y)
    # One respondent: the value is defined, the variance is not estimable; df = 1 PSU − 1 stratum = 0,
    # so there is no interval (status "not distinguishable", flagged no_interval): nothing is claimed.
    assert est.value == 1.0 and est.df == 0 and math.isnan(est.ci_low) and math.isnan(est.ci_high)


def test_a_singleton_with_zero_weight_changes_nothing():
    strata = ["a"] * 3 + ["b"] * 3 + ["z"]
    base = [1.0, 2, 3, 2, 2, 2, 0]
    y = [1, 0, 1, 1, 1, 0, 1]
    pop = {"a": 10, "b": 12, "z": 5}
    d, report, y = chain(strata, base, y, pop)
    # z's only respondent weighs 0: as if nobody had answered there (not merged, not represented).
    assert report.collapse.strata["z"] == "z" and report.n_collapsed == 0 and report.collapse.lonely == ()
    assert report.missing_cells == {"z": 5} and set(report.cell_population) == {"a", "b"}
    without, _, _ = chain(strata[:-1], base[:-1], y[:-1], {"a": 10, "b": 12})
    assert d.mean(y).value == pytest.approx(without.mean(y[:-1]).value, rel=1e-14)
    assert d.mean(y).se == pytest.approx(without.mean(y[:-1]).se, rel=1e-12)
    assert d.mean(y).df == without.mean(y[:-1]).df


def test_a_stratum_whose_second_respondent_weighs_zero_is_a_singleton():
    strata = ["a"] * 3 + ["b"] * 2
    d, report, y = chain(strata, [1.0, 2, 3, 2, 0], [1, 0, 1, 1, 0], {"a": 10, "b": 12})
    assert report.collapse.strata == {"a": "a", "b": "a"} and report.collapse.merged == ("b",)
    assert report.cell_population == {"a": 22}
    assert d.mean(y).se > 0 and d.df == 3  # 4 positive weights − 1 collapsed stratum
