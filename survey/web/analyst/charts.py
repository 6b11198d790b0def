"""Chart images of the analyst pages (PNG or SVG), drawn on the server from the same numbers as the tables."""
from __future__ import annotations

from flask import Response, abort, request
from flask_babel import gettext as _

from analysis.charts import render
from survey.extensions import db
from survey.services.workspace import charts as figures
from survey.services.workspace import dashboard as dash
from survey.services.workspace import detail
from survey.web.analyst import bp
from survey.web.analyst.common import PER_PAGE, analyst_required, check_agency, context

NAMES = ("agencies", "elements", "items", "sectors", "points", "trends", "priorities", "rates")
MIMETYPES = {"png": "image/png", "svg": "image/svg+xml"}


def _figure(name: str, ctx):
    """Build the named figure for the request's wave, filters and scope."""
    s, wave, f = db.session, ctx.wave, ctx.filters
    if name in ("agencies", "elements", "items", "sectors", "points"):
        agency_id = request.args.get("agency", type=int)
        if agency_id is not None and name == "elements":
            agency = check_agency(ctx, agency_id)
            view = detail.agency_view(s, wave, agency, f, ctx.visible, ctx.min_n)
            return figures.bars(view.elements, [view.headline.target], title=agency.name_vi)
        ov = dash.overview(s, wave, f, ctx.visible, ctx.min_n)
        if name == "agencies":
            return figures.forest(ov.agencies, ov.targets, title=_("Chỉ số hài lòng theo cơ quan"),
                                  include_small=False)
        if name == "points":
            return figures.forest(ov.points, ov.targets, title=_("Chỉ số hài lòng theo điểm phục vụ"),
                                  include_small=False)
        if name == "sectors":
            return figures.forest(ov.sectors, [], title=_("Chỉ số hài lòng theo lĩnh vực"))
        if name == "items":
            return figures.bars(ov.items, ov.targets, title=_("Tỷ lệ hài lòng theo tiêu chí"), code_labels=True)
        return figures.bars(ov.elements, ov.targets, title=_("Chỉ số theo yếu tố"))
    if name == "trends":
        data = detail.trends(s, wave, f, ctx.visible, ctx.min_n)
        return figures.trends(data, {x.code: x.name_vi for x in ctx.sectors}, title=_("Xu hướng qua các kỳ"))
    if name == "priorities":
        return figures.priorities(detail.priorities(s, wave, f, ctx.visible),
                                  title=_("Ma trận tầm quan trọng – mức hài lòng"))
    rows = detail.response_rates(s, wave, f, ctx.visible)["strata"]
    page = max(request.args.get("page", 1, type=int), 1)
    return figures.rates(rows[(page - 1) * PER_PAGE: page * PER_PAGE], title=_("Tỷ lệ trả lời theo tầng"))


@bp.route("/charts/<name>.<fmt>")
@analyst_required
def chart(name: str, fmt: str):
    """One chart as PNG or SVG (same scope rules as the pages: agency viewers see only their subtree)."""
    if name not in NAMES or fmt not in MIMETYPES:
        abort(404)
    ctx = context()
    if ctx.wave is None:
        abort(404)
    body = render(_figure(name, ctx), fmt)
    resp = Response(body, mimetype=MIMETYPES[fmt])
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp
