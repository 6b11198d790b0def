"""SIPAS item, element, part and overall indices against R (svytotal of indicators + svycontrast)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import Design, IndexResult, satisfaction_index
from tests.analysis import r_goldens as R
from tests.analysis.conftest import close

STRUCTURE = {"elements": {"e1": [0, 1, 2], "e2": [3, 4], "e3": [5, 6, 7]},
             "parts": {"p1": ["e1", "e2"], "p2": ["e3"]}}
CELLS_A = {"f": 700, "m": 800}


def answers(df, prefix="q"):
    return np.column_stack([df["%s%d" % (prefix, j)] for j in range(1, 9)])


def scf(df):
    return Design(df["w"], strata=df["stratum"], psu=df["psu"], fpc=df["fpc"])


def element_sample(df):
    return Design(df["w"], strata=df["stratum"], fpc=df["fpc_rows"])


def check(result: IndexResult, golden: dict, df_golden: int | None = None) -> None:
    """Every R contrast (value, se as proportions) against the result (percent)."""
    picks = {"i1": result.items[0], "e1": result.elements["e1"], "e2": result.elements["e2"],
             "e3": result.elements["e3"], "p1": result.parts["p1"], "p2": result.parts["p2"],
             "ov": result.overall}
    if "i8" in golden:
        picks["i8"] = result.items[7]
    for name, (value, se) in golden.items():
        est = picks[name]
        assert close(est.value, 100 * value), (name, est.value, 100 * value)
        assert close(est.se, 100 * se), (name, est.se, 100 * se)
        if df_golden is not None:
            assert est.df == df_golden


def test_index_with_missing_answers_matches_svycontrast(df):
    check(satisfaction_index(scf(df), answers(df), STRUCTURE), R.INDEX_SCF, R.INDEX_DF["all"])


def test_index_without_missing_answers_matches_svycontrast(df):
    check(satisfaction_index(scf(df), answers(df, "c"), STRUCTURE), R.INDEX_SCF_COMPLETE)


def test_index_of_a_poststratified_design_and_its_domain(df):
    ps = scf(df).poststratify(df["cellA"], CELLS_A)
    check(satisfaction_index(ps, answers(df), STRUCTURE), R.INDEX_PS)
    check(satisfaction_index(ps, answers(df), STRUCTURE, by=df["g"])["u"], R.INDEX_PS_u, R.INDEX_DF["u"])


def test_index_of_a_raked_design(df):
    rk = scf(df).rake([(df["cellA"], CELLS_A), (df["cellB"], {"old": 500, "young": 450, "mid": 550})])
    check(satisfaction_index(rk, answers(df), STRUCTURE), R.INDEX_RAKE)


def test_index_of_an_element_sample_with_domains_on_strata_and_across_them(df):
    d = element_sample(df)
    check(satisfaction_index(d, answers(df), STRUCTURE), R.INDEX_SF, R.INDEX_SF_DF["all"])
    check(satisfaction_index(d, answers(df), STRUCTURE, by=df["stratum"])["A"], R.INDEX_SF_A,
          R.INDEX_SF_DF["A"])
    pss = d.poststratify(df["stratum"], {"A": 210, "B": 130, "C": 310, "D": 70})
    check(satisfaction_index(pss, answers(df), STRUCTURE), R.INDEX_PSS)
    check(satisfaction_index(pss, answers(df), STRUCTURE, by=df["stratum"])["A"], R.INDEX_PSS_A)
    check(satisfaction_index(pss, answers(df), STRUCTURE, by=df["g"])["u"], R.INDEX_PSS_u,
          R.INDEX_SF_DF["u"])


def test_an_item_nobody_answered_in_a_domain_is_nan_and_left_out_of_its_element(df):
    out = satisfaction_index(scf(df), answers(df), STRUCTURE, by=df["g"])["t"]
    q8 = out.items[7]
    assert math.isnan(q8.value) and math.isnan(q8.ci_low) and q8.n == 0
    check(out, R.INDEX_SCF_t_NO_Q8, R.INDEX_DF["t"])  # e3 = mean of q6 and q7 only


@pytest.mark.parametrize("method", ["logit", "beta", "mean"])
def test_item_intervals_match_svyciprop(df, method):
    item = satisfaction_index(scf(df), answers(df), STRUCTURE, method=method).items[0]
    golden = getattr(R, "ITEM1_" + method.upper())
    for field in ("value", "se", "ci_low", "ci_high"):
        assert close(getattr(item, field), 100 * golden[field]), field


@pytest.mark.parametrize("method", ["logit", "beta", "mean"])  # beta: nrow of a calibrated subset = all rows
def test_item_intervals_of_a_poststratified_design_match_svyciprop(df, method):
    ps = scf(df).poststratify(df["cellA"], CELLS_A)
    item = satisfaction_index(ps, answers(df), STRUCTURE, method=method).items[0]
    golden = getattr(R, "ITEM1_PS_" + method.upper())
    for field in ("value", "se", "ci_low", "ci_high"):
        assert close(getattr(item, field), 100 * golden[field]), field


def test_composite_intervals_use_the_logit_scale_by_default(df):
    res = satisfaction_index(scf(df), answers(df), STRUCTURE)
    p, se = R.INDEX_SCF["ov"]
    c = 2.2009851600916384  # R: qt(0.975, 11)
    eta = math.log(p / (1 - p))
    half = c * se / (p * (1 - p))
    assert close(res.overall.ci_low, 100 / (1 + math.exp(-(eta - half))))
    assert close(res.overall.ci_high, 100 / (1 + math.exp(-(eta + half))))
    wald = satisfaction_index(scf(df), answers(df), STRUCTURE, method="mean").overall
    assert close(wald.ci_low, 100 * (p - c * se)) and close(wald.ci_high, 100 * (p + c * se))


def test_counts_are_valid_answers_and_the_largest_item_count_for_composites(df):
    res = satisfaction_index(scf(df), answers(df), STRUCTURE)
    a = answers(df)
    assert res.items[0].n == int((~np.isnan(a[:, 0])).sum())
    assert res.elements["e1"].n == max(int((~np.isnan(a[:, j])).sum()) for j in range(3))
    assert res.overall.n == max(int((~np.isnan(a[:, j])).sum()) for j in range(8))


def test_without_parts_the_overall_is_the_mean_of_the_elements(df):
    flat = {"elements": STRUCTURE["elements"]}
    res = satisfaction_index(scf(df), answers(df), flat)
    assert res.parts == {}
    assert res.overall.value == pytest.approx(np.mean([e.value for e in res.elements.values()]))


def test_per_column_satisfied_codes(df):
    a = answers(df, "c")
    top_box = satisfaction_index(scf(df), a, STRUCTURE, satisfied=[[5]] * 8)
    flipped = satisfaction_index(scf(df), np.where(a == 4, 3, a), STRUCTURE)
    assert top_box.overall == flipped.overall


def test_bad_answer_codes_and_structures_are_refused_clearly(df):
    a = answers(df, "c")
    with pytest.raises(ValueError, match="column 2 contain codes outside the scale .*: \\[9.0\\]"):
        satisfaction_index(scf(df), np.where(np.arange(8) == 2, np.where(a == 5, 9, a), a), STRUCTURE)
    with pytest.raises(ValueError, match="element 'e1' refers to column 9"):
        satisfaction_index(scf(df), a, {"elements": {"e1": [9]}})
    with pytest.raises(ValueError, match="part 'p' names unknown elements"):
        satisfaction_index(scf(df), a, {"elements": {"e1": [0]}, "parts": {"p": ["zz"]}})
    with pytest.raises(ValueError, match="one row per design row"):
        satisfaction_index(scf(df), a[:10], STRUCTURE)
