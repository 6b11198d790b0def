"""The trend restated onto today's units: each earlier publication read through the registry's lineage.

The trend page and the PDF's trend section show, for every unit valid today whose history crosses
a reorganisation (a merge, split or rename), the overall index of each wave of the trend restated
onto that unit by survey.services.publications.restate: merged units as one domain of their
predecessors' respondents under that publication's own design, splits without a full share as
"not comparable". The publications themselves are only read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.compare import Comparison, compare
from survey.models import Agency, Wave
from survey.services import publications
from survey.services.publications import restate
from survey.services.workspace import dashboard as dash
from survey.services.workspace import detail, wavedata


@dataclass(frozen=True)
class RestatedPoint:
    """One wave on a unit's restated line, with its change from the previous comparable point."""

    wave: Wave
    restated: restate.Restated
    comparison: Comparison | None = None

    @property
    def estimate(self):
        """The restated estimate (None when not comparable or without respondents)."""
        return self.restated.estimate

    @property
    def significant(self) -> str:
        """"up" / "down" when the change from the previous point is significant, else ""."""
        return self.comparison.direction if self.comparison else ""


@dataclass(frozen=True)
class RestatedRow:
    """A unit valid today and its restated points, oldest wave first."""

    agency: Agency
    points: list[RestatedPoint]
    predecessors: list[Agency] = field(default_factory=list)   # earlier units whose history it carries

    @property
    def comparable(self) -> bool:
        """Whether every wave with data restates onto it (no split without a full share in the way)."""
        return not any(p.restated.status == restate.RestateStatus.NOT_COMPARABLE for p in self.points)


@dataclass(frozen=True)
class RestatedTrend:
    """The restated trend: the day whose units are used, and the rows (comparable ones first)."""

    on: date
    waves: list[Wave]
    rows: list[RestatedRow]

    @property
    def comparable(self) -> list[RestatedRow]:
        """Rows whose whole line can be drawn."""
        return [r for r in self.rows if r.comparable]

    @property
    def not_comparable(self) -> list[RestatedRow]:
        """Rows with at least one wave that cannot be restated onto the unit."""
        return [r for r in self.rows if not r.comparable]


def _frames(session: Session, current: Wave, filters: dash.Filters, trend: detail.Trends | None) -> list:
    """(wave, frame) of the trend's waves with a publication, oldest first; from `trend` (detail.trends of
    the same wave and filters) when given, so the publications are not looked up twice."""
    if trend is not None:
        return [(p.wave, publications.frame(session, p.version)) for p in trend.get("", []) if p.version is not None]
    waves, _left, _later, shown = detail._trend_waves(session, current, filters.version)
    return [(w, shown[w.id].frame) for w in waves if shown.get(w.id) is not None]


def restated_trend(session: Session, current: Wave, filters: dash.Filters, visible: set[int] | None, min_n: int,
                   on: date | None = None, trend: detail.Trends | None = None) -> RestatedTrend:
    """The waves of the selected one's trend, each restated onto the units valid on `on` (default today);
    only units touched by a reorganisation in those waves are listed (the others' lines are the trend's own)."""
    on = on or date.today()
    mapping = restate.lineage_mapping(session, on)
    per_wave: list[tuple[Wave, dict]] = [
        (w, restate.restate_frame(wavedata.scoped(frame, visible), mapping))
        for w, frame in _frames(session, current, filters, trend)]
    touched = sorted({u for _w, res in per_wave for u, r in res.items()
                      if r.status in (restate.RestateStatus.RESTATED, restate.RestateStatus.NOT_COMPARABLE)
                      and (visible is None or u in visible or set(r.predecessors) & visible)})
    olds = {o for _w, res in per_wave for u in touched if u in res for o in res[u].predecessors}
    wanted = set(touched) | olds
    agencies = {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(wanted)))} if wanted else {}
    rows = []
    for unit in (u for u in touched if u in agencies):
        points: list[RestatedPoint] = []
        prev = None
        for w, res in per_wave:
            r = res.get(unit) or restate.Restated(unit, restate.RestateStatus.NO_DATA, None, ())
            comparison = compare(prev, r.estimate, min_n, dash.max_rse()) if prev and r.estimate else None
            points.append(RestatedPoint(w, r, comparison))
            # a point that cannot be restated breaks the line: the next change is not computed across it
            prev = r.estimate if r.estimate is not None else None
        preds = sorted({agencies[o] for p in points for o in p.restated.predecessors if o != unit and o in agencies},
                       key=lambda a: a.name_vi)
        rows.append(RestatedRow(agencies[unit], points, preds))
    rows.sort(key=lambda r: (not r.comparable, r.agency.name_vi))
    return RestatedTrend(on, [w for w, _ in per_wave], rows)
