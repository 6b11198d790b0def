"""The counter officer's hand-off page: send the dossier just returned to the kiosk, or print its slip;
follow each hand-off's state (refreshed by officer.js) and the kiosks calling for staff."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import AnyOf, DataRequired, NumberRange

from survey.extensions import db
from survey.models import Device, Invitation, KioskHandoff, ServicePoint
from survey.models.fieldwork import HandoffState
from survey.services.common import audit
from survey.services.common.txn import refused, run_write
from survey.services.kiosk import claims, counter
from survey.services.kiosk import handoff as svc
from survey.web.auth.access import role_required
from survey.web.inputs import MAX_ROW_ID
from survey.web.kiosk import bp
from survey.web.kiosk.settings import timeouts

LIMIT = 50
SLIP_FORMATS = (("a6", "A6"), ("80mm", "80 mm"))  # what counters print on: A6 sheets, 80 mm thermal rolls


class HandoffForm(FlaskForm):
    """Hand one invitation to the counter's kiosk."""

    invitation_id = IntegerField(validators=[DataRequired(), NumberRange(1, MAX_ROW_ID)])
    sp = HiddenField()


class CancelForm(FlaskForm):
    """Release a waiting or started hand-off."""

    handoff_id = IntegerField(validators=[DataRequired(), NumberRange(1, MAX_ROW_ID)])
    sp = HiddenField()


class SlipForm(FlaskForm):
    """Print the slip of one invitation (A6 or 80 mm)."""

    invitation_id = IntegerField(validators=[DataRequired(), NumberRange(1, MAX_ROW_ID)])
    format = StringField(validators=[AnyOf([key for key, _label in SLIP_FORMATS])])
    sp = HiddenField()


class CallForm(FlaskForm):
    """A kiosk's call for staff has been answered."""

    device_id = IntegerField(validators=[DataRequired(), NumberRange(1, MAX_ROW_ID)])
    sp = HiddenField()


def _return_minutes() -> int:
    """How recently a dossier must have been returned at the counter to be handed off (KIOSK_HANDOFF_RETURN_MINUTES)."""
    return int(current_app.config.get("KIOSK_HANDOFF_RETURN_MINUTES", svc.RETURN_MINUTES))


def _service_point() -> ServicePoint | None:
    """The officer's own counter; an administrator picks one with ?sp=<code>."""
    if current_user.role == "officer":
        return db.session.get(ServicePoint, current_user.service_point_id) if current_user.service_point_id else None
    code = request.values.get("sp", "")
    return db.session.scalar(select(ServicePoint).where(ServicePoint.code == code)) if code else None


def _live(point: ServicePoint | None) -> dict:
    """What the refreshed part of the page shows: the hand-offs with their states, the kiosks calling."""
    if point is None:
        return {"handoffs": [], "calls": [], "point": None}
    limits = timeouts()
    handoffs = claims.recent(db.session, point.id)
    labels = dict(db.session.execute(select(Device.id, Device.label).where(
        Device.id.in_({h.device_id for h in handoffs if h.device_id}))).all()) if handoffs else {}
    rows = []
    for h in handoffs:
        state = claims.effective_state(h, **limits)
        rows.append({"h": h, "state": state, "device": labels.get(h.device_id),
                     "until": h.state_at + timedelta(minutes=limits["wait"]),
                     "timed_out": state == HandoffState.RELEASED and h.state != HandoffState.RELEASED
                     or (h.state == HandoffState.RELEASED and h.released_by_id is None)})
    return {"handoffs": rows, "calls": counter.open_calls(db.session, point.id), "point": point,
            "cancel_form": CancelForm(), "call_form": CallForm()}


def _back():
    return redirect(url_for(".handoff_page", sp=request.form.get("sp") or None))


