"""Downloads: the PDF report and the exports (index tables, microdata, codebook), scoped like the pages.

Options of the exports (the downloads panel lists them): ?lang=en|vi for the XLSX's language (default:
the page's language); ?csv=intl for a CSV with "," between cells and "." decimals (default ?csv=vi: ";"
and ",", what Excel opens correctly on a computer set to Vietnamese); ?version=N for an older final
publication. Every CSV is sent as text/csv; charset=utf-8.

Microdata is written chunk by chunk to a temporary file (survey.services.workspace.microdata_jobs), never
held whole. A wave of more than EXPORT_INLINE_ROWS respondents (default 20,000) is not written inside the
request: its link opens a page whose button starts a background job (`export.microdata`), then the job's
progress page offers the file.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from survey.extensions import db
from survey.services.common import audit, jobs
from survey.services.common.formats import locale_code
from survey.services.common.spreadsheet import CSV_MIMETYPE, csv_style
from survey.services.common.txn import refused, run_write
from survey.services.workspace import exports, microdata_jobs, microdata_release, reports
from survey.web.analyst import bp
from survey.web.analyst.common import analyst_required, context

FORMATS = {"index": ("csv", "xlsx"), "microdata": ("csv", "xlsx", "sav"), "codebook": ("csv", "md", "html")}
INLINE_ROWS = 20_000  # EXPORT_INLINE_ROWS: above it, microdata is written by a background job


class ExportJobForm(FlaskForm):
    """Start the background job writing a large microdata file (CSRF only)."""
MIMETYPES = {
    "csv": CSV_MIMETYPE,
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "sav": "application/x-spss-sav",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def attachment(body: bytes, fmt: str, filename: str, inline: bool = False) -> Response:
    """A download of `body` with its format's one Content-Type and the file name (inline for an HTML codebook)."""
    resp = Response(body, content_type=MIMETYPES[fmt])
    resp.headers["Content-Disposition"] = '%s; filename="%s"' % ("inline" if inline else "attachment", filename)
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _audit(action: str, wave_code: str, **details) -> None:
    """Record who downloaded what, committed before the file is sent: no export leaves untraced."""
    user = current_user._get_current_object()
    run_write(lambda: audit.record(db.session, user, action, "wave", wave_code, **details))


def _scope_agency():
    return current_user.agency if current_user.role == "agency_viewer" else None


def _lang() -> str:
    """?lang=vi|en, else the page's language."""
    asked = request.args.get("lang")
    return asked if asked in ("vi", "en") else locale_code()


@bp.route("/report.pdf")
@analyst_required
def report():
    """The wave report as PDF (Vietnamese; ?lang=en for English), limited to the viewer's agencies."""
    ctx = context()
    if ctx.wave is None:
        abort(404)
    lang = "en" if request.args.get("lang") == "en" else "vi"
    pdf = reports.report(
        db.session,
        ctx.wave,
        lang,
        visible=ctx.visible,
        filters=ctx.filters,
        min_n=ctx.min_n,
        province=current_app.config["PROVINCE_NAME"],
        scope_agency=_scope_agency(),
    )
    _audit("export.report", ctx.wave.code, lang=lang, filters=ctx.filters.args())
    return attachment(pdf, "pdf", "bao-cao-%s%s.pdf" % (ctx.wave.code, "-en" if lang == "en" else ""))


