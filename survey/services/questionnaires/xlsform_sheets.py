"""Reading an XLSForm workbook: sheets as rows keyed by header, translated columns, integer choice names."""
from __future__ import annotations

import io
import re
from typing import Any


class Sheets:
    """The workbook's sheets as lists of (row number, {column: value}) with blank rows dropped."""

    def __init__(self, data: bytes):
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        self.rows: dict[str, list[tuple[int, dict]]] = {}
        for sheet in workbook.worksheets:
            values = list(sheet.iter_rows(values_only=True))
            header = [str(h).strip() if h is not None else "" for h in (values[0] if values else [])]
            rows = []
            for number, raw in enumerate(values[1:], start=2):
                row = {h: cell_text(v) for h, v in zip(header, raw) if h and cell_text(v) != ""}
                if row:
                    rows.append((number, row))
            self.rows[sheet.title.strip().lower()] = rows
        workbook.close()

    def get(self, name: str) -> list[tuple[int, dict]]:
        """Rows of one sheet (empty when the sheet is absent)."""
        return self.rows.get(name, [])


def cell_text(value: Any) -> str:
    """A cell as trimmed text (whole floats without '.0', empty for None)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def language(column: str) -> str | None:
    """'vi' / 'en' for a translated column such as label::Vietnamese (vi); plain `label` counts as vi."""
    if "::" not in column:
        return "vi"
    match = re.search(r"\((vi|en)\)\s*$", column) or re.fullmatch(r"(vi|en)", column.split("::", 1)[1].strip())
    return match.group(1) if match else None


def texts(row: dict, kind: str) -> dict | None:
    """{vi, en} from a row's `kind` columns (label, hint), None when it has none."""
    found = {}
    for column, value in row.items():
        if column == kind or column.startswith(kind + "::"):
            lang = language(column)
            if lang:
                found[lang] = value
    return found or None


def choice_code(value: str) -> int | None:
    """An integer choice name as int, else None."""
    return int(value) if re.fullmatch(r"-?\d+", value) else None
