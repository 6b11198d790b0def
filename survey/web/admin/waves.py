"""Admin pages: survey waves — create, review the planned sample, launch, deliver, close; rates and audit."""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Agency, Invitation, QuestionnaireVersion, Response, Sector, ServicePoint, Wave
from survey.services.common import jobs
from survey.services.common.formats import named
from survey.services.common.txn import refused, run_write
from survey.services.publications import PublicationError
from survey.services.sampling import audit as wave_audit
from survey.services.sampling import bundle, slips, validity
from survey.services.sampling import operations as ops
from survey.services.sampling.waves import WaveError, error_message
from survey.web.admin import bp
from survey.web.admin.publications import start_publish
from survey.web.admin.wave_forms import (
    ActionForm,
    BundleForm,
    DeleteWaveForm,
    LaunchForm,
    StratumForm,
    WaveEditForm,
    WaveForm,
    fill_versions,
    version_label,
)
from survey.web.auth.access import role_required
from survey.web.paging import page_number

PER_PAGE = 25
STRATA_PER_PAGE = 50
STRATA_SORTS = {"key": lambda r: r["label"], "n_prev": lambda r: r["s"].population_prev or 0,
                "n": lambda r: r["s"].population or 0, "pi": lambda r: r["s"].pi,
                "invitations": lambda r: r["expected"]}


def _wave(wave_id: int) -> Wave:
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        abort(404)
    return wave


@bp.route("/waves/")
@role_required("admin")
def waves():
    """Every wave, newest period first, with invitation and response counts."""
    total = db.session.scalar(select(func.count()).select_from(Wave))
    page = page_number(total, PER_PAGE)
    rows = db.session.scalars(select(Wave).order_by(Wave.period_start.desc(), Wave.id.desc())
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    ids = [w.id for w in rows]
    invited = dict(db.session.execute(select(Invitation.wave_id, func.count()).where(Invitation.wave_id.in_(ids))
                                      .group_by(Invitation.wave_id)).all())
    answered = dict(db.session.execute(select(Invitation.wave_id, func.count(Response.id))
                                       .join(Response, Response.invitation_id == Invitation.id)
                                       .where(Invitation.wave_id.in_(ids)).group_by(Invitation.wave_id)).all())
    return render_template("admin/waves/list.html", waves=rows, invited=invited, answered=answered,
                           page=page, per_page=PER_PAGE, total=total)


@bp.route("/waves/new", methods=["GET", "POST"])
@role_required("admin")
def waves_new():
    """Create a draft wave; its strata are planned at once from the previous period."""
    form = WaveForm()
    fill_versions(form, db.session)
    if not form.validate_on_submit():
        return render_template("admin/waves/new.html", form=form)

    def unit():
        try:
            wave = ops.create(db.session, current_user, **form.design_kwargs(db.session))
        except WaveError as exc:
            form.code.errors.append(error_message(str(exc)))
            return refused(render_template("admin/waves/new.html", form=form))
        flash(_("Đã tạo đợt nháp %(code)s. Hãy xem lại mẫu dự kiến trước khi khởi động.", code=wave.code),
              "success")
        return redirect(url_for("admin.waves_show", wave_id=wave.id))

    return run_write(unit)


def _strata_rows(wave: Wave) -> list[dict]:
    agencies = {a.id: named(a) for a in db.session.scalars(select(Agency))}
    sectors = {s.id: named(s) for s in db.session.scalars(select(Sector))}
    invited = dict(db.session.execute(select(Invitation.stratum_id, func.count()).where(Invitation.wave_id == wave.id)
                                      .group_by(Invitation.stratum_id)).all())
    overrides = wave.design.get("overrides", {})
    rows = []
    for s in wave.strata:
        label = " × ".join(x for x in (agencies.get(s.agency_id), sectors.get(s.sector_id)) if x) or s.key
        expected = s.pi * (s.population_prev or 0)
        rows.append({"s": s, "label": label, "expected": expected,
                     "responses": expected * wave.design["response_rate"], "invited": invited.get(s.id, 0),
                     "override": overrides.get(s.key)})
    return rows


@bp.route("/waves/<int:wave_id>")
@role_required("admin")
def waves_show(wave_id: int):
    """The wave: design, planned sample per stratum (sortable, paged), and the actions of its status."""
    wave = _wave(wave_id)
    rows = _strata_rows(wave)
    sort = request.args.get("sort", "key") if request.args.get("sort") in STRATA_SORTS else "key"
    desc = request.args.get("desc", 0, type=int) == 1
    rows.sort(key=STRATA_SORTS[sort], reverse=desc)
    page = max(request.args.get("page", 1, type=int), 1)
    totals = {k: sum(r[k] for r in rows) for k in ("expected", "responses", "invited")}
    totals["n_prev"] = sum(r["s"].population_prev or 0 for r in rows)
    totals["n"] = sum(r["s"].population or 0 for r in rows)
    pending = db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.wave_id == wave.id, Invitation.status == "issued", Invitation.delivered_at.is_(None)))
    qv = db.session.get(QuestionnaireVersion, wave.questionnaire_version_id)
    previous = [date.fromisoformat(x) for x in wave.design["previous_period"]]
    return render_template("admin/waves/show.html", wave=wave, previous=previous, unit_notes=validity.notes_text(wave),
                           version_label=version_label(qv.questionnaire, qv) if qv else "",
                           rows=rows[(page - 1) * STRATA_PER_PAGE:page * STRATA_PER_PAGE], totals=totals,
                           total_rows=len(rows), page=page, per_page=STRATA_PER_PAGE, sort=sort,
                           desc=desc, pending=pending, stratum_form=StratumForm(), launch_form=LaunchForm(),
                           action_form=ActionForm(), bundle_form=BundleForm(), formats=slips.FORMATS,
                           delete_form=DeleteWaveForm())


