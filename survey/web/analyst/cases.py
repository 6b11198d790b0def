"""Feedback-case pages: the list (filters, overdue first to catch the eye, sorting, pages), a case with its steps,
and the monthly summary per unit (page and CSV).

Analysts and administrators see every unit's cases; an agency viewer those of their agency subtree
(another unit's case is a 404, as on the other analyst pages). Every step is a POST form with CSRF.
"""

from __future__ import annotations

from flask import Response as HttpResponse
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, TextAreaField
from wtforms.validators import Optional

from survey.extensions import db
from survey.models import Agency, CaseStatus, FeedbackCase
from survey.services.common import formats
from survey.services.common.txn import refused, run_write
from survey.services.feedback import case_actions, case_list, case_summary
from survey.web.analyst import bp
from survey.web.analyst.common import analyst_required, visible
from survey.web.inputs import row_id
from survey.web.paging import page_number

PER_PAGE = 25
STATUS_LABELS = {
    CaseStatus.NEW: _l("Mới"),
    CaseStatus.ACKNOWLEDGED: _l("Đã tiếp nhận"),
    CaseStatus.RESOLVED: _l("Đã giải quyết"),
    CaseStatus.NOT_ACTIONABLE: _l("Không xử lý được"),
}
EVENT_LABELS = {
    "opened": _l("Mở phản ánh"),
    "acknowledged": _l("Đơn vị tiếp nhận"),
    "resolved": _l("Trả lời, giải quyết"),
    "not_actionable": _l("Đóng: không xử lý được"),
    "reassigned": _l("Chuyển đơn vị"),
    "notified_new": _l("Gửi thư báo phản ánh mới"),
    "notified_overdue": _l("Gửi thư nhắc quá hạn"),
}
KIND_LABELS = {
    "overall_low": _l("Đánh giá chung thấp"),
    "item_low": _l("Tiêu chí bị đánh giá thấp"),
    "complaint": _l("Góp ý thuộc chủ đề khiếu nại"),
}


class StepForm(FlaskForm):
    """Acknowledge or reveal the phone: only the CSRF token."""


class TextForm(FlaskForm):
    """A reply, or a reason (required; the service says so in Vietnamese)."""

    text = TextAreaField(_l("Nội dung trả lời"), validators=[Optional()])


class ReassignForm(FlaskForm):
    """The unit to hand the case to, and why."""

    agency_id = SelectField(
        _l("Chuyển cho đơn vị"), coerce=lambda v: int(v) if str(v).isdigit() else None, validate_choice=False
    )
    text = TextAreaField(_l("Lý do chuyển"), validators=[Optional()])


def _scope() -> frozenset[int] | None:
    seen = visible()
    return None if seen is None else frozenset(seen)


def _case(case_id: int) -> FeedbackCase:
    """The case, or 404 when it does not exist or lies outside the viewer's subtree."""
    case = db.session.get(FeedbackCase, case_id)
    scope = _scope()
    if case is None or (scope is not None and case.agency_id not in scope):
        abort(404)
    return case


def _agencies(scope: frozenset[int] | None) -> list[Agency]:
    stmt = select(Agency).where(Agency.active.is_(True)).order_by(Agency.name_vi)
    return list(db.session.scalars(stmt if scope is None else stmt.where(Agency.id.in_(scope or {-1}))))


@bp.route("/cases/")
@analyst_required
def cases():
    """The viewer's cases, filtered by status, type, unit and overdue; sorted and paged."""
    scope = _scope()
    agency_id = row_id(request.args.get("agency", type=int))
    f = case_list.Filters(
        status=request.args.get("status", ""),
        case_type=request.args.get("type", "")[:40],
        agency_id=agency_id if agency_id and (scope is None or agency_id in scope) else None,
        overdue=request.args.get("overdue") == "1",
        visible=scope,
    )
    sort = request.args.get("sort", "due") if request.args.get("sort") in case_list.SORTS else "due"
    desc = request.args.get("desc") == "1"
    total = case_list.count_cases(db.session, f)
    page = page_number(total, PER_PAGE)
    rows = case_list.find_cases(db.session, f, sort, desc, page, PER_PAGE)
    args = {"status": f.status, "type": f.case_type, "agency": f.agency_id or "", "overdue": "1" if f.overdue else ""}
    return render_template(
        "analyst/cases.html",
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        f=f,
        sort=sort,
        desc=desc,
        args={k: v for k, v in args.items() if v},
        labels=STATUS_LABELS,
        types=case_list.case_types(db.session, scope),
        agencies=_agencies(scope),
        overdue=case_list.is_overdue,
    )


