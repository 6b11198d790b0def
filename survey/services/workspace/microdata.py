"""Microdata of a wave as released: anonymised, under disclosure control, with SPSS labels and a codebook.

Privacy rules (the codebook's notes repeat them):
- Rows come from survey.services.results.microdata (weights of the analysis engine, shuffled anew at
  every export) and are rewritten to an allowlist of columns: a per-export row number, design
  variables (stratum, PSU, fpc, final weight), agency/sector/service-point codes, dossier outcome,
  answer mode, the coded answers and the disclosure-control flag. Never: database ids, dossier
  external ids, invitation ids or tokens, phone numbers, device ids, exact timestamps (the wave code
  is the only time reference).
- Free text is never exported: the open comment question and "other, please specify" texts may
  contain names, phone numbers or addresses; they stay in the database only.
- Agency viewers get only the rows of their agency subtree.
- Statistical disclosure control (survey.services.workspace.sdc): every combination of the
  quasi-identifiers (agency, sector, service point, outcome, mode, profile questions) has at least
  k = HAILONG_SDC_K rows, by collapsing strata, recoding and withholding values.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import QuestionnaireVersion, Wave
from survey.services.common.spreadsheet import to_csv
from survey.services.workspace import dashboard as dash
from survey.services.workspace import sdc

FORBIDDEN = {"id", "response_id", "invitation_id", "dossier_id", "external_id", "token", "token_hash", "phone",
             "device_id", "uuid", "submitted_at", "started_at", "completed_at", "received_at", "opened_at"}


@dataclass(frozen=True)
class Variable:
    """One microdata column: SPSS-safe name, label, value labels and where it comes from."""

    name: str
    label: str
    kind: str = "numeric"            # numeric | string
    values: dict = field(default_factory=dict)
    source: str = ""
    option: int | None = None        # multiple choice: the option code this 0/1 column stands for


def _spss_name(code: str) -> str:
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in code)
    return name if name[:1].isalpha() else "V" + name


def variables(content: dict) -> list[Variable]:
    """The microdata columns for a questionnaire version: design variables, then coded questions."""
    from survey.services.questionnaires.bank import answer_codes, iter_questions

    out = [Variable("row", "Số thứ tự dòng (ngẫu nhiên trong mỗi tệp, không liên kết được với hệ thống)"),
           Variable("wave", "Mã đợt khảo sát", "string"),
           Variable("stratum", "Tầng (cơ quan × lĩnh vực; tầng có dưới k người trả lời được gộp, xem ghi chú)",
                    "string"),
           Variable("psu", "Đơn vị mẫu cấp 1 (mỗi người trả lời là một PSU)"),
           Variable("fpc", "Số hồ sơ của tầng trong kỳ (tầng gộp: tổng các tầng; hiệu chỉnh quần thể hữu hạn)"),
           Variable("weight", "Trọng số cuối cùng: 1/π, điều chỉnh không trả lời, hiệu chỉnh theo số hồ sơ"),
           Variable("agency", "Mã cơ quan giải quyết hồ sơ", "string"),
           Variable("agency_level", "Cấp cơ quan", "string"), Variable("sector", "Mã lĩnh vực", "string"),
           Variable("service_point", "Mã điểm phục vụ", "string"),
           Variable("mode", "Cách trả lời (link: đường liên kết, kiosk: máy tại quầy)", "string"),
           Variable("outcome", "Kết quả giải quyết hồ sơ (approved, rejected, withdrawn)", "string")]
    for q in iter_questions(content):
        if q.get("type") == "text":
            continue  # free text is never exported (it may identify the respondent)
        label = (q.get("text") or {}).get("vi", q["code"]) if isinstance(q.get("text"), dict) else q["code"]
        codes = {int(c["code"]): (c.get("label") or {}).get("vi", str(c["code"])) for c in answer_codes(content, q)}
        if q.get("type") == "multiple":
            for code, text in codes.items():
                out.append(Variable(_spss_name("%s_%d" % (q["code"], code)), "%s — %s" % (label, text),
                                    values={0: "Không chọn", 1: "Có chọn"}, source=q["code"], option=code))
        else:
            out.append(Variable(_spss_name(q["code"]), label, values=codes, source=q["code"]))
    out.append(Variable(sdc.FLAG, "Các biến bị để trống để bảo vệ người trả lời (kiểm soát công bố thống kê), "
                                  "cách nhau bởi dấu cách", "string"))
    clash = {v.name.lower() for v in out} & FORBIDDEN
    if clash:  # a question coded like an identifier would be ambiguous: refuse rather than guess
        raise ValueError("question codes clash with reserved identifier names: %s" % ", ".join(sorted(clash)))
    return out


@dataclass(frozen=True)
class Release:
    """Microdata as released: its columns (value labels after recoding), rows and what disclosure control did."""

    variables: list[Variable]
    rows: list[list]
    sdc: sdc.Report


def sdc_k() -> int:
    """HAILONG_SDC_K from the app config (5 outside an app): each released combination has at least k rows."""
    try:
        from flask import current_app

        return int(current_app.config.get("SDC_K", 5))
    except RuntimeError:
        return 5


def release(session: Session, wave: Wave, visible: set[int] | None = None, k: int | None = None) -> Release:
    """Anonymised respondent rows of a wave from results.microdata (already shuffled, no ids, texts or
    times), restricted to `visible` agencies, under disclosure control (survey.services.workspace.sdc,
    k = HAILONG_SDC_K unless given), with SPSS-friendly columns: fpc of the released strata, multiple
    choice as one 0/1 column per option, the flag of withheld values."""
    from survey.services import results

    md = results.microdata(session, wave.id)
    content = version_content(session, wave)
    vars_ = variables(content)
    col = {c: i for i, c in enumerate(md.columns)}
    nm = dash.names(session)
    agencies = nm["agency"]
    allowed = None if visible is None else {agencies[i].code for i in visible if i in agencies}
    records = []
    for raw in md.rows:
        if allowed is not None and raw[col["agency"]] not in allowed:
            continue
        rec = {name: raw[col[name]] for name in ("stratum", "agency", "sector", "service_point", "mode", "outcome")}
        rec["weight"] = round(float(raw[col["weight"]]), 6)
        for v in vars_:
            if not v.source:
                continue
            value = raw[col[v.source]] if v.source in col else None
            if v.option is not None:  # 0/1 per option; missing when the question was not answered
                chosen = {int(x) for x in str(value).split("|")} if value not in (None, "") else None
                rec[v.name] = None if chosen is None else int(v.option in chosen)
            else:
                rec[v.name] = int(value) if isinstance(value, (int, float)) or str(value).isdigit() else None
        records.append(rec)
    parents = {a.code: agencies[a.parent_id].code if a.parent_id in agencies else None for a in agencies.values()}
    level = {a.code: a.level for a in agencies.values()}
    done = sdc.protect(records, k=sdc_k() if k is None else k, scheme=(wave.design or {}).get("scheme", ""),
                       agencies=parents, population=_stratum_population(session, wave),
                       profile=profile_units(content, vars_))
    vars_ = [replace(v, values=done.labels[v.name]) if v.name in done.labels else v for v in vars_]
    rows = []
    for row_no, rec in enumerate(done.records, 1):  # numbered after filtering, in results' random order
        fixed = {"row": row_no, "wave": wave.code, "psu": row_no, "fpc": done.fpc.get(rec["stratum"]),
                 "agency_level": level.get(rec["agency"], "") if rec["agency"] else None}
        rows.append([fixed[v.name] if v.name in fixed else rec.get(v.name) for v in vars_])
    return Release(vars_, rows, done.report)


def microdata(session: Session, wave: Wave, visible: set[int] | None = None) -> tuple[list[Variable], list[list]]:
    """(columns, rows) of release(): the microdata under disclosure control."""
    out = release(session, wave, visible)
    return out.variables, out.rows


def is_profile(question: dict) -> bool:
    """A demographic question: instruments put them in a section named "profile" or "profile_…"."""
    section = question.get("section", "")
    return section == "profile" or section.startswith("profile_")


def profile_units(content: dict, vars_: list[Variable]) -> list[sdc.Unit]:
    """The instrument's profile questions as quasi-identifiers, in questionnaire order."""
    from survey.services.questionnaires.bank import iter_questions

    units = []
    for q in iter_questions(content):
        if not is_profile(q) or q.get("type") == "text":
            continue
        cols = [v for v in vars_ if v.source == q["code"]]
        if q.get("type") == "multiple":
            units.append(sdc.Unit(_spss_name(q["code"]), tuple(v.name for v in cols), "binary"))
        elif cols:
            units.append(sdc.Unit(cols[0].name, (cols[0].name,), "ordered", dict(cols[0].values)))
    return units