@bp.route("/waves/<int:wave_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def waves_edit(wave_id: int):
    """Change a draft wave's name, period, questionnaire version or design; its strata are planned afresh."""
    wave = _wave(wave_id)
    back = redirect(url_for("admin.waves_show", wave_id=wave.id))
    if wave.status != "draft":
        flash(error_message("not_draft"), "error")
        return back
    form = WaveEditForm(wave=wave)
    fill_versions(form, db.session)
    if not form.validate_on_submit():
        return render_template("admin/waves/edit.html", form=form, wave=wave)

    def unit():
        try:
            changes = ops.update(db.session, current_user, _wave(wave_id), **form.design_kwargs(db.session))
        except WaveError as exc:
            flash(error_message(str(exc)), "error")
            return refused(render_template("admin/waves/edit.html", form=form, wave=wave))
        flash(_("Đã lưu đợt nháp %(code)s; mẫu dự kiến đã được tính lại.", code=wave.code) if changes
              else _("Không có gì thay đổi."), "success")
        return back

    return run_write(unit)


@bp.route("/waves/<int:wave_id>/delete", methods=["POST"])
@role_required("admin")
def waves_delete(wave_id: int):
    """Delete a draft wave (the administrator typed its code); nothing else is touched."""
    wave, form = _wave(wave_id), DeleteWaveForm()
    if not form.validate_on_submit() or not form.confirms(wave):
        flash(" ".join(str(e) for errs in form.errors.values() for e in errs) or _("Yêu cầu không hợp lệ."), "error")
        return redirect(url_for("admin.waves_show", wave_id=wave.id))

    def unit():
        try:
            gone = ops.delete(db.session, current_user, _wave(wave_id))
        except WaveError as exc:
            flash(error_message(str(exc)), "error")
            return refused(redirect(url_for("admin.waves_show", wave_id=wave_id)))
        flash(_("Đã xoá đợt nháp %(code)s.", code=gone["code"]), "success")
        return redirect(url_for("admin.waves"))

    return run_write(unit)


@bp.route("/waves/<int:wave_id>/stratum", methods=["POST"])
@role_required("admin")
def waves_stratum(wave_id: int):
    """Fix one stratum's π or target responses on a draft wave (or return it to the wave-wide rule)."""
    form = StratumForm()

    def run(wave: Wave) -> dict:
        pi, target = form.values()
        ops.override_stratum(db.session, current_user, wave, form.key.data, pi=pi, target_n=target)
        return {"key": form.key.data}

    return _wave_step(wave_id, form, run, _("Đã cập nhật tầng %(key)s."))


def _wave_step(wave_id: int, form, run, done: str):
    """Validate `form`, then one unit of work: `run(wave)` (a sampling operation) returns what `done` shows.

    A form error or a WaveError is flashed and stores nothing; either way back to the wave's page.
    """
    back = redirect(url_for("admin.waves_show", wave_id=_wave(wave_id).id))
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errs in form.errors.values() for e in errs) or _("Yêu cầu không hợp lệ."), "error")
        return back

    def unit():
        try:
            details = run(_wave(wave_id))
        except WaveError as exc:
            flash(error_message(str(exc)), "error")
            return refused(back)
        except PublicationError as exc:  # closing publishes: its refusal is already in words
            flash(str(exc), "error")
            return refused(back)
        flash(done % details, "success")
        return back

    return run_write(unit)


