"""What the analyst workspace shows, as plain frozen objects: index cells with CI, target and status.

Numbers come from the analysis engine through survey.services.results (wave data, weights and
SIPAS indices, via survey.services.workspace.wavedata); this module chooses the domains (filters, the
viewer's agency subtree), attaches the applicable targets and asks the engine for each cell's
status, small-cell flags and rank:

- "meets"  when the CI's lower bound ≥ target, "below" when the upper bound < target,
  otherwise "nd" (not distinguishable);
- "small"  when the cell has fewer than MIN_CELL_ANSWERS respondents or no CI: such cells are
  shown, flagged and never ranked.

Agency viewers: every function takes `visible` (None = everything, else a set of agency ids);
every estimate is a domain estimate inside it, so no number of another agency is computed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
from analysis import Estimate
from survey.models import Agency, Sector, ServicePoint, Target, Wave
from survey.models.fieldwork import CHANNELS, WaveStatus  # noqa: F401  (CHANNELS: the channel filter's values)
from survey.models.registry import AGENCY_LEVELS, TargetScope

LEVELS = AGENCY_LEVELS  # the level filter's values
STATUSES = ("meets", "below", "nd", "small")


@dataclass(frozen=True)
class Filters:
    """What the analyst asked for: a wave (and a publication version of it; None = the current one) and
    optional agency level, sector and channel."""

    wave_id: int | None = None
    level: str = ""
    sector: str = ""
    channel: str = ""
    version: int | None = None

    def args(self) -> dict:
        """Query-string arguments reproducing these filters (empty ones left out)."""
        out = {"wave": self.wave_id, "level": self.level, "sector": self.sector, "channel": self.channel,
               "version": self.version}
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class TargetRef:
    """A target that applies to a cell: its value (percent), year, scope and label."""

    value: float
    year: int
    scope: TargetScope
    label: str
    sector_code: str = ""
    label_en: str = ""

    def label_in(self, lang: str) -> str:
        """The label in `lang` (English when known, else the Vietnamese one)."""
        return self.label_en if lang == "en" and self.label_en else self.label


@dataclass(frozen=True)
class Cell:
    """One index cell: label, estimate (percent), respondents, target, status and rank."""

    key: Any
    label: str
    est: Estimate | None
    n: int
    target: TargetRef | None = None
    status: str = ""
    rank: int | None = None
    meta: dict = field(default_factory=dict)

    def label_in(self, lang: str) -> str:
        """The label in `lang` (the English name when the registry or questionnaire has one)."""
        return self.meta.get("label_en") or self.label if lang == "en" else self.label

    @property
    def value(self) -> float | None:
        """The point estimate, or None when undefined."""
        return None if self.est is None or not math.isfinite(self.est.value) else self.est.value


def max_rse() -> float:
    """MAX_CELL_RSE from the app config (0.3 outside an app)."""
    try:
        from flask import current_app

        return float(current_app.config.get("MAX_CELL_RSE", 0.3))
    except RuntimeError:
        return 0.3


def status_of(est: Estimate | None, target: float | None, min_n: int) -> str:
    """The engine's target status (meets / below / nd) or "small" for a cell the engine flags
    (too few answers, too high a relative SE, no interval); "" when there is no target."""
    if est is None or analysis.small_cell(est, min_n, max_rse()).small:
        return "small"
    if target is None:
        return ""
    return {"not_distinguishable": "nd"}.get(analysis.target_status(est, target),
                                              analysis.target_status(est, target))


def rank_cells(cells: list[Cell], min_n: int = 30) -> list[Cell]:
    """Ranks from the engine (1 = highest, ties share a rank, small cells unranked), best first;
    small cells last."""
    ranks = analysis.rank({i: c.est for i, c in enumerate(cells) if c.est is not None}, min_n, max_rse())
    ranked = [replace(c, rank=ranks.get(i)) if c.status != "small" else c for i, c in enumerate(cells)]
    return sorted(ranked, key=lambda c: (c.rank is None, c.rank or 0, -(c.value or 0), c.label))


def _pick(rows: list, year: int) -> list:
    """The target in force for `year` (latest year ≤ year, else the first upcoming one), then the next one."""
    done = [t for t in rows if t.year <= year]
    upcoming = [t for t in rows if t.year > year]
    chosen = done[-1:] + upcoming[:1]
    return chosen or rows[-1:]


def _ref(t: Target) -> TargetRef:
    return TargetRef(t.value, t.year, t.scope, t.label_vi or _default_label(t), t.sector_code,
                     t.label_en or "Target %d" % t.year)


def applicable_targets(session: Session, year: int, scope: TargetScope = TargetScope.TTHC,
                       sector_code: str = "") -> list[TargetRef]:
    """Targets for a period's year (targets are data, model Target): the one in force for that year (the
    latest milestone already due, e.g. 2025 for 2026), the next milestone (e.g. 2030), and the province's own
    target of that year or its latest earlier one. The first is the one statuses are computed against."""
    rows = list(session.scalars(select(Target).where(Target.scope == scope, Target.sector_code == sector_code)
                                .order_by(Target.year)))
    refs = [_ref(t) for t in _pick(rows, year)]
    if scope in (TargetScope.TTHC, TargetScope.SERVICE):
        own = session.scalars(select(Target).where(Target.scope == TargetScope.PROVINCE, Target.year <= year)
                              .order_by(Target.year.desc())).first()
        if own is not None:
            refs.append(_ref(own))
    return refs


def _default_label(t: Target) -> str:
    return "Mục tiêu %d" % t.year


def sector_target(session: Session, year: int, sector_code: str) -> TargetRef | None:
    """The target a sector is held to in `year`: its own (land, construction, investment: scope tthc_sector,
    as results.OWN_TARGET_SCOPE; health, education: public_service, as analysis.table.target_for) or else the
    all-procedures target."""
    own = applicable_targets(session, year, TargetScope.TTHC_SECTOR, sector_code) or \
        applicable_targets(session, year, TargetScope.PUBLIC_SERVICE, sector_code)
    if own:
        return own[0]
    general = applicable_targets(session, year)
    return general[0] if general else None


def list_waves(session: Session) -> list[Wave]:
    """Waves that can be analysed (launched or closed), newest period first."""
    return list(session.scalars(select(Wave).where(Wave.status.in_((WaveStatus.LAUNCHED, WaveStatus.CLOSED)))
                                .order_by(Wave.period_start.desc(), Wave.id.desc())))


def default_wave(session: Session) -> Wave | None:
    """The most recent wave whose final publication has respondents, else the most recent one with a
    provisional publication with respondents, else the most recent wave (an empty closed wave never hides
    the latest published results)."""
    from survey.services import publications

    waves = list_waves(session)
    # the tables say how many respondents each has: no wave's frame is thawed to choose (a large one is big)
    shown = {w.id: publications.current(session, w.id) for w in waves}
    with_answers = [w for w in waves if shown[w.id] is not None and shown[w.id].table.respondents > 0]
    final = [w for w in with_answers if not shown[w.id].provisional]
    return (final or with_answers or waves or [None])[0]


def names(session: Session) -> dict[str, dict]:
    """Display names of agencies, sectors and service points by id/code."""
    return {
        "agency": {a.id: a for a in session.scalars(select(Agency))},
        "sector": {s.code: s for s in session.scalars(select(Sector))},
        "point": {p.id: p for p in session.scalars(select(ServicePoint))},
    }


@dataclass(frozen=True)
class Overview:
    """Everything on the dashboard for one wave, filters and viewer scope."""

    wave: Wave
    filters: Filters
    headline: Cell
    targets: list
    target_status: list           # [(TargetRef, status)] for every applicable target
    parts: list
    elements: list
    items: list
    agencies: list
    sectors: list
    points: list
    respondents: int              # probability-sample respondents in the domain
    min_n: int
    walkups_excluded: int = 0     # walk-up (non-probability) answers of the wave, never counted
    gap_inputs: tuple = field(default=(), repr=False, compare=False)  # qd766_gap's arguments

    @cached_property
    def qd766(self):
        """The QĐ 766 score beside the index (survey.services.qd766.compare.Comparison), computed on first use:
        the dashboard and the PDF show it, the charts and exports that share this object never ask."""
        return qd766_gap(*self.gap_inputs) if self.gap_inputs else None

    @cached_property
    def public_services(self):
        """The "Y tế" / "Giáo dục" section of a health or education wave (public_services_view.Section), else None."""
        from survey.services.workspace import public_services_view

        if not self.gap_inputs:
            return None
        session, wave, filters, visible = self.gap_inputs[:4]
        return public_services_view.section(session, wave, filters.version, visible, self.min_n)


def index_respondents(frame, mask, est: Estimate | None) -> int:
    """Respondents in `mask` with at least one valid answer on an index item: the headline's "người trả lời"
    on the dashboard and in the PDF alike (an estimate's own n is its most-answered component's count, so
    it is lower whenever nobody's "không áp dụng" answers line up). Falls back to est.n without raw answers."""
    import numpy as np

    answers = frame.data.answers
    if answers is None or not frame.data.items:
        return est.n if est is not None else 0
    valid = np.zeros(answers.shape[0], dtype=bool)
    for j, codes in enumerate(frame.data.valid):
        valid |= np.isin(answers[:, j], list(codes))
    return int((valid & mask & frame.mask()).sum())


def domain_mask(frame, filters: Filters, agencies: dict) -> Any:
    """Rows inside the viewer's scope and the filters (level of the respondent's agency, sector, channel)."""
    import numpy as np

    mask = frame.mask().copy()
    if filters.level:
        levels = np.array([agencies[a].level if a in agencies else "" for a in frame.agency.tolist()], dtype=object)
        mask &= levels == filters.level
    if filters.sector:
        mask &= frame.sector == filters.sector
    if filters.channel:
        mask &= frame.channel == filters.channel
    return mask


def _cells(results: dict, label, target_of, min_n: int, meta_of=None, label_en=None) -> list[Cell]:
    cells = []
    for key, res in results.items():
        if key is None:
            continue
        est = res.overall if hasattr(res, "overall") else res
        target = target_of(key)
        meta = dict(meta_of(key)) if meta_of else {}
        if label_en is not None:
            meta["label_en"] = label_en(key)
        cells.append(Cell(key, label(key), est, est.n, target,
                          status_of(est, target.value if target else None, min_n), meta=meta))
    return cells


def english_name(objects: dict):
    """A label_en function over registry objects (agency, sector, service point) by key."""
    return lambda k: (objects[k].name_en or objects[k].name_vi) if k in objects else str(k)


def withhold_small(cell: Cell, min_n: int) -> Cell:
    """The cell without its numbers when fewer than `min_n` answered it: in a small domain (an agency or a
    service point with a handful of respondents) an item's percentage tells what each of them answered.
    The count stays; the pages say "chưa đủ số liệu" and exports leave the value empty."""
    if cell.n >= min_n:
        return cell
    return replace(cell, est=None, status="small", meta={**cell.meta, "withheld": True})


def _tree_cells(result, frame, target: TargetRef | None, min_n: int) -> tuple[list, list, list]:
    """Part, element and item cells of one IndexResult, in questionnaire order; those answered by fewer
    than `min_n` respondents are withheld (withhold_small)."""
    if result is None:
        return [], [], []
    t = target.value if target else None
    items = frame.structure["items"]
    def en(code):
        return {"label_en": frame.labels.get("en:" + code, code)}

    parts = [Cell(k, frame.labels.get(k, k), e, e.n, target, status_of(e, t, min_n), meta=en(k))
             for k, e in result.parts.items()]
    elements = [Cell(k, frame.labels.get(k, k), e, e.n, target, status_of(e, t, min_n), meta=en(k))
                for k, e in result.elements.items()]
    item_cells = []
    for k, e in result.items.items():
        code = items[k] if isinstance(k, int) else k
        item_cells.append(Cell(code, frame.labels.get(code, code), e, e.n, target, status_of(e, t, min_n),
                               meta=en(code)))
    return tuple([withhold_small(c, min_n) for c in cells] for cells in (parts, elements, item_cells))


def overview(session: Session, wave: Wave, filters: Filters, visible: set[int] | None, min_n: int) -> Overview:
    """The dashboard of a wave: headline vs targets, agencies ranked, sectors vs own targets, points."""
    from survey.services.workspace import wavedata

    frame = wavedata.cached_load(session, wave, visible, filters.version)
    nm = names(session)
    mask = domain_mask(frame, filters, nm["agency"])
    year = wave.period_end.year
    service = public_service_of(session, wave)  # health / education waves: their public_service targets
    targets = applicable_targets(session, year, TargetScope.PUBLIC_SERVICE, service) if service else \
        applicable_targets(session, year)
    main = targets[0] if targets else None
    if filters.sector:
        main = sector_target(session, year, filters.sector) or main
        targets = ([main] if main else []) + [t for t in targets if t is not main and t.scope == TargetScope.PROVINCE]
    result = frame.index(mask=mask)
    est = result.overall if result is not None else None
    n_index = index_respondents(frame, mask, est) if est else 0
    headline = Cell("all", "", est, n_index, main, status_of(est, main.value if main else None, min_n))
    parts, elements, items = _tree_cells(result, frame, main, min_n)
    agency = nm["agency"]
    agencies = rank_cells(min_n=min_n, cells=_cells(
        frame.index(by=frame.agency, mask=mask),
        lambda k: agency[k].name_vi if k in agency else str(k), lambda k: main, min_n,
        lambda k: {"level": agency[k].level, "code": agency[k].code, "parent_id": agency[k].parent_id}
        if k in agency else {}, english_name(agency)))
    sector = nm["sector"]
    sectors = rank_cells(min_n=min_n, cells=_cells(
        frame.index(by=frame.sector, mask=mask), lambda k: sector[k].name_vi if k in sector else k,
        lambda k: sector_target(session, year, k), min_n, None, english_name(sector)))
    point = nm["point"]
    points = rank_cells(min_n=min_n, cells=_cells(
        frame.index(by=frame.point, mask=mask), lambda k: point[k].name_vi if k in point else str(k),
        lambda k: main, min_n, lambda k: {"agency_id": point[k].agency_id, "kind": point[k].kind}
        if k in point else {}, english_name(point)))
    return Overview(wave, filters, headline, targets,
                    [(t, status_of(est, t.value, min_n)) for t in targets], parts, elements, items,
                    agencies, sectors, points, int(mask.sum()), min_n, int(frame.data.walkup_excluded or 0),
                    (session, wave, filters, visible, est, agencies, agency))


def public_service_of(session: Session, wave: Wave) -> str | None:
    """"health" / "education" for a public-service wave (survey.services.workspace.public_services_view)."""
    from survey.services.workspace import public_services_view

    return public_services_view.service_of_wave(session, wave)


def qd766_gap(session: Session, wave: Wave, filters: Filters, visible: set[int] | None, est: Estimate | None,
              agencies: list[Cell], agency: dict):
    """The QĐ 766 score of the wave's period beside the index, for the same domain (viewer, level, sector,
    channel): whole domain and per agency, sorted by gap (survey.services.qd766.compare)."""
    from survey.services.qd766 import compare

    if filters.level:
        visible = {k for k, a in agency.items() if a.level == filters.level and (visible is None or k in visible)}
    sector_id = session.scalar(select(Sector.id).where(Sector.code == filters.sector)) or -1 if filters.sector else None
    sampled = [compare.Sampled(c.key, c.label, c.meta.get("label_en", ""), c.est, c.status == "small")
               for c in agencies]
    return compare.compare(session, wave.period_start, wave.period_end, visible, est, sampled, sector_id=sector_id,
                           channel=filters.channel or None)