def _stratum_population(session: Session, wave: Wave) -> dict:
    from survey.models import WaveStratum

    return {k: p for k, p in session.execute(select(WaveStratum.key, WaveStratum.population)
                                             .where(WaveStratum.wave_id == wave.id))}


def microdata_sav(vars_: list[Variable], rows: list, label: str = "") -> bytes:
    """SPSS .sav with variable labels and value labels (pyreadstat; UTF-8 text)."""
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame(rows, columns=[v.name for v in vars_])
    for v in vars_:
        if v.kind == "numeric":
            frame[v.name] = pd.to_numeric(frame[v.name], errors="coerce").astype("float64")
        else:
            frame[v.name] = frame[v.name].fillna("").astype(str)
    fd, path = tempfile.mkstemp(suffix=".sav")
    os.close(fd)
    try:
        pyreadstat.write_sav(frame, path, file_label=label[:64],
                             column_labels={v.name: v.label[:256] for v in vars_},
                             variable_value_labels={v.name: {float(k): t for k, t in v.values.items()}
                                                    for v in vars_ if v.values})
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


PRIVACY_NOTES = [
    "Không có dữ liệu cá nhân: không có số điện thoại, mã hồ sơ, mã phiếu mời, mã thiết bị hay thời điểm chính xác.",
    "Câu trả lời dạng văn bản tự do (góp ý, “khác, ghi rõ”) không bao giờ được xuất"
    " vì có thể chứa họ tên, số điện thoại.",
    "Số thứ tự dòng được xáo trộn ngẫu nhiên ở mỗi lần xuất, không liên kết được với hệ thống.",
    "Thiết kế mẫu (R): svydesign(ids = ~1, strata = ~stratum, fpc = ~fpc, weights = ~weight, data = d); "
    "trọng số đã được hiệu chỉnh theo số hồ sơ (cơ quan × lĩnh vực), nên sai số chuẩn tính như vậy hơi lớn hơn "
    "(thận trọng) so với bảng chỉ số của hệ thống. Chỉ số của một tiêu chí = tỷ lệ có trọng số của mã 4 và 5 "
    "trong các mã 1–5.",
    "Stata: svyset psu [pweight = weight], strata(stratum) fpc(fpc).  SPSS: Complex Samples với cùng các biến.",
]