@bp.route("/waves/<int:wave_id>/launch", methods=["POST"])
@role_required("admin")
def waves_launch(wave_id: int):
    """Launch: select the period's existing dossiers in one pass (tokens are issued at delivery)."""
    return _wave_step(wave_id, LaunchForm(),
                      lambda w: {"invitations": len(ops.launch(db.session, current_user, w))},
                      _("Đợt đang chạy: %(invitations)d thư mời mới. Tải gói phiếu in và SMS để phát."))


@bp.route("/waves/<int:wave_id>/close", methods=["POST"])
@role_required("admin")
def waves_close(wave_id: int):
    """Close a running wave and publish its numbers (version 1) as a background job; open invitations expire."""
    back = redirect(url_for("admin.waves_show", wave_id=_wave(wave_id).id))
    if not ActionForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ."), "error")
        return back
    return start_publish(wave_id, back, close=True)


@bp.route("/waves/<int:wave_id>/purge-contacts", methods=["POST"])
@role_required("admin")
def waves_purge(wave_id: int):
    """Delete the phone numbers of the wave's dossiers."""
    return _wave_step(wave_id, ActionForm(), lambda w: {"deleted": ops.purge_contacts(db.session, current_user, w)},
                      _("Đã xoá %(deleted)d số điện thoại."))


@bp.route("/waves/<int:wave_id>/anonymise", methods=["POST"])
@role_required("admin")
def waves_anonymise(wave_id: int):
    """Cut the invitation–dossier link of a closed wave."""
    return _wave_step(wave_id, ActionForm(), lambda w: {"unlinked": ops.anonymise(db.session, current_user, w)},
                      _("Đã cắt liên kết của %(unlinked)d thư mời với hồ sơ."))


@bp.route("/waves/<int:wave_id>/bundle", methods=["POST"])
@role_required("admin")
def waves_bundle(wave_id: int):
    """Start the background job that builds the ZIP of slips, sms.csv and links.csv; go to its progress page.

    The ZIP stays downloadable from the job's page, so a lost download costs no re-keying.
    """
    wave, form = _wave(wave_id), BundleForm()
    back = redirect(url_for("admin.waves_show", wave_id=wave.id))
    if not form.validate_on_submit():
        flash(_("Chỉ phát thư mời được khi đợt đang chạy."), "error")
        return back

    def unit():
        try:
            return bundle.submit_bundle(db.session, current_user, _wave(wave_id), form.format.data,
                                        reissue=bool(form.reissue.data)).id
        except jobs.JobError as exc:
            flash(str(exc), "error")
            return refused(None)

    job_id = run_write(unit)
    if job_id is None:
        return back
    jobs.launch(current_app._get_current_object(), job_id)
    return redirect(url_for("jobs.show", job_id=job_id), 303)


@bp.route("/waves/<int:wave_id>/bundles")
@role_required("admin")
def waves_bundles(wave_id: int):
    """The wave's latest bundles, each with its job page (progress, then the ZIP to download again)."""
    wave = _wave(wave_id)
    return render_template("admin/waves/bundles.html", wave=wave, bundles=bundle.recent_bundles(db.session, wave))


@bp.route("/waves/<int:wave_id>/rates")
@role_required("admin")
def waves_rates(wave_id: int):
    """Response rates per stratum, per service point and per outcome."""
    wave = _wave(wave_id)
    labels = {s["s"].key: s["label"] for s in _strata_rows(wave)}
    tables = {by: wave_audit.response_rates(db.session, wave, by) for by in wave_audit.RATE_GROUPS}
    points = {str(p.id): named(p) for p in db.session.scalars(select(ServicePoint))}  # in the reader's language
    return render_template("admin/waves/rates.html", wave=wave, tables=tables, stratum_labels=labels,
                           point_names=points)


@bp.route("/waves/<int:wave_id>/audit")
@role_required("admin")
def waves_audit(wave_id: int):
    """Re-derive the sample from the seed and compare it with the stored invitations."""
    wave = _wave(wave_id)
    report = wave_audit.audit(db.session, wave)
    return render_template("admin/waves/audit.html", wave=wave, report=report)

