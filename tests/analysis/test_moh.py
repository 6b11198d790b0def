"""The MoH-style rates (analysis.moh) against R's survey package on a small stratified sample.

R (survey 4.x; the script is tests/analysis/r/moh.R), the data below as a data.frame `df` with
sat = rowSums(items >= 4, na.rm=TRUE), valid = rowSums(!is.na(items)),
codes1 / valid1 = the sum / count of the valid codes of x1, x2:
    des <- svydesign(ids=~1, strata=~h, weights=~w, data=df)
"""
from __future__ import annotations

import numpy as np
import pytest

from analysis import Design
from analysis.moh import moh_rates

nan = np.nan
H = np.array([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2])
W = np.array([10, 10, 12, 12, 8, 8, 20, 20, 25, 25, 30, 30], dtype=float)
G = np.array(list("aaabbbaabbba"), dtype=object)
ANSWERS = np.array([[5, 4, 5], [4, nan, 5], [3, 2, 3], [2, 5, 1], [nan, 5, 4], [5, 4, nan], [4, 3, 4], [4, 5, 2],
                    [1, 2, 3], [5, 4, 5], [3, 4, 4], [4, 5, 4]])
OVERALL = np.array([5, 4, 2, 3, 4, nan, 4, 5, 1, 4, 3, 5])


@pytest.fixture
def rates():
    overall = np.where(np.isnan(OVERALL), nan, (OVERALL >= 4).astype(float))
    return moh_rates(Design(W, strata=H), ANSWERS, [(4, 5)] * 3, [(1, 2, 3, 4, 5)] * 3, {"e1": [0, 1], "e2": [2]},
                     overall, G)


def test_pooled_rate_is_svyratio_of_satisfied_over_valid_answers(rates):
    whole, _per = rates
    # r <- svyratio(~sat, ~valid, des); coef(r), SE(r), confint(r, df=degf(des))
    assert whole.pooled.value == pytest.approx(66.0596026490066, abs=1e-9)
    assert whole.pooled.se == pytest.approx(12.7336638430531, abs=1e-9)
    assert (whole.pooled.ci_low, whole.pooled.ci_high) == pytest.approx((37.6872315121671, 94.4319737858461), abs=1e-9)
    # sum(df$sat) / sum(df$valid): the unweighted tally of the forms
    assert whole.pooled_unweighted == pytest.approx(66.6666666666667, abs=1e-9) and whole.answers == 33


def test_pooled_rate_by_facility_is_svyby_svyratio(rates):
    _whole, per = rates
    # svyby(~sat, ~g, des, svyratio, denominator=~valid)
    assert per["a"].pooled.value == pytest.approx(74.3243243243243, abs=1e-9)
    assert per["a"].pooled.se == pytest.approx(13.4113627235303, abs=1e-9)
    assert per["b"].pooled.value == pytest.approx(58.1168831168831, abs=1e-9)
    assert per["b"].pooled.se == pytest.approx(19.829841670113, abs=1e-9)


def test_overall_share_is_svyciprop_on_the_overall_questions_respondents(rates):
    whole, per = rates
    # p <- svyciprop(~I(ovr >= 4), subset(des, !is.na(ovr)), method="logit"); coef(p), SE(p), confint(p)
    share = whole.overall_share
    assert (share.value, share.se) == pytest.approx((60.8910891089107, 17.6870020323216), abs=1e-9)
    assert (share.ci_low, share.ci_high) == pytest.approx((22.4886875715007, 89.3107613827762), abs=1e-9)
    assert share.df == 9 and share.n == 11  # degf(subset(des, !is.na(ovr))) = 9
    # svyciprop(~I(ovr >= 4), subset(des, !is.na(ovr) & g == "b"), method="logit")
    b = per["b"].overall_share
    assert (b.value, b.ci_low, b.ci_high) == pytest.approx((33.0, 1.47759255294979, 94.1777643341561), abs=1e-8)


def test_mean_score_of_an_element_is_svyratio_of_codes_over_valid_answers(rates):
    whole, _per = rates
    # m <- svyratio(~codes1, ~valid1, des); coef(m), SE(m)
    e1 = whole.mean_scores["e1"]
    assert (e1.value, e1.se) == pytest.approx((3.69651741293532, 0.371590227813265), abs=1e-9)


def test_without_an_overall_question_there_is_no_share():
    whole, per = moh_rates(Design(W, strata=H), ANSWERS, [(4, 5)] * 3, [(1, 2, 3, 4, 5)] * 3, {"e": [0, 1, 2]})
    assert whole.overall_share is None and per == {}
