"""Admin pages: kiosk devices — register a tablet (one-time code + QR), re-issue a code, revoke, last seen;
and the counter hand-offs flagged for review (answered on the kiosk within seconds of being made).

The one-time enrolment code exists in plain text only in the answer to the POST that made it
(stored hashed, never put in the session cookie, sent with Cache-Control: no-store). A reload of
that answer would post the form again: a registration form carries a nonce, and a second post
of the same nonce leads to the device list instead of registering a second tablet.
"""
from __future__ import annotations

import secrets

import segno
from flask import abort, current_app, flash, make_response, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from survey.extensions import db
from survey.models import Device, ServicePoint
from survey.models._base import utcnow
from survey.services.common.txn import run_write
from survey.services.kiosk import devices
from survey.services.kiosk import handoff as kiosk_handoff
from survey.services.kiosk import operations as kiosk_ops
from survey.web.admin import bp
from survey.web.admin.views import PICKER, choices
from survey.web.auth.access import role_required

USED_NONCES = "device_forms_used"  # registration forms already posted (the last few, in the session)


class DeviceForm(FlaskForm):
    """A new kiosk: where it stands and a label staff recognise."""

    service_point_id = SelectField(_l("Điểm phục vụ đặt máy"), coerce=int, validators=[DataRequired()],
                                   render_kw=PICKER)
    label = StringField(_l("Tên máy"), validators=[DataRequired(), Length(max=120)],
                        render_kw={"placeholder": _l("ví dụ: Kiosk quầy 3")})
    nonce = HiddenField()


class ActionForm(FlaskForm):
    """CSRF-only form for the per-device buttons."""


def enrolment_url(code: str) -> str:
    """The address a tablet opens (or scans) to enrol with this code."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + url_for("kiosk.enrol", code=code)


@bp.route("/devices")
@role_required("admin")
def devices_list():
    """Every device with its service point, status, last heartbeat and offline queue; flagged hand-offs."""
    form = DeviceForm()
    form.service_point_id.choices = _point_choices()
    form.nonce.data = secrets.token_urlsafe(16)
    return _list_page(form)


def _list_page(form: DeviceForm):
    now = utcnow()
    return render_template("admin/devices.html", rows=devices.list_devices(db.session), form=form,
                           action=ActionForm(), status=lambda d: devices.status(d, now), now=now,
                           flagged=kiosk_handoff.flagged_handoffs(db.session))


@bp.route("/devices", methods=["POST"])
@role_required("admin")
def devices_create():
    """Register a tablet for a service point and show its one-time enrolment code."""
    form = DeviceForm()
    form.service_point_id.choices = _point_choices()
    if not form.validate_on_submit():
        return _list_page(form), 422
    used = session.get(USED_NONCES, [])
    if form.nonce.data and form.nonce.data in used:  # the code page reloaded: do not register twice
        flash(_("Máy này đã được đăng ký. Nếu chưa ghi lại mã, hãy bấm “Cấp mã mới”."), "info")
        return redirect(url_for(".devices_list"))
    device, code = run_write(lambda: kiosk_ops.register_device(
        db.session, current_user, db.session.get(ServicePoint, form.service_point_id.data), form.label.data))
    if form.nonce.data:
        session[USED_NONCES] = (used + [form.nonce.data])[-20:]
    return _code_page(device, code), 201


@bp.route("/devices/<int:device_id>/code", methods=["GET", "POST"])
@role_required("admin")
def devices_code(device_id: int):
    """GET: the device, with the button for a new code. POST: issue one (a replacement tablet) and show it."""
    device = db.session.get(Device, device_id) or abort(404)
    if not ActionForm().validate_on_submit():
        return _code_page(device, None)
    code = run_write(lambda: kiosk_ops.new_code(db.session, current_user, device))
    return _code_page(device, code)


def _code_page(device: Device, code: str | None):
    """The device's code page; with `code`, the code, its address and QR, not to be cached."""
    url = enrolment_url(code) if code else None
    qr = Markup(segno.make(url, error="m").svg_inline(scale=6, dark="#000000", light="#ffffff")) if url else None
    page = make_response(render_template("admin/devices_code.html", device=device, code=code,
                                         shown=devices.format_code(code) if code else None, url=url, qr=qr,
                                         action=ActionForm()))
    page.headers["Cache-Control"] = "no-store"
    return page


@bp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@role_required("admin")
def devices_revoke(device_id: int):
    """Switch a device off (stolen, broken, replaced): its credential stops working at once."""
    device = db.session.get(Device, device_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    run_write(lambda: kiosk_ops.revoke_device(db.session, current_user, device))
    flash(_("Đã thu hồi máy “%(label)s”.", label=device.label), "success")
    return redirect(url_for(".devices_list"))


def _point_choices() -> list[tuple[int, str]]:
    return choices(db.session, ServicePoint, with_code=True)
