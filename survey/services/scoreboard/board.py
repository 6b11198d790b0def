"""A publication as the public sees it: plain cells with both names, the insufficient ones emptied.

Building a Board thaws the publication's table (a quarter of a second for a province-size wave), so
boards are memoised per process by database, publication id and content hash: a stored version never
changes, and a restatement is a new id.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from survey.services import publications
from survey.services.scoreboard import public_services
from survey.services.scoreboard.catalogue import Entry

SCOPES = ("province", "sector", "agency", "agency_sector", "service_point")


@dataclass(frozen=True)
class PublicCell:
    """One published cell; when `sufficient` is False every number (index, CI, n, status, rank) is None."""

    scope: str
    code: str
    name_vi: str
    name_en: str
    sufficient: bool
    index: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    df: int | None
    n: int | None
    target: float | None
    target_year: int | None
    target_label_vi: str
    target_label_en: str
    status: str | None  # meets | below | not_distinguishable; None without a target or when insufficient
    rank: int | None
    agency_code: str = ""
    sector_code: str = ""
    level: str = ""
    parent_code: str = ""

    def name(self, lang: str) -> str:
        """The name in `lang` (English when the registry has one)."""
        return (self.name_en or self.name_vi) if lang == "en" else self.name_vi

    def target_label(self, lang: str) -> str:
        """The target's label in `lang`."""
        return (self.target_label_en or self.target_label_vi) if lang == "en" else self.target_label_vi


@dataclass(frozen=True)
class Board:
    """One version of one wave for the public pages and the open data."""

    entry: Entry
    method_version: str
    respondents: int
    level: float
    min_n: int
    max_rse: float
    measure_vi: str
    measure_en: str
    province: PublicCell
    sectors: tuple
    agencies: tuple
    agency_sectors: tuple
    service_points: tuple
    public_service: Any = None  # health / education waves: scoreboard.public_services.PublicService

    @property
    def provisional(self) -> bool:
        """Whether this is a provisional version of a running wave."""
        return self.entry.provisional

    def cells(self) -> list[PublicCell]:
        """Every cell in the open-data order: province, sectors, agencies, agency × sector, service points."""
        return [self.province, *self.sectors, *self.agencies, *self.agency_sectors, *self.service_points]

    def agency(self, code: str) -> PublicCell | None:
        """The agency cell of `code`, or None."""
        return next((c for c in self.agencies if c.code == code), None)

    def of_agency(self, code: str) -> tuple[list[PublicCell], list[PublicCell], list[PublicCell]]:
        """(its sectors, its service points, its subordinate agencies) of an agency."""
        return ([c for c in self.agency_sectors if c.agency_code == code],
                [c for c in self.service_points if c.agency_code == code],
                [c for c in self.agencies if c.parent_code == code])


def _num(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _cell(scope: str, cell: Any, **where: str) -> PublicCell:
    """The public form of an analysis Cell."""
    est, target = cell.est, cell.target
    sufficient = not cell.flags and est.n > 0 and _num(est.value) is not None and est.has_interval
    t = (target.value, target.year, target.label_vi, target.label_en) if target else (None, None, "", "")
    if not sufficient:
        return PublicCell(scope, cell.code, cell.label_vi, cell.label_en, False, None, None, None, None, None, None,
                          *t, None, None, **where)
    return PublicCell(scope, cell.code, cell.label_vi, cell.label_en, True, float(est.value), float(est.ci_low),
                      float(est.ci_high), _num(est.se), int(est.df) if est.df is not None else None, int(est.n),
                      *t, cell.status, cell.rank, **where)


def build(entry: Entry, view: Any) -> Board:
    """The Board of a thawed publication (`view`: a PublishedView of `entry`)."""
    table, registry = view.table, (view.inputs or {}).get("registry") or {}
    agencies = {row[0]: row for row in registry.get("agencies", ())}  # id, code, vi, en, parent id, level
    point_agency = {row[0]: row[3] for row in registry.get("service_points", ())}  # id → agency id
    code_of = lambda agency_id: agencies[agency_id][1] if agency_id in agencies else ""  # noqa: E731

    def agency(key: Any, cell: Any) -> PublicCell:
        row = agencies.get(key)
        return _cell("agency", cell, agency_code=cell.code, level=str(row[5] or "") if row else "",
                     parent_code=code_of(row[4]) if row and row[4] is not None else "")

    ordered = lambda cells: sorted(cells.items(), key=lambda kv: kv[1].code)  # noqa: E731
    measure = table.overall.measure
    settings = table.settings or {}
    return Board(
        entry, view.method_version, int(table.respondents), float(settings.get("level", 0.95)),
        int(settings.get("min_n", 30)), float(settings.get("max_rse", 0.3)),
        measure.label_vi if measure else "", measure.label_en if measure else "",
        _cell("province", table.overall),
        tuple(_cell("sector", c, sector_code=c.code) for _, c in ordered(table.sectors)),
        tuple(agency(k, c) for k, c in ordered(table.agencies)),
        tuple(_cell("agency_sector", c, agency_code=code_of(k[0]), sector_code=str(k[1]))
              for k, c in ordered(table.agency_sectors)),
        tuple(_cell("service_point", c, agency_code=code_of(point_agency.get(k)))
              for k, c in ordered(table.service_points)),
        public_services.public(view, _cell))


_BOARDS: dict = {}
_SIZE = 16


def board(session: Session, entry: Entry) -> Board:
    """The Board of a listed version (memoised per process: a stored version never changes)."""
    bind = session.get_bind()
    key = (getattr(bind, "engine", bind).url.render_as_string(), entry.id, entry.content_hash)
    got = _BOARDS.get(key)
    if got is None:
        view = publications.get(session, entry.id)
        got = build(entry, view)
        if len(_BOARDS) >= _SIZE:
            _BOARDS.pop(next(iter(_BOARDS)))
        _BOARDS[key] = got
    return got


def reset_caches() -> None:
    """Forget memoised boards (tests roll back rows, so ids are reused)."""
    _BOARDS.clear()

