"""Admin page: a wave's published versions, publishing and restating (with a reason), each diff, and each
version's reproducibility pack (admins and province-wide analysts only: the pack holds the whole province's
microdata, so agency viewers, who see one agency subtree, never get it). Publishing and the pack run as
background jobs with a progress page (/jobs/<id>), from which a lost download is fetched again."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from survey.extensions import db
from survey.models import Wave
from survey.services import publications
from survey.services.common import jobs
from survey.services.common.txn import refused, run_write
from survey.services.publications import PublicationError, pack_views
from survey.services.workspace import publishing
from survey.web.admin import bp
from survey.web.auth.access import role_required


class PublishForm(FlaskForm):
    """Publish (first version) or restate (a reason is then required)."""

    reason = TextAreaField(_l("Lý do công bố lại"), validators=[Optional(), Length(max=2000)])


class PackForm(FlaskForm):
    """Build the version's reproducibility pack (a background job; CSRF only)."""


def _wave(wave_id: int) -> Wave:
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        abort(404)
    return wave


@bp.route("/waves/<int:wave_id>/publications", endpoint="publications")
@role_required("admin", "analyst")
def publications_list(wave_id: int):
    """The wave's versions (final and provisional), newest first, and the publish/restate form."""
    wave = _wave(wave_id)
    views = sorted(publications.versions(db.session, wave.id), key=lambda v: (v.provisional, -v.version))
    return render_template(
        "admin/publications.html",
        wave=wave,
        views=views,
        form=PublishForm(),
        pack_form=PackForm(),
        published=any(not v.provisional for v in views),
    )


@bp.route("/waves/<int:wave_id>/publications/<int:version>")
@role_required("admin", "analyst")
def publications_show(wave_id: int, version: int):
    """One final version: who, when, why, its method and inputs, and what moved against the one before."""
    wave = _wave(wave_id)
    view = next(
        (v for v in publications.versions(db.session, wave.id) if v.version == version and not v.provisional), None
    )
    if view is None:
        abort(404)
    packs = pack_views.recent_packs(db.session, wave, version, None if current_user.role == "admin" else current_user)
    return render_template("admin/publication.html", wave=wave, view=view, pack_form=PackForm(), packs=packs)


@bp.route("/waves/<int:wave_id>/publications", methods=["POST"])
@role_required("admin")
def publications_publish(wave_id: int):
    """Publish the wave, or restate it with the reason given, as a background job; go to its progress page."""
    form, back = PublishForm(), redirect(url_for("admin.publications", wave_id=wave_id))
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errs in form.errors.values() for e in errs) or _("Yêu cầu không hợp lệ."), "error")
        return back
    return start_publish(wave_id, back, reason=form.reason.data or "")


def start_publish(wave_id: int, back, *, reason: str = "", close: bool = False):
    """Submit the job that closes (`close`) and publishes or restates the wave, launch it once committed, and
    redirect to its progress page; a refusal is flashed and `back` returned. Shared with the close button."""

    def unit():
        try:
            job, new = publishing.submit_publish(db.session, current_user, _wave(wave_id), reason=reason, close=close)
        except PublicationError as exc:
            flash(str(exc), "error")
            return refused(None)
        return job.id, new

    submitted = run_write(unit)
    if submitted is None:
        return back
    if submitted[1]:  # a computation already under way is not launched twice
        jobs.launch(current_app._get_current_object(), submitted[0])
    return redirect(url_for("jobs.show", job_id=submitted[0]), 303)


@bp.route("/waves/<int:wave_id>/publications/<int:version>/pack", methods=["POST"])
@role_required("admin", "analyst")
def publications_pack(wave_id: int, version: int):
    """Start the background job that builds the version's reproducibility pack; go to its progress page.

    The ZIP stays on the job's page (a lost download is fetched again there); the job records who took it.
    """
    wave = _wave(wave_id)
    view = pack_views.find(db.session, wave, version)
    if view is None:
        abort(404)
    back = redirect(url_for("admin.publications_show", wave_id=wave_id, version=version))
    if not PackForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ."), "error")
        return back

    def unit():
        try:
            job, new = pack_views.submit_pack(db.session, current_user, _wave(wave_id), view)
        except jobs.JobError as exc:
            flash(str(exc), "error")
            return refused(None)
        return job.id, new

    submitted = run_write(unit)
    if submitted is None:
        return back
    if submitted[1]:  # a build already under way is not launched twice
        jobs.launch(current_app._get_current_object(), submitted[0])
    return redirect(url_for("jobs.show", job_id=submitted[0]), 303)