@bp.route("/handoff", methods=["GET"])
@role_required("officer", "admin")
def handoff_page():
    """Invitations this counter may hand off or print (searchable by dossier number), the hand-offs' states."""
    point = _service_point()
    points = (db.session.scalars(select(ServicePoint).order_by(ServicePoint.code)).all()
              if current_user.role == "admin" else [])
    search = request.args.get("q", "").strip()[:64]
    rows = svc.open_invitations(db.session, point.id, search, limit=LIMIT, minutes=_return_minutes()) if point else []
    live = _live(point)
    held = {r["h"].invitation_id: r["state"] for r in live["handoffs"] if r["state"] in claims.LIVE}
    printed = counter.reprintable(db.session, point.id, minutes=_return_minutes()) if point else []
    return render_template("kiosk/handoff.html", points=points, rows=rows, search=search, form=HandoffForm(),
                           slip_form=SlipForm(), slip_formats=SLIP_FORMATS, held=held, printed=printed,
                           limit=LIMIT, return_minutes=_return_minutes(), wait_minutes=timeouts()["wait"], **live)


@bp.route("/handoff/live", methods=["GET"])
@role_required("officer", "admin")
def handoff_live():
    """The hand-offs' states and the calling kiosks, as the page's refreshed fragment."""
    return render_template("kiosk/_handoff_live.html", **_live(_service_point()))


@bp.route("/handoff", methods=["POST"])
@role_required("officer", "admin")
def handoff_create():
    """Queue the chosen invitation for the next start on this counter's kiosk."""
    point, form = _service_point(), HandoffForm()
    if point is None or not form.validate_on_submit():
        abort(400)
    invitation = db.session.get(Invitation, form.invitation_id.data)
    if invitation is None or invitation.service_point_id != point.id:
        abort(404)

    def unit():
        claims.sweep(db.session, point.id, **timeouts())
        try:
            svc.officer_handoff(db.session, current_user, invitation, point.id, minutes=_return_minutes())
        except svc.HandoffError as exc:
            return refused(str(exc))
        audit.record(db.session, current_user, "kiosk.handoff", "invitation", invitation.id, service_point=point.code)
        return None

    state = run_write(unit)
    if state is not None:
        flash(_refusal(state), "error")
        return _back()
    dossier = invitation.dossier.external_id if invitation.dossier else "#%d" % invitation.id
    flash(_("Đã chuyển hồ sơ %(d)s sang kiosk: người dân bấm “Bắt đầu đánh giá” "
            "trong %(m)s phút tới sẽ đánh giá hồ sơ này.", d=dossier, m=timeouts()["wait"]), "success")
    return _back()


def _refusal(state: str) -> str:
    """Why a hand-off or a slip was refused, for the officer."""
    if state == "delivered":
        return _("Không thể chuyển: lời mời của hồ sơ này đã được gửi cho người dân qua kênh khác "
                 "(đường liên kết, phiếu in hoặc tin nhắn).")
    if state == "not_recent":
        return _("Không thể chuyển: chỉ hồ sơ vừa trả kết quả tại quầy này trong %(m)s phút qua "
                 "mới được chuyển sang kiosk.", m=_return_minutes())
    if state == "in_progress":
        return _("Không thể thực hiện: người dân đang đánh giá hồ sơ này trên kiosk.")
    return _("Không thể chuyển: lời mời này không còn hiệu lực (%(state)s).", state=state)


@bp.route("/handoff/cancel", methods=["POST"])
@role_required("officer", "admin")
def handoff_cancel():
    """Release a hand-off that is waiting or being answered (the kiosk's answers, if sent, still count)."""
    point, form = _service_point(), CancelForm()
    if point is None or not form.validate_on_submit():
        abort(400)
    handoff = db.session.get(KioskHandoff, form.handoff_id.data)
    if handoff is None or handoff.service_point_id != point.id:
        abort(404)

    def unit():
        if not claims.release(db.session, handoff, current_user):
            return refused(False)
        audit.record(db.session, current_user, "kiosk.handoff_cancel", "invitation", handoff.invitation_id)
        return True

    if run_write(unit):
        flash(_("Đã thu hồi lượt chuyển: kiosk sẽ không mời đánh giá hồ sơ này nữa."), "success")
    else:
        flash(_("Lượt chuyển này đã kết thúc (đã được đánh giá hoặc đã thu hồi)."), "error")
    return _back()
