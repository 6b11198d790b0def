"""A survey wave's weighting chain in one call: base weights → nonresponse adjustment within the
strata → collapse of strata and cells with fewer than two respondents → finite population
correction of the collapsed strata → post-stratification to the collapsed cells
(docs/methodology.md §5).

R reproduces the design returned here with

    d <- svydesign(ids = ~1, strata = ~stratum_c, fpc = ~fpc_c, weights = ~w_nr, data = resp)
    d <- postStratify(d, ~cell_c, data.frame(cell_c = ..., Freq = ...), partial = TRUE)

where stratum_c / cell_c are the collapsed labels (report.collapse), fpc_c the collapsed
stratum's population (report.stratum_population, Inf when none), w_nr = d.base_weights and the
totals report.cell_population.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.collapse import Collapse, collapse_strata, collapsed_codes
from analysis.design import Design
from analysis.labels import factorize


@dataclass(frozen=True)
class WeightingReport:
    """What the chain did, stratum by stratum and cell by cell (keys are the original labels
    unless the name says collapsed)."""

    respondents: dict        # stratum → number of respondents
    factors: dict            # stratum → nonresponse factor Σ sampled 1/π / Σ responded 1/π
    no_fpc: tuple            # strata without a usable population count (no fpc in their collapsed stratum)
    kept_cells: tuple        # cells with respondents but no population total: weights kept
    missing_cells: dict      # cells with a population total but no respondent → total
    collapse: Collapse | None = None                         # which strata / cells were merged
    stratum_population: dict = field(default_factory=dict)  # collapsed stratum → fpc count or None
    cell_population: dict = field(default_factory=dict)     # collapsed cell → calibration total

    @property
    def n_collapsed(self) -> int:
        """Strata with fewer than two respondents that were merged with a neighbour."""
        return self.collapse.n_collapsed if self.collapse is not None else 0


def design_for_wave(base: Any, strata: Any, sampled_weight: Mapping, population: Mapping,
                    cells: Any, cell_totals: Mapping, keys: Mapping | None = None,
                    collapse: bool = True) -> tuple[Design, WeightingReport]:
    """The calibrated design of a wave's respondents.

    base: 1/π per respondent; strata: stratum per respondent; sampled_weight: {stratum: Σ 1/π
    over everyone sampled (respondents and nonrespondents)}; population: {stratum: population
    count for the fpc}; cells / cell_totals: post-stratification cell per respondent and
    {cell: population count}; keys: {cell: (agency key, sector key)}, the neighbour order of
    the collapse (analysis.collapse).  A stratum whose count is missing or below its
    respondents gives its collapsed stratum no fpc; a cell without a total counts with its own
    adjusted weight (kept weights); totals of cells without respondents are reported and ignored.
    collapse=False keeps every stratum and cell as it is (the method before §5's collapse rule).
    """
    base = np.asarray(base, dtype=float)
    n = base.shape[0]
    codes, labels = factorize(strata, n, "strata")
    n_h = np.bincount(codes, minlength=len(labels))
    pop = np.array([float(population.get(h) or 0.0) for h in labels])
    usable = (pop >= n_h) & (pop > 0)  # a count below the respondents is not final yet
    census = [h for h, ok, p, m in zip(labels, usable, pop, n_h) if ok and p == m]
    col = collapse_strata(strata, cells, base, keys, census, min_n=2 if collapse else 0)
    # Nonresponse within the original strata: a collapsed stratum keeps each member's own
    # response rate, so the collapse moves the variance, not the estimate (§5).
    w_resp = np.bincount(codes, weights=base, minlength=len(labels))
    w_all = np.array([float(sampled_weight.get(h, 0.0)) for h in labels])
    factor = np.where((w_resp > 0) & (w_all > 0), w_all / np.where(w_resp > 0, w_resp, 1.0), 1.0)
    gs = collapsed_codes(strata, col.strata)
    gcodes, glabels = factorize(gs, n, "collapsed strata")
    g_of = dict(zip(glabels, range(len(glabels))))
    group = np.array([g_of[col.strata[h]] for h in labels], dtype=np.int64)
    g_ok = np.bincount(group, weights=(~usable).astype(float), minlength=len(glabels)) == 0
    g_pop = np.bincount(group, weights=pop, minlength=len(glabels))
    d = Design(base * factor[codes], strata=gs, fpc=np.where(g_ok, g_pop, np.inf)[gcodes])
    ccodes, clabels = factorize(cells, n, "cells")
    own = np.bincount(ccodes, weights=d.weights, minlength=len(clabels))
    kept = tuple(c for c in clabels if not cell_totals.get(c))
    member_total = {c: float(cell_totals[c]) if cell_totals.get(c) else float(own[k])
                    for k, c in enumerate(clabels)}
    totals: dict = {}
    for c, t in member_total.items():
        totals[col.cells[c]] = totals.get(col.cells[c], 0.0) + t
    # A cell nobody with a positive weight answered is not represented, like one without respondents.
    present = {c for k, c in enumerate(clabels) if own[k] > 0}
    missing = {c: v for c, v in cell_totals.items() if c not in present and v}
    sampled = {}
    for k, c in enumerate(clabels):
        sampled[col.cells[c]] = sampled.get(col.cells[c], 0.0) + own[k]
    totals = {c: t for c, t in totals.items() if sampled[c] > 0}
    report = WeightingReport(
        dict(zip(labels, n_h.tolist())),
        dict(zip(labels, factor.tolist())),
        tuple(h for h in labels if not g_ok[g_of[col.strata[h]]]), kept, missing, col,
        {g: float(g_pop[k]) if g_ok[k] else None for k, g in enumerate(glabels)}, totals)
    return d.poststratify(collapsed_codes(cells, col.cells), totals, partial=True), report
