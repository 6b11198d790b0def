"""A survey wave's weighting chain in one call: base weights → nonresponse adjustment within
strata → finite population correction → post-stratification (docs/methodology.md §5)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.design import Design
from analysis.labels import factorize


@dataclass(frozen=True)
class WeightingReport:
    """What the chain did, stratum by stratum and cell by cell."""

    respondents: dict        # stratum → number of respondents
    factors: dict            # stratum → nonresponse factor (Σ sampled w / Σ responded w)
    no_fpc: tuple            # strata without a usable population count (no fpc there)
    kept_cells: tuple        # cells with respondents but no population total: weights kept
    missing_cells: dict      # cells with a population total but no respondent → total


def design_for_wave(base: Any, strata: Any, sampled_weight: Mapping, population: Mapping,
                    cells: Any, cell_totals: Mapping) -> tuple[Design, WeightingReport]:
    """The calibrated design of a wave's respondents.

    base: 1/π per respondent; strata: stratum per respondent; sampled_weight: {stratum: Σ 1/π
    over everyone sampled (respondents and nonrespondents)}; population: {stratum: population
    count for the fpc}; cells / cell_totals: post-stratification cell per respondent and
    {cell: population count}.  A stratum whose count is missing or below its respondents gets
    no fpc; a cell without a total keeps its weights; totals of cells without respondents are
    reported and ignored.
    """
    base = np.asarray(base, dtype=float)
    codes, labels = factorize(strata, base.shape[0], "strata")
    n_h = np.bincount(codes, minlength=len(labels))
    w_resp = np.bincount(codes, weights=base, minlength=len(labels))
    w_all = np.array([float(sampled_weight.get(h, 0.0)) for h in labels])
    factor = np.where((w_resp > 0) & (w_all > 0), w_all / np.where(w_resp > 0, w_resp, 1.0), 1.0)
    pop = np.array([float(population.get(h) or 0.0) for h in labels])
    usable = pop >= n_h  # a count below the respondents is not final yet
    d = Design(base * factor[codes], strata=codes, fpc=np.where(usable, pop, np.inf)[codes])
    ccodes, clabels = factorize(cells, base.shape[0], "cells")
    sampled = np.bincount(ccodes, weights=d.weights, minlength=len(clabels))
    kept = tuple(c for c in clabels if not cell_totals.get(c))
    totals = {c: float(cell_totals[c]) if cell_totals.get(c) else float(sampled[k])
              for k, c in enumerate(clabels)}
    present = set(clabels)
    missing = {c: v for c, v in cell_totals.items() if c not in present and v}
    report = WeightingReport(dict(zip(labels, n_h.tolist())), dict(zip(labels, factor.tolist())),
                             tuple(h for h, ok in zip(labels, usable) if not ok), kept, missing)
    return d.poststratify(ccodes, dict(enumerate(totals.values())), partial=True), report
