"""Exports: index tables (CSV, XLSX); the microdata and its codebook live in workspace.microdata.

Every cell a spreadsheet program opens goes through survey.services.common.spreadsheet, so a registry
name such as "=HYPERLINK(...)" is shown as text, never run as a formula.
"""
from __future__ import annotations

import io

import numpy as np
from sqlalchemy.orm import Session

from survey.models import Wave
from survey.services.common.spreadsheet import to_csv, xlsx_row  # noqa: F401  (to_csv: callers use exports.to_csv)
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
    variables,
    version_content,
)

INDEX_COLUMNS = ["table", "key", "name", "level", "value", "se", "ci_low", "ci_high", "df", "n", "target",
                 "target_year", "status", "rank"]


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

def index_xlsx(rows: list, notes: list[str]) -> bytes:
    """One sheet per table (overall, elements…, agencies) plus a notes sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for table in dict.fromkeys(r["table"] for r in rows):
        ws = wb.create_sheet(table[:31])
        ws.append(xlsx_row(INDEX_COLUMNS))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            if r["table"] == table:
                ws.append(xlsx_row(r.get(c) for c in INDEX_COLUMNS))
        ws.freeze_panes = "A2"
        ws.column_dimensions["C"].width = 48
    ws = wb.create_sheet("notes")
    for line in notes:
        ws.append(xlsx_row([line]))
    ws.column_dimensions["A"].width = 120
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

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
