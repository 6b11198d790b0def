"""Admin pages: a comment's raw text (each read audited) and purging raw text, one comment or all older
than N days. Only administrators; everyone else reads the redacted text in the analyst inbox."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from survey.extensions import db
from survey.models import Comment
from survey.services.common import formats
from survey.services.common.txn import run_write
from survey.services.feedback import comment_raw as raw_texts
from survey.services.feedback import inbox
from survey.web.admin import bp
from survey.web.auth.access import role_required

DAYS_ERROR = _l("Số ngày phải là số nguyên từ 1 đến 3650.")


class PurgeOldForm(FlaskForm):
    """Purge the raw text of comments older than this many days."""

    days = IntegerField(
        _l("Xoá nguyên văn của góp ý cũ hơn (ngày)"),
        default=90,
        validators=[InputRequired(message=DAYS_ERROR), NumberRange(min=1, max=raw_texts.MAX_DAYS, message=DAYS_ERROR)],
    )


class ActionForm(FlaskForm):
    """CSRF-only form for the purge-one button."""


def _no_store(page):
    response = make_response(page)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/comments/raw", methods=["GET", "POST"])
@role_required("admin")
def comments_raw():
    """How much raw text is kept; POST purges all of it older than N days."""
    form = PurgeOldForm()
    if request.method == "POST":
        if form.validate_on_submit():
            user, days = current_user._get_current_object(), form.days.data
            deleted = run_write(lambda: raw_texts.purge_older(db.session, user, days))
            flash(_("Đã xoá nguyên văn của %(n)s góp ý.", n=formats.num(deleted)), "success")
            return redirect(url_for(".comments_raw"))
        if form.days.errors:  # "abc" fails the type before any validator: say it in Vietnamese too
            form.days.errors = [str(DAYS_ERROR)]
    count, oldest = raw_texts.stored(db.session)
    page = render_template("admin/comment_raw_purge.html", form=form, count=count, oldest=oldest)
    return _no_store(page), 422 if form.errors else 200


@bp.route("/comments/<int:comment_id>/raw", methods=["GET", "POST"])
@role_required("admin")
def comment_raw(comment_id: int):
    """GET: the comment's text as typed (the read is audited). POST: purge it (audited)."""
    comment = db.session.get(Comment, comment_id) or abort(404)
    user = current_user._get_current_object()
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        run_write(lambda: raw_texts.purge_one(db.session, user, comment))
        flash(_("Đã xoá nguyên văn của góp ý."), "success")
        return redirect(url_for(".comment_raw", comment_id=comment_id))
    raw = run_write(lambda: raw_texts.read(db.session, user, comment))  # committed before it is shown
    row = inbox.get(db.session, comment_id, None)
    return _no_store(render_template("admin/comment_raw.html", row=row, raw=raw, action=ActionForm()))
