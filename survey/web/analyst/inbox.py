"""The comments inbox (list, counts by theme, CSV/XLSX) and the themes page, on the analyst blueprint.

Everyone with an analyst role reads comments within their agencies (common.visible); administrators and
province analysts edit the theme list and tag comments by hand, since a theme is the province's shared
vocabulary and a tag changes every agency's counts; agency viewers read. Every route answers GET (a form
posts to the page it is on), so the page that shows a form is the one that shows its errors.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from survey.extensions import db
from survey.models import Comment, Theme
from survey.services.common import audit, formats
from survey.services.common.spreadsheet import csv_style
from survey.services.common.txn import refused, run_write
from survey.services.feedback import comment_export, inbox, theme_counts, themes
from survey.web.analyst import bp
from survey.web.analyst.common import PER_PAGE, analyst_required, visible
from survey.web.analyst.downloads import attachment

EDITORS = ("admin", "analyst")
SUGGEST_LIMIT = 5000  # comments per press of "suggest now" (the rest on the next)
MAX_KEYWORD_BOX = 10_000  # characters of the keyword box (MAX_KEYWORDS lines of MAX_KEYWORD_CHARS, and slack)


class ThemeForm(FlaskForm):
    """A theme as typed: code, names, keywords one per line, complaint flag."""

    action = HiddenField(default="save")
    code = StringField(_l("Mã chủ đề"), validators=[Length(max=40, message=_l("Mã chủ đề dài tối đa 40 ký tự."))])
    name_vi = StringField(
        _l("Tên tiếng Việt"),
        validators=[Length(max=themes.MAX_NAME_CHARS, message=_l("Tên chủ đề dài tối đa 120 ký tự."))],
    )
    name_en = StringField(
        _l("Tên tiếng Anh"),
        validators=[Length(max=themes.MAX_NAME_CHARS, message=_l("Tên chủ đề dài tối đa 120 ký tự."))],
    )
    keywords = TextAreaField(
        _l("Từ khoá (mỗi dòng một từ hoặc cụm từ)"),
        validators=[Length(max=MAX_KEYWORD_BOX, message=_l("Danh sách từ khoá quá dài: tối đa 10.000 ký tự."))],
        render_kw={"rows": 6},
    )
    complaint = BooleanField(_l("Là khiếu nại (có thể mở phiếu xử lý)"))

    def data_in(self) -> themes.ThemeInput:
        """The form's values for the themes service."""
        return themes.ThemeInput(
            (self.code.data or "").strip(),
            self.name_vi.data or "",
            self.name_en.data or "",
            self.keywords.data or "",
            bool(self.complaint.data),
        )


class ActionForm(FlaskForm):
    """A button (CSRF token and what it does), optionally naming a theme."""

    action = HiddenField()
    theme = HiddenField()


def _may_edit() -> bool:
    return current_user.role in EDITORS


def _write(unit):
    """Run a change in one unit of work; a ThemeError rolls it back and comes back as its message."""

    def wrapped():
        try:
            return unit()
        except themes.ThemeError as exc:
            return refused(exc)

    return run_write(wrapped)


def _listing(page_name: str):
    """Filters, menus and errors shared by the inbox and its counts."""
    scope = visible()
    parsed = inbox.parse_filters(db.session, request.args, scope)
    sort = request.args.get("sort", "day")
    desc = request.args.get("desc", "1") != "0"
    return (
        scope,
        parsed,
        {
            "parsed": parsed,
            "f": parsed.filters,
            "menus": inbox.choices(db.session, scope),
            "page": page_name,
            "sort": sort,
            "desc": desc,
            "may_edit": _may_edit(),
            "scoped": scope is not None,
        },
    )


@bp.route("/inbox")
@analyst_required
def inbox_list():
    """Every comment within the viewer's agencies, filtered, searched without diacritics, sorted, paged."""
    scope, parsed, ctx = _listing("inbox")
    if parsed.errors:
        return render_template("analyst/inbox.html", result=None, **ctx), 400
    result = inbox.list_page(
        db.session,
        parsed.filters,
        scope,
        sort=ctx["sort"],
        desc=ctx["desc"],
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=PER_PAGE,
    )
    return render_template("analyst/inbox.html", result=result, **ctx)


@bp.route("/inbox/counts")
@analyst_required
def inbox_counts():
    """How many of the filtered comments carry each theme, per agency."""
    scope, parsed, ctx = _listing("counts")
    if parsed.errors:
        return render_template("analyst/inbox_counts.html", counts=None, **ctx), 400
    return render_template(
        "analyst/inbox_counts.html", counts=theme_counts.counts_by_theme(db.session, parsed.filters, scope), **ctx
    )


