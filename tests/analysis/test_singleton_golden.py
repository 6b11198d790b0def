"""Collapsed singleton strata against R survey (goldens in r_goldens.py; the R calls beside them).

The wave of tests/analysis/r/singleton_*.csv has five strata with one respondent.  Collapsed by the
§5 rule, R reproduces our design with
    svydesign(ids = ~1, strata = ~stratum_c, fpc = ~fpc_c, weights = ~w_nr) + postStratify(~stratum_c)
and the old rule (no collapse, post-stratified to the strata) gave those strata zero variance.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from analysis import satisfaction_index
from analysis.linearization import _spill_pairs, domain_variance
from analysis.weighting import design_for_wave
from tests.analysis import r_goldens as R
from tests.analysis.conftest import assert_matches, close

R_DIR = Path(__file__).resolve().parent / "r"
STRUCTURE = {"elements": {"EA": [0, 1], "EB": [2, 3]}, "parts": {"P": ["EA", "EB"]}}


def read(name: str) -> list[dict]:
    with open(R_DIR / name, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def wave() -> dict:
    """Respondent arrays and the per-stratum facts design_for_wave takes."""
    st, rs = read("singleton_strata.csv"), read("singleton_respondents.csv")
    strata = np.array([r["stratum"] for r in rs], dtype=object)
    return {
        "strata": strata, "agency": np.array([r["agency"] for r in rs], dtype=object),
        "sector": np.array([r["sector"] for r in rs], dtype=object),
        "base": np.array([1 / float(r["pi"]) for r in rs]),
        "answers": np.array([[float(r["q%d" % j]) if r["q%d" % j] else np.nan for j in range(1, 5)] for r in rs]),
        "sampled": {s["stratum"]: int(s["invited"]) / float(s["pi"]) for s in st},
        "population": {s["stratum"]: int(s["N"]) for s in st},
        "keys": {s["stratum"]: ((s["parent"], s["agency"]), s["sector"]) for s in st},
        "collapsed": {s["stratum"]: s["stratum_c"] for s in st},
    }


def design(wave: dict, collapse: bool = True):
    return design_for_wave(wave["base"], wave["strata"], wave["sampled"], wave["population"], wave["strata"],
                           wave["population"], keys=wave["keys"], collapse=collapse)


def assert_index(result, golden: dict) -> None:
    """Items 1 and 4, both elements and the overall index (percent) against R's (value, se)."""
    got = {"i1": result.items[0], "i4": result.items[3], "EA": result.elements["EA"],
           "EB": result.elements["EB"], "ov": result.overall}
    for name, (value, se) in golden.items():
        assert close(got[name].value, 100 * value, 1e-9), (name, got[name], value)
        assert close(got[name].se, 100 * se, 1e-7, atol=1e-12), (name, got[name], se)


def test_the_collapsed_design_is_the_one_r_reproduces(wave):
    d, report = design(wave)
    assert report.collapse.strata == wave["collapsed"]
    assert report.n_collapsed == 5
    assert report.cell_population == {"H1|civil": 82, "H1|tax": 10, "H2|civil": 1, "H2|land": 55, "X2|land": 34}
    assert report.stratum_population == report.cell_population  # fpc = the collapsed stratum's dossiers
    # R: weights(sg)[c(1, 13)]; sum(weights(sg)[srs$stratum_c == "H1|civil"])
    assert d.weights[0] == pytest.approx(R.SINGLETON_WEIGHTS["w1"], rel=1e-12)
    assert d.weights[12] == pytest.approx(R.SINGLETON_WEIGHTS["w13"], rel=1e-12)
    assert d.weights[np.isin(wave["strata"], ["H1|civil", "H1|land", "X1|civil"])].sum() == \
        pytest.approx(R.SINGLETON_WEIGHTS["h1civil"], rel=1e-12)
    assert d.df == R.SINGLETON_DF["all"]


