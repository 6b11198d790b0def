"""Đánh giá tại quầy: a service point's walk-up kiosk ratings over a period, beside its sampled index
(survey.services.workspace.counter_ratings). A viewer sees the points of his agencies only."""

from __future__ import annotations

import re

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from survey.extensions import db
from survey.services.common import audit
from survey.services.common.txn import run_write
from survey.services.workspace import counter_csv as csv_table
from survey.services.workspace import counter_ratings as cr
from survey.services.workspace.exports import to_csv
from survey.web.analyst import bp
from survey.web.analyst.common import analyst_required, visible
from survey.web.analyst.downloads import attachment
from survey.web.inputs import row_id


def _id_arg(name: str, message) -> int | None:
    """?name= as a row id (None when absent); CounterError for anything else."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    value = row_id(int(raw)) if raw.isdigit() else None
    if value is None:
        raise cr.CounterError(message, 404)
    return value


def _error(exc: cr.CounterError, points: list):
    return render_template(
        "analyst/counter_points.html", points=points, period=None, error=exc.message, label=cr.LABEL, args=request.args
    ), exc.status


@bp.route("/counter")
@analyst_required
def counter_points():
    """The service-point picker (the viewer's points); ?point= opens that point's page for the period."""
    points = cr.points_in_scope(db.session, visible())
    try:
        period = cr.parse_period(request.args.get("start"), request.args.get("end"))
        point_id = _id_arg("point", cr.NOT_FOUND)
        if point_id is not None:
            point = cr.check_point(db.session, point_id, visible())
            return redirect(url_for("analyst.counter", point_id=point.id, **period.args()))
    except cr.CounterError as exc:
        return _error(exc, points)
    return render_template(
        "analyst/counter_points.html", points=points, period=period, error=None, label=cr.LABEL, args=request.args
    )


def _report() -> cr.CounterReport:
    """The report of the request's point, period and counter (CounterError for bad parameters)."""
    scope = visible()
    point = cr.check_point(db.session, request.view_args["point_id"], scope)
    period = cr.parse_period(request.args.get("start"), request.args.get("end"))
    device_id = _id_arg("counter", cr.NO_COUNTER)
    lang = "en" if str(get_locale()) == "en" else "vi"
    return cr.counter_report(db.session, point, period, device_id, scope, current_app.config["MIN_CELL_ANSWERS"], lang)


@bp.route("/counter/<int:point_id>")
@analyst_required
def counter(point_id: int):
    """One point's walk-up ratings: counts, share not satisfied by day and hour, reasons, comments."""
    try:
        report = _report()
    except cr.CounterError as exc:
        return _error(exc, cr.points_in_scope(db.session, visible()))
    return render_template(
        "analyst/counter.html", report=report, label=cr.LABEL, points=cr.points_in_scope(db.session, visible())
    )


@bp.route("/counter/<int:point_id>/ratings.csv")
@analyst_required
def counter_csv(point_id: int):
    """The page's aggregates as CSV (no comments), labelled as walk-up ratings outside the index."""
    try:
        report = _report()
    except cr.CounterError as exc:
        return _error(exc, cr.points_in_scope(db.session, visible()))
    user = current_user._get_current_object()
    run_write(
        lambda: audit.record(
            db.session,
            user,
            "export.counter_ratings",
            "service_point",
            report.point.code,
            counter=report.device.label if report.device else None,
            **report.period.args(),
        )
    )
    code = re.sub(r"[^A-Za-z0-9._-]", "-", report.point.code)  # a registry code is typed by people
    name = "danh-gia-tai-quay-%s-%s-%s.csv" % (code, report.period.start, report.period.end)
    return attachment(to_csv(csv_table.CSV_COLUMNS, csv_table.csv_rows(report)), "csv", name)
