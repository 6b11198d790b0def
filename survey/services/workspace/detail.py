"""Drill-down, response rates, trends and priorities for the analyst workspace (see dashboard.py)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import analysis
from analysis import Estimate
from analysis.compare import Comparison, compare, pick_periods
from survey.models import Agency, Invitation, Sector, Wave, WaveStratum
from survey.models.fieldwork import InvitationStatus
from survey.services import publications
from survey.services.registry.hierarchy import descendants
from survey.services.workspace import dashboard as dash
from survey.services.workspace import wavedata


@dataclass(frozen=True)
class AgencyView:
    """One agency: its own index and tree, with and without its units, its service points and units."""

    agency: Agency
    headline: dash.Cell
    subtree: dash.Cell | None
    parts: list
    elements: list
    items: list
    points: list
    children: list


def agency_view(session: Session, wave: Wave, agency: Agency, filters: dash.Filters, visible: set[int] | None,
                min_n: int) -> AgencyView:
    """Drill-down of one agency (the caller has checked it is visible)."""
    frame = wavedata.cached_load(session, wave, visible, filters.version)
    nm = dash.names(session)
    base = dash.domain_mask(frame, filters, nm["agency"])
    base = np.ones(frame.n, dtype=bool) if base is None else base
    own = base & (frame.agency == agency.id)
    target = dash.applicable_targets(session, wave.period_end.year)
    main = target[0] if target else None
    if filters.sector:
        main = dash.sector_target(session, wave.period_end.year, filters.sector) or main
    tv = main.value if main else None
    result = frame.index(mask=own)
    est = result.overall if result else None
    headline = dash.Cell(agency.id, agency.name_vi, est, est.n if est else 0, main, dash.status_of(est, tv, min_n))
    subtree_ids = descendants(((a.id, a.parent_id) for a in nm["agency"].values()), agency.id)
    if visible is not None:
        subtree_ids &= visible
    subtree = None
    if len(subtree_ids) > 1:
        res = frame.index(mask=base & np.isin(frame.agency, list(subtree_ids)))
        e = res.overall if res else None
        subtree = dash.Cell(agency.id, agency.name_vi, e, e.n if e else 0, main, dash.status_of(e, tv, min_n))
    parts, elements, items = dash._tree_cells(result, frame, main, min_n)
    point = nm["point"]
    points = dash.rank_cells(min_n=min_n, cells=dash._cells(
        frame.index(by=frame.point, mask=own), lambda k: point[k].name_vi if k in point else str(k),
        lambda k: main, min_n, None, dash.english_name(point)))
    child_ids = [a.id for a in nm["agency"].values() if a.parent_id == agency.id and a.id in subtree_ids]
    children = dash.rank_cells(min_n=min_n, cells=dash._cells(
        frame.index(by=frame.agency, mask=base & np.isin(frame.agency, child_ids)),
        lambda k: nm["agency"][k].name_vi, lambda k: main, min_n,
        lambda k: {"level": nm["agency"][k].level, "code": nm["agency"][k].code}, dash.english_name(nm["agency"])))
    return AgencyView(agency, headline, subtree, parts, elements, items, points, children)


def point_items(session: Session, wave: Wave, agency: Agency, point_id: int, filters: dash.Filters,
                visible: set[int] | None, min_n: int):
    """(headline cell, parts, elements, items) of one agency at one service point, or None when empty."""
    frame = wavedata.cached_load(session, wave, visible, filters.version)
    base = dash.domain_mask(frame, filters, dash.names(session)["agency"])
    mask = (np.ones(frame.n, dtype=bool) if base is None else base) & (frame.agency == agency.id) & \
        (frame.point == point_id)
    if not mask.any():
        return None
    targets = dash.applicable_targets(session, wave.period_end.year)
    main = targets[0] if targets else None
    result = frame.index(mask=mask)
    est = result.overall if result else None
    cell = dash.Cell(point_id, "", est, est.n if est else 0, main,
                     dash.status_of(est, main.value if main else None, min_n))
    return (cell, *dash._tree_cells(result, frame, main, min_n))


@dataclass(frozen=True)
class RateRow:
    """Invitations of one stratum (or outcome) by status, and the response rate."""

    key: str
    label: str
    completed: int
    opened: int
    expired: int
    issued: int
    label_en: str = ""

    @property
    def total(self) -> int:
        """All invitations."""
        return self.completed + self.opened + self.expired + self.issued

    @property
    def rate(self) -> float | None:
        """Completed / invited, in percent (None without invitations)."""
        return 100.0 * self.completed / self.total if self.total else None


def response_rates(session: Session, wave: Wave, filters: dash.Filters, visible: set[int] | None) -> dict:
    """Invitation outcomes by stratum and by dossier outcome (counts from the database)."""
    stmt = (select(WaveStratum.key, Agency.name_vi, Sector.name_vi, Invitation.outcome, Invitation.status,
                   func.count(), Agency.name_en, Sector.name_en)
            .join(WaveStratum, WaveStratum.id == Invitation.stratum_id)
            .join(Agency, Agency.id == Invitation.agency_id).join(Sector, Sector.id == Invitation.sector_id)
            .where(Invitation.wave_id == wave.id)
            .group_by(WaveStratum.key, Agency.name_vi, Sector.name_vi, Invitation.outcome, Invitation.status,
                      Agency.name_en, Sector.name_en))
    if visible is not None:
        stmt = stmt.where(Invitation.agency_id.in_(sorted(visible) or [-1]))
    if filters.level:
        stmt = stmt.where(Agency.level == filters.level)
    if filters.sector:
        stmt = stmt.where(Sector.code == filters.sector)
    by_stratum: dict = {}
    by_outcome: dict = {}
    for key, agency, sector, outcome, status, count, agency_en, sector_en in session.execute(stmt):
        by_stratum.setdefault(key, {"label": "%s × %s" % (agency, sector),
                                    "en": "%s × %s" % (agency_en or agency, sector_en or sector)}).setdefault(status, 0)
        by_stratum[key][status] += count
        by_outcome.setdefault(outcome, {}).setdefault(status, 0)  # labels come from the templates
        by_outcome[outcome][status] += count

    def rows(groups: dict, label) -> list[RateRow]:
        return [RateRow(k, label(k, v), v.get(InvitationStatus.COMPLETED, 0), v.get(InvitationStatus.OPENED, 0),
                        v.get(InvitationStatus.EXPIRED, 0), v.get(InvitationStatus.ISSUED, 0), v.get("en", ""))
                for k, v in groups.items()]

    strata = sorted(rows(by_stratum, lambda k, v: v["label"]), key=lambda r: (r.rate or 0, r.label))
    outcomes = sorted(rows(by_outcome, lambda k, v: k), key=lambda r: r.key)
    total = RateRow("all", "", *(sum(getattr(r, f) for r in strata)
                                 for f in ("completed", "opened", "expired", "issued")))
    return {"strata": strata, "outcomes": outcomes, "total": total}


@dataclass(frozen=True)
class TrendPoint:
    """One wave of a trend: the estimate, its publication, and its change from the previous point shown."""

    wave: Wave
    cell: dash.Cell
    comparison: Comparison | None
    version: object = None            # the publication read (publications.PublishedView)

    @property
    def change(self) -> Estimate | None:
        """The change from the previous point (None when not compared)."""
        return self.comparison.change if self.comparison else None

    @property
    def significant(self) -> str:
        """"up" / "down" when the change is significant (never with a flagged side), else ""."""
        return self.comparison.direction if self.comparison else ""


@dataclass(frozen=True)
class LeftOut:
    """A wave the trend does not show, and why: "overlap" (its period overlaps `other`'s, the one shown)
    or "unpublished" (no publication to read)."""

    wave: Wave
    reason: str
    other: Wave | None = None


@dataclass(frozen=True)
class Trends:
    """The series of a trend (""= all, or a sector code → points, oldest first) and the waves left out."""

    series: dict
    left_out: list
    later: int = 0                    # waves after the selected one (never shown in its trend)

    def items(self):
        """(code, points) pairs, as a dict of series."""
        return self.series.items()

    def get(self, code, default=None):
        """The points of one series."""
        return self.series.get(code, default)


def change(prev: Estimate | None, cur: Estimate | None) -> Estimate | None:
    """The engine's change between two independent waves (None when either side is undefined)."""
    return compare(prev, cur, 0, math.inf).change


def _trend_waves(session: Session, current: Wave, version: int | None = None) -> tuple[list, list, int, dict]:
    """The waves of the selected one's trend: same questionnaire, none later than the selected wave, never two
    with overlapping periods (the latest published of them is kept; the selected one always), each read from
    its publication. Returns (waves oldest first, left out, number of later waves, {wave id: Shown})."""
    same = [w for w in dash.list_waves(session) if w.questionnaire_version_id == current.questionnaire_version_id]
    later = [w for w in same if w.id != current.id and w.period_start > current.period_start]
    earlier = [w for w in same if w.id != current.id and w.period_start <= current.period_start]
    shown = {w.id: _published(session, w, version if w.id == current.id else None) for w in [current, *earlier]}
    left = [LeftOut(w, "unpublished") for w in earlier if shown[w.id] is None]
    usable = {w.id: w for w in [current, *earlier] if w.id == current.id or shown[w.id] is not None}
    order = sorted((i for i in usable if i != current.id),
                   key=lambda i: (shown[i].view.published_at, i), reverse=True)  # latest published first
    chosen, clashes = pick_periods({i: (w.period_start, w.period_end) for i, w in usable.items()}, current.id, order)
    left += [LeftOut(usable[i], "overlap", usable[c]) for i, c in clashes.items()]
    return [usable[i] for i in chosen], sorted(left, key=lambda x: x.wave.period_start), len(later), shown


@dataclass(frozen=True)
class LazyShown:
    """A trend wave's publication (as wavedata.Shown): its version at once, its frozen frame only when asked
    for, so a trend drawn from the stored tables never thaws another wave's respondents."""

    session: Session
    view: object

    @property
    def frame(self):
        """The frozen frame (publications.frame: memoised per process)."""
        return publications.frame(self.session, self.view)

    @property
    def provisional(self) -> bool:
        """A provisional publication of a running wave."""
        return str(self.view.kind) == "provisional"


def _published(session: Session, wave: Wave, version: int | None) -> LazyShown | None:
    """wavedata.published without the frame: the current publication, or the final `version`."""
    if version is not None:
        view = next((v for v in publications.versions(session, wave.id) if v.version == version
                     and str(v.kind) == "final"), None)
    else:
        view = publications.current(session, wave.id)
    return LazyShown(session, view) if view is not None else None


def _from_table(view, code: str) -> Estimate | None:
    """The overall index (code "") or a sector's, as the publication's table stored it (the same numbers the
    frame gives for these domains: the table was computed from that frame's design)."""
    cell = view.table.overall if not code else (view.table.sectors or {}).get(code)
    return cell.est if cell is not None else None


def trends(session: Session, current: Wave, filters: dash.Filters, visible: set[int] | None, min_n: int,
           series: tuple = ("", "land", "construction", "investment")) -> Trends:
    """Per series (""= all, or a sector code), the index in the selected wave and the earlier waves of the
    same questionnaire (from their publications); a change is significant only between unflagged points."""
    waves, left, later, shown = _trend_waves(session, current, filters.version)
    if filters.sector:
        series = ("", filters.sector)
    out: dict = {s: [] for s in series}
    nm = dash.names(session)
    for w in waves:
        got = shown.get(w.id)
        if got is None:  # the selected wave itself without a publication: nothing to plot
            continue
        # Whole-province overall and sector points are in every publication's table; only a scope, a level
        # or a channel needs the wave's respondents (its frame)
        stored = visible is None and not filters.level and not filters.channel
        frame = None if stored else wavedata.scoped(got.frame, visible)
        for code in series:
            if stored:
                est = _from_table(got.view, code)
            else:
                f = dash.Filters(w.id, filters.level, code, filters.channel)
                res = frame.index(mask=_full(dash.domain_mask(frame, f, nm["agency"]), frame.n))
                est = res.overall if res else None
            target = dash.sector_target(session, w.period_end.year, code) if code else \
                next(iter(dash.applicable_targets(session, w.period_end.year)), None)
            cell = dash.Cell(w.id, w.name, est, est.n if est else 0, target,
                             dash.status_of(est, target.value if target else None, min_n))
            prev = out[code][-1].cell.est if out[code] else None
            comparison = compare(prev, est, min_n, dash.max_rse()) if out[code] else None
            out[code].append(TrendPoint(w, cell, comparison, got.view))
    return Trends(out, left, later)


def _full(mask, n: int):
    return np.ones(n, dtype=bool) if mask is None else mask


@dataclass(frozen=True)
class PriorityRow:
    """An element's performance (its index), importance for overall satisfaction and quadrant."""

    key: str
    label: str
    performance: Estimate
    importance: Estimate     # design-weighted correlation with overall satisfaction (analysis engine)
    quadrant: str            # improve | keep | low_priority | overkill
    label_en: str = ""


def priorities(session: Session, wave: Wave, filters: dash.Filters, visible: set[int] | None) -> list[PriorityRow]:
    """Importance–performance of each element, from the engine: importance is the weighted correlation
    between the share of the element's items a respondent is satisfied with and satisfaction with the
    overall question; elements are split into quadrants at the means."""
    frame = wavedata.cached_load(session, wave, visible, filters.version)
    if frame.design is None or not np.isfinite(frame.overall).any():
        return []
    mask = _full(dash.domain_mask(frame, filters, dash.names(session)["agency"]), frame.n)
    result = frame.index(mask=mask)
    if result is None:
        return []
    answers = np.where(mask[:, None], frame.answers, np.nan)  # outside the domain: no answers
    overall = np.where(mask, frame.overall, np.nan)
    importance = analysis.element_importance(frame.design, answers, frame.structure, overall)
    usable = {k: e for k, e in importance.items() if math.isfinite(e.value) and k in result.elements}
    quadrants = analysis.priority_quadrant({k: e.value for k, e in usable.items()},
                                           {k: result.elements[k].value for k in usable})
    return [PriorityRow(k, frame.labels.get(k, k), result.elements[k], e, quadrants[k] or "",
                        frame.labels.get("en:" + k, k)) for k, e in usable.items()]


def alphas(session: Session, wave: Wave, filters: dash.Filters, visible: set[int] | None) -> dict:
    """Cronbach's alpha with Feldt's 95 % interval per element of ≥ 2 items, over the domain's respondents
    (listwise: respondents who answered all of the element's items). {element: (alpha, low, high, n)}."""
    frame = wavedata.cached_load(session, wave, visible, filters.version)
    mask = _full(dash.domain_mask(frame, filters, dash.names(session)["agency"]), frame.n)
    out = {}
    for name, cols in frame.structure["elements"].items():
        if len(cols) < 2:
            continue
        block = frame.answers[mask][:, cols]
        complete = int((~np.isnan(block)).all(axis=1).sum())
        out[name] = (*analysis.cronbach_alpha(block), complete)
    return out
