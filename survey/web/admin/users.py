"""Admin pages: staff accounts (list, create, change role/scope, disable/enable, reset password, sessions)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from survey.extensions import db
from survey.models import Agency, ServicePoint, User
from survey.models.user import ROLES
from survey.services.accounts import operations as accounts
from survey.services.accounts import sessions
from survey.services.accounts import users as users_service
from survey.services.common.txn import refused, run_write
from survey.services.registry import lineage
from survey.web.admin import bp
from survey.web.admin.views import PICKER, choices
from survey.web.auth import browser
from survey.web.auth.access import role_required
from survey.web.paging import page_number

PER_PAGE = 25


def _coerce_id(value):
    return int(value) if value not in (None, "", "None") else None


class RoleForm(FlaskForm):
    """Role and scope of an account."""

    role = SelectField(_l("Vai trò"), choices=[])
    agency_id = SelectField(_l("Cơ quan (bắt buộc với cán bộ cơ quan)"), coerce=_coerce_id, validators=[Optional()],
                            render_kw=PICKER)
    service_point_id = SelectField(_l("Điểm phục vụ (bắt buộc với cán bộ tại quầy)"), coerce=_coerce_id,
                                   validators=[Optional()], render_kw=PICKER)


class CreateUserForm(RoleForm):
    """A new account: username, name, role, scope and an initial password typed twice."""

    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "off", "autocapitalize": "none"})
    full_name = StringField(_l("Họ và tên"), validators=[Optional(), Length(max=255)])
    password = PasswordField(_l("Mật khẩu ban đầu"), validators=[DataRequired()],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Nhập lại mật khẩu"),
                            validators=[DataRequired(), EqualTo("password", _l("Hai mật khẩu không khớp."))],
                            render_kw={"autocomplete": "new-password"})


class PasswordForm(FlaskForm):
    """A new password typed twice."""

    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired()],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Nhập lại mật khẩu"),
                            validators=[DataRequired(), EqualTo("password", _l("Hai mật khẩu không khớp."))],
                            render_kw={"autocomplete": "new-password"})


class MailForm(FlaskForm):
    """Where feedback-case mail goes, and whether the daily digest is wanted."""

    email = StringField(_l("Thư điện tử (nhận thư báo phản ánh)"), validators=[Optional(), Length(max=255)],
                        render_kw={"autocomplete": "off", "type": "email"})
    case_digest = BooleanField(_l("Nhận thư tổng hợp phản ánh hằng ngày"))


class ActionForm(FlaskForm):
    """An empty form: only the CSRF token (disable/enable buttons)."""


def _fill_choices(form: RoleForm, user: User | None = None) -> None:
    form.role.choices = [(r, str(users_service.ROLE_LABELS[r])) for r in ROLES]
    # A new scope is a unit valid today; an account still scoped to a retired unit keeps it selectable
    # until an admin reassigns it (the retired-users page lists those accounts).
    keep = lineage.valid_ids(db.session, date.today()) | {getattr(user, "agency_id", None)}
    form.agency_id.choices = [(None, _("— không —"))] + [c for c in choices(db.session, Agency) if c[0] in keep]
    form.service_point_id.choices = [(None, _("— không —"))] + choices(db.session, ServicePoint)


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/")
@role_required("admin")
def users():
    """Accounts, filterable by role and status, paginated."""
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    status = request.args.get("status", "")
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == role)
    if status in ("active", "disabled"):
        stmt = stmt.where(User.active == (status == "active"))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = page_number(total, PER_PAGE)
    rows = db.session.scalars(stmt.order_by(User.username).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template("admin/users.html", users=rows, total=total, page=page, per_page=PER_PAGE,
                           role=role, status=status, roles=ROLES, role_labels=users_service.ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def users_new():
    """Create an account."""
    form = CreateUserForm()
    _fill_choices(form)
    if not form.validate_on_submit():
        return _new_page(form)

    def unit():
        try:
            user = accounts.create_account(db.session, _me(), form.username.data, form.password.data,
                                           form.role.data, form.agency_id.data, form.service_point_id.data,
                                           form.full_name.data)
        except users_service.UserError as exc:
            form.username.errors = list(form.username.errors) + [str(exc)]
            return refused(_new_page(form))
        flash(_("Đã tạo tài khoản %(name)s.", name=user.username), "success")
        return redirect(url_for("admin.users_edit", user_id=user.id))

    return run_write(unit)


def _new_page(form: CreateUserForm):
    return render_template("admin/users_new.html", form=form, min_length=users_service.MIN_PASSWORD_LENGTH)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def users_edit(user_id: int):
    """Change an account's role and scope."""
    user = _get_user(user_id)
    form = RoleForm(obj=user)
    _fill_choices(form, user)
    if not form.validate_on_submit():
        return _edit_page(user, form)
    if user.id == current_user.id and form.role.data != "admin":
        flash(_("Bạn không thể tự bỏ quyền quản trị của chính mình."), "error")
        return _edit_page(user, form)

    def unit():
        try:
            changed = accounts.change_role(db.session, _me(), _get_user(user_id), form.role.data,
                                           form.agency_id.data, form.service_point_id.data)
        except users_service.UserError as exc:
            flash(str(exc), "error")
            return refused((_edit_page(user, form), None))
        flash(_("Đã cập nhật vai trò của %(name)s.", name=user.username), "success")
        return redirect(url_for("admin.users_edit", user_id=user_id)), _stay_signed_in(changed)

    answer, token = run_write(unit)
    _rotate(token)
    return answer