@bp.route("/export/<kind>.<fmt>")
@analyst_required
def export(kind: str, fmt: str):
    """Index table (CSV/XLSX), anonymised microdata (CSV/SAV) or codebook (CSV/MD/HTML) of a wave."""
    if fmt not in FORMATS.get(kind, ()):
        abort(404)
    style = csv_style(request.args.get("csv"))
    if style is None:
        return Response(
            _("Tuỳ chọn csv không hợp lệ: dùng csv=vi (Excel tiếng Việt) hoặc csv=intl."),
            400,
            content_type="text/plain; charset=utf-8",
        )
    ctx = context()
    if ctx.wave is None:
        abort(404)
    wave, lang = ctx.wave, _lang()
    if kind == "index" and not ctx.published:  # the index table is the publication's: none yet, no table
        return Response(
            _("Đợt này chưa được công bố nên chưa có bảng chỉ số."), 404, content_type="text/plain; charset=utf-8"
        )
    if kind == "index":
        rows = exports.index_rows(db.session, wave, ctx.filters, ctx.visible, ctx.min_n)
        body = (
            exports.to_csv(exports.INDEX_COLUMNS, rows, style)
            if fmt == "csv"
            else exports.index_xlsx(
                rows,
                exports.index_notes(wave, ctx.filters, ctx.min_n, lang),
                lang,
                exports.index_facts(wave, ctx.shown.view if ctx.shown else None, lang),
            )
        )
    elif kind == "microdata":
        return _microdata(ctx, fmt, style)
    else:  # the codebook of the file this viewer gets: its source, recodes and withheld values (no rows made)
        plan = microdata_release.plan(db.session, wave, ctx.visible, version=ctx.filters.version)
        body = exports.codebook(plan.variables, fmt, "Codebook — " + wave.name, plan.sdc, plan.source, style)
    extra = {"csv": style} if fmt == "csv" else {}
    _audit("export." + kind, wave.code, format=fmt, filters=ctx.filters.args(), **extra)
    return attachment(body, fmt, "%s-%s.%s" % (kind, wave.code, fmt), inline=(kind == "codebook" and fmt == "html"))


def _respondents(ctx) -> int:
    """Respondents of the publication shown (0 for a wave without one: its live rows are few)."""
    return int(ctx.shown.view.table.respondents or 0) if ctx.shown else 0


def _microdata(ctx, fmt: str, style: str):
    """A small wave's microdata file, written to a temporary file and sent; a large one's job page."""
    wave = ctx.wave
    if _respondents(ctx) > int(current_app.config.get("EXPORT_INLINE_ROWS", INLINE_ROWS)):
        return render_template("analyst/export_job.html", ctx=ctx, fmt=fmt, style=style, form=ExportJobForm(),
                               respondents=_respondents(ctx))
    folder = tempfile.mkdtemp(prefix="hailong-export-")
    try:
        path = os.path.join(folder, microdata_jobs.filename(wave, fmt))
        microdata_jobs.export(db.session, wave, fmt, path, visible=ctx.visible, version=ctx.filters.version,
                              style=style)
        extra = {"csv": style} if fmt == "csv" else {}
        _audit("export.microdata", wave.code, format=fmt, filters=ctx.filters.args(), **extra)
        size = os.path.getsize(path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    resp = Response(_stream(path, folder), content_type=MIMETYPES[fmt], direct_passthrough=True)
    resp.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))  # also when the body was never read
    resp.headers["Content-Length"] = str(size)
    resp.headers["Content-Disposition"] = 'attachment; filename="%s"' % os.path.basename(path)
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _stream(path: str, folder: str):
    """The file in blocks of 1 MB, then its temporary folder removed."""
    try:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                yield block
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@bp.route("/export/microdata.<fmt>/job", methods=["POST"])
@analyst_required
def export_job(fmt: str):
    """Start the background job writing the wave's microdata (this viewer's scope); go to its progress page."""
    if fmt not in FORMATS["microdata"]:
        abort(404)
    style = csv_style(request.args.get("csv")) or "vi"
    ctx = context()
    if ctx.wave is None:
        abort(404)
    if not ExportJobForm().validate_on_submit():
        return Response(_("Yêu cầu không hợp lệ."), 400, content_type="text/plain; charset=utf-8")
    user, wave = current_user._get_current_object(), ctx.wave

    def unit():
        try:
            job = microdata_jobs.submit_export(db.session, user, wave, fmt, visible=ctx.visible,
                                               version=ctx.filters.version, style=style, filters=ctx.filters.args())
        except jobs.JobError as exc:
            return refused(Response(str(exc), 400, content_type="text/plain; charset=utf-8"))
        return job.id

    job_id = run_write(unit)
    if isinstance(job_id, Response):
        return job_id
    jobs.launch(current_app._get_current_object(), job_id)
    return redirect(url_for("jobs.show", job_id=job_id), 303)
