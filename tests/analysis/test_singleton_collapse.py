"""The singleton rule (methodology §5): which neighbour a stratum or cell with one respondent joins."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from analysis.collapse import collapse_strata

R_DIR = Path(__file__).resolve().parent / "r"


def objects(values) -> np.ndarray:
    """An object array of arbitrary labels (tuples stay tuples)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def wave(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """Respondent rows of {(agency, sector): respondents}, strata = cells (agency × sector)."""
    rows = [cell for cell, n in spec.items() for _ in range(n)]
    return objects(rows), objects(rows)


def test_a_singleton_joins_the_same_agency_at_the_nearest_sector():
    strata, cells = wave({("A", "civil"): 5, ("A", "land"): 1, ("A", "tax"): 3, ("A", "water"): 9, ("B", "land"): 4})
    c = collapse_strata(strata, cells, np.ones(len(strata)))
    # civil and tax are both one sector away from land: the first in order wins the tie.
    assert c.strata[("A", "land")] == ("A", "civil")
    assert c.merged == (("A", "land"),) and c.n_collapsed == 1
    assert {k for k, v in c.strata.items() if k != v} == {("A", "land")}


def test_without_another_sector_in_its_agency_it_joins_the_same_sector_in_the_nearest_agency():
    strata, cells = wave({("A", "land"): 6, ("C", "land"): 2, ("D", "land"): 1, ("D2", "tax"): 7, ("F", "land"): 3})
    c = collapse_strata(strata, cells, np.ones(len(strata)))
    # Agencies rank A C D D2 F: C and F are not equally near D (1 and 2 ranks away).
    assert c.strata[("D", "land")] == ("C", "land")


def test_with_neither_it_joins_the_nearest_agency_then_the_nearest_sector():
    strata, cells = wave({("A", "civil"): 4, ("B", "water"): 1, ("C", "tax"): 3, ("C", "civil"): 2})
    c = collapse_strata(strata, cells, np.ones(len(strata)))
    # B|water: no other B cell, no other water cell; A (1 rank) and C (1 rank) tie on the agency,
    # then the sector decides: civil→water is 2 ranks (civil tax water), tax→water 1: C|tax.
    assert c.strata[("B", "water")] == ("C", "tax")


def test_keys_give_the_neighbour_order_so_sibling_agencies_come_first():
    strata = objects(["x1"] * 1 + ["x2"] * 5 + ["d9"] * 5)
    keys = {"x1": (("H1", "X1"), "land"), "x2": (("H1", "X2"), "land"), "d9": (("HT", "D9"), "land")}
    plain = collapse_strata(strata, strata, np.ones(11), keys={k: (v[0][1], v[1]) for k, v in keys.items()})
    assert plain.strata["x1"] == "d9"  # by code alone D9 sorts next to X1
    assert collapse_strata(strata, strata, np.ones(11), keys=keys).strata["x1"] == "x2"  # siblings under H1


def test_singletons_join_strata_that_had_two_respondents_not_each_other():
    strata, cells = wave({("A", "a"): 1, ("A", "b"): 1, ("A", "c"): 8})
    c = collapse_strata(strata, cells, np.ones(10))
    # Stage 1 ignores other singletons: both join A|c, whatever the order they are taken in.
    assert c.strata == {("A", "a"): ("A", "c"), ("A", "b"): ("A", "c"), ("A", "c"): ("A", "c")}
    assert c.merged == (("A", "a"), ("A", "b"))


def test_when_every_stratum_is_a_singleton_they_pair_up_in_order():
    labels = list("abcdefg")
    strata = objects(labels)
    c = collapse_strata(strata, strata, np.ones(7))
    # a+b; c is as near b (a pair) as d (alone): the smaller group wins; e+f; g joins the pair e+f.
    assert c.strata == {"a": "a", "b": "a", "c": "c", "d": "c", "e": "e", "f": "e", "g": "e"}
    assert c.n_collapsed == 7 and c.lonely == ()
    assert c.groups() == {"a": ("a", "b"), "c": ("c", "d"), "e": ("e", "f", "g")}


def test_a_single_stratum_with_one_respondent_stays_lonely_and_is_reported():
    c = collapse_strata(objects(["s"]), objects(["s"]), np.ones(1))
    assert c.strata == {"s": "s"} and c.merged == () and c.lonely == ("s",)


def test_census_strata_are_never_merged_nor_absorb_a_singleton():
    strata, cells = wave({("A", "a"): 1, ("A", "b"): 1, ("A", "c"): 4})
    c = collapse_strata(strata, cells, np.ones(6), census=[("A", "b")])
    assert c.strata[("A", "b")] == ("A", "b")
    assert c.strata[("A", "a")] == ("A", "c")  # b is nearer but a census: no sampling variance


def test_zero_weights_do_not_count_as_respondents():
    strata, cells = wave({("A", "a"): 2, ("A", "b"): 1, ("A", "c"): 3})
    w = np.array([1.0, 0.0, 0.0, 1, 1, 1])
    c = collapse_strata(strata, cells, w)
    assert c.positive == {("A", "a"): 1, ("A", "b"): 0, ("A", "c"): 3}
    # a has one respondent of positive weight: merged.  b (only a zero weight) is as if unanswered:
    # neither merged nor a neighbour, though it lies between a and c.
    assert c.strata[("A", "a")] == ("A", "c") and c.strata[("A", "b")] == ("A", "b")
    assert c.lonely == ()


def test_cells_with_one_respondent_merge_inside_their_stratum_first():
    # Scheme "agency": strata are agencies, cells agency × sector inside them.
    rows = [("A", "civil")] * 4 + [("A", "land")] * 1 + [("B", "land")] * 5 + [("B", "tax")] * 1 + [("C", "tax")] * 1
    cells = objects(rows)
    strata = objects([a for a, _ in rows])
    c = collapse_strata(strata, cells, np.ones(len(rows)))
    assert c.strata == {"A": "A", "B": "B", "C": "B"}  # C has one respondent: nearest is B|tax
    # A|land joins A|civil inside A; C|tax joins B|tax (the same collapsed stratum) — B|tax is itself
    # a singleton cell, so the cells of B end in one group with B|land.
    assert c.cells[("A", "land")] == ("A", "civil")
    assert c.cells[("B", "tax")] == ("B", "land") and c.cells[("C", "tax")] == ("B", "land")
    assert c.merged == ("C",)


def test_the_rule_does_not_depend_on_the_order_of_the_rows():
    strata, cells = wave({("A", "a"): 1, ("A", "b"): 1, ("B", "a"): 3, ("B", "c"): 1, ("C", "c"): 2})
    first = collapse_strata(strata, cells, np.ones(len(strata)))
    perm = np.random.default_rng(5).permutation(len(strata))
    again = collapse_strata(strata[perm], cells[perm], np.ones(len(strata)))
    assert first == again


def test_the_singleton_wave_collapses_exactly_as_worked_by_hand():
    """The golden wave of tests/analysis/r (its stratum_c column is worked out in make_singleton_data.py)."""
    with open(R_DIR / "singleton_strata.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(R_DIR / "singleton_respondents.csv", newline="") as f:
        strata = objects([r["stratum"] for r in csv.DictReader(f)])
    keys = {r["stratum"]: ((r["parent"], r["agency"]), r["sector"]) for r in rows}
    census = [r["stratum"] for r in rows if int(r["N"]) == int(r["responded"])]
    c = collapse_strata(strata, strata, np.ones(len(strata)), keys=keys, census=census)
    assert c.strata == {r["stratum"]: r["stratum_c"] for r in rows}
    assert c.cells == c.strata
    assert c.n_collapsed == 5 and census == ["H2|civil"]


def test_a_respondent_without_stratum_is_an_error():
    with pytest.raises(ValueError, match="stratum and a cell"):
        collapse_strata(objects(["a", None]), objects(["a", "a"]), np.ones(2))
