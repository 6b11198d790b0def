"""Exports: index tables (CSV, XLSX); the microdata and its codebook live in workspace.microdata.

Every cell a spreadsheet program opens goes through survey.services.common.spreadsheet, so a registry
name such as "=HYPERLINK(...)" is shown as text, never run as a formula. The CSV keeps machine-readable
column names and status codes (meets, below, nd, small) in the CSV style asked for; the XLSX is for
reading: headers and status words in Vietnamese (English on request), percentages as real percentages
with one decimal, counts with grouping, dates as dates, a frozen header row and set column widths.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from survey.models import Wave
from survey.services.common.formats import excel_format, local_day
from survey.services.common.spreadsheet import to_csv, xlsx_row, xlsx_table  # noqa: F401  (callers: exports.to_csv)
from survey.services.workspace import dashboard as dash
from survey.services.workspace.microdata import (  # noqa: F401  (the download view and the CLI use them from here)
    FORBIDDEN,
    PRIVACY_NOTES,
    Release,
    Variable,
    codebook,
    microdata,
    microdata_sav,
    release,
    source_note,
    variables,
    version_content,
)

INDEX_COLUMNS = [
    "table",
    "key",
    "name",
    "level",
    "value",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "n",
    "target",
    "target_year",
    "status",
    "rank",
]
# The XLSX's column headers, table names and status words: (Vietnamese, English).
HEADERS = {
    "table": ("Bảng", "Table"),
    "key": ("Mã", "Code"),
    "name": ("Tên", "Name"),
    "level": ("Cấp", "Level"),
    "value": ("Chỉ số", "Index"),
    "se": ("Sai số chuẩn", "Standard error"),
    "ci_low": ("Cận dưới KTC 95 %", "95% CI lower bound"),
    "ci_high": ("Cận trên KTC 95 %", "95% CI upper bound"),
    "df": ("Bậc tự do", "Degrees of freedom"),
    "n": ("Số người trả lời", "Respondents"),
    "target": ("Mục tiêu", "Target"),
    "target_year": ("Năm mục tiêu", "Target year"),
    "status": ("Đánh giá", "Status"),
    "rank": ("Xếp hạng", "Rank"),
}
TABLES = {
    "overall": ("Tổng thể", "Overall"),
    "part": ("Phần", "Part"),
    "element": ("Yếu tố", "Element"),
    "item": ("Tiêu chí", "Item"),
    "sector": ("Lĩnh vực", "Sector"),
    "agency": ("Cơ quan", "Agency"),
    "service_point": ("Điểm phục vụ", "Service point"),
}
STATUS_WORDS = {
    "meets": ("Đạt mục tiêu", "Meets the target"),
    "below": ("Dưới mục tiêu", "Below the target"),
    "nd": ("Chưa phân định", "Not distinguishable"),
    "small": ("Quá ít câu trả lời", "Too few answers"),
}
LEVELS = {
    "province": ("Cấp tỉnh", "Province"),
    "department": ("Sở, ban, ngành", "Department"),
    "district": ("Cấp huyện", "District"),
    "commune": ("Cấp xã", "Commune"),
    "ward": ("Phường", "Ward"),
    "special_zone": ("Đặc khu", "Special zone"),
    "central": ("Cơ quan ngành dọc", "Central agency"),
    "health_facility": ("Cơ sở y tế", "Health facility"),
    "school": ("Trường học", "School"),
}
PERCENT = {"value", "ci_low", "ci_high", "target"}  # in percent points in the rows; a share (0.854) in the XLSX
FORMATS = {
    "value": "pct",
    "ci_low": "pct",
    "ci_high": "pct",
    "target": "pct",
    "se": "0.00%",
    "df": "num",
    "n": "num",
    "target_year": "0",
    "rank": "0",
}
WIDTHS = {"table": 14, "key": 16, "name": 48, "level": 12, "status": 20}


def index_rows(session: Session, wave: Wave, filters: dash.Filters, visible: set[int] | None, min_n: int) -> list:
    """Every index cell of the dashboard as flat rows (overall, parts, elements, items, sectors, agencies, points)."""
    ov = dash.overview(session, wave, filters, visible, min_n)
    nm = dash.names(session)

    def row(table: str, c: dash.Cell, key=None, level="") -> dict:
        e = c.est
        return {
            "table": table,
            "key": key if key is not None else c.key,
            "name": c.label,
            "level": level,
            "value": _r(e.value) if e else None,
            "se": _r(e.se) if e else None,
            "ci_low": _r(e.ci_low) if e else None,
            "ci_high": _r(e.ci_high) if e else None,
            "df": e.df if e else None,
            "n": c.n,
            "target": c.target.value if c.target else None,
            "target_year": c.target.year if c.target else None,
            "status": c.status,
            "rank": c.rank,
            "name_en": c.label_in("en"),
        }

    rows = [row("overall", ov.headline, "SIPAS")]
    rows += [row("part", c) for c in ov.parts] + [row("element", c) for c in ov.elements]
    rows += [row("item", c) for c in ov.items] + [row("sector", c) for c in ov.sectors]
    rows += [row("agency", c, nm["agency"][c.key].code, c.meta.get("level", "")) for c in ov.agencies]
    rows += [row("service_point", c, nm["point"][c.key].code if c.key in nm["point"] else c.key) for c in ov.points]
    return rows


def _r(value):
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def _xlsx_value(column: str, row: dict, lang: str) -> Any:
    """A row's cell as the XLSX holds it: shares for percentages, words for table and status."""
    value = row.get(column)
    en = lang == "en"
    if column == "name" and en:
        return row.get("name_en") or value
    if column == "table":
        return TABLES.get(value, (value, value))[en]
    if column == "status":
        return STATUS_WORDS[value][en] if value in STATUS_WORDS else value
    if column == "level":
        return LEVELS[value][en] if value in LEVELS else value
    if column in PERCENT or column == "se":
        return None if value is None else float(value) / 100
    return value


