"""Analyst pages: overview, agency ranking and drill-down, service points, items, response rates, trends,
priorities. Every page is scoped to the viewer's agencies (common.context → visible)."""
from __future__ import annotations

from flask import abort, current_app, render_template, url_for
from flask_login import current_user

from survey.extensions import db
from survey.models import ServicePoint
from survey.services.workspace import dashboard as dash
from survey.services.workspace import detail, report_restated, trend_restated
from survey.web.analyst import bp
from survey.web.analyst.common import analyst_required, check_agency, context, sort_and_page


def _empty(ctx, page: str):
    """The empty state; an administrator looking at an unpublished wave gets the link to publish it."""
    publish = None
    if ctx.wave is not None and not ctx.published and current_user.role == "admin" \
            and "admin.publications" in current_app.view_functions:
        publish = url_for("admin.publications", wave_id=ctx.wave.id)
    return render_template("analyst/empty.html", ctx=ctx, page=page, publish=publish)


def _no_index(ctx) -> bool:
    """No wave, a wave not yet published, or a wave whose questionnaire has no satisfaction items: the index
    pages show an empty state (they read publications only, never a wave's raw answers)."""
    return ctx.wave is None or not ctx.indexed or not ctx.published


@bp.route("/")
@analyst_required
def dashboard():
    """Overview of a wave: headline vs targets, elements, sectors with their own targets, best/worst agencies."""
    ctx = context()
    if _no_index(ctx):
        return _empty(ctx, "dashboard")
    ov = dash.overview(db.session, ctx.wave, ctx.filters, ctx.visible, ctx.min_n)
    ranked = [c for c in ov.agencies if c.rank]
    return render_template("analyst/dashboard.html", ctx=ctx, ov=ov, page="dashboard",
                           top=ranked[:5], bottom=ranked[-5:][::-1] if len(ranked) > 5 else [],
                           below=[c for c in ov.agencies if c.status == "below"])


@bp.route("/agencies")
@analyst_required
def agencies():
    """The full, sortable, paginated ranking of agencies (small cells flagged, not ranked)."""
    ctx = context()
    if _no_index(ctx):
        return _empty(ctx, "agencies")
    ov = dash.overview(db.session, ctx.wave, ctx.filters, ctx.visible, ctx.min_n)
    rows, paging = sort_and_page(ov.agencies)
    return render_template("analyst/agencies.html", ctx=ctx, ov=ov, rows=rows, paging=paging, page="agencies")


@bp.route("/agencies/<int:agency_id>")
@analyst_required
def agency(agency_id: int):
    """Drill-down: one agency's index, elements, items, service points and units below it."""
    ctx = context()
    agency = check_agency(ctx, agency_id)
    if _no_index(ctx):
        return _empty(ctx, "agencies")
    view = detail.agency_view(db.session, ctx.wave, agency, ctx.filters, ctx.visible, ctx.min_n)
    return render_template("analyst/agency.html", ctx=ctx, view=view, page="agencies")


@bp.route("/agencies/<int:agency_id>/points/<int:point_id>")
@analyst_required
def agency_point(agency_id: int, point_id: int):
    """Drill-down: one agency's items at one service point."""
    ctx = context()
    agency = check_agency(ctx, agency_id)
    point = db.session.get(ServicePoint, point_id)
    if ctx.wave is None or point is None:
        abort(404)
    if _no_index(ctx):
        return _empty(ctx, "agencies")
    found = detail.point_items(db.session, ctx.wave, agency, point_id, ctx.filters, ctx.visible, ctx.min_n)
    if found is None:
        abort(404)
    cell, parts, elements, items = found
    return render_template("analyst/agency_point.html", ctx=ctx, agency=agency, point=point, cell=cell,
                           parts=parts, elements=elements, items=items, page="agencies")


@bp.route("/points")
@analyst_required
def points():
    """Service points ranked by the index of the answers given about them."""
    ctx = context()
    if _no_index(ctx):
        return _empty(ctx, "points")
    ov = dash.overview(db.session, ctx.wave, ctx.filters, ctx.visible, ctx.min_n)
    rows, paging = sort_and_page(ov.points)
    return render_template("analyst/points.html", ctx=ctx, ov=ov, rows=rows, paging=paging, page="points")


@bp.route("/items")
@analyst_required
def items():
    """Element and item breakdown of the headline index."""
    ctx = context()
    if _no_index(ctx):
        return _empty(ctx, "items")
    ov = dash.overview(db.session, ctx.wave, ctx.filters, ctx.visible, ctx.min_n)
    alphas = detail.alphas(db.session, ctx.wave, ctx.filters, ctx.visible)
    return render_template("analyst/items.html", ctx=ctx, ov=ov, alphas=alphas, page="items")


@bp.route("/rates")
@analyst_required
def rates():
    """Response rates by stratum and by dossier outcome."""
    ctx = context()
    if ctx.wave is None:
        return _empty(ctx, "rates")
    data = detail.response_rates(db.session, ctx.wave, ctx.filters, ctx.visible)
    rows, paging = sort_and_page_rates(data["strata"])
    return render_template("analyst/rates.html", ctx=ctx, data=data, rows=rows, paging=paging, page="rates")


def sort_and_page_rates(rows: list):
    """Strata sorted by response rate (lowest first), paginated."""
    from flask import request

    from survey.web.analyst.common import PER_PAGE

    page = max(request.args.get("page", 1, type=int), 1)
    return rows[(page - 1) * PER_PAGE: page * PER_PAGE], {"page": page, "per_page": PER_PAGE, "total": len(rows)}


@bp.route("/trends")
@analyst_required
def trends():
    """Indices across the waves of the same questionnaire, with CI bands and changes."""
    ctx = context()
    if _no_index(ctx):
        return _empty(ctx, "trends")
    data = detail.trends(db.session, ctx.wave, ctx.filters, ctx.visible, ctx.min_n)
    sectors = {s.code: s.name_vi for s in ctx.sectors}
    restated = trend_restated.restated_trend(db.session, ctx.wave, ctx.filters, ctx.visible, ctx.min_n, trend=data)
    return render_template("analyst/trends.html", ctx=ctx, data=data, sectors=sectors, page="trends",
                           restated=restated, restated_note=report_restated.note())


@bp.route("/priorities")
@analyst_required
def priorities():
    """Importance–performance matrix of the elements: what to improve first."""
    ctx = context()
    if _no_index(ctx):
        return _empty(ctx, "priorities")
    rows = detail.priorities(db.session, ctx.wave, ctx.filters, ctx.visible)
    return render_template("analyst/priorities.html", ctx=ctx, rows=rows, page="priorities")
