"""Admin pages of the registry's history: agencies with their timeline, the lineage upload, retired units' users.

The list and the timeline are for analysts too (they read restated trends); uploading a lineage
file and reassigning accounts are administrative actions, audited by their services.
"""
from __future__ import annotations

import io
import os
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import or_, select
from wtforms import BooleanField, SelectField

from survey.extensions import db
from survey.models.registry import Agency
from survey.services.accounts.reassign import reassign
from survey.services.accounts.users import UserError
from survey.services.common import formats
from survey.services.common.texts import strip_accents
from survey.services.common.txn import refused, run_write
from survey.services.registry.lineage import valid_on
from survey.services.registry.lineage_import import COLUMNS, import_lineage
from survey.services.registry.retired import retired_users
from survey.services.registry.timeline import timeline
from survey.web.admin import bp
from survey.web.admin.views import PICKER
from survey.web.auth.access import role_required

PAGE_SIZE = 100


class LineageForm(FlaskForm):
    """A lineage CSV to check and (unless a dry run) store."""

    file = FileField(_l("Tệp lịch sử cơ quan (.csv)"), validators=[FileRequired(_l("Hãy chọn một tệp."))])
    dry_run = BooleanField(_l("Chỉ kiểm tra, không ghi"))


class ReassignForm(FlaskForm):
    """The unit an account of a retired unit moves to."""

    agency_id = SelectField(_l("Chuyển sang cơ quan"), coerce=int, render_kw=PICKER)


def _current_choices() -> list[tuple[int, str]]:
    """Units valid and active today, by name, as picker choices."""
    rows = db.session.scalars(valid_on(db.session, date.today()).where(Agency.active.is_(True)))
    labelled = [(a.id, f"{formats.named(a)} ({a.code})") for a in rows]
    return sorted(labelled, key=lambda pair: pair[1].casefold())


@bp.route("/registry/agencies")
@role_required("admin", "analyst")
def registry_agencies():
    """Every agency with its codes, level and validity; search by name or code, ended units on request."""
    q = (request.args.get("q") or "").strip()
    ended = request.args.get("ended") == "1"
    query = select(Agency).order_by(Agency.name_vi, Agency.code)
    if not ended:
        query = query.where(or_(Agency.valid_to.is_(None), Agency.valid_to > date.today()))
    rows = list(db.session.scalars(query))
    if q:
        # In Python, not SQL: SQLite's lower() knows no Vietnamese letters, and "thanh sen" should find Thành Sen.
        needle = strip_accents(q).casefold()
        rows = [a for a in rows if any(needle in strip_accents(text or "").casefold()
                                       for text in (a.name_vi, a.name_en, a.code, a.official_code))]
    page = max(request.args.get("page", 1, type=int), 1)
    total = len(rows)
    rows = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    return render_template("admin/registry_agencies.html", rows=rows, q=q, ended=ended, page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), total=total, today=date.today())


@bp.route("/registry/agencies/<int:agency_id>")
@role_required("admin", "analyst")
def registry_agency(agency_id: int):
    """One agency: its versions, what it came from and what it became, with dates and shares."""
    agency = db.session.get(Agency, agency_id) or abort(404)
    return render_template("admin/registry_agency.html", t=timeline(db.session, agency), today=date.today())


def _lineage_page(form: LineageForm, report=None, status: int = 200):
    return render_template("admin/registry_lineage.html", form=form, report=report, columns=COLUMNS), status


@bp.route("/registry/lineage")
@role_required("admin")
def registry_lineage():
    """The lineage upload form and the file's format."""
    return _lineage_page(LineageForm())


@bp.route("/registry/lineage", methods=["POST"])
@role_required("admin")
def registry_lineage_upload():
    """Check an uploaded lineage CSV; store it whole, or list every bad row and store nothing."""
    form = LineageForm()
    if not form.validate_on_submit():
        return _lineage_page(form, status=400)
    upload = form.file.data
    name = os.path.basename((upload.filename or "").replace("\\", "/"))[:200] or "lineage.csv"
    data = upload.read()
    dry_run = bool(form.dry_run.data)

    def unit():
        report = import_lineage(db.session, io.BytesIO(data), actor=current_user, dry_run=dry_run, name=name)
        if report.errors:
            return refused(_lineage_page(form, report, 422))
        if dry_run:
            return refused(_lineage_page(form, report))
        flash(_("Đã nhập %(name)s: thêm %(created)d, cập nhật %(updated)d, không đổi %(unchanged)d; "
                "%(retired)d cơ quan ngừng hoạt động.", name=name, created=report.created, updated=report.updated,
                unchanged=report.unchanged, retired=report.retired), "success")
        return redirect(url_for("admin.registry_lineage"))
    return run_write(unit)


def _retired_page(status: int = 200):
    listed = retired_users(db.session)
    choices = _current_choices()
    forms = {}
    for entry in listed:
        form = ReassignForm(prefix=f"u{entry.user.id}", formdata=None)
        form.agency_id.choices = choices
        form.agency_id.data = entry.suggested.id if entry.suggested is not None else None
        forms[entry.user.id] = form
    return render_template("admin/registry_retired.html", listed=listed, forms=forms), status


@bp.route("/registry/retired-users")
@role_required("admin")
def registry_retired():
    """Accounts scoped to units that ended, each with a reassignment form (the successor suggested)."""
    return _retired_page()


@bp.route("/registry/retired-users/<int:user_id>", methods=["POST"])
@role_required("admin")
def registry_reassign(user_id: int):
    """Move one account to a current unit (audited; its sessions end)."""
    from survey.models import User

    user = db.session.get(User, user_id) or abort(404)
    form = ReassignForm(prefix=f"u{user_id}")
    form.agency_id.choices = _current_choices()
    if not form.validate_on_submit():
        flash(_("Hãy chọn một cơ quan hiện hành để chuyển tài khoản."), "error")
        return redirect(url_for("admin.registry_retired"))

    def unit():
        try:
            reassign(db.session, current_user, user, form.agency_id.data)
        except UserError as exc:
            flash(str(exc), "error")
            return refused(redirect(url_for("admin.registry_retired")))
        flash(_("Đã chuyển tài khoản %(name)s sang %(agency)s.", name=user.username,
                agency=formats.named(db.session.get(Agency, form.agency_id.data))), "success")
        return redirect(url_for("admin.registry_retired"))
    return run_write(unit)
