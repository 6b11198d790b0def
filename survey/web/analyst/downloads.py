"""Downloads: the PDF report and the exports (index tables, microdata, codebook), scoped like the pages.

Options of the exports (the downloads panel lists them): ?lang=en|vi for the XLSX's language (default:
the page's language); ?csv=intl for a CSV with "," between cells and "." decimals (default ?csv=vi: ";"
and ",", what Excel opens correctly on a computer set to Vietnamese); ?version=N for an older final
publication. Every CSV is sent as text/csv; charset=utf-8.
"""

from __future__ import annotations

from flask import Response, abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from survey.extensions import db
from survey.services.common import audit
from survey.services.common.formats import locale_code
from survey.services.common.spreadsheet import CSV_MIMETYPE, csv_style
from survey.services.common.txn import run_write
from survey.services.workspace import exports, reports
from survey.web.analyst import bp
from survey.web.analyst.common import analyst_required, context

FORMATS = {"index": ("csv", "xlsx"), "microdata": ("csv", "sav"), "codebook": ("csv", "md", "html")}
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
    else:  # microdata, or the codebook of the file this viewer gets: its source, recodes and withheld values
        released = exports.release(db.session, wave, ctx.visible, version=ctx.filters.version)
        if kind == "codebook":
            body = exports.codebook(
                released.variables, fmt, "Codebook — " + wave.name, released.sdc, released.source, style
            )
        elif fmt == "csv":
            body = exports.to_csv([v.name for v in released.variables], released.rows, style)
        else:
            body = exports.microdata_sav(
                released.variables,
                released.rows,
                _sav_label(wave, released.source),
                exports.source_note(released.source),
            )
    extra = {"csv": style} if fmt == "csv" else {}
    _audit("export." + kind, wave.code, format=fmt, filters=ctx.filters.args(), **extra)
    return attachment(body, fmt, "%s-%s.%s" % (kind, wave.code, fmt), inline=(kind == "codebook" and fmt == "html"))


def _sav_label(wave, source) -> str:
    """The .sav file label: the wave and the publication version (or "tạm tính", provisional)."""
    if source is not None and source.kind == "final":
        return "%s v%d" % (wave.code, source.version)
    return "%s tạm tính" % wave.code  # the .sav's labels are Vietnamese, like the file's variable labels