def _edit_page(user: User, form: RoleForm):
    return render_template("admin/users_edit.html", user=user, form=form, password_form=PasswordForm(),
                           mail_form=MailForm(obj=user),
                           action_form=ActionForm(), role_labels=users_service.ROLE_LABELS,
                           min_length=users_service.MIN_PASSWORD_LENGTH,
                           sessions=sessions.active_sessions(db.session, user.id, browser.lifetime()))


def _stay_signed_in(user: User) -> str | None:
    """A new session for this browser when the admin's change to their own account ended all its sessions.

    A new token, not the old one kept: a copy of the old cookie, wherever it is, ends with the others.
    """
    if user.id != current_user.id or browser.token() is None or sessions.live_session(
            db.session, user.id, browser.token(), browser.lifetime()) is not None:
        return None
    _row, token = sessions.open_session(db.session, user, browser.user_agent())
    return token


def _rotate(token: str | None) -> None:
    if token is not None:
        browser.rotate(token)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required("admin")
def users_set_active(user_id: int):
    """Disable or re-enable an account (never one's own)."""
    user = _get_user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    enable = request.form.get("enable") == "1"
    if user.id == current_user.id and not enable:
        flash(_("Bạn không thể tự khoá tài khoản của chính mình."), "error")
        return redirect(url_for("admin.users_edit", user_id=user.id))
    name = run_write(lambda: accounts.set_active(db.session, _me(), _get_user(user_id), enable).username)
    flash(_("Đã mở khoá tài khoản %(name)s.", name=name) if enable
          else _("Đã khoá tài khoản %(name)s.", name=name), "success")
    return redirect(url_for("admin.users_edit", user_id=user_id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@role_required("admin")
def users_password(user_id: int):
    """Set a new password for an account."""
    user = _get_user(user_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("admin.users_edit", user_id=user.id))

    def unit():
        try:
            changed = accounts.change_password(db.session, _me(), _get_user(user_id), form.password.data)
        except users_service.UserError as exc:
            flash(str(exc), "error")
            return refused(None)
        flash(_("Đã đặt mật khẩu mới cho %(name)s.", name=user.username), "success")
        return _stay_signed_in(changed)

    _rotate(run_write(unit))
    return redirect(url_for("admin.users_edit", user_id=user_id))


@bp.route("/users/<int:user_id>/mail", methods=["POST"])
@role_required("admin")
def users_mail(user_id: int):
    """Set an account's e-mail address and daily-digest choice."""
    _get_user(user_id)
    form = MailForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("admin.users_edit", user_id=user_id))

    def unit():
        try:
            users_service.set_mail(db.session, _me(), _get_user(user_id), form.email.data, form.case_digest.data)
        except users_service.UserError as exc:
            flash(str(exc), "error")
            return refused(None)
        flash(_("Đã lưu thư điện tử."), "success")

    run_write(unit)
    return redirect(url_for("admin.users_edit", user_id=user_id))


@bp.route("/users/<int:user_id>/sessions/<int:session_id>/revoke", methods=["POST"])
@role_required("admin")
def users_session_revoke(user_id: int, session_id: int):
    """End one of an account's sessions."""
    _get_user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    run_write(lambda: accounts.revoke_session(db.session, _me(), _get_user(user_id), session_id))
    flash(_("Đã kết thúc phiên đăng nhập."), "success")
    return redirect(url_for("admin.users_edit", user_id=user_id))


@bp.route("/users/<int:user_id>/sessions/revoke", methods=["POST"])
@role_required("admin")
def users_sessions_revoke(user_id: int):
    """End every session of an account (it must sign in again everywhere)."""
    _get_user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    count = run_write(lambda: accounts.revoke_sessions(db.session, _me(), _get_user(user_id)))
    flash(_("Đã kết thúc %(n)d phiên đăng nhập.", n=count), "success")
    return redirect(url_for("admin.users_edit", user_id=user_id))


def _me() -> User:
    """The signed-in administrator (the User, not Flask-Login's proxy), for the audit log."""
    return current_user._get_current_object()
