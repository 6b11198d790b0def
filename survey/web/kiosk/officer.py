"""The counter officer's hand-off page: after returning a result, send its invitation to the kiosk."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, IntegerField
from wtforms.validators import DataRequired, NumberRange

from survey.extensions import db
from survey.models import Invitation, KioskHandoff, ServicePoint
from survey.services.common import audit
from survey.services.common.txn import refused, run_write
from survey.services.kiosk import handoff as svc
from survey.web.auth.access import role_required
from survey.web.inputs import MAX_ROW_ID
from survey.web.kiosk import bp

LIMIT = 50


class HandoffForm(FlaskForm):
    """Hand one invitation to the counter's kiosk."""

    invitation_id = IntegerField(validators=[DataRequired(), NumberRange(1, MAX_ROW_ID)])
    sp = HiddenField()


class CancelForm(FlaskForm):
    """Withdraw a waiting hand-off."""

    handoff_id = IntegerField(validators=[DataRequired(), NumberRange(1, MAX_ROW_ID)])
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


@bp.route("/handoff", methods=["GET"])
@role_required("officer", "admin")
def handoff_page():
    """Invitations this counter may hand off (searchable by dossier number) and the hand-offs waiting."""
    point = _service_point()
    points = (db.session.scalars(select(ServicePoint).order_by(ServicePoint.code)).all()
              if current_user.role == "admin" else [])
    search = request.args.get("q", "").strip()[:64]
    rows = svc.open_invitations(db.session, point.id, search, limit=LIMIT, minutes=_return_minutes()) if point else []
    pending = svc.pending_handoffs(db.session, point.id) if point else []
    return render_template("kiosk/handoff.html", point=point, points=points, rows=rows, pending=pending,
                           search=search, form=HandoffForm(), cancel_form=CancelForm(),
                           waiting={h.invitation_id for h in pending}, limit=LIMIT,
                           minutes=svc.HANDOFF_MINUTES, return_minutes=_return_minutes())


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
        try:
            svc.officer_handoff(db.session, current_user, invitation, point.id, minutes=_return_minutes())
        except svc.HandoffError as exc:
            return refused(str(exc))
        audit.record(db.session, current_user, "kiosk.handoff", "invitation", invitation.id, service_point=point.code)
        return None

    state = run_write(unit)
    if state is not None:
        flash(_refusal(state), "error")
        return redirect(url_for(".handoff_page", sp=form.sp.data or None))
    dossier = invitation.dossier.external_id if invitation.dossier else "#%d" % invitation.id
    flash(_("Đã chuyển hồ sơ %(d)s sang kiosk: người dân bấm “Bắt đầu đánh giá” "
            "trong %(m)s phút tới sẽ đánh giá hồ sơ này.", d=dossier, m=svc.HANDOFF_MINUTES), "success")
    return redirect(url_for(".handoff_page", sp=form.sp.data or None))


def _refusal(state: str) -> str:
    """Why a hand-off was refused, for the officer."""
    if state == "delivered":
        return _("Không thể chuyển: lời mời của hồ sơ này đã được gửi cho người dân qua kênh khác "
                 "(đường liên kết, phiếu in hoặc tin nhắn).")
    if state == "not_recent":
        return _("Không thể chuyển: chỉ hồ sơ vừa trả kết quả tại quầy này trong %(m)s phút qua "
                 "mới được chuyển sang kiosk.", m=_return_minutes())
    return _("Không thể chuyển: lời mời này không còn hiệu lực (%(state)s).", state=state)


@bp.route("/handoff/cancel", methods=["POST"])
@role_required("officer", "admin")
def handoff_cancel():
    """Withdraw a hand-off that no kiosk has started yet."""
    point, form = _service_point(), CancelForm()
    if point is None or not form.validate_on_submit():
        abort(400)
    handoff = db.session.get(KioskHandoff, form.handoff_id.data)
    if handoff is None or handoff.service_point_id != point.id or handoff.consumed_at is not None:
        abort(404)

    def unit():
        audit.record(db.session, current_user, "kiosk.handoff_cancel", "invitation", handoff.invitation_id)
        svc.cancel_handoff(db.session, handoff)

    run_write(unit)
    flash(_("Đã huỷ lượt chuyển."), "success")
    return redirect(url_for(".handoff_page", sp=form.sp.data or None))