def _page(
    case: FeedbackCase,
    phone: str | None = None,
    text_form: TextForm | None = None,
    reassign_form: ReassignForm | None = None,
    status: int = 200,
):
    reassign_form = reassign_form or ReassignForm()
    # No unit chosen until one is picked: a reassignment is never one click away by accident.
    reassign_form.agency_id.choices = [("", _("— chọn đơn vị —"))] + [
        (a.id, formats.named(a)) for a in _agencies(None) if a.id != case.agency_id
    ]
    answer = (
        render_template(
            "analyst/case.html",
            case=case,
            d=case_list.detail(db.session, case),
            agency=db.session.get(Agency, case.agency_id),
            labels=STATUS_LABELS,
            events=EVENT_LABELS,
            kinds=KIND_LABELS,
            step_form=StepForm(),
            text_form=text_form or TextForm(),
            reassign_form=reassign_form,
            phone=phone,
            has_contact=case_actions.has_contact(db.session, case),
            overdue=case_list.is_overdue(case),
            is_open=case.status in case_actions.OPEN,
        ),
        status,
    )
    return answer


@bp.route("/cases/<int:case_id>")
@analyst_required
def case(case_id: int):
    """One case: what was said (redacted), the ratings, the history and the steps still possible."""
    return _page(_case(case_id))


def _step(case_id: int, form: FlaskForm, do, done: str):
    """Run one step in one unit of work; a refused step shows the page again with its error, unchanged."""
    _case(case_id)
    if not form.validate_on_submit():
        abort(400)

    def unit():
        case = _case(case_id)
        try:
            do(case)
        except case_actions.CaseError as exc:
            flash(str(exc), "error")
            return refused(None)
        flash(done, "success")
        return case_id

    if run_write(unit) is None:
        db.session.expire_all()
        return _page(
            _case(case_id),
            text_form=form if isinstance(form, TextForm) else None,
            reassign_form=form if isinstance(form, ReassignForm) else None,
            status=422,
        )
    return redirect(url_for("analyst.case", case_id=case_id))


def _me():
    return current_user._get_current_object()


@bp.route("/cases/<int:case_id>/acknowledge", methods=["POST"])
@analyst_required
def case_acknowledge(case_id: int):
    """Mark the case as taken in hand by the unit."""
    return _step(
        case_id, StepForm(), lambda c: case_actions.acknowledge(db.session, _me(), c), _("Đã tiếp nhận phản ánh.")
    )


@bp.route("/cases/<int:case_id>/resolve", methods=["POST"])
@analyst_required
def case_resolve(case_id: int):
    """Record the reply and close the case as resolved."""
    form = TextForm()
    return _step(
        case_id,
        form,
        lambda c: case_actions.resolve(db.session, _me(), c, form.text.data),
        _("Đã trả lời và đóng phản ánh."),
    )


@bp.route("/cases/<int:case_id>/not-actionable", methods=["POST"])
@analyst_required
def case_not_actionable(case_id: int):
    """Close the case as not actionable, with the reason."""
    form = TextForm()
    return _step(
        case_id,
        form,
        lambda c: case_actions.not_actionable(db.session, _me(), c, form.text.data),
        _("Đã đóng phản ánh: không xử lý được."),
    )


@bp.route("/cases/<int:case_id>/reassign", methods=["POST"])
@analyst_required
def case_reassign(case_id: int):
    """Hand the case to another unit, with a note."""
    form = ReassignForm()
    form.agency_id.choices = []
    return _step(
        case_id,
        form,
        lambda c: case_actions.reassign(db.session, _me(), c, form.agency_id.data, form.text.data),
        _("Đã chuyển phản ánh."),
    )


@bp.route("/cases/<int:case_id>/phone", methods=["POST"])
@analyst_required
def case_phone(case_id: int):
    """Show the call-back phone (each showing audited); never cached by the browser."""
    _case(case_id)
    if not StepForm().validate_on_submit():
        abort(400)
    phone = run_write(lambda: case_actions.reveal_phone(db.session, _me(), _case(case_id)))
    answer, status = _page(_case(case_id), phone=phone)
    response = HttpResponse(answer, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _month():
    month = case_summary.parse_month(request.args.get("month"))
    if month is None:
        abort(404)
    return month


@bp.route("/cases/summary")
@analyst_required
def case_summary_page():
    """The month's cases per unit: opened, resolved (on time), median days to close, overdue open."""
    year, month = _month()
    rows = case_summary.summary(db.session, year, month, _scope())
    return render_template(
        "analyst/case_summary.html", rows=rows, total=case_summary.total(rows), month=f"{year:04d}-{month:02d}"
    )


@bp.route("/cases/summary.csv")
@analyst_required
def case_summary_csv():
    """The monthly summary as CSV."""
    year, month = _month()
    text = case_summary.to_csv(case_summary.summary(db.session, year, month, _scope()), year, month)
    return HttpResponse(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=phan-anh-{year:04d}-{month:02d}.csv"},
    )
