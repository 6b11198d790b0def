"""Target status, change between periods, small cells, ranking, importance and quadrants."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis import (
    Design,
    Estimate,
    change,
    correlation,
    element_importance,
    priority_quadrant,
    rank,
    small_cell,
    target_status,
)
from tests.analysis import r_goldens as R
from tests.analysis.conftest import assert_matches, close
from tests.analysis.test_index import STRUCTURE, answers


def est(value, lo, hi, n=100, se=1.0, df=50):
    return Estimate(value, se, lo, hi, df, n)


@pytest.mark.parametrize("lo, hi, status", [
    (90.0, 95.0, "meets"), (91.0, 95.0, "meets"), (85.0, 89.9, "below"),
    (88.0, 92.0, "not_distinguishable"), (89.0, 90.0, "not_distinguishable"),
    (math.nan, math.nan, "not_distinguishable"),
])
def test_target_status_reads_the_confidence_interval(lo, hi, status):
    assert target_status(est(92.0, lo, hi), 90.0) == status


def test_change_between_independent_periods_matches_the_stacked_design_in_r(df):
    p1 = np.isin(df["stratum"], ["A", "B"])
    d1 = Design(df["w"][p1], strata=df["stratum"][p1], psu=df["psu"][p1])
    d2 = Design(df["w"][~p1], strata=df["stratum"][~p1], psu=df["psu"][~p1])
    diff = change(d1.mean(df["y"][p1]), d2.mean(df["y"][~p1]))
    assert_matches(diff, R.CHANGE_P2_MINUS_P1)


def test_small_cells_are_flagged_with_reasons():
    assert small_cell(est(90, 80, 95, n=29)).reasons == ("few_answers",)
    assert not small_cell(est(90, 80, 95, n=30)).small
    assert small_cell(est(10, 0, 40, se=3.5), max_rse=0.3).reasons == ("high_rse",)
    flags = small_cell(Estimate(math.nan, math.nan, math.nan, math.nan, 0, 0))
    assert flags.reasons == ("few_answers", "high_rse", "no_interval")
    assert small_cell(est(90, 80, 95, n=12), min_n=10).small is False


def test_rank_skips_small_cells_and_shares_ties():
    cells = {"a": est(91, 88, 94), "b": est(95, 93, 97), "c": est(91, 89, 93),
             "d": est(99, 97, 100, n=5), "e": est(80, 75, 85)}
    assert rank(cells) == {"b": 1, "a": 2, "c": 2, "d": None, "e": 4}


def test_priority_quadrants_split_at_the_means():
    imp = {"A": 0.6, "B": 0.2, "C": 0.5, "D": 0.1, "E": math.nan}
    perf = {"A": 70.0, "B": 90.0, "C": 92.0, "D": 60.0, "E": 80.0}
    assert priority_quadrant(imp, perf) == {"A": "improve", "B": "overkill", "C": "keep",
                                            "D": "low_priority", "E": None}


def test_correlation_matches_svyvar_and_its_delta_method_se(df):
    d = Design(df["w"], strata=df["stratum"], psu=df["psu"], fpc=df["fpc"])
    r = correlation(d, df["x"], df["y"])
    value, se = R.CORR_XY["r"]
    assert close(r.value, value) and close(r.value, R.CORR_XY_SVYVAR["r"])
    assert close(r.se, se)


def test_element_importance_is_the_correlation_with_overall_satisfaction(df):
    d = Design(df["w"], strata=df["stratum"], psu=df["psu"], fpc=df["fpc"])
    a = answers(df)
    overall = df["c8"]
    imp = element_importance(d, a, STRUCTURE, overall=overall)
    assert set(imp) == {"e1", "e2", "e3"}
    sat = np.isin(a, [4, 5]) & ~np.isnan(a)
    x = np.where((~np.isnan(a[:, 3:5])).any(axis=1),
                 sat[:, 3:5].sum(axis=1) / np.maximum((~np.isnan(a[:, 3:5])).sum(axis=1), 1), np.nan)
    assert imp["e2"] == correlation(d, x, (overall >= 4).astype(float))
    # Without an overall item: the share satisfied over the other elements' items.
    assert all(-1 <= e.value <= 1 for e in element_importance(d, a, STRUCTURE).values())


def test_the_target_in_force_is_the_latest_milestone_already_due():
    from analysis import TargetRef, targets_in_force

    rows = [TargetRef(95.0, 2030, "tthc"), TargetRef(90.0, 2025, "tthc"),
            TargetRef(85.0, 2025, "tthc_sector", "land")]
    assert targets_in_force(rows, 2026)[("tthc", "")].value == 90.0
    assert targets_in_force(rows, 2025)[("tthc", "")].value == 90.0
    assert targets_in_force(rows, 2024)[("tthc", "")].value == 90.0  # nothing due yet: the next one
    assert targets_in_force(rows, 2031)[("tthc", "")].value == 95.0
    assert targets_in_force(rows, 2026)[("tthc_sector", "land")].value == 85.0


def test_judge_gives_statuses_flags_and_ranks_to_a_table_of_cells():
    from analysis import IndexResult, TargetRef, empty_result, judge

    def res(value, lo, hi, n=100):
        return IndexResult({}, {}, {}, Estimate(value, 1.0, lo, hi, 40, n))

    table = {"a": res(93, 91, 95), "b": res(88, 86, 89.5), "c": res(91, 89, 93), "d": res(99, 97, 100, n=4)}
    cells = judge(table, lambda k: TargetRef(90.0, 2025, "tthc"), lambda k: (k, "vi " + k, "en " + k))
    assert [cells[k].status for k in "abcd"] == ["meets", "below", "not_distinguishable", "meets"]
    assert [cells[k].rank for k in "abcd"] == [1, 3, 2, None]
    assert cells["d"].flags == ("few_answers",) and cells["a"].flags == ()
    assert cells["a"].label_vi == "vi a" and cells["a"].est.value == 93
    blank = judge({"x": empty_result(["Q1"], ["E"], [])}, lambda k: None, lambda k: (k, k, k))["x"]
    assert blank.status is None and blank.rank is None and "no_interval" in blank.flags
    assert math.isnan(blank.index.items["Q1"].value)
