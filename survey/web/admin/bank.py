"""Admin page: the questionnaire bank — instruments and versions, a read-only preview as the citizen sees it,
loading a new version (YAML or XLSForm) with its errors on the page, the mapping between versions."""
from __future__ import annotations

import os
import tempfile

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select

from survey.extensions import db
from survey.models import QuestionnaireVersion
from survey.services.common.txn import refused, run_write
from survey.services.questionnaires import bank, xlsform
from survey.web.admin import bp
from survey.web.auth.access import role_required

KINDS = {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsform"}


class UploadForm(FlaskForm):
    """One questionnaire file: YAML (questionnaires/*.yaml) or an XLSForm workbook."""

    file = FileField(_l("Tệp bộ câu hỏi (.yaml hoặc .xlsx XLSForm)"),
                     validators=[FileRequired(_l("Hãy chọn một tệp."))])


def tr(pair) -> str:
    """The current language's text of a {vi, en} pair (Vietnamese when missing)."""
    if not isinstance(pair, dict):
        return pair or ""
    return pair.get(str(get_locale())) or pair.get("vi") or ""


def _version(version_id: int) -> QuestionnaireVersion:
    found = db.session.get(QuestionnaireVersion, version_id)
    if found is None:
        abort(404)
    return found


def _instruments() -> list[tuple]:
    """(questionnaire, its versions newest first) for every instrument."""
    grouped: dict = {}
    for v in bank.list_versions(db.session):
        grouped.setdefault(v.questionnaire, []).append(v)
    return [(q, list(reversed(vs))) for q, vs in grouped.items()]


def _page(form: UploadForm, errors: list | None = None, status: int = 200):
    return render_template("admin/bank.html", instruments=_instruments(), form=form, errors=errors or [],
                           count=lambda content: sum(1 for _ in bank.iter_questions(content)),
                           tr=tr, english=str(get_locale()) == "en"), status


@bp.route("/bank/", endpoint="bank")
@role_required("admin")
def bank_list():
    """Every instrument with its versions, and the form to load a new version."""
    return _page(UploadForm())


def mapping(version: QuestionnaireVersion) -> dict:
    """How this version relates to others: maps_to rows, versions mapping onto it, items changed since the last."""
    content = version.content
    maps = content.get("maps_to") or {}
    target = bank.get_version(db.session, maps["instrument"]) if maps else None
    target_texts = {q["code"]: q["text"] for q in bank.iter_questions(target.content)} if target else {}
    texts = {q["code"]: q["text"] for q in bank.iter_questions(content)}
    rows = [(src, texts.get(src), dst, target_texts.get(dst)) for src, dst in maps.get("items", {}).items()]
    sources = [v for v in bank.list_versions(db.session)
               if (v.content.get("maps_to") or {}).get("instrument") == content["instrument"]]
    previous = db.session.scalars(
        select(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire_id == version.questionnaire_id,
                                           QuestionnaireVersion.id < version.id)
        .order_by(QuestionnaireVersion.id.desc())).first()
    changes = None
    if previous is not None:
        old = {q["code"]: q["text"] for q in bank.iter_questions(previous.content)}
        changes = {"previous": previous, "added": [c for c in texts if c not in old],
                   "removed": [c for c in old if c not in texts],
                   "reworded": [c for c in texts if c in old and old[c] != texts[c]]}
    return {"target": maps.get("instrument"), "target_version": target, "rows": rows, "sources": sources,
            "changes": changes}


@bp.route("/bank/versions/<int:version_id>")
@role_required("admin")
def bank_preview(version_id: int):
    """One version as the citizen sees it (every screen, read-only), its index tree and its mapping."""
    version = _version(version_id)
    return render_template("admin/bank_version.html", version=version, content=version.content,
                           scales=version.content.get("scales", {}), tr=tr, mapping=mapping(version),
                           structure=bank.index_structure(version.content))


@bp.route("/bank/versions/<int:version_id>/xlsform")
@role_required("admin")
def bank_xlsform(version_id: int):
    """The version as an XLSForm workbook (the same file as `hailong questionnaires export-xlsform`)."""
    import io

    version = _version(version_id)
    data = xlsform.export_xlsx(version.content)
    name = f"{version.questionnaire.instrument}-{version.version}.xlsx"
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _load(name: str, data: bytes) -> bank.LoadResult:
    """Load an uploaded file by its kind; QuestionnaireError carries the problems."""
    if KINDS[os.path.splitext(name)[1].lower()] == "xlsform":
        return xlsform.load_xlsx(db.session, data, name, actor=current_user)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, name)
        with open(path, "wb") as fh:
            fh.write(data)
        return bank.load_file(db.session, path, actor=current_user)


@bp.route("/bank/", methods=["POST"])
@role_required("admin")
def bank_upload():
    """Load a new version from an uploaded file; every problem is listed on the page and nothing is stored."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    upload = form.file.data
    name = os.path.basename((upload.filename or "").replace("\\", "/"))[:200] or "upload"
    if os.path.splitext(name)[1].lower() not in KINDS:
        form.file.errors.append(_("Chỉ nhận tệp .yaml, .yml hoặc .xlsx (XLSForm)."))
        return _page(form, status=400)
    data = upload.read()

    def unit():
        try:
            result = _load(name, data)
        except bank.QuestionnaireError as exc:
            return refused(_page(form, exc.errors, 422))
        if result.status == "loaded":
            flash(_("Đã nạp %(instrument)s phiên bản %(version)s.", instrument=result.instrument,
                    version=result.version), "success")
        else:
            flash(_("%(instrument)s phiên bản %(version)s đã có, nội dung không đổi.", instrument=result.instrument,
                    version=result.version), "info")
        return redirect(url_for("admin.bank_preview", version_id=result.version_id))
    return run_write(unit)
