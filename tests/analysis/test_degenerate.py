"""Defined behaviour on bad or degenerate input: clear errors, NaN estimates, never a crash."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import Design, satisfaction_index
from tests.analysis.test_index import STRUCTURE


@pytest.mark.parametrize("weights, message", [
    ([1.0, -2.0], "≥ 0"), ([1.0, np.nan], "finite"), ([1.0, np.inf], "finite"), (3.0, "one-dimensional"),
])
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(ValueError, match=message):
        Design(weights)


def test_bad_strata_psu_and_fpc_are_refused():
    w = np.ones(4)
    with pytest.raises(ValueError, match="missing stratum"):
        Design(w, strata=["a", None, "a", "b"])
    with pytest.raises(ValueError, match="expected 4"):
        Design(w, strata=["a", "b"])
    with pytest.raises(ValueError, match="constant within a stratum"):
        Design(w, strata=["a", "a", "b", "b"], fpc=[10, 11, 10, 10])
    with pytest.raises(ValueError, match="2 sampled PSUs but a population of 1.5"):
        Design(w, strata=["a", "a", "b", "b"], fpc=[1.5, 1.5, 10, 10])
    with pytest.raises(ValueError, match="lonely_psu must be one of"):
        Design(w, lonely_psu="average")


def test_fpc_as_sampling_fractions_equals_population_counts():
    w = np.array([2.0, 2, 4, 4, 4])
    y = np.array([1.0, 3, 2, 5, 4])
    h = ["a", "a", "b", "b", "b"]
    by_count = Design(w, strata=h, fpc=[4, 4, 12, 12, 12]).mean(y)
    by_fraction = Design(w, strata=h, fpc=[0.5, 0.5, 0.25, 0.25, 0.25]).mean(y)
    assert by_count == by_fraction


def test_infinite_fpc_means_no_correction_even_next_to_finite_ones():
    w, y, h = np.ones(6), np.array([1.0, 2, 3, 4, 5, 9]), [1, 1, 1, 2, 2, 2]
    plain = Design(w, strata=h).mean(y)
    assert Design(w, strata=h, fpc=np.full(6, np.inf)).mean(y) == plain
    mixed = Design(w, strata=h, fpc=[np.inf] * 3 + [0.5] * 3).mean(y)
    by_count = Design(w, strata=h, fpc=[np.inf] * 3 + [6] * 3).mean(y)
    assert mixed == by_count and mixed.se < plain.se


def test_a_census_stratum_contributes_no_variance():
    w = np.ones(6)
    y = np.array([1.0, 2, 3, 4, 5, 9])
    census = Design(w, strata=[1, 1, 1, 2, 2, 2], fpc=[3, 3, 3, 100, 100, 100])
    only_b = Design(w[3:], strata=[2, 2, 2], fpc=[100, 100, 100])
    assert census.total(y).se == pytest.approx(only_b.total(y[3:]).se)


def test_an_empty_design_and_all_missing_answers_give_nan_estimates():
    empty = Design(np.zeros(0))
    est = empty.mean(np.zeros(0))
    assert math.isnan(est.value) and est.n == 0 and est.df == 0
    d = Design(np.ones(4), strata=[1, 1, 2, 2])
    res = satisfaction_index(d, np.full((4, 8), np.nan), STRUCTURE)
    assert math.isnan(res.overall.value) and res.overall.n == 0
    assert all(math.isnan(e.value) for e in res.items.values())


def test_all_zero_weights_in_a_domain_make_it_empty():
    d = Design(np.array([0.0, 0.0, 1.0, 2.0]), strata=[1, 1, 2, 2])
    out = d.mean(np.array([1.0, 2.0, 3.0, 4.0]), by=np.array(["x", "x", "y", "y"]))
    assert math.isnan(out["x"].value) and out["x"].n == 0 and out["x"].df == 0
    assert out["y"].value == pytest.approx(11 / 3)


def test_a_single_respondent_domain_has_an_estimate_but_no_interval():
    d = Design(np.ones(6), strata=[1, 1, 1, 2, 2, 2])
    out = d.mean(np.array([1.0, 2, 3, 4, 5, 6]), by=np.array(list("abbbbb")))
    assert out["a"].value == 1 and out["a"].df == 0
    # its linearised value is 0 (y − ȳ = 0), so se = 0, and with df = 0 no interval exists
    assert out["a"].se == 0 and math.isnan(out["a"].ci_low) and math.isnan(out["a"].ci_high)


def test_results_are_plain_floats_and_frozen():
    est = Design(np.ones(4), strata=[1, 1, 2, 2]).mean(np.array([1.0, 2, 3, 5]))
    assert type(est.value) is float and type(est.df) is int
    with pytest.raises(AttributeError):
        est.value = 3.0  # type: ignore[misc]
    assert est.as_dict()["n"] == 4


def test_a_grouping_whose_labels_are_all_missing_has_no_groups():
    d = Design(np.ones(4), strata=[1, 1, 2, 2])
    assert d.mean(np.array([1.0, 2, 3, 4]), by=np.array([None] * 4, dtype=object)) == {}
    assert d.mean(np.array([1.0, 2, 3, 4]), by=np.full(4, np.nan)) == {}
    assert satisfaction_index(d, np.full((4, 8), 4.0), STRUCTURE, by=np.array([None] * 4, dtype=object)) == {}
