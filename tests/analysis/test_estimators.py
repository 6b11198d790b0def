"""Means, totals, ratios and domains against R's survey package (goldens in r_goldens.py)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import Design, Estimate
from tests.analysis import r_goldens as R
from tests.analysis.conftest import assert_matches


def strat_fpc(df):
    """d_sf: rows are the PSUs, stratified, fpc = population rows per stratum."""
    return Design(df["w"], strata=df["stratum"], fpc=df["fpc_rows"])


def cluster(df):
    """d_cl: one-stage cluster sample, no strata."""
    return Design(df["w"], psu=df["psu"])


def strat_cluster_fpc(df):
    """d_scf: stratified cluster sample with fpc = population PSUs per stratum."""
    return Design(df["w"], strata=df["stratum"], psu=df["psu"], fpc=df["fpc"])


@pytest.mark.parametrize("make, method, golden", [
    (strat_fpc, "mean", R.MEAN_SF), (strat_fpc, "total", R.TOTAL_SF),
    (cluster, "mean", R.MEAN_CL), (cluster, "total", R.TOTAL_CL),
    (strat_cluster_fpc, "mean", R.MEAN_SCF), (strat_cluster_fpc, "total", R.TOTAL_SCF),
])
def test_mean_and_total_match_r_for_stratified_fpc_and_cluster_designs(df, make, method, golden):
    est = getattr(make(df), method)(df["y"])
    assert isinstance(est, Estimate)
    assert_matches(est, golden)


@pytest.mark.parametrize("make, golden", [(cluster, R.RATIO_CL), (strat_cluster_fpc, R.RATIO_SCF)])
def test_ratio_matches_svyratio(df, make, golden):
    assert_matches(make(df).ratio(df["y"], df["x"]), golden)


def test_domain_means_and_totals_keep_the_whole_design_and_match_r_subsets(df):
    d = strat_cluster_fpc(df)
    means = d.mean(df["y"], by=df["g"])
    totals = d.total(df["y"], by=df["g"])
    assert set(means) == {"e", "t", "u", "v"}
    for g in "tuv":
        assert_matches(means[g], getattr(R, "DOMAIN_MEAN_SCF_" + g))
        assert_matches(totals[g], getattr(R, "DOMAIN_TOTAL_SCF_" + g))


def test_a_domain_whose_values_are_all_missing_is_nan_with_zero_n(df):
    d = strat_cluster_fpc(df)
    empty = d.mean(df["y"], by=df["g"])["e"]
    assert math.isnan(empty.value) and math.isnan(empty.se) and math.isnan(empty.ci_low)
    assert empty.n == 0
    # its total is the sum over no rows: 0, with no sampling error
    total = d.total(df["y"], by=df["g"])["e"]
    assert total.value == 0 and total.se == 0 and total.n == 0


def test_crossed_by_gives_tuple_keys_and_matches_single_domains(df):
    d = strat_cluster_fpc(df)
    crossed = d.mean(df["y"], by=(df["g"], df["cellA"]))
    mask = (df["g"] == "u") & (df["cellA"] == "m")
    single = d.mean(df["y"], by=np.where(mask, "yes", "no"))["yes"]
    assert crossed[("u", "m")] == single


def test_labels_may_be_any_hashable_and_missing_labels_leave_every_domain(df):
    d = strat_cluster_fpc(df)
    codes = {"t": 3, "u": 1.5, "v": ("v", 1), "e": None}
    labels = np.array([codes[g] for g in df["g"]], dtype=object)
    out = d.mean(df["y"], by=labels)
    assert set(out) == {1.5, 3, ("v", 1)}
    assert_matches(out[1.5], R.DOMAIN_MEAN_SCF_u)


def test_zero_weights_stay_in_the_design_but_not_in_n_or_df(df):
    d = Design(df["w0"], strata=df["stratum"], psu=df["psu"])
    est = d.mean(df["y"])
    assert_matches(est, R.ZERO_W_MEAN)
    assert est.n == int((~np.isnan(df["y"]) & (df["w0"] > 0)).sum())


@pytest.mark.parametrize("rule", ["adjust", "remove", "certainty"])
def test_lonely_psu_rules_match_r_options(df, rule):
    d = Design(df["w"], strata=df["hl"], psu=df["psu"], lonely_psu=rule)
    assert_matches(d.mean(df["y"]), getattr(R, "LONELY_%s_MEAN" % rule.upper()))
    assert_matches(d.total(df["y"]), getattr(R, "LONELY_%s_TOTAL" % rule.upper()))


def test_lonely_psu_fail_names_the_stratum(df):
    with pytest.raises(ValueError, match="'E' has only one PSU"):
        Design(df["w"], strata=df["hl"], psu=df["psu"], lonely_psu="fail")


def test_trimming_matches_trimweights_and_keeps_the_total(df):
    d = cluster(df).trim(upper=25)
    assert_matches(d.mean(df["y"]), R.TRIM_MEAN)
    assert d.weights[0] == pytest.approx(R.TRIM_WEIGHTS["w1"], rel=1e-12)
    assert d.weights[1] == pytest.approx(R.TRIM_WEIGHTS["w2"], rel=1e-12)
    assert d.weights.sum() == pytest.approx(R.TRIM_WEIGHTS["total"], rel=1e-12)


def test_strict_trimming_leaves_no_weight_above_the_bound(df):
    d = cluster(df).trim(upper=22, strict=True)
    assert d.weights.max() <= 22 + 1e-9
    assert d.weights.sum() == pytest.approx(df["w"].sum())


def test_kish_design_effect_and_effective_n(df):
    d = cluster(df)
    assert d.kish_deff == pytest.approx(R.KISH["deff"], rel=1e-12)
    assert d.effective_n == pytest.approx(R.KISH["neff"], rel=1e-12)


def test_df_is_psus_minus_strata(df):
    assert strat_cluster_fpc(df).df == R.MEAN_SCF["df"]
    assert strat_fpc(df).df == R.MEAN_SF["df"]
    assert cluster(df).df == R.MEAN_CL["df"]


def test_level_changes_the_interval_width(df):
    d = strat_cluster_fpc(df)
    e95, e80 = d.mean(df["y"]), d.mean(df["y"], level=0.8)
    assert e80.value == e95.value and e80.se == e95.se
    assert e95.ci_low < e80.ci_low < e80.ci_high < e95.ci_high
