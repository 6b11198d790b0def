"""Trimming after calibration (methodology §5 step 5) against R's trimWeights.

R's trimWeights changes design$prob and keeps design$postStrata (and a calibrate() step's qr and
weights): the variance still takes the calibration residuals, with the cell means expressed in
the weights the calibration produced.  Design.trim does the same, so every number matches R.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import Design, satisfaction_index
from tests.analysis import r_goldens as R
from tests.analysis.conftest import assert_matches, close
from tests.analysis.test_index import STRUCTURE, answers

CELLS_A = {"f": 700, "m": 800}
RAKE = [("cellA", {"f": 700, "m": 800}), ("cellB", {"old": 500, "young": 450, "mid": 550})]


def scf(df) -> Design:
    """R's d_scf."""
    return Design(df["w"], strata=df["stratum"], psu=df["psu"], fpc=df["fpc"])


@pytest.fixture
def ps(df):
    """R's ps: postStratify(d_scf, ~cellA, 700 / 800)."""
    return scf(df).poststratify(df["cellA"], CELLS_A)


@pytest.fixture
def tps(ps):
    """R's tps: trimWeights(ps, upper = 30)."""
    return ps.trim(upper=30)


def test_trimming_a_calibrated_design_keeps_the_calibration_in_the_variance_as_r(tps, ps, df):
    assert tps.calibrated and tps.calibration is not None
    # one pass: the units under the bound take the trimmings, so some end above it (as R)
    assert tps.weights.max() == pytest.approx(R.TRIM_PS_W["max"], rel=1e-12) and tps.weights.max() > 30
    assert tps.weights.sum() == pytest.approx(R.TRIM_PS_W["total"], rel=1e-12)
    assert_matches(tps.mean(df["y"]), R.TRIM_PS_R, rtol=1e-9)   # svymean(~y, trimWeights(ps, upper = 30))
    assert_matches(tps.total(df["x"]), R.TRIM_PS_TOTAL_X, rtol=1e-9)
    assert_matches(tps.mean(df["y"], by=df["g"])["u"], R.TRIM_PS_DOMAIN_u, rtol=1e-9)
    assert_matches(tps.mean(df["y"], by=df["cellA"])["f"], R.TRIM_PS_CELL_f, rtol=1e-9)  # a cell = a domain
    assert_matches(tps.proportion(df["b"]), R.TRIM_PS_PROP_B_LOGIT, rtol=1e-9,
                   fields=("value", "ci_low", "ci_high"))  # R's svyciprop var attribute is NA here


def test_strict_trimming_repeats_and_matches_r(ps, df):
    strict = ps.trim(upper=30, strict=True)
    assert strict.weights.max() == pytest.approx(R.TRIM_PS_STRICT_W["max"], rel=1e-12)
    assert strict.weights.sum() == pytest.approx(R.TRIM_PS_STRICT_W["total"], rel=1e-12)
    assert_matches(strict.mean(df["y"]), R.TRIM_PS_STRICT, rtol=1e-9)


def test_a_trimmed_raked_design_matches_r_calibrate_raking_then_trimweights(df):
    rk = scf(df).rake([(df[c], t) for c, t in RAKE], tol=1e-13)
    trimmed = rk.trim(upper=30)
    assert_matches(trimmed.mean(df["y"]), R.TRIM_RAKE_MEAN, rtol=1e-7)
    assert_matches(trimmed.mean(df["y"], by=df["g"])["u"], R.TRIM_RAKE_DOMAIN_u, rtol=1e-7)


@pytest.mark.parametrize("route", ["auto", "general"])
def test_the_index_of_a_trimmed_calibrated_design_matches_r_on_every_route(tps, df, route):
    from analysis.index import index_table_answers

    out = index_table_answers(tps, answers(df), STRUCTURE, {"all": None, "g": df["g"]}, route=route)
    for res, golden in ((out["all"], R.INDEX_TRIM_PS), (out["g"]["u"], R.INDEX_TRIM_PS_u)):
        got = {"i1": res.items[0], "i8": res.items[7], "e1": res.elements["e1"], "e3": res.elements["e3"],
               "ov": res.overall}
        for key, est in got.items():
            value, se = golden[key]
            assert close(est.value, 100 * value, 1e-9) and close(est.se, 100 * se, 1e-9), key


def test_the_fixed_weights_reading_differs_from_r_by_this_much(tps, df):
    # Treating the trimmed weights as fixed design weights (what this engine did before, and what a
    # file of final weights gives without the cells), R: svydesign(..., weights = ~w_trim_ps):
    fixed = Design(tps.weights, strata=df["stratum"], psu=df["psu"], fpc=df["fpc"])
    assert_matches(fixed.mean(df["y"]), R.TRIM_PS_FIXED, rtol=1e-9)
    assert fixed.mean(df["y"]).se / tps.mean(df["y"]).se == pytest.approx(1.0227, abs=1e-4)


def test_the_trimmed_weights_miss_the_calibration_totals_so_trim_first_then_calibrate(ps, tps, df):
    for cell, total in CELLS_A.items():
        assert tps.weights[df["cellA"] == cell].sum() != pytest.approx(total, rel=1e-6)
    again = tps.poststratify(df["cellA"], CELLS_A)  # a calibration after the trim starts from its weights
    assert len(again.calibration.steps) == 1
    for cell, total in CELLS_A.items():
        assert again.weights[df["cellA"] == cell].sum() == pytest.approx(total, rel=1e-12)
    plain = scf(df).trim(upper=30)  # no calibration: trimmed weights are the design weights (R's TRIM_MEAN)
    assert not plain.calibrated and np.array_equal(plain.calibration_weights, plain.weights)
    assert_matches(Design(df["w"], psu=df["psu"]).trim(upper=25).mean(df["y"]), R.TRIM_MEAN, rtol=1e-9)


def test_trimming_twice_keeps_the_weights_of_the_calibration(ps, tps):
    twice = tps.trim(upper=31)
    assert np.array_equal(twice.calibration_weights, ps.weights)
    assert not math.isnan(twice.weights.sum())


def test_the_index_of_a_trimmed_design_uses_the_trimmed_weights_for_its_values(tps, df):
    res = satisfaction_index(tps, answers(df), STRUCTURE)
    assert res.overall.value == pytest.approx(100 * R.INDEX_TRIM_PS["ov"][0], rel=1e-12)
