"""Admin pages: the case rules of each questionnaire (list, add, edit, switch off/on, the bank's defaults)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Optional

from survey.extensions import db
from survey.models import CaseRule, CaseRuleKind, Questionnaire
from survey.services.common.txn import refused, run_write
from survey.services.feedback import case_rules
from survey.web.admin import bp
from survey.web.auth.access import role_required

KIND_LABELS = {
    CaseRuleKind.OVERALL_LOW: _l("Đánh giá chung thấp (≤ ngưỡng)"),
    CaseRuleKind.ITEM_LOW: _l("Một tiêu chí bất kỳ thấp (≤ ngưỡng)"),
    CaseRuleKind.COMPLAINT: _l("Góp ý thuộc chủ đề khiếu nại"),
}


class RuleForm(FlaskForm):
    """A rule: what opens the case, the threshold, the case type and the SLA."""

    questionnaire_id = SelectField(_l("Bảng hỏi"), coerce=int, validate_choice=False)
    kind = SelectField(_l("Khi nào mở phản ánh"), choices=[])
    threshold = IntegerField(_l("Ngưỡng (mức 1–5; bỏ trống với khiếu nại)"), validators=[Optional()])
    case_type = StringField(_l("Loại phản ánh (mã)"), validators=[Optional()])
    sla_days = IntegerField(_l("Thời hạn xử lý (ngày)"), validators=[Optional()])


class ActionForm(FlaskForm):
    """Only the CSRF token (switch off / on, defaults)."""


def _fill(form: RuleForm) -> None:
    form.kind.choices = [(k.value, str(label)) for k, label in KIND_LABELS.items()]
    form.questionnaire_id.choices = [
        (q.id, f"{q.title_vi} ({q.instrument})")
        for q in db.session.query(Questionnaire).order_by(Questionnaire.instrument)
    ]


def _rule(rule_id: int) -> CaseRule:
    rule = db.session.get(CaseRule, rule_id)
    if rule is None:
        abort(404)
    return rule


def _data(form: RuleForm) -> case_rules.RuleInput:
    return case_rules.RuleInput(form.kind.data, form.threshold.data, form.case_type.data or "", form.sla_days.data)


def _me():
    return current_user._get_current_object()


@bp.route("/case-rules/")
@role_required("admin")
def case_rules_list():
    """Every questionnaire with its rules."""
    return render_template(
        "admin/case_rules.html", groups=case_rules.list_rules(db.session), kinds=KIND_LABELS, action_form=ActionForm()
    )


def _save(form: RuleForm, template: str, save, rule: CaseRule | None = None):
    """Validate, call the service in one unit of work; a refused rule shows the form again with the reason."""
    _fill(form)
    if not form.validate_on_submit():
        return render_template(template, form=form, rule=rule)

    def unit():
        try:
            save()
        except case_rules.RuleError as exc:
            form.case_type.errors = list(form.case_type.errors) + [str(exc)]
            return refused(render_template(template, form=form, rule=rule))
        flash(_("Đã lưu quy tắc."), "success")
        return redirect(url_for("admin.case_rules_list"))

    return run_write(unit)


@bp.route("/case-rules/new", methods=["GET", "POST"])
@role_required("admin")
def case_rule_new():
    """Add a rule to a questionnaire."""
    form = RuleForm(questionnaire_id=request.args.get("questionnaire", type=int))
    return _save(
        form,
        "admin/case_rule_new.html",
        lambda: case_rules.add_rule(db.session, _me(), form.questionnaire_id.data, _data(form)),
    )


@bp.route("/case-rules/<int:rule_id>", methods=["GET", "POST"])
@role_required("admin")
def case_rule_edit(rule_id: int):
    """Change a rule's kind, threshold, case type or SLA."""
    rule = _rule(rule_id)
    form = RuleForm(obj=rule)
    return _save(
        form,
        "admin/case_rule_edit.html",
        lambda: case_rules.update_rule(db.session, _me(), _rule(rule_id), _data(form)),
        rule,
    )


@bp.route("/case-rules/<int:rule_id>/active", methods=["POST"])
@role_required("admin")
def case_rule_active(rule_id: int):
    """Switch a rule off (the cases it opened stay) or on again."""
    _rule(rule_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    enable = request.form.get("enable") == "1"

    def unit():
        try:
            case_rules.set_active(db.session, _me(), _rule(rule_id), enable)
        except case_rules.RuleError as exc:
            flash(str(exc), "error")
            return refused(None)
        flash(_("Đã áp dụng lại quy tắc.") if enable else _("Đã ngừng áp dụng quy tắc."), "success")

    run_write(unit)
    return redirect(url_for("admin.case_rules_list"))


@bp.route("/case-rules/defaults", methods=["POST"])
@role_required("admin")
def case_rules_defaults():
    """Add the default rules to every questionnaire that has none."""
    if not ActionForm().validate_on_submit():
        abort(400)
    count = run_write(lambda: case_rules.seed_defaults(db.session, _me()))
    flash(_("Đã thêm %(n)d quy tắc mặc định.", n=count), "success")
    return redirect(url_for("admin.case_rules_list"))