@bp.route("/inbox.<fmt>")
@analyst_required
def inbox_export(fmt: str):
    """The filtered, redacted comments as CSV or XLSX (no ids, no raw text); audited."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    style, scope = csv_style(request.args.get("csv")), visible()
    parsed = inbox.parse_filters(db.session, request.args, scope)
    errors = parsed.errors + (
        [] if style else [_("Tuỳ chọn csv không hợp lệ: dùng csv=vi (Excel tiếng Việt) hoặc csv=intl.")]
    )
    if errors:
        return Response(" ".join(errors), status=400, content_type="text/plain; charset=utf-8")
    lang = request.args.get("lang") if request.args.get("lang") in ("vi", "en") else formats.locale_code()
    if fmt == "csv":
        body = comment_export.csv_bytes(db.session, parsed.filters, scope, lang, style)
    else:
        body = comment_export.xlsx_bytes(db.session, parsed.filters, scope, lang)
    user = current_user._get_current_object()
    extra = {"csv": style} if fmt == "csv" else {}
    run_write(
        lambda: audit.record(
            db.session, user, "export.comments", "comments", "", format=fmt, filters=parsed.filters.args(), **extra
        )
    )
    return attachment(body, fmt, "gop-y.%s" % fmt)


@bp.route("/inbox/<int:comment_id>", methods=["GET", "POST"])
@analyst_required
def inbox_comment(comment_id: int):
    """One comment and its themes; editors add or remove a theme (an unknown code is an error, nothing stored)."""
    row = inbox.get(db.session, comment_id, visible()) or abort(404)
    form, error = ActionForm(), None
    if request.method == "POST":
        if not _may_edit():
            abort(403)
        if not form.validate_on_submit() or form.action.data not in ("add", "remove"):
            abort(400)
        comment, user, code = db.session.get(Comment, comment_id), current_user._get_current_object(), form.theme.data
        change = themes.tag if form.action.data == "add" else themes.untag
        result = _write(lambda: change(db.session, user, comment, code))
        if not isinstance(result, themes.ThemeError):
            flash(_("Đã cập nhật chủ đề của góp ý."), "success")
            return redirect(url_for(".inbox_comment", comment_id=comment_id))
        error, row = str(result), inbox.get(db.session, comment_id, visible())
    return render_template(
        "analyst/inbox_comment.html",
        row=row,
        form=form,
        error=error,
        may_edit=_may_edit(),
        active=themes.list_themes(db.session, active_only=True),
    ), 422 if error else 200


@bp.route("/themes", methods=["GET", "POST"])
@analyst_required
def themes_list():
    """The themes; editors add one, or run the keyword suggestions on comments not yet looked at."""
    form, action = ThemeForm(), ActionForm()
    if request.method == "GET":
        return _themes_page(form, action)
    if not _may_edit():
        abort(403)
    if request.form.get("action") == "suggest":
        if not action.validate_on_submit():
            abort(400)
        run = run_write(lambda: themes.tag_untagged(db.session, limit=SUGGEST_LIMIT))
        flash(
            _(
                "Đã gợi ý chủ đề cho %(n)s góp ý (%(t)s lượt gắn).",
                n=formats.num(run.comments),
                t=formats.num(run.tags),
            ),
            "success",
        )
        return redirect(url_for(".themes_list"))
    error = None
    if form.validate_on_submit():
        user, data = current_user._get_current_object(), form.data_in()
        result = _write(lambda: themes.create_theme(db.session, user, data))
        if not isinstance(result, themes.ThemeError):
            flash(_("Đã thêm chủ đề “%(name)s”.", name=result.name_vi), "success")
            return redirect(url_for(".themes_list"))
        error = str(result)
    return _themes_page(form, action, error), 422


def _themes_page(form: ThemeForm, action: ActionForm, error: str | None = None) -> str:
    return render_template(
        "analyst/themes.html",
        rows=themes.list_themes(db.session),
        form=form,
        action=action,
        may_edit=_may_edit(),
        untagged=themes.untagged_count(db.session),
        error=error,
        page="themes",
    )


@bp.route("/themes/<int:theme_id>", methods=["GET", "POST"])
@analyst_required
def theme_edit(theme_id: int):
    """One theme: editors change it, stop using it, or take it back."""
    theme = db.session.get(Theme, theme_id) or abort(404)
    if request.method == "GET":
        return _theme_page(theme, ThemeForm(obj=theme))
    if not _may_edit():
        abort(403)
    form, user, error = ThemeForm(), current_user._get_current_object(), None
    if form.action.data in ("deactivate", "activate"):
        if not ActionForm().validate_on_submit():
            abort(400)
        run_write(lambda: themes.set_active(db.session, user, theme, form.action.data == "activate"))
        flash(
            _("Đã ngừng sử dụng chủ đề.") if form.action.data == "deactivate" else _("Đã dùng lại chủ đề."), "success"
        )
        return redirect(url_for(".theme_edit", theme_id=theme_id))
    if form.validate_on_submit():
        data = form.data_in()
        result = _write(lambda: themes.update_theme(db.session, user, theme, data))
        if not isinstance(result, themes.ThemeError):
            flash(_("Đã lưu chủ đề."), "success")
            return redirect(url_for(".themes_list"))
        error = str(result)
    return _theme_page(db.session.get(Theme, theme_id), form, error), 422


def _theme_page(theme: Theme, form: ThemeForm, error: str | None = None) -> str:
    return render_template(
        "analyst/themes_edit.html",
        theme=theme,
        form=form,
        action=ActionForm(),
        error=error,
        may_edit=_may_edit(),
        page="themes",
    )
