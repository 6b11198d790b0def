"""Admin pages: intake API keys — list (scope, last use), create, change scope, rotate, revoke.

A key in clear exists only in the answer to the POST that made it (create or rotate), sent with
Cache-Control: no-store; only its hash is stored. A reload of that answer would post again: the
creation form carries a nonce (a second post of it leads back to the list), and a second rotation of
the same key finds it revoked. Every change is audit-logged by the service.
"""
from __future__ import annotations

import secrets

from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from survey.extensions import db
from survey.models import Agency, ApiKey, Sector, ServicePoint, SourceSystem
from survey.services.common.txn import run_write
from survey.services.intake import apikeys
from survey.services.intake import operations as intake_ops
from survey.services.intake.scopes import Scope
from survey.web.admin import bp
from survey.web.admin.views import PICKER, choices
from survey.web.auth.access import role_required

USED_NONCES = "apikey_forms_used"  # creation forms already posted (the last few, in the session)
BLANK_ROWS = 3                     # empty scope rows offered under the existing ones


def _coerce_id(value):
    return int(value) if value not in (None, "", "None") else None


class ScopeRowForm(Form):
    """One scope row: the named columns must all match a dossier."""

    agency_id = SelectField(_l("Cơ quan (gồm các đơn vị cấp dưới)"), coerce=_coerce_id, validators=[Optional()],
                            render_kw=PICKER)
    service_point_id = SelectField(_l("Điểm phục vụ"), coerce=_coerce_id, validators=[Optional()], render_kw=PICKER)
    sector_id = SelectField(_l("Lĩnh vực"), coerce=_coerce_id, validators=[Optional()])


class ScopeForm(FlaskForm):
    """What a key may send: the whole province, or what one of the rows admits."""

    all_agencies = BooleanField(_l("Toàn tỉnh: gửi được hồ sơ của mọi cơ quan (phần mềm một cửa cấp tỉnh)"))
    rows = FieldList(FormField(ScopeRowForm), min_entries=BLANK_ROWS)

    def scopes(self) -> list[Scope] | None:
        """The scope asked for (None = whole province), or an error on the form and an empty list."""
        rows = [Scope(r.agency_id.data, r.service_point_id.data, r.sector_id.data) for r in self.rows]
        rows = [r for r in rows if not r.empty()]
        if self.all_agencies.data and rows:
            self.all_agencies.errors = [_("Chọn “toàn tỉnh” hoặc các dòng phạm vi, không chọn cả hai.")]
            return []
        if not self.all_agencies.data and not rows:
            self.all_agencies.errors = [_("Hãy chọn ít nhất một dòng phạm vi, hoặc “toàn tỉnh”.")]
            return []
        return None if self.all_agencies.data else rows


class CreateKeyForm(ScopeForm):
    """A new key: its source system (created when missing), a label staff recognise, its scope."""

    source_code = StringField(_l("Mã hệ thống nguồn"), validators=[DataRequired(), Length(max=64)],
                              render_kw={"placeholder": "motcua-hatinh", "list": "sources", "autocomplete": "off"})
    source_name = StringField(_l("Tên hệ thống nguồn (khi tạo mới)"), validators=[Optional(), Length(max=255)])
    label = StringField(_l("Tên gợi nhớ của khoá"), validators=[Optional(), Length(max=120)],
                        render_kw={"placeholder": _l("ví dụ: Một cửa Sở Tư pháp")})
    nonce = HiddenField()


class ActionForm(FlaskForm):
    """CSRF-only form for the per-key buttons."""


def _fill_choices(form: ScopeForm) -> None:
    none = [(None, _("— bất kỳ —"))]
    agencies = none + choices(db.session, Agency, with_code=True)
    points = none + choices(db.session, ServicePoint, with_code=True)
    sectors = none + choices(db.session, Sector, with_code=True)
    for entry in form.rows:
        entry.form.agency_id.choices = agencies
        entry.form.service_point_id.choices = points
        entry.form.sector_id.choices = sectors


def _list_page(form: CreateKeyForm, status: int = 200):
    sources = db.session.scalars(select(SourceSystem.code).order_by(SourceSystem.code)).all()
    return render_template("admin/apikeys.html", keys=apikeys.list_keys(db.session), form=form,
                           action=ActionForm(), sources=sources), status


def _get_key(key_id: int) -> ApiKey:
    return db.session.get(ApiKey, key_id) or abort(404)


