"""Exports: index tables (CSV, XLSX) and anonymised microdata (CSV, SPSS .sav) with a codebook.

Privacy rules (docs: the codebook's notes repeat them):
- Microdata rows come from survey.services.results.microdata (weights of the analysis engine,
  shuffled anew at every export) and are rewritten to an allowlist of columns: a per-export row
  number, design variables (stratum, PSU, fpc, final weight), agency/sector/service-point codes,
  dossier outcome, answer mode, and the coded answers. Never: database ids, dossier external ids, invitation ids
  or tokens, phone numbers, device ids, exact timestamps (the wave code is the only time reference).
- Free text is never exported: the open comment question and "other, please specify" texts may
  contain names, phone numbers or addresses; they stay in the database only (no screen or export shows them).
- Agency viewers get only the rows of their agency subtree.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import QuestionnaireVersion, Wave
from survey.services.workspace import dashboard as dash

FORBIDDEN = {"id", "response_id", "invitation_id", "dossier_id", "external_id", "token", "token_hash", "phone",
             "device_id", "uuid", "submitted_at", "started_at", "completed_at", "received_at", "opened_at"}
INDEX_COLUMNS = ["table", "key", "name", "level", "value", "se", "ci_low", "ci_high", "df", "n", "target",
                 "target_year", "status", "rank"]


@dataclass(frozen=True)
class Variable:
    """One microdata column: SPSS-safe name, label, value labels and where it comes from."""

    name: str
    label: str
    kind: str = "numeric"            # numeric | string
    values: dict = field(default_factory=dict)
    source: str = ""
    option: int | None = None        # multiple choice: the option code this 0/1 column stands for


def index_rows(session: Session, wave: Wave, filters: dash.Filters, visible: set[int] | None, min_n: int) -> list:
    """Every index cell of the dashboard as flat rows (overall, parts, elements, items, sectors, agencies, points)."""
    ov = dash.overview(session, wave, filters, visible, min_n)
    nm = dash.names(session)

    def row(table: str, c: dash.Cell, key=None, level="") -> dict:
        e = c.est
        return {"table": table, "key": key if key is not None else c.key, "name": c.label, "level": level,
                "value": _r(e.value) if e else None, "se": _r(e.se) if e else None,
                "ci_low": _r(e.ci_low) if e else None, "ci_high": _r(e.ci_high) if e else None,
                "df": e.df if e else None, "n": c.n, "target": c.target.value if c.target else None,
                "target_year": c.target.year if c.target else None, "status": c.status, "rank": c.rank}

    rows = [row("overall", ov.headline, "SIPAS")]
    rows += [row("part", c) for c in ov.parts] + [row("element", c) for c in ov.elements]
    rows += [row("item", c) for c in ov.items] + [row("sector", c) for c in ov.sectors]
    rows += [row("agency", c, nm["agency"][c.key].code, c.meta.get("level", "")) for c in ov.agencies]
    rows += [row("service_point", c, nm["point"][c.key].code if c.key in nm["point"] else c.key)
             for c in ov.points]
    return rows


def _r(value):
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def to_csv(columns: list[str], rows: list) -> bytes:
    """UTF-8 CSV with a BOM (Excel opens Vietnamese text correctly); rows are dicts or lists."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for r in rows:
        values = [r.get(c) for c in columns] if isinstance(r, dict) else list(r)
        writer.writerow(["" if v is None else v for v in values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def index_xlsx(rows: list, notes: list[str]) -> bytes:
    """One sheet per table (overall, elements…, agencies) plus a notes sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for table in dict.fromkeys(r["table"] for r in rows):
        ws = wb.create_sheet(table[:31])
        ws.append(INDEX_COLUMNS)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            if r["table"] == table:
                ws.append([r.get(c) for c in INDEX_COLUMNS])
        ws.freeze_panes = "A2"
        ws.column_dimensions["C"].width = 48
    ws = wb.create_sheet("notes")
    for line in notes:
        ws.append([line])
    ws.column_dimensions["A"].width = 120
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _spss_name(code: str) -> str:
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in code)
    return name if name[:1].isalpha() else "V" + name


def variables(content: dict) -> list[Variable]:
    """The microdata columns for a questionnaire version: design variables, then coded questions."""
    from survey.services.questionnaires.bank import answer_codes, iter_questions

    out = [Variable("row", "Số thứ tự dòng (ngẫu nhiên trong mỗi tệp, không liên kết được với hệ thống)"),
           Variable("wave", "Mã đợt khảo sát", "string"),
           Variable("stratum", "Tầng mẫu (cơ quan × lĩnh vực)", "string"),
           Variable("psu", "Đơn vị mẫu cấp 1 (mỗi người trả lời là một PSU)"),
           Variable("fpc", "Số hồ sơ của tầng trong kỳ (hiệu chỉnh quần thể hữu hạn)"),
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
    clash = {v.name.lower() for v in out} & FORBIDDEN
    if clash:  # a question coded like an identifier would be ambiguous: refuse rather than guess
        raise ValueError("question codes clash with reserved identifier names: %s" % ", ".join(sorted(clash)))
    return out


def microdata(session: Session, wave: Wave, visible: set[int] | None = None) -> tuple[list[Variable], list[list]]:
    """Anonymised respondent rows of a wave from results.microdata (already shuffled, no ids, texts or
    times), restricted to `visible` agencies, with SPSS-friendly columns: fpc added, multiple choice as
    one 0/1 column per option."""
    from survey.services import results

    md = results.microdata(session, wave.id)
    vars_ = variables(version_content(session, wave))
    col = {c: i for i, c in enumerate(md.columns)}
    nm = dash.names(session)
    codes = {a.code: a for a in nm["agency"].values()}
    allowed = None if visible is None else {nm["agency"][i].code for i in visible if i in nm["agency"]}
    fpc = _stratum_population(session, wave)
    rows = []
    for raw in md.rows:
        if allowed is not None and raw[col["agency"]] not in allowed:
            continue
        row_no = len(rows) + 1  # numbered after filtering, in results' random order
        agency = codes.get(raw[col["agency"]])
        fixed = {"row": row_no, "wave": wave.code, "stratum": raw[col["stratum"]], "psu": row_no,
                 "fpc": fpc.get(raw[col["stratum"]]), "weight": round(float(raw[col["weight"]]), 6),
                 "agency": raw[col["agency"]], "agency_level": agency.level if agency else "",
                 "sector": raw[col["sector"]], "service_point": raw[col["service_point"]],
                 "mode": raw[col["mode"]], "outcome": raw[col["outcome"]]}
        out = []
        for v in vars_:
            if v.name in fixed:
                out.append(fixed[v.name])
            elif v.option is not None:  # 0/1 per option; missing when the question was not answered
                value = raw[col[v.source]] if v.source in col else None
                chosen = {int(x) for x in str(value).split("|")} if value not in (None, "") else None
                out.append(None if chosen is None else int(v.option in chosen))
            else:
                value = raw[col[v.source]] if v.source in col else None
                out.append(int(value) if isinstance(value, (int, float)) or str(value).isdigit() else None)
        rows.append(out)
    return vars_, rows


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


def codebook(vars_: list[Variable], fmt: str, title: str = "") -> bytes:
    """The codebook as CSV, Markdown or HTML: name, label, type, value labels, then the privacy notes."""
    def values(v: Variable) -> str:
        return "; ".join("%s = %s" % (k, t) for k, t in v.values.items())

    if fmt == "csv":
        return to_csv(["variable", "label", "type", "values", "question"],
                      [[v.name, v.label, v.kind, values(v), v.source] for v in vars_] +
                      [["#", note, "", "", ""] for note in PRIVACY_NOTES])
    if fmt == "md":
        lines = ["# " + (title or "Codebook"), "", "| Biến | Nhãn | Kiểu | Giá trị |", "|---|---|---|---|"]
        lines += ["| %s | %s | %s | %s |" % (v.name, v.label.replace("|", "/"), v.kind, values(v).replace("|", "/"))
                  for v in vars_]
        lines += ["", "## Ghi chú", ""] + ["- " + n for n in PRIVACY_NOTES]
        return ("\n".join(lines) + "\n").encode("utf-8")
    if fmt == "html":
        from markupsafe import escape

        rows = "".join("<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            escape(v.name), escape(v.label), escape(v.kind), escape(values(v))) for v in vars_)
        notes = "".join("<li>%s</li>" % escape(n) for n in PRIVACY_NOTES)
        html = ("<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>%s</title>"
                "<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ccc;padding:4px 8px;"
                "text-align:left;vertical-align:top}table{border-collapse:collapse}</style></head><body><h1>%s</h1>"
                "<table><thead><tr><th>Biến</th><th>Nhãn</th><th>Kiểu</th><th>Giá trị</th></tr></thead>"
                "<tbody>%s</tbody></table><h2>Ghi chú</h2><ul>%s</ul></body></html>") % (
            escape(title), escape(title), rows, notes)
        return html.encode("utf-8")
    raise ValueError("codebook format must be csv, md or html")


def version_content(session: Session, wave: Wave) -> dict:
    """The questionnaire content a wave was asked with."""
    return session.get(QuestionnaireVersion, wave.questionnaire_version_id).content


def index_notes(wave: Wave, filters: dash.Filters, min_n: int) -> list[str]:
    """The notes sheet of the XLSX index table: what the columns mean and how status is decided."""
    return [
        "Đợt khảo sát: %s (%s – %s)" % (wave.name, wave.period_start.isoformat(), wave.period_end.isoformat()),
        "Bộ lọc: %s" % (", ".join("%s=%s" % kv for kv in filters.args().items() if kv[0] != "wave") or "không"),
        "value: chỉ số (%), se: sai số chuẩn, ci_low/ci_high: khoảng tin cậy 95 %, df: bậc tự do thiết kế, "
        "n: số người trả lời hợp lệ.",
        "status: meets = cận dưới ≥ mục tiêu; below = cận trên < mục tiêu; nd = chưa phân định; "
        "small = dưới %d câu trả lời (không xếp hạng)." % min_n,
    ]