def sdc_notes(report: sdc.Report | None = None) -> list[str]:
    """What disclosure control promises and, given one export's report, what it did there."""
    k = report.k if report is not None else sdc_k()
    out = ["Kiểm soát công bố thống kê (k = %d): mỗi tổ hợp giá trị của agency, sector, service_point, outcome, mode "
           "và các câu hỏi về người trả lời có ít nhất %d dòng. Cách làm (như sdcMicro, không có bước ngẫu nhiên): "
           "gộp tầng nhỏ, mã hoá lại nhóm hiếm (“khác”, cơ quan cấp trên, gộp nhóm liền kề như nhóm tuổi), rồi "
           "để trống từng giá trị cho đến khi đạt; biến %s ghi tên các biến bị để trống ở mỗi dòng (dù ô đó "
           "có được trả lời hay không)." % (k, k, sdc.FLAG),
           "Tầng có dưới k người trả lời được gộp (lĩnh vực → “khác”, rồi cơ quan → cơ quan cấp trên); fpc của tầng "
           "gộp là tổng số hồ sơ của các tầng trong đó. Trọng số giữ nguyên nên ước lượng điểm không đổi; sai số chuẩn "
           "có thể lớn hơn một chút (thận trọng). Đánh đổi: trọng số khác nhau giữa các ô cơ quan × lĩnh vực, nên ai "
           "biết chính xác số hồ sơ của từng ô có thể đoán ô của một dòng."]
    if report is None:
        return out
    if report.withheld_rows:
        out.append("Phạm vi này chỉ có %d người trả lời, ít hơn k: không xuất dòng nào." % report.withheld_rows)
    out += ["Mã hoá lại %s: %s → %s." % (r.variable, ", ".join(r.original), r.released) for r in report.recodes]
    detail = ", ".join("%s %d" % kv for kv in sorted(report.suppressed.items()))
    out.append("Trong tệp này: %d dòng, %d tầng công bố (%d tầng mẫu được gộp), %d giá trị đã trả lời bị để trống%s; "
               "%d dòng bị để trống toàn bộ chỉ để nhóm đủ k." % (report.rows, report.strata, report.strata_collapsed,
                                                              report.total_suppressed,
                                                              " (%s)" % detail if detail else "", report.filled))
    return out


