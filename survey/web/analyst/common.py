"""Shared helpers of the analyst pages: filters from the query string, the viewer's scope, sorting, paging."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import select

from survey.extensions import db
from survey.models import Agency, Sector, Wave
from survey.services.workspace import dashboard as dash
from survey.services.workspace import publishing, wavedata
from survey.web.auth.access import role_required, visible_agency_ids
from survey.web.inputs import row_id

ANALYST_ROLES = ("admin", "analyst", "agency_viewer")
PER_PAGE = 25
analyst_required = role_required(*ANALYST_ROLES)


@dataclass(frozen=True)
class Context:
    """The request's wave, filters, viewer scope and thresholds."""

    wave: Wave | None
    filters: dash.Filters
    visible: set[int] | None
    min_n: int
    waves: list
    sectors: list
    indexed: bool = True          # the wave's questionnaire has satisfaction items (else no index to show)
    shown: wavedata.Shown | None = None   # the publication read (None: the wave is not yet published)
    versions: tuple = ()          # the wave's final publication versions (publications.PublishedView)

    @property
    def published(self) -> bool:
        """Whether the wave has a publication to show."""
        return self.shown is not None

    @property
    def banner(self) -> tuple[str, int | None]:
        """The version banner's text and the latest version when an older one is shown (wavedata.banner)."""
        return wavedata.banner(self.shown.view) if self.shown else ("", None)

    def args(self, **extra) -> dict:
        """Query arguments for links that keep the current filters (an extra None removes an argument)."""
        out = dict(self.filters.args())
        out.update({k: v for k, v in extra.items() if v not in (None, "")})
        for k in [k for k, v in extra.items() if v is None]:
            out.pop(k, None)
        return out


def visible() -> set[int] | None:
    """The signed-in user's agencies (None = all)."""
    return visible_agency_ids(db.session, current_user)


def context() -> Context:
    """Parse and validate the filters; unknown values fall back to "all" rather than failing."""
    waves = dash.list_waves(db.session)
    wave_id = request.args.get("wave", type=int)
    wave = next((w for w in waves if w.id == wave_id), None) if wave_id else None
    if wave_id and wave is None:
        abort(404)
    wave = wave or dash.default_wave(db.session)
    sectors = list(db.session.scalars(select(Sector).order_by(Sector.name_vi)))
    level = request.args.get("level", "")
    sector = request.args.get("sector", "")
    channel = request.args.get("channel", "")
    version = request.args.get("version", type=int)
    if wave is not None and version is None:
        # A running wave's provisional figures are refreshed in the background when they are older than
        # PROVISIONAL_MINUTES; this page shows the current ones meanwhile (the banner gives their time).
        publishing.schedule_refresh(wave, getattr(current_user, "id", None))
    shown = wavedata.published(db.session, wave, version) if wave is not None else None
    if version is not None and shown is None:  # an old version that does not exist
        abort(404)
    filters = dash.Filters(
        wave_id=wave.id if wave else None,
        level=level if level in dash.LEVELS else "",
        sector=sector if sector in {s.code for s in sectors} else "",
        channel=channel if channel in dash.CHANNELS else "",
        version=version)
    return Context(wave, filters, visible(), current_app.config["MIN_CELL_ANSWERS"], waves, sectors,
                   wave is None or wavedata.has_index(db.session, wave), shown,
                   tuple(wavedata.final_versions(db.session, wave)) if wave is not None else ())


def check_agency(ctx: Context, agency_id: int) -> Agency:
    """The agency, or 404 when it does not exist or lies outside the viewer's subtree."""
    if row_id(agency_id) is None:  # ?agency= from a query string may be beyond any id column
        abort(404)
    agency = db.session.get(Agency, agency_id)
    if agency is None or (ctx.visible is not None and agency_id not in ctx.visible):
        abort(404)
    return agency


SORT_KEYS = {
    "rank": lambda c: (c.rank is None, c.rank or 0),
    "name": lambda c: c.label.lower(),
    "value": lambda c: (c.value is None, c.value or 0),
    "n": lambda c: c.n,
    "status": lambda c: ["below", "nd", "meets", "", "small"].index(c.status) if c.status in
    ("below", "nd", "meets", "", "small") else 9,
    "level": lambda c: c.meta.get("level", ""),
}


def sort_and_page(cells: list, default: str = "rank") -> tuple[list, dict]:
    """Sort cells by ?sort=&desc= and cut the ?page=; returns (rows, paging info for the template)."""
    key = request.args.get("sort", default)
    key = key if key in SORT_KEYS else default
    desc = request.args.get("desc", "0") == "1"
    rows = sorted(cells, key=SORT_KEYS[key], reverse=desc)
    if key in ("value", "rank"):  # flagged small cells are not ranked: they stay last in both directions
        rows = [c for c in rows if c.status != "small"] + [c for c in rows if c.status == "small"]
    page = max(request.args.get("page", 1, type=int), 1)
    total = len(rows)
    return rows[(page - 1) * PER_PAGE: page * PER_PAGE], {"page": page, "per_page": PER_PAGE, "total": total,
                                                           "sort": key, "desc": desc}
