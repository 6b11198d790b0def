"""The "Y tế" / "Giáo dục" section of the dashboard and the PDF, read from a wave's publication.

Per facility / school: the publication's "agencies" cells; per level and per commune-level area: the
tables survey.services.workspace.public_services froze into it; beside them the MoH-style rates
(analysis.moh). Agency viewers see the facilities in their scope only; the level
and area tables pool several facilities, so they are shown to province-wide viewers only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from survey.models import QuestionnaireVersion, Wave
from survey.models.registry import TargetScope
from survey.services.scoreboard import public_services as board_tables
from survey.services.workspace import dashboard as dash
from survey.services.workspace import public_services

TITLES = board_tables.TITLES


@dataclass(frozen=True)
class MohRow:
    """One domain's index beside the MoH-style rates (percent)."""

    key: Any
    label: str
    label_en: str
    index: Any            # analysis Estimate: the platform's index
    moh: Any              # analysis.moh.MohRates
    small: bool = False

    def label_in(self, lang: str) -> str:
        """The label in `lang`."""
        return self.label_en or self.label if lang == "en" else self.label

    @property
    def gap(self) -> float | None:
        """Weighted pooled MoH rate − index, in points (None when either is undefined)."""
        a, b = getattr(self.moh, "pooled", None), self.index
        if a is None or b is None or a.value != a.value or b.value != b.value:
            return None
        return a.value - b.value


@dataclass(frozen=True)
class Section:
    """A public-service wave's section: the service, its targets, tables and the MoH comparison."""

    service: str
    title: str
    title_en: str
    headline: dash.Cell
    targets: list                    # [(dash.TargetRef, status)]
    facilities: list                 # [dash.Cell], ranked, small cells last
    levels: list
    areas: list
    scoped: bool                     # levels and areas withheld (an agency viewer)
    moh: MohRow | None = None
    moh_facilities: list = field(default_factory=list)
    mean_scores: list = field(default_factory=list)   # [(element code, label_vi, label_en, Estimate)]
    min_n: int = 30
    residences: list = field(default_factory=list)    # [dash.Cell] by the respondents' own commune

    def title_in(self, lang: str) -> str:
        """The section title in `lang`."""
        return self.title_en if lang == "en" else self.title


def _target(t: Any) -> dash.TargetRef | None:
    return None if t is None else dash.TargetRef(t.value, t.year, TargetScope(t.scope), t.label_vi, t.sector_code,
                                                 t.label_en)


def dash_cell(c: Any, meta: dict | None = None) -> dash.Cell:
    """A dashboard Cell (status meets / below / nd / small) of an analysis.table.Cell from a publication."""
    status = "small" if c.flags else {"not_distinguishable": "nd"}.get(c.status or "", c.status or "")
    return dash.Cell(c.key, c.label_vi, c.est, c.est.n, _target(c.target), status, c.rank,
                     meta={"label_en": c.label_en, "code": c.code, **(meta or {})})


def _ranked(cells: dict) -> list:
    return sorted((dash_cell(c) for c in cells.values()),
                  key=lambda c: (c.rank is None, c.rank or 0, -(c.value or 0), c.label))


def service_of_wave(session: Session, wave: Wave) -> str | None:
    """"health" / "education" when the wave's questionnaire is a public-service form, else None."""
    version = session.get(QuestionnaireVersion, wave.questionnaire_version_id)
    return public_services.service_of(version.content if version else {})


def section(session: Session, wave: Wave, version: int | None, visible: set | None, min_n: int) -> Section | None:
    """The section of a published health or education wave (None for any other wave or without a publication)."""
    from survey.services.workspace import wavedata

    service = service_of_wave(session, wave)
    shown = wavedata.published(session, wave, version) if service else None
    if shown is None:
        return None
    table, extra = shown.view.table, public_services.stored(shown.view)
    inside = (lambda k: True) if visible is None else (lambda k: k in visible)  # noqa: E731
    facilities = [c for c in _ranked(table.agencies) if inside(c.key)]
    scoped = visible is not None
    head = dash_cell(table.overall)
    targets = dash.applicable_targets(session, table.year, TargetScope.PUBLIC_SERVICE, service)
    statuses = [(t, dash.status_of(head.est, t.value, min_n)) for t in targets]
    moh = moh_rows = scores = None
    if extra is not None and extra.moh is not None:
        if not scoped:
            moh = MohRow("all", "Toàn bộ đợt", "Whole wave", table.overall.est, extra.moh)
            scores = [(k, table.labels.get(k, (k, k))[0], table.labels.get(k, (k, k))[1], e)
                      for k, e in extra.moh.mean_scores.items()]
        moh_rows = [MohRow(c.key, c.label, c.meta.get("label_en", ""), c.est, extra.moh_facilities[c.key],
                           c.status == "small") for c in facilities if c.key in extra.moh_facilities]
    return Section(service, *TITLES[service], head, statuses, facilities,
                   [] if scoped or extra is None else _ranked(extra.levels),
                   [] if scoped or extra is None else _ranked(extra.areas), scoped, moh, moh_rows or [],
                   scores or [], min_n, [] if scoped or extra is None else _ranked(extra.residences))
