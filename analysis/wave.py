"""Result shapes of a survey wave: its respondents with their design, the full index table,
per-stratum weighting facts and anonymised microdata (filled by survey/services/results.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from analysis.design import Design
from analysis.index import IndexResult, IndexSums, satisfaction_index, satisfaction_index_from_sums
from analysis.table import Cell


@dataclass(frozen=True)
class StratumWeighting:
    """Fieldwork and weighting of one stratum."""

    key: str
    pi: float
    population: int | None
    invited: int
    responded: int
    response_rate: float
    nonresponse_factor: float


@dataclass(frozen=True)
class WaveData:
    """A wave's probability-sample respondents as arrays (one row each) with their design."""

    wave_id: int
    design: Design | None   # None when nobody answered
    items: tuple                     # index item codes = answer columns
    structure: dict                  # {"elements": {name: [columns]}, "parts": {name: [elements]}}
    satisfied: list                  # per column, the codes that count as satisfied
    valid: list                      # per column, the scale's codes
    answers: np.ndarray | None       # (n, J) codes, NaN = no answer (source="memory")
    sums: IndexSums | None  # per-response sums at the design's base weights (source="db")
    agency_id: np.ndarray
    sector_code: np.ndarray
    service_point_id: np.ndarray     # None when unknown
    outcome: np.ndarray
    mode: np.ndarray
    stratum: np.ndarray              # stratum key
    overall_answer: np.ndarray | None = None  # the overall-satisfaction item's code (NaN = none)
    strata: tuple = ()
    walkup_excluded: int = 0
    notes: tuple = ()
    response_ids: np.ndarray | None = None    # Response.id of each row (sorted), for further answer queries

    @property
    def n(self) -> int:
        """Number of respondents."""
        return int(self.agency_id.shape[0])

    def index(self, by: Any = None, method: str = "logit", level: float = 0.95):
        """SIPAS indices (items keyed by code) of the wave, or by=groups (None label = in no group)."""
        if self.design is None:
            return {} if by is not None else None
        if self.answers is not None:
            out = satisfaction_index(self.design, self.answers, self.structure, by, method, level,
                                     self.satisfied, self.valid)
        else:
            out = satisfaction_index_from_sums(self.design, self.sums, self.structure, by, method, level)
        return by_code(out, self.items) if by is None else {k: by_code(v, self.items) for k, v in out.items()}


def by_code(res: IndexResult, items: tuple) -> IndexResult:
    """The same result with items keyed by their codes instead of answer columns."""
    return IndexResult({items[j]: e for j, e in res.items.items()}, res.elements, res.parts, res.overall)


@dataclass(frozen=True)
class WaveTable:
    """The full index table of a wave (see the module docstring)."""

    wave_id: int
    code: str
    name: str
    period_start: date
    period_end: date
    year: int
    items: tuple
    elements: dict
    parts: dict
    labels: dict
    overall: Cell
    agencies: dict
    sectors: dict
    agency_sectors: dict
    service_points: dict
    respondents: int
    walkup_excluded: int
    strata: tuple
    kish_deff: float
    effective_n: float
    notes: tuple
    settings: dict = field(default_factory=dict)
    # What each number measures (docs/indicators.md): {"overall" | "part:<p>" | "element:<e>" |
    # "item:<code>": analysis.table.Measure}; each Cell's .measure is measures["overall"].
    measures: dict = field(default_factory=dict)
    # Judgement indicators and needs: {question code: analysis.indicators.IndicatorQuestion} and
    # {"overall": {"": IndicatorCell}, "agencies": {agency_id: IndicatorCell}, "sectors": {code: IndicatorCell}}
    # with IndicatorCell.shares {question code: {option code: Estimate (percent)}}.
    indicator_questions: dict = field(default_factory=dict)
    indicators: dict = field(default_factory=dict)
