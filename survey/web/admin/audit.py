"""Admin pages: the audit log (who did what, when) in words, filterable by action, actor and dates, paginated."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Agency, AuditLog, ServicePoint, User
from survey.services.common import audit as audit_words
from survey.services.common.formats import named
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


def _names(entries: list[AuditLog]) -> audit_words.Names:
    """Names of the agencies, service points and officers the shown entries' details point at."""
    ids: dict[str, set[int]] = {"agency_id": set(), "service_point_id": set(), "officer_id": set()}
    for e in entries:
        details = e.details or {}
        for key in ("before", "after"):
            if isinstance(details.get(key), list) and len(details[key]) == 3:
                ids["agency_id"].add(details[key][1])
                ids["service_point_id"].add(details[key][2])
        for key, found in ids.items():
            found.add(details.get(key))
    wanted = {k: {i for i in v if isinstance(i, int)} for k, v in ids.items()}
    agencies = db.session.scalars(select(Agency).where(Agency.id.in_(wanted["agency_id"]))).all()
    points = db.session.scalars(select(ServicePoint).where(ServicePoint.id.in_(wanted["service_point_id"]))).all()
    users = db.session.execute(select(User.id, User.username).where(User.id.in_(wanted["officer_id"]))).all()
    return audit_words.Names({a.id: named(a) for a in agencies}, {p.id: named(p) for p in points}, dict(users))


@bp.route("/audit/")
@role_required("admin")
def audit():
    """Audit entries in words, newest first, filtered by actor, action (or family), target and date range."""
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
    logged = db.session.scalars(select(AuditLog.action).distinct()).all()
    actors = db.session.scalars(select(AuditLog.actor).distinct().order_by(AuditLog.actor).limit(500)).all()
    filters = {"actor": actor, "action": action, "target": target,
               "from": args.get("from", "") if day_from else "", "to": args.get("to", "") if day_end else ""}
    return render_template("admin/audit.html", entries=entries, total=total, page=page, per_page=PER_PAGE,
                           choices=audit_words.action_choices(logged), actors=actors, filters=filters,
                           words=audit_words, names=_names(entries))