def codebook(vars_: list[Variable], fmt: str, title: str = "", report: sdc.Report | None = None) -> bytes:
    """The codebook as CSV, Markdown or HTML: name, label, type, value labels, then the privacy notes and
    disclosure control (with `report`, the export's own k, recodes and counts of withheld values)."""
    notes = PRIVACY_NOTES + sdc_notes(report)

    def values(v: Variable) -> str:
        return "; ".join("%s = %s" % (k, t) for k, t in v.values.items())

    if fmt == "csv":
        return to_csv(["variable", "label", "type", "values", "question"],
                      [[v.name, v.label, v.kind, values(v), v.source] for v in vars_] +
                      [["#", note, "", "", ""] for note in notes])
    if fmt == "md":
        lines = ["# " + (title or "Codebook"), "", "| Biến | Nhãn | Kiểu | Giá trị |", "|---|---|---|---|"]
        lines += ["| %s | %s | %s | %s |" % (v.name, v.label.replace("|", "/"), v.kind, values(v).replace("|", "/"))
                  for v in vars_]
        lines += ["", "## Ghi chú", ""] + ["- " + n for n in notes]
        return ("\n".join(lines) + "\n").encode("utf-8")
    if fmt == "html":
        from markupsafe import escape

        rows = "".join("<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            escape(v.name), escape(v.label), escape(v.kind), escape(values(v))) for v in vars_)
        items = "".join("<li>%s</li>" % escape(n) for n in notes)
        html = ("<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>%s</title>"
                "<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ccc;padding:4px 8px;"
                "text-align:left;vertical-align:top}table{border-collapse:collapse}</style></head><body><h1>%s</h1>"
                "<table><thead><tr><th>Biến</th><th>Nhãn</th><th>Kiểu</th><th>Giá trị</th></tr></thead>"
                "<tbody>%s</tbody></table><h2>Ghi chú</h2><ul>%s</ul></body></html>") % (
            escape(title), escape(title), rows, items)
        return html.encode("utf-8")
    raise ValueError("codebook format must be csv, md or html")


def version_content(session: Session, wave: Wave) -> dict:
    """The questionnaire content a wave was asked with."""
    return session.get(QuestionnaireVersion, wave.questionnaire_version_id).content

