"""Post-stratification, raking and nonresponse adjustment, with R's calibrated linearisation."""
from __future__ import annotations

import numpy as np
import pytest

from analysis import Design, adjust_nonresponse, nonresponse_factors
from tests.analysis import r_goldens as R
from tests.analysis.conftest import assert_matches

CELLS_A = {"f": 700, "m": 800}
CELLS_B = {"old": 500, "young": 450, "mid": 550}


@pytest.fixture
def d(df):
    return Design(df["w"], strata=df["stratum"], psu=df["psu"], fpc=df["fpc"])


def test_poststratified_weights_reproduce_the_population_counts(d, df):
    ps = d.poststratify(df["cellA"], CELLS_A)
    for cell, total in CELLS_A.items():
        assert ps.weights[df["cellA"] == cell].sum() == pytest.approx(total, rel=1e-12)
    assert np.array_equal(ps.base_weights, df["w"])


def test_poststratified_mean_total_and_proportion_match_r(d, df):
    ps = d.poststratify(df["cellA"], CELLS_A)
    assert_matches(ps.mean(df["y"]), R.PS_MEAN)
    assert_matches(ps.total(df["x"]), R.PS_TOTAL_X)
    assert_matches(ps.mean(df["b"]), R.PS_MEAN_B)
    assert_matches(ps.proportion(df["b"]), R.PS_PROP_B_LOGIT, fields=("value", "ci_low", "ci_high"))


def test_poststratified_domains_spilling_over_cells_match_r(d, df):
    out = d.poststratify(df["cellA"], CELLS_A).mean(df["y"], by=df["g"])
    for g in "tuv":
        assert_matches(out[g], getattr(R, "PS_DOMAIN_" + g))


def test_poststratified_domains_nested_in_cells_match_r(d, df):
    out = d.poststratify(df["cellA"], CELLS_A).mean(df["y"], by=df["cellA"])
    assert_matches(out["f"], R.PS_CELL_f)
    assert_matches(out["m"], R.PS_CELL_m)


def test_poststratifying_an_element_sample_on_its_strata(df):
    d = Design(df["w"], strata=df["stratum"], fpc=df["fpc_rows"])
    pss = d.poststratify(df["stratum"], {"A": 210, "B": 130, "C": 310, "D": 70})
    assert_matches(pss.mean(df["y"]), R.PSS_MEAN)
    assert_matches(pss.mean(df["y"], by=df["g"])["u"], R.PSS_DOMAIN_u)


def test_the_total_of_a_calibration_variable_has_no_sampling_error(d, df):
    ps = d.poststratify(df["cellA"], CELLS_A)
    est = ps.total((df["cellA"] == "m").astype(float))
    assert est.value == pytest.approx(800)
    assert est.se < 1e-9


def test_raking_converges_to_r_weights_and_calibrate_linearisation(d, df):
    rk = d.rake([(df["cellA"], CELLS_A), (df["cellB"], CELLS_B)])
    assert rk.weights[[0, 9, 39]] == pytest.approx(
        [R.RAKE_WEIGHTS["w1"], R.RAKE_WEIGHTS["w10"], R.RAKE_WEIGHTS["w40"]], rel=1e-9)
    for cell, total in {**CELLS_A}.items():
        assert rk.weights[df["cellA"] == cell].sum() == pytest.approx(total, rel=1e-10)
    for cell, total in CELLS_B.items():
        assert rk.weights[df["cellB"] == cell].sum() == pytest.approx(total, rel=1e-10)
    assert_matches(rk.mean(df["y"]), R.RAKE_MEAN)
    assert_matches(rk.mean(df["y"], by=df["g"])["u"], R.RAKE_DOMAIN_u)


def test_raking_estimate_equals_rake_but_uses_the_exact_linearisation(d, df):
    """R's rake() approximates the residuals by 10 unweighted backfitting sweeps; its SE differs."""
    est = d.rake([(df["cellA"], CELLS_A), (df["cellB"], CELLS_B)]).mean(df["y"])
    assert est.value == pytest.approx(R.RAKEFN_MEAN["value"], rel=1e-9)
    assert est.se == pytest.approx(R.RAKE_MEAN["se"], rel=1e-6)
    assert est.se != pytest.approx(R.RAKEFN_MEAN["se"], rel=1e-3)


def test_poststratify_refuses_cells_without_totals_and_totals_without_sample(d, df):
    with pytest.raises(ValueError, match="no population total: 'm'"):
        d.poststratify(df["cellA"], {"f": 700})
    with pytest.raises(ValueError, match="no sampled weight: 'x'"):
        d.poststratify(df["cellA"], {**CELLS_A, "x": 10})
    ok = d.poststratify(df["cellA"], {**CELLS_A, "x": 10}, partial=True)
    assert ok.weights.sum() == pytest.approx(1500)
    with pytest.raises(ValueError, match="population total of 0"):
        d.poststratify(df["cellA"], {"f": 700, "m": 0})
    with pytest.raises(ValueError, match="missing cell label"):
        d.poststratify(np.where(df["cellA"] == "m", None, df["cellA"]), CELLS_A)


