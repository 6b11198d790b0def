"""Cells for files a spreadsheet program opens (CSV, XLSX): text is never run as a formula.

Registry names, codes and messages are typed by people; a cell starting with = + - @, a tab or a
carriage return is taken by Excel, LibreOffice and Google Sheets as a formula (or the start of one),
so "=HYPERLINK(...)" in an agency name would run on the analyst's machine. Following OWASP's "CSV
injection" advice, such text gets a leading apostrophe and is shown as typed. Numbers are left alone
(a negative number is data, not a formula); only strings are rewritten. Every CSV and XLSX the
product writes passes its cells through here.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters XLSX (XML 1.0) cannot hold; openpyxl refuses them, so one stray byte in a name would
# turn a download into an error. Tab, line feed and carriage return are allowed.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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


def to_csv(columns: list[str], rows: Iterable[Any]) -> bytes:
    """UTF-8 CSV with a BOM (Excel opens Vietnamese text correctly), CRLF lines, every cell through
    safe_cell; rows are dicts (by column) or sequences; None is written as an empty cell."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(safe_row(columns))
    for r in rows:
        values = [r.get(c) for c in columns] if isinstance(r, Mapping) else list(r)
        writer.writerow(safe_row("" if v is None else v for v in values))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