def index_xlsx(rows: list, notes: list[str], lang: str = "vi", facts: list | tuple = ()) -> bytes:
    """One sheet per table (overall, elements…, agencies) plus a notes sheet; `lang` "vi" or "en" for the
    headers, table names, status words and date formats; `facts` [(label, value)] open the notes sheet
    (a date is written as a date)."""
    from openpyxl import Workbook

    en = lang == "en"
    wb = Workbook()
    wb.remove(wb.active)
    header = [HEADERS[c][en] for c in INDEX_COLUMNS]
    fmts = [
        excel_format(FORMATS[c], lang) if FORMATS.get(c) in ("pct", "num") else FORMATS.get(c) for c in INDEX_COLUMNS
    ]
    widths = [WIDTHS.get(c, max(11, len(HEADERS[c][en]) * 0.9 + 2)) for c in INDEX_COLUMNS]
    for table in dict.fromkeys(r["table"] for r in rows):
        ws = wb.create_sheet(table[:31])  # sheet names stay the table codes: scripts and links find them
        xlsx_table(
            ws,
            header,
            ([_xlsx_value(c, r, lang) for c in INDEX_COLUMNS] for r in rows if r["table"] == table),
            fmts,
            widths,
        )
    ws = wb.create_sheet("notes")
    for label, value in facts:
        ws.append(xlsx_row([label, value]))
        if isinstance(value, date):
            ws.cell(ws.max_row, 2).number_format = excel_format("day", lang)
    if facts:
        ws.append([])
    for line in notes:
        ws.append(xlsx_row([line]))
    ws.column_dimensions["A"].width = 120 if not facts else 40
    ws.column_dimensions["B"].width = 60
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def index_facts(wave: Wave, view: Any | None, lang: str = "vi") -> list[tuple[str, Any]]:
    """The notes sheet's opening rows: wave, period (dates) and which publication the numbers are."""
    en = lang == "en"
    out: list[tuple[str, Any]] = [
        ("Survey wave" if en else "Đợt khảo sát", "%s (%s)" % (wave.name, wave.code)),
        ("From" if en else "Từ ngày", wave.period_start),
        ("To" if en else "Đến ngày", wave.period_end),
    ]
    if view is not None:
        kind = str(view.kind)
        text = (
            ("Final publication, version %d" if en else "Công bố chính thức, phiên bản %d") % view.version
            if kind == "final"
            else ("Provisional figures" if en else "Số liệu tạm tính")
        )
        out += [
            ("Figures" if en else "Số liệu", text),
            ("Published on" if en else "Ngày công bố", local_day(view.published_at)),
        ]
    return out


def index_notes(wave: Wave, filters: dash.Filters, min_n: int, lang: str = "vi") -> list[str]:
    """The notes sheet of the XLSX index table: what the columns mean and how status is decided."""
    chosen = ", ".join("%s=%s" % kv for kv in filters.args().items() if kv[0] != "wave")
    if lang == "en":
        return [
            "Survey wave: %s (%s – %s)" % (wave.name, wave.period_start.isoformat(), wave.period_end.isoformat()),
            "Filters: %s" % (chosen or "none"),
            "Index: satisfaction index (percent); standard error; 95% confidence interval; degrees of freedom of "
            "the design; respondents: valid answers.",
            "Status: meets the target = CI lower bound ≥ target; below = CI upper bound < target; not "
            "distinguishable otherwise; too few answers = under %d answers (not ranked)." % min_n,
        ]
    return [
        "Đợt khảo sát: %s (%s – %s)" % (wave.name, wave.period_start.isoformat(), wave.period_end.isoformat()),
        "Bộ lọc: %s" % (chosen or "không"),
        "Chỉ số: chỉ số hài lòng (%); sai số chuẩn; khoảng tin cậy (KTC) 95 %; bậc tự do của thiết kế; "
        "số người trả lời hợp lệ.",
        "Đánh giá: Đạt mục tiêu = cận dưới KTC ≥ mục tiêu; Dưới mục tiêu = cận trên KTC < mục tiêu; còn lại là "
        "Chưa phân định; Quá ít câu trả lời = dưới %d câu trả lời (không xếp hạng)." % min_n,
    ]
