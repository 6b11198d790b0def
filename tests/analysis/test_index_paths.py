"""The in-memory path, the aggregated (per-PSU sums) path and the three computation routes agree."""
from __future__ import annotations

import numpy as np
import pytest

from analysis import (
    Design,
    index_sums,
    index_table,
    index_table_answers,
    satisfaction_index,
    satisfaction_index_from_sums,
)
from tests.analysis.conftest import close
from tests.analysis.test_index import STRUCTURE, answers

STRATA_POP = {"A": 210, "B": 130, "C": 310, "D": 70}


def same(a, b, rtol=1e-11):
    """Two IndexResults agree on every estimate (value, se, interval, df, n)."""
    pairs = [(a.overall, b.overall)] + [(a.items[k], b.items[k]) for k in a.items] + \
        [(a.elements[k], b.elements[k]) for k in a.elements] + [(a.parts[k], b.parts[k]) for k in a.parts]
    for x, y in pairs:
        for field in ("value", "se", "ci_low", "ci_high"):
            assert close(getattr(x, field), getattr(y, field), rtol, 1e-9), (field, x, y)
        assert (x.df, x.n) == (y.df, y.n)


def unit_codes(*columns):
    """Dense codes of the distinct combinations of the columns (one unit per combination)."""
    keys = np.array(["|".join(map(str, t)) for t in zip(*columns)])
    _, codes = np.unique(keys, return_inverse=True)
    return codes


def first_of(codes, values):
    """The value of each unit (constant within a unit) in unit order."""
    out = np.empty(codes.max() + 1, dtype=values.dtype)
    out[codes] = values
    return out


def test_sums_aggregated_per_psu_group_and_cell_give_identical_results(df):
    rows = Design(df["w"], strata=df["stratum"], psu=df["psu"], fpc=df["fpc"])
    rows_ps = rows.poststratify(df["cellA"], {"f": 700, "m": 800})
    u = unit_codes(df["psu"], df["g"], df["cellA"])  # what a SQL GROUP BY psu, g, cell returns
    sums = index_sums(df["w"], answers(df)).aggregate(u)
    weight = np.bincount(u, weights=df["w"])
    units = Design(weight, strata=first_of(u, df["stratum"]), psu=first_of(u, df["psu"]),
                   fpc=first_of(u, df["fpc"]))
    units_ps = units.poststratify(first_of(u, df["cellA"]), {"f": 700, "m": 800})
    assert units.n < rows.n
    for d_rows, d_units in ((rows, units), (rows_ps, units_ps)):
        same(satisfaction_index(d_rows, answers(df), STRUCTURE),
             satisfaction_index_from_sums(d_units, sums, STRUCTURE))
        by_rows = satisfaction_index(d_rows, answers(df), STRUCTURE, by=df["g"])
        by_units = satisfaction_index_from_sums(d_units, sums, STRUCTURE, by=first_of(u, df["g"]))
        assert set(by_rows) == set(by_units)
        for g in by_rows:
            same(by_rows[g], by_units[g])


def test_row_sums_and_answers_give_identical_results_for_an_element_sample(df):
    d = Design(df["w"], strata=df["stratum"], fpc=df["fpc_rows"]).poststratify(df["stratum"], STRATA_POP)
    parts = {"all": None, "stratum": df["stratum"], "g": df["g"]}
    from_answers = index_table_answers(d, answers(df), STRUCTURE, parts)
    from_sums = index_table(d, index_sums(d.base_weights, answers(df)), STRUCTURE, parts)
    same(from_answers["all"], from_sums["all"])
    for name in ("stratum", "g"):
        for key in from_answers[name]:
            same(from_answers[name][key], from_sums[name][key])


@pytest.mark.parametrize("route", ["stream", "general"])
@pytest.mark.parametrize("calibrate", [False, True])
def test_cell_moments_streaming_and_general_routes_agree(df, route, calibrate):
    d = Design(df["w"], strata=df["stratum"], fpc=df["fpc_rows"])
    if calibrate:
        d = d.poststratify(df["stratum"], STRATA_POP)
    parts = {"all": None, "stratum": df["stratum"], "crossed": (df["stratum"], df["cellA"])}
    auto = index_table_answers(d, answers(df), STRUCTURE, parts)
    other = index_table_answers(d, answers(df), STRUCTURE, parts, route=route)
    same(auto["all"], other["all"])
    for name in ("stratum", "crossed"):
        for key in auto[name]:
            same(auto[name][key], other[name][key])


def test_a_large_table_is_identical_across_routes():
    rng = np.random.default_rng(7)
    n = 20_000
    agency, sector = rng.integers(0, 12, n), rng.integers(0, 4, n)
    w = rng.uniform(1, 30, n)
    a = rng.choice([1.0, 2, 3, 4, 5], p=[.05, .1, .15, .4, .3], size=(n, 8))
    a[rng.random((n, 8)) < 0.1] = np.nan
    strata = agency * 4 + sector
    pop = {int(k): float(v) * 1.2 for k, v in enumerate(np.bincount(strata, weights=w))}
    d = Design(w, strata=strata).poststratify(strata, pop)
    parts = {"all": None, "agency": agency, "sector": sector, "cell": (agency, sector)}
    auto = index_table_answers(d, a, STRUCTURE, parts)
    general = index_table_answers(d, a, STRUCTURE, parts, route="general")
    same(auto["all"], general["all"], 1e-10)
    for name in ("agency", "sector", "cell"):
        assert auto[name].keys() == general[name].keys()
        for key in auto[name]:
            same(auto[name][key], general[name][key], 1e-10)