def test_rake_refuses_margins_of_different_populations(d, df):
    with pytest.raises(ValueError, match="same population"):
        d.rake([(df["cellA"], CELLS_A), (df["cellB"], {"old": 1, "young": 1, "mid": 1})])


def test_nonresponse_adjustment_moves_weight_to_respondents_within_classes():
    w = np.array([10.0, 10, 20, 5, 5, 5])
    responded = np.array([True, False, True, True, True, False])
    classes = np.array(["a", "a", "a", "b", "b", "b"])
    out = adjust_nonresponse(w, responded, classes)
    assert out.tolist() == pytest.approx([10 * 40 / 30, 0, 20 * 40 / 30, 7.5, 7.5, 0])
    assert out[classes == "a"].sum() == pytest.approx(40)
    with pytest.raises(ValueError, match="without respondents: 'b'"):
        adjust_nonresponse(w, np.array([True, True, True, False, False, False]), classes)


def test_nonresponse_factors_from_class_sums():
    assert nonresponse_factors({"a": 30.0, "b": 10.0}, {"a": 40.0, "b": 15.0}) == {"a": 40 / 30, "b": 1.5}
    with pytest.raises(ValueError, match="more respondent weight"):
        nonresponse_factors({"a": 50.0}, {"a": 40.0})


def test_calibration_then_trimming_keeps_the_calibration_as_r_trimweights(d, df):
    ps = d.poststratify(df["cellA"], CELLS_A)
    assert ps.trim(upper=1000) is ps  # nothing to trim: the calibrated design is kept
    trimmed = ps.trim(upper=30)
    assert trimmed.weights.max() < ps.weights.max()
    plain = Design(trimmed.weights, strata=df["stratum"], psu=df["psu"], fpc=df["fpc"])
    assert trimmed.mean(df["y"]).value == plain.mean(df["y"]).value
    assert trimmed.mean(df["y"]).se < plain.mean(df["y"]).se  # the cells still explain variance
    assert_matches(trimmed.mean(df["y"]), R.TRIM_PS_R)  # more in test_trim_calibration.py


def test_the_wave_weighting_chain_adjusts_calibrates_and_reports():
    from analysis.weighting import design_for_wave

    base = np.array([2.0, 2, 2, 4, 4, 5])
    strata = np.array([1, 1, 1, 2, 2, 3])
    cells = np.array(["a", "a", "b", "c", "c", "d"], dtype=object)
    d, report = design_for_wave(base, strata, {1: 10.0, 2: 12.0, 3: 5.0}, {1: 50, 2: 1, 3: 20},
                                cells, {"a": 30, "b": 15, "c": 20, "e": 9}, collapse=False)
    assert d.base_weights.tolist() == pytest.approx([2 * 10 / 6] * 3 + [4 * 12 / 8] * 2 + [5.0])
    assert report.factors == pytest.approx({1: 10 / 6, 2: 1.5, 3: 1.0})
    assert report.respondents == {1: 3, 2: 2, 3: 1}
    assert report.no_fpc == (2,)           # 1 dossier for 2 respondents: counts not final, no fpc
    assert report.kept_cells == ("d",)     # no total for d: its weight is kept
    assert report.missing_cells == {"e": 9}
    assert d.weights[cells == "a"].sum() == pytest.approx(30)
    assert d.weights[cells == "d"].sum() == pytest.approx(5.0)
    assert report.n_collapsed == 0


def test_the_wave_weighting_chain_collapses_singleton_strata_and_cells_before_calibrating():
    from analysis.weighting import design_for_wave

    base = np.array([2.0, 2, 2, 4, 4, 5])
    strata = np.array([1, 1, 1, 2, 2, 3])
    cells = np.array(["a", "a", "b", "c", "c", "d"], dtype=object)
    d, report = design_for_wave(base, strata, {1: 10.0, 2: 12.0, 3: 5.0}, {1: 50, 2: 1, 3: 20},
                                cells, {"a": 30, "b": 15, "c": 20, "e": 9})
    # Stratum 3 (one respondent, cell d) joins the nearest stratum with two: 2 (cell c next to d);
    # cell b (one respondent) joins cell a inside its stratum 1.
    assert report.collapse.strata == {1: 1, 2: 2, 3: 2}
    assert report.collapse.cells == {"a": "a", "b": "a", "c": "c", "d": "c"}
    assert report.n_collapsed == 1 and report.collapse.merged == (3,)
    # Nonresponse stays within the original strata; the calibration uses the collapsed cells.
    assert d.base_weights.tolist() == pytest.approx([2 * 10 / 6] * 3 + [4 * 12 / 8] * 2 + [5.0])
    assert report.factors == pytest.approx({1: 10 / 6, 2: 1.5, 3: 1.0})
    assert report.cell_population == pytest.approx({"a": 45, "c": 25})  # d has no total: its weight 5
    assert report.stratum_population == {1: 50, 2: None}  # 2 had no usable count: none for 2 + 3
    assert report.no_fpc == (2, 3)
    assert d.weights[(cells == "a") | (cells == "b")].sum() == pytest.approx(45)
    assert d.weights[(cells == "c") | (cells == "d")].sum() == pytest.approx(25)
    assert d.frame.n_strata == 2
