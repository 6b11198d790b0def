"""Admin pages: kiosk devices — register a tablet (one-time code + QR), re-issue a code, revoke, last seen."""
from __future__ import annotations

import segno
from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from survey.extensions import db
from survey.models import Device, ServicePoint
from survey.models._base import utcnow
from survey.services import audit, devices
from survey.web.admin import bp
from survey.web.auth.access import role_required

SESSION_KEY = "device_code"  # the fresh code survives one redirect, then is forgotten


class DeviceForm(FlaskForm):
    """A new kiosk: where it stands and a label staff recognise."""

    service_point_id = SelectField(_l("Điểm phục vụ đặt máy"), coerce=int, validators=[DataRequired()])
    label = StringField(_l("Tên máy"), validators=[DataRequired(), Length(max=120)],
                        render_kw={"placeholder": _l("ví dụ: Kiosk quầy 3")})


class ActionForm(FlaskForm):
    """CSRF-only form for the per-device buttons."""


def enrolment_url(code: str) -> str:
    """The address a tablet opens (or scans) to enrol with this code."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + url_for("kiosk.enrol", code=code)


@bp.route("/devices")
@role_required("admin")
def devices_list():
    """Every device with its service point, status, last heartbeat and offline queue."""
    form = DeviceForm()
    form.service_point_id.choices = _point_choices()
    rows = devices.list_devices(db.session)
    now = utcnow()
    return render_template("admin/devices.html", rows=rows, form=form, action=ActionForm(),
                           status=lambda d: devices.status(d, now), now=now)


@bp.route("/devices", methods=["POST"])
@role_required("admin")
def devices_create():
    """Register a tablet for a service point and show its one-time enrolment code."""
    form = DeviceForm()
    form.service_point_id.choices = _point_choices()
    if not form.validate_on_submit():
        rows = devices.list_devices(db.session)
        now = utcnow()
        return render_template("admin/devices.html", rows=rows, form=form, action=ActionForm(),
                               status=lambda d: devices.status(d, now), now=now), 422
    point = db.session.get(ServicePoint, form.service_point_id.data)
    device, code = devices.create_device(db.session, point, form.label.data)
    audit.record(db.session, current_user, "device.create", "device", device.id, service_point=point.code,
                 label=device.label)
    db.session.commit()
    session[SESSION_KEY] = {"id": device.id, "code": code}
    return redirect(url_for(".devices_code", device_id=device.id))


@bp.route("/devices/<int:device_id>/code", methods=["GET", "POST"])
@role_required("admin")
def devices_code(device_id: int):
    """GET: show the code just issued (once). POST: issue a new code (a replacement tablet)."""
    device = db.session.get(Device, device_id) or abort(404)
    if ActionForm().validate_on_submit():
        code = devices.issue_code(db.session, device)
        audit.record(db.session, current_user, "device.new_code", "device", device.id)
        db.session.commit()
        session[SESSION_KEY] = {"id": device.id, "code": code}
        return redirect(url_for(".devices_code", device_id=device.id))
    fresh = session.pop(SESSION_KEY, None)
    code = fresh["code"] if fresh and fresh.get("id") == device.id else None
    url = enrolment_url(code) if code else None
    qr = Markup(segno.make(url, error="m").svg_inline(scale=6, dark="#000000", light="#ffffff")) if url else None
    return render_template("admin/devices_code.html", device=device, code=code,
                           shown=devices.format_code(code) if code else None, url=url, qr=qr, action=ActionForm())


@bp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@role_required("admin")
def devices_revoke(device_id: int):
    """Switch a device off (stolen, broken, replaced): its credential stops working at once."""
    device = db.session.get(Device, device_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    devices.revoke(db.session, device)
    audit.record(db.session, current_user, "device.revoke", "device", device.id)
    db.session.commit()
    flash(_("Đã thu hồi máy “%(label)s”.", label=device.label), "success")
    return redirect(url_for(".devices_list"))


def _point_choices() -> list[tuple[int, str]]:
    points = db.session.scalars(select(ServicePoint).order_by(ServicePoint.name_vi)).all()
    return [(p.id, "%s (%s)" % (p.name_vi, p.code)) for p in points]
