"""Cells for files a spreadsheet program opens (CSV, XLSX): text is never run as a formula, numbers stay numbers.

Registry names, codes and messages are typed by people; a cell starting with = + - @, a tab or a
carriage return is taken by Excel, LibreOffice and Google Sheets as a formula (or the start of one),
so "=HYPERLINK(...)" in an agency name would run on the analyst's machine. Following OWASP's "CSV
injection" advice, such text gets a leading apostrophe and is shown as typed. Numbers are left alone
(a negative number is data, not a formula); only strings are rewritten. Every CSV and XLSX the
product writes passes its cells through here.

CSV comes in two styles (CSV_STYLES). "vi", the default, is what Excel opens correctly on a computer
set to Vietnamese (Windows' list separator there is ";" and the decimal sign ","): UTF-8 with a BOM,
";" between cells, "85,4" and dates as 31/12/2025. "intl" is what R's read.csv, Stata, pandas and an
English Excel expect: "," between cells, "85.4", ISO dates 2025-12-31. Both keep full precision.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters XLSX (XML 1.0) cannot hold; openpyxl refuses them, so one stray byte in a name would
# turn a download into an error. Tab, line feed and carriage return are allowed.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

CsvStyle = Literal["vi", "intl"]
CSV_STYLES: dict[str, tuple[str, str]] = {"vi": (";", ","), "intl": (",", ".")}  # style → (separator, decimal)
CSV_MIMETYPE = "text/csv; charset=utf-8"  # the one Content-Type of every CSV download


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should store it: text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through safe_cell."""
    return [safe_cell(v) for v in values]


def safe_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """A csv.DictWriter row with every value through safe_cell."""
    return {k: safe_cell(v) for k, v in row.items()}


def xlsx_cell(value: Any) -> Any:
    """safe_cell for openpyxl: also drops the control characters an XLSX file cannot contain."""
    if isinstance(value, str):
        value = _XML_ILLEGAL.sub("", value)
    return safe_cell(value)


def xlsx_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a worksheet row through xlsx_cell."""
    return [xlsx_cell(v) for v in values]


def csv_style(value: str | None) -> CsvStyle | None:
    """The CSV style a request asked for ("vi" when it asked for none), or None when it is not one we write."""
    if value in (None, ""):
        return "vi"
    return value if value in CSV_STYLES else None  # type: ignore[return-value]


def csv_value(value: Any, style: CsvStyle = "vi") -> Any:
    """One CSV cell in `style`: numbers with the style's decimal sign (full precision), dates as the style
    writes them, booleans as 1/0, None empty, text through safe_cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):  # a missing value
            return ""
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        return text.replace(".", CSV_STYLES[style][1])
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M" if style == "vi" else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y") if style == "vi" else value.isoformat()
    return safe_cell(value if isinstance(value, str) else str(value))


def to_csv(columns: Sequence[str], rows: Iterable[Any], style: CsvStyle = "vi") -> bytes:
    """UTF-8 CSV with a BOM (Excel opens Vietnamese text correctly), CRLF lines, in `style` (see the module
    docstring); rows are dicts (by column) or sequences; text cells through safe_cell."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=CSV_STYLES[style][0], lineterminator="\r\n")
    writer.writerow(safe_row(columns))
    for r in rows:
        values = [r.get(c) for c in columns] if isinstance(r, Mapping) else list(r)
        writer.writerow([csv_value(v, style) for v in values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_table(
    ws: Any,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    number_formats: Sequence[str | None],
    widths: Sequence[float],
) -> None:
    """Write a table to an openpyxl worksheet: a bold, wrapped, frozen header row with a filter, the given
    column widths and, on every number or date cell, its column's number format (None: left as General)."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.append(xlsx_row(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for values in rows:
        ws.append(xlsx_row(values))
        for cell, fmt in zip(ws[ws.max_row], number_formats):
            if fmt and isinstance(cell.value, (int, float, date)) and not isinstance(cell.value, bool):
                cell.number_format = fmt
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    if ws.max_row > 1:
        ws.auto_filter.ref = "A1:%s%d" % (get_column_letter(len(header)), ws.max_row)
