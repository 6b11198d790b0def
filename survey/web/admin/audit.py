"""Admin pages: the audit log (who did what, when), filterable and paginated."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditLog
from survey.web.admin import bp
from survey.web.auth.access import role_required
from survey.web.paging import page_number

PER_PAGE = 50


def _parse_day(value: str | None, days_after: int = 0) -> datetime | None:
    """The naive-UTC moment the local midnight of a typed date (plus `days_after` days) begins; None if no date."""
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d")
    except ValueError:
        return None
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh"))
    try:
        return (day + timedelta(days=days_after)).replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        # The moment falls off the calendar (0001-01-01 east of UTC, the day after 9999-12-31): no entry
        # lies beyond it, so the calendar's own edge bounds the filter exactly as the typed date would.
        return datetime.min if day.year == 1 else datetime.max


@bp.route("/audit/")
@role_required("admin")
def audit():
    """Audit entries, newest first, filtered by actor, action, target and date range."""
    args = request.args
    actor, action, target = (args.get(k, "").strip()[:80] for k in ("actor", "action", "target"))
    day_from, day_end = _parse_day(args.get("from")), _parse_day(args.get("to"), days_after=1)
    stmt = select(AuditLog)
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    if action:
        # "user." shows every user-management action; an exact name shows just that one.
        stmt = stmt.where(AuditLog.action.startswith(action) if action.endswith(".") else AuditLog.action == action)
    if target:
        stmt = stmt.where(AuditLog.target_id == target)
    if day_from:
        stmt = stmt.where(AuditLog.at >= day_from)
    if day_end:
        stmt = stmt.where(AuditLog.at < day_end)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = page_number(total, PER_PAGE)
    entries = db.session.scalars(stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc())
                                 .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    actions = db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)).all()
    filters = {"actor": actor, "action": action, "target": target,
               "from": args.get("from", "") if day_from else "", "to": args.get("to", "") if day_end else ""}
    return render_template("admin/audit.html", entries=entries, total=total, page=page, per_page=PER_PAGE,
                           actions=actions, filters=filters)
