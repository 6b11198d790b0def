"""Proportion intervals: R's svyciprop methods (logit, beta, mean) and the design-based Wilson."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import Design
from analysis.ci import proportion_interval
from tests.analysis import r_goldens as R
from tests.analysis.conftest import assert_matches


@pytest.fixture
def d(df):
    return Design(df["w"], strata=df["stratum"], psu=df["psu"], fpc=df["fpc"])


@pytest.mark.parametrize("method", ["logit", "beta", "mean", "wilson"])
def test_every_method_matches_r_for_a_common_and_a_rare_proportion(d, df, method):
    fields = ("value", "se", "ci_low", "ci_high")
    assert_matches(d.proportion(df["b"], method=method), getattr(R, "PROP_B_" + method.upper()), fields=fields)
    assert_matches(d.proportion(df["rare"], method=method), getattr(R, "PROP_RARE_" + method.upper()), fields=fields)


@pytest.mark.parametrize("method", ["logit", "beta", "mean"])
def test_domain_proportions_match_svyciprop_on_the_subset(d, df, method):
    est = d.proportion(df["b"], by=df["g"], method=method)["u"]
    assert_matches(est, getattr(R, "PROP_B_U_" + method.upper()), fields=("value", "se", "ci_low", "ci_high"))


def test_the_mean_method_is_not_clipped_as_in_r():
    lo, hi = proportion_interval(0.05, 0.04, 10, 30, "mean")
    c = 2.2281388519649385  # R: qt(0.975, 10)
    assert lo == pytest.approx(0.05 - c * 0.04) and lo < 0  # svyciprop(method = "mean") does the same


def test_booleans_are_accepted_and_other_codes_rejected(d, df):
    as_bool = d.proportion(df["rare"] == 1)
    assert as_bool == d.proportion(df["rare"])
    with pytest.raises(ValueError, match="0, 1 or NaN"):
        d.proportion(np.where(df["rare"] == 1, 2.0, 0.0))
    with pytest.raises(ValueError, match="method must be one of"):
        d.proportion(df["rare"], method="exact")


@pytest.mark.parametrize("method", ["logit", "beta", "mean"])
def test_all_satisfied_gives_clopper_pearson_not_a_zero_width_interval(method):
    d = Design(np.ones(12), strata=np.repeat([1, 2], 6))
    est = d.proportion(np.ones(12), method=method)
    assert est.value == 1 and est.se == 0
    # Clopper–Pearson for 12 of 12: qbeta(0.025, 12, 1) = 0.025^(1/12)
    assert est.ci_low == pytest.approx(0.025 ** (1 / 12), rel=1e-12)
    assert est.ci_high == 1


def test_none_satisfied_gives_the_mirror_interval():
    d = Design(np.ones(12), strata=np.repeat([1, 2], 6))
    est = d.proportion(np.zeros(12), method="logit")
    assert est.ci_low == 0
    assert est.ci_high == pytest.approx(1 - 0.025 ** (1 / 12), rel=1e-12)


def test_wilson_with_all_satisfied_uses_n_answers():
    d = Design(np.ones(12), strata=np.repeat([1, 2], 6))
    est = d.proportion(np.ones(12), method="wilson")
    c = 2.2281388519649385  # qt(0.975, 10)
    n = 12
    assert est.ci_low == pytest.approx((1 + c * c / (2 * n) - c * math.sqrt(c * c / (4 * n * n))) / (1 + c * c / n))
    assert est.ci_high == 1


def test_a_fully_enumerated_domain_has_a_zero_width_interval():
    lo, hi = proportion_interval(0.4, 0.0, 10, 25, "beta")
    assert lo == hi == pytest.approx(0.4)


def test_no_degrees_of_freedom_means_no_interval():
    d = Design(np.ones(3), strata=[1, 2, 3])  # three strata of one PSU: df = 0
    est = d.proportion(np.array([1.0, 0.0, 1.0]), method="logit")
    assert est.df == 0 and math.isnan(est.ci_low) and math.isnan(est.ci_high)
