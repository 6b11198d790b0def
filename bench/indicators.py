"""Benchmark of analysis.indicators.indicator_cells: a wave's judgement indicators on synthetic arrays.

A synthetic wave as bench/analysis.py (--rows responses, 60 agencies × 8 sectors as strata, fpc,
post-stratified to the strata), with --questions single/multiple-choice questions of 2–7 options
(some shown to a part of the respondents only), by overall / agency / sector as
survey/services/results.py asks.  Prints the wall time of each repeat and the peak RSS.

    .venv/bin/python bench/indicators.py [--rows N] [--questions Q] [--repeat R] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import Design  # noqa: E402
from analysis.indicators import IndicatorQuestion, indicator_cells  # noqa: E402
from analysis.table import JUDGEMENT, Measure  # noqa: E402

AGENCIES, SECTORS = 60, 8


def make_wave(n: int, n_questions: int, seed: int) -> tuple:
    """(design, questions, matrices, groupings) of a synthetic wave."""
    rng = np.random.default_rng(seed)
    agency = rng.integers(0, AGENCIES, n).astype(np.int64)
    sector = rng.integers(0, SECTORS, n).astype(np.int64)
    stratum = agency * SECTORS + sector
    n_h = np.bincount(stratum, minlength=AGENCIES * SECTORS)
    pop = np.maximum(np.rint(n_h * rng.uniform(3, 12, n_h.shape[0])), n_h).astype(float)
    w = 1 / np.clip(n_h[stratum] / pop[stratum] * rng.choice([0.7, 1.0, 1.4], n), 1e-3, 1.0)
    d = Design(w, strata=stratum, fpc=pop[stratum])
    d = d.poststratify(stratum, {int(h): float(pop[h]) for h in np.unique(stratum)})
    questions, matrices = {}, {}
    for j in range(n_questions):
        K = 2 + j % 6
        multiple = j % 3 == 2
        code = "Q%02d" % j
        options = tuple(range(1, K + 1))
        Y = np.zeros((n, K))
        if multiple:
            Y[:] = rng.random((n, K)) < 0.3
        else:
            Y[np.arange(n), rng.integers(0, K, n)] = 1.0
        asked = rng.random(n) < (0.4 if j % 4 == 3 else 0.97)
        Y[~asked] = np.nan
        questions[code] = IndicatorQuestion(code, Measure("question:" + code, JUDGEMENT, code, code), multiple,
                                            options, {o: (str(o), str(o)) for o in options})
        matrices[code] = Y
    return d, questions, matrices, {"overall": None, "agencies": agency, "sectors": sector}


def main() -> None:
    """Time indicator_cells on a synthetic wave."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000, help="respondents (default 100000)")
    ap.add_argument("--questions", type=int, default=12, help="indicator questions (default 12)")
    ap.add_argument("--repeat", type=int, default=3, help="timed repeats (default 3)")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    args = ap.parse_args()
    d, questions, matrices, groupings = make_wave(args.rows, args.questions, 1)
    label = lambda kind, k: (str(k), str(k), str(k))  # noqa: E731
    for r in range(args.repeat):
        t = time.perf_counter()
        indicator_cells(d, questions, matrices, groupings, label)
        print("run %d: %.2f s" % (r + 1, time.perf_counter() - t))
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        indicator_cells(d, questions, matrices, groupings, label)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    print("peak RSS %.0f MB" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == "__main__":
    main()
