"""Microdata files written row by row to a path: CSV, XLSX (openpyxl's write-only mode) and SPSS .sav.

Each writer takes the columns and an iterator of rows (microdata_release.Plan.rows), so a file of a million
respondents is written holding one chunk of rows. The CSV is byte for byte what spreadsheet.to_csv makes.

pyreadstat (ReadStat) writes a .sav only from a whole DataFrame. An uncompressed .sav is a dictionary
(header, variables, labels, documents) followed by fixed-width cases, so the dictionary is taken from
pyreadstat itself, writing a one-case frame whose string columns hold the longest value of the file and
whose dates are set when the file has any (what decides the dictionary), and the cases are appended here:
numbers as little-endian doubles (missing: SPSS's system-missing, -DBL_MAX), dates as seconds since
14 October 1582, strings as UTF-8 padded with spaces to their width rounded up to 8 bytes (a date column without
any date is an empty string column to pyreadstat, and so here). The case count
is then set in the header and the long case-count record. A file this cannot describe exactly (a string
over 255 bytes, a layout it does not expect) is written by pyreadstat from the whole frame instead.
"""

from __future__ import annotations

import csv
import math
import struct
from collections.abc import Iterable
from datetime import date, datetime

from survey.services.common.spreadsheet import CSV_STYLES, CsvStyle, csv_value, safe_row, xlsx_row
from survey.services.workspace.microdata import Variable, microdata_sav

SYSMIS = struct.pack("<d", -1.7976931348623157e308)
SPSS_EPOCH = date(1582, 10, 14)
LONG_COUNT = struct.pack("<iiii", 7, 16, 8, 2)  # extension record 7.16: the case count as 64 bits
LONGEST = 255  # longer strings are split into segments by SPSS: left to pyreadstat


def write_csv(path: str, columns: list[str], rows: Iterable[list], style: CsvStyle = "vi") -> int:
    """Write the CSV spreadsheet.to_csv would make (BOM, CRLF, `style`) row by row; returns the rows written."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("\ufeff")
        writer = csv.writer(fh, delimiter=CSV_STYLES[style][0], lineterminator="\r\n")
        writer.writerow(safe_row(columns))
        for row in rows:
            writer.writerow([csv_value(v, style) for v in row])
            n += 1
    return n


def write_xlsx(path: str, vars_: list[Variable], rows: Iterable[list], sheet: str = "microdata") -> int:
    """Write an XLSX of one sheet, the variable names as its frozen header row, dates as dates (day first),
    in openpyxl's write-only mode (rows go to disk as they come); returns the rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"
    ws.append(xlsx_row(v.name for v in vars_))
    dates = [i for i, v in enumerate(vars_) if v.kind == "date"]
    n = 0
    for row in rows:
        values = xlsx_row(row)
        for i in dates:
            if values[i] is not None:
                cell = WriteOnlyCell(ws, value=values[i])
                cell.number_format = "dd/mm/yyyy"
                values[i] = cell
        ws.append(values)
        n += 1
    wb.save(path)
    return n


def _text(value) -> bytes:
    return ("" if value is None else str(value)).encode("utf-8")


def _template(vars_: list[Variable], strings: dict[str, bytes], dates: dict[str, date | None]) -> list:
    """The one case pyreadstat writes for the dictionary: longest strings, a date where the file has one."""
    out = []
    for v in vars_:
        if v.kind == "string":
            out.append(strings.get(v.name, b"").decode("utf-8"))
        elif v.kind == "date":
            out.append(dates.get(v.name))
        else:
            out.append(0.0)
    return out


def _number(value) -> bytes:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return SYSMIS
    return SYSMIS if math.isnan(number) else struct.pack("<d", number)


def _day(value) -> bytes:
    if value is None:
        return SYSMIS
    day = value.date() if isinstance(value, datetime) else value
    return struct.pack("<d", (day - SPSS_EPOCH).days * 86400.0)


def write_sav(path: str, vars_: list[Variable], rows: Iterable[list], strings: dict[str, bytes],
              dates: dict[str, date | None], label: str = "", note: str = "") -> int:
    """Write the .sav microdata_sav makes, case by case (see the module docstring); `strings` the longest
    value (UTF-8) of each string column and `dates` a value of each date column (None: the file has none),
    as the whole file has them. Returns the cases written."""
    # a date column without any date is an all-empty object column to pyreadstat: it writes it as a string
    texts = {v.name for v in vars_ if v.kind == "string" or (v.kind == "date" and dates.get(v.name) is None)}
    widths = {name: max(1, len(strings.get(name, b""))) for name in texts}
    template = _template(vars_, strings, dates)
    one = microdata_sav(vars_, [template], label, note)
    two = microdata_sav(vars_, [template, template], label, note)
    size = len(two) - len(one)
    expected = sum(8 * math.ceil(widths[v.name] / 8) if v.name in texts else 8 for v in vars_)
    header = one[: len(one) - size]
    counted = header.find(LONG_COUNT)
    if (
        max(widths.values(), default=0) > LONGEST
        or size != expected
        or one[:4] != b"$FL2"
        or struct.unpack("<i", one[72:76])[0] != 0  # compressed: not the layout appended here
        or counted < 0
    ):
        every = list(rows)
        with open(path, "wb") as fh:
            fh.write(microdata_sav(vars_, every, label, note))
        return len(every)
    kinds = [("string" if v.name in texts else v.kind, 8 * math.ceil(widths.get(v.name, 1) / 8)) for v in vars_]
    n = 0
    with open(path, "wb") as fh:
        fh.write(header)
        for row in rows:
            out = []
            for (kind, width), value in zip(kinds, row, strict=True):
                if kind == "string":
                    text = _text(value)
                    if len(text) > width:  # the caller's longest value was not the longest
                        raise ValueError("a string is longer than its column's width in the .sav dictionary")
                    out.append(text.ljust(width, b" "))
                elif kind == "date":
                    out.append(_day(value))
                else:
                    out.append(_number(value))
            fh.write(b"".join(out))
            n += 1
        fh.seek(80)
        fh.write(struct.pack("<i", n if n < 2**31 else -1))
        fh.seek(counted + 16 + 8)  # the record's two 64-bit values: an unknown one, then the case count
        fh.write(struct.pack("<q", n))
    return n
