"""A table of index cells for reports: each domain's indices with its target, status, flags and rank.

Pure data handling on top of analysis.compare (no database): survey/services/results.py fills it
from a wave, the dashboard and the PDF report read it.  Every cell says what its overall index
measures (`Measure`), and `target_for` is the one rule that picks the target a measure of a
sector may be compared with (docs/indicators.md).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from analysis.compare import rank, small_cell, target_status
from analysis.estimate import NAN_ESTIMATE, Estimate
from analysis.index import IndexResult


@dataclass(frozen=True)
class TargetRef:
    """A target (percent) with where it comes from."""

    value: float
    year: int
    scope: str
    sector_code: str = ""
    label_vi: str = ""
    label_en: str = ""


# Target scopes (the values of survey.models.registry.TargetScope; analysis/ cannot import it).
TTHC, TTHC_SECTOR, SERVICE, PUBLIC_SERVICE, PROVINCE = "tthc", "tthc_sector", "service", "public_service", "province"
SATISFACTION, JUDGEMENT, NEED = "satisfaction", "judgement", "need"


@dataclass(frozen=True)
class Measure:
    """What a published number measures.

    code: "sipas" (mean of the policy and services parts), "part:<name>", "element:<name>",
    "item:<code>" for satisfaction; "question:<code>" for a judgement indicator or a need.
    kind: "satisfaction" | "judgement" | "need".  comparable: whether the number is on the SIPAS
    2023 scale and method (False for a 3-point kiosk scale or the 2017–2021 criteria; such a
    number is never compared with a target nor averaged with SIPAS 2023 numbers); `note_vi` /
    `note_en` say why not.  instrument: the questionnaire it comes from.
    """

    code: str
    kind: str
    label_vi: str
    label_en: str
    comparable: bool = True
    note_vi: str = ""
    note_en: str = ""
    instrument: str = ""

    @property
    def part(self) -> str | None:
        """The part a part-level measure covers ("services" for "part:services"), else None."""
        return self.code.split(":", 1)[1] if self.code.startswith("part:") else None


@dataclass(frozen=True)
class Cell:
    """One domain: its indices (percent), target, status of the overall index, flags and rank."""

    key: Any
    code: str
    label_vi: str
    label_en: str
    index: IndexResult
    target: TargetRef | None = None
    status: str | None = None      # meets | below | not_distinguishable; None without a target
    flags: tuple = ()              # small-cell reasons: few_answers, high_rse, no_interval
    rank: int | None = None        # within its grouping; None for flagged cells
    measure: Measure | None = None  # what the overall index measures (the target is for the same thing)

    @property
    def est(self) -> Estimate:
        """The overall (SIPAS) index of the cell."""
        return self.index.overall


def judge(results: Mapping, target_of: Callable[[Any], TargetRef | None],
          label_of: Callable[[Any], tuple], min_n: int = 30, max_rse: float = 0.3,
          ranked: bool = True, measure: Measure | None = None) -> dict:
    """{key: Cell} from {key: IndexResult}: status against target_of(key), flags, ranks.

    label_of(key) gives (code, label_vi, label_en).  Ranks: descending overall index among the
    cells that are not flagged (ties share a rank).
    """
    cells = {}
    for key, res in results.items():
        target = target_of(key)
        est = res.overall
        cells[key] = Cell(key, *label_of(key), res, target,
                          target_status(est, target.value) if target is not None else None,
                          small_cell(est, min_n, max_rse).reasons, measure=measure)
    if ranked:
        ranks = rank({k: c.est for k, c in cells.items()}, min_n, max_rse)
        cells = {k: replace(c, rank=ranks.get(k)) for k, c in cells.items()}
    return cells


def targets_in_force(rows: Iterable, year: int) -> dict:
    """{(scope, sector_code): TargetRef} for `year` from TargetRef rows: the latest target of a
    year ≤ `year` (the milestone in force, e.g. 2025's for 2026), else the earliest later one."""
    out: dict = {}
    for t in sorted(rows, key=lambda t: t.year):
        key = (t.scope, t.sector_code)
        held = out.get(key)
        if held is None or (t.year <= year and (held.year > year or t.year > held.year)):
            out[key] = t
    return out


def target_for(measure: Measure | None, sector_code: str, targets: Mapping, year: int | None = None,
               general: str = TTHC) -> TargetRef | None:
    """The target a satisfaction measure of a sector ("" = all sectors) is compared with, or None.

    `targets`: {(scope, sector_code): TargetRef} in force (targets_in_force).  The rule
    (docs/indicators.md §2): only a comparable satisfaction measure has a target, and only one
    stated for the same thing:
    - "sipas" (policy + services parts): the province's own target of that very `year`
      (scope province), else the target for the service of state administrative agencies (service);
    - "part:services" (handling of administrative procedures): the sector's own target
      (tthc_sector: land, construction, investment; public_service: health, education), else
      the all-sectors target of scope `general` (tthc);
    - "part:health" / "part:education" (the public-service instruments): the public_service target of
      that service (health ≥ 85 % by 2025, education likewise), never the administrative-procedure one;
    - anything else (the policy part alone, elements, items, judgement indicators, a 3-point
      kiosk scale, the 2017–2021 criteria): no target.
    """
    if measure is None or measure.kind != SATISFACTION or not measure.comparable:
        return None
    if measure.code == "sipas":
        own = targets.get((PROVINCE, ""))
        return own if own is not None and (year is None or own.year == year) else targets.get((SERVICE, ""))
    if measure.part == "services":
        if sector_code:
            for scope in (TTHC_SECTOR, PUBLIC_SERVICE):
                if (scope, sector_code) in targets:
                    return targets[(scope, sector_code)]
        return targets.get((general, ""))
    if measure.part in ("health", "education"):  # the health (QĐ 3869/QĐ-BYT) and education (QĐ 3476) forms
        return targets.get((PUBLIC_SERVICE, measure.part))
    return None


def empty_result(items: Iterable, elements: Iterable, parts: Iterable) -> IndexResult:
    """An IndexResult with every estimate NaN and n = 0 (a domain without respondents)."""
    return IndexResult({k: NAN_ESTIMATE for k in items}, {k: NAN_ESTIMATE for k in elements},
                       {k: NAN_ESTIMATE for k in parts}, NAN_ESTIMATE)