def _key_page(made: intake_ops.NewKey, rotated_from: str | None = None):
    """The key in clear, once, never cached."""
    page = make_response(render_template("admin/apikeys_key.html", row=made.row, key=made.key, source=made.source,
                                         rotated_from=rotated_from))
    page.headers["Cache-Control"] = "no-store"
    return page


@bp.route("/apikeys")
@role_required("admin")
def apikeys_list():
    """Every key with its source, label, scope, creation, last use and state; the creation form."""
    form = CreateKeyForm(formdata=None)
    _fill_choices(form)
    form.nonce.data = secrets.token_urlsafe(16)
    return _list_page(form)


@bp.route("/apikeys", methods=["POST"])
@role_required("admin")
def apikeys_create():
    """Make a key and show it once."""
    form = CreateKeyForm()
    _fill_choices(form)
    valid = form.validate_on_submit()
    scopes = form.scopes() if valid else []
    if not valid or scopes == []:
        return _list_page(form, 422)
    used = session.get(USED_NONCES, [])
    if form.nonce.data and form.nonce.data in used:  # the key page reloaded: do not make a second key
        flash(_("Khoá này đã được tạo. Nếu chưa kịp lưu khoá, hãy bấm “Cấp khoá mới” để thay nó."), "info")
        return redirect(url_for(".apikeys_list"))
    made = run_write(lambda: intake_ops.issue_key(db.session, current_user, form.source_code.data.strip(),
                                                  (form.source_name.data or "").strip(), scopes=scopes,
                                                  label=form.label.data or ""), conflicts=True)
    if form.nonce.data:
        session[USED_NONCES] = (used + [form.nonce.data])[-20:]
    return _key_page(made), 201


@bp.route("/apikeys/<int:key_id>/scope", methods=["GET", "POST"])
@role_required("admin")
def apikeys_scope(key_id: int):
    """GET: the key's scope as a form. POST: replace it."""
    row = _get_key(key_id)
    if row.revoked_at is not None:
        flash(_("Khoá %(prefix)s đã bị thu hồi; không đổi phạm vi được.", prefix=row.prefix), "error")
        return redirect(url_for(".apikeys_list"))
    if request.method == "GET":
        rows = [{"agency_id": s.agency_id, "service_point_id": s.service_point_id, "sector_id": s.sector_id}
                for s in row.scopes]
        form = ScopeForm(formdata=None, data={"all_agencies": row.all_agencies, "rows": rows})
        for _blank in range(max(0, len(rows) + BLANK_ROWS - len(form.rows))):
            form.rows.append_entry()
        _fill_choices(form)
        return render_template("admin/apikeys_scope.html", row=row, form=form)
    form = ScopeForm()
    _fill_choices(form)
    valid = form.validate_on_submit()
    scopes = form.scopes() if valid else []
    if not valid or scopes == []:
        return render_template("admin/apikeys_scope.html", row=row, form=form), 422
    run_write(lambda: intake_ops.change_scope(db.session, current_user, _get_key(key_id), scopes))
    flash(_("Đã đổi phạm vi của khoá %(prefix)s.", prefix=row.prefix), "success")
    return redirect(url_for(".apikeys_list"))


@bp.route("/apikeys/<int:key_id>/rotate", methods=["POST"])
@role_required("admin")
def apikeys_rotate(key_id: int):
    """A new secret for the key (same source, label, scope); the old one stops working at once."""
    row = _get_key(key_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if row.revoked_at is not None:  # also a reload of the page that showed the new key
        flash(_("Khoá %(prefix)s đã bị thu hồi (hoặc vừa được thay); không cấp lại được.", prefix=row.prefix),
              "error")
        return redirect(url_for(".apikeys_list"))
    old = row.prefix
    made = run_write(lambda: intake_ops.rotate_key(db.session, current_user, _get_key(key_id)))
    return _key_page(made, rotated_from=old)


@bp.route("/apikeys/<int:key_id>/revoke", methods=["POST"])
@role_required("admin")
def apikeys_revoke(key_id: int):
    """Revoke a key: the source system's calls with it are refused at once."""
    row = _get_key(key_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    prefix = row.prefix
    run_write(lambda: intake_ops.revoke_key(db.session, current_user, prefix))
    flash(_("Đã thu hồi khoá %(prefix)s.", prefix=prefix), "success")
    return redirect(url_for(".apikeys_list"))
