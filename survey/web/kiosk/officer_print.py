"""The hand-off page's other two actions: print the dossier's slip, answer a kiosk's call for staff."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import _
from flask_login import current_user

from survey.extensions import db
from survey.models import Device, Invitation
from survey.services.common.txn import refused, run_write
from survey.services.kiosk import counter
from survey.services.kiosk import handoff as svc
from survey.web.auth.access import role_required
from survey.web.kiosk import bp
from survey.web.kiosk.officer import CallForm, SlipForm, _back, _refusal, _return_minutes, _service_point


@bp.route("/handoff/slip", methods=["POST"])
@role_required("officer", "admin")
def handoff_slip():
    """Print the slip of a dossier just returned: a fresh token, then its printable page (A6 or 80 mm)."""
    point, form = _service_point(), SlipForm()
    if point is None or not form.validate_on_submit():
        abort(400)
    invitation = db.session.get(Invitation, form.invitation_id.data)
    if invitation is None or invitation.service_point_id != point.id:
        abort(404)

    def unit():
        try:
            return counter.print_slip(db.session, current_user, invitation, point.id, form.format.data,
                                      minutes=_return_minutes()).token
        except svc.HandoffError as exc:
            return refused(exc)

    token = run_write(unit)
    if isinstance(token, svc.HandoffError):
        flash(_print_refusal(str(token)), "error")
        return _back()
    # The printable page is the invitation's own (its token is the credential, as on the slip itself).
    return redirect(url_for("api.invitation_slip", token=token, format=form.format.data), 303)


def _print_refusal(state: str) -> str:
    """Why a slip was not printed, for the officer."""
    if state == "delivered":
        return _("Không thể in phiếu: lời mời của hồ sơ này đã được gửi cho người dân qua kênh khác.")
    if state == "not_recent":
        return _("Không thể in phiếu: chỉ in được phiếu của hồ sơ vừa trả kết quả tại quầy này "
                 "trong %(m)s phút qua.", m=_return_minutes())
    if state == "in_progress":
        return _refusal(state)
    return _("Không thể in phiếu: lời mời này không còn hiệu lực (%(state)s).", state=state)


@bp.route("/handoff/call", methods=["POST"])
@role_required("officer", "admin")
def handoff_call():
    """The officer went to a kiosk that called for staff: its call is answered."""
    point, form = _service_point(), CallForm()
    if point is None or not form.validate_on_submit():
        abort(400)
    device = db.session.get(Device, form.device_id.data)
    if device is None or device.service_point_id != point.id:
        abort(404)
    run_write(lambda: counter.answer_call(db.session, current_user, device))
    return _back()