def test_the_index_of_the_collapsed_design_matches_r(wave):
    d, _ = design(wave)
    assert_index(satisfaction_index(d, wave["answers"], STRUCTURE), R.SINGLETON_INDEX)
    by_agency = satisfaction_index(d, wave["answers"], STRUCTURE, by=wave["agency"])
    assert_index(by_agency["H1"], R.SINGLETON_INDEX_H1)   # its cell H1|civil holds X1's respondent
    assert_index(by_agency["X2"], R.SINGLETON_INDEX_X2)
    assert by_agency["H1"].overall.df == R.SINGLETON_DF["H1"]
    by_sector = satisfaction_index(d, wave["answers"], STRUCTURE, by=wave["sector"])
    assert_index(by_sector["land"], R.SINGLETON_INDEX_LAND)
    assert by_sector["land"].overall.df == R.SINGLETON_DF["land"]
    cell = satisfaction_index(d, wave["answers"], STRUCTURE, by=(wave["agency"], wave["sector"]))[("H1", "land")]
    assert_index(cell, R.SINGLETON_INDEX_H1_LAND)  # one respondent: se 0 and df 0, so no interval
    assert cell.overall.df == 0 and np.isnan(cell.overall.ci_low)


def test_means_and_proportions_of_the_collapsed_design_match_r(wave):
    d, _ = design(wave)
    s1 = np.where(np.isnan(wave["answers"][:, 0]), np.nan, wave["answers"][:, 0] >= 4)
    assert_matches(d.mean(s1), R.SINGLETON_MEAN_S1, rtol=1e-9)
    assert_matches(d.proportion(s1), R.SINGLETON_PROP_S1, rtol=1e-9)


def test_without_the_collapse_the_singletons_contribute_nothing_and_the_se_is_smaller(wave):
    old, report = design(wave, collapse=False)
    assert report.n_collapsed == 0
    before = satisfaction_index(old, wave["answers"], STRUCTURE)
    assert_index(before, R.SINGLETON_INDEX_OLD)  # R with lonely.psu = "adjust": the same zero
    land_before = satisfaction_index(old, wave["answers"], STRUCTURE, by=wave["sector"])["land"]
    assert_index(land_before, R.SINGLETON_INDEX_OLD_LAND)
    assert old.df == R.SINGLETON_DF["old"]
    new, _ = design(wave)
    after = satisfaction_index(new, wave["answers"], STRUCTURE)
    land_after = satisfaction_index(new, wave["answers"], STRUCTURE, by=wave["sector"])["land"]
    assert after.overall.se > 2 * before.overall.se
    assert land_after.overall.se > land_before.overall.se
    # The estimate barely moves: nonresponse stays within the original strata.
    assert after.overall.value == pytest.approx(before.overall.value, abs=0.5)


def test_a_singleton_left_uncollapsed_really_contributes_zero(wave):
    """Why the rule exists: post-stratified to its own cell, a lone respondent's residual is 0."""
    old, _ = design(wave, collapse=False)
    lone = np.flatnonzero(wave["strata"] == "H1|land")
    z = np.zeros((1, old.n))
    z[0, lone] = 123.0
    var = domain_variance(old.frame, old.weights, z, np.zeros(old.n, dtype=np.int64), 1, old.calibration)
    assert var[0, 0] == pytest.approx(0.0, abs=1e-18)
    new, _ = design(wave)
    var = domain_variance(new.frame, new.weights, z, np.zeros(new.n, dtype=np.int64), 1, new.calibration)
    assert var[0, 0] > 0


def test_residuals_spilling_over_collapsed_cells_agree_with_the_general_computation(wave):
    d, _ = design(wave)
    rng = np.random.default_rng(2)
    z = rng.normal(size=(3, d.n)) * d.weights
    groups = np.unique(wave["agency"], return_inverse=True)[1].astype(np.int64)
    groups[::5] = -1  # rows in no group still carry the residual of their cell
    assert _spill_pairs(d.frame, d.weights, z, groups, int(groups.max()) + 1, d.calibration) is not None
    fast = domain_variance(d.frame, d.weights, z, groups, int(groups.max()) + 1, d.calibration)
    slow = domain_variance(d.frame, d.weights, z, groups, int(groups.max()) + 1, d.calibration, force_general=True)
    assert np.allclose(fast, slow, rtol=1e-12, atol=0)
