"""The registry CSV file: its format, reading it, and the checks of each row on its own.

CSV format — one file, UTF-8 (a BOM from Excel is fine), separated by commas, semicolons or tabs
(taken from the header line). Lines starting with ``#`` are comments. The header names the columns;
order is free, unknown columns are an error (a typo would otherwise drop data silently), columns a
kind does not use are ignored. The ``kind`` column says what each row is:

=================  ==========================================================================
column             meaning
=================  ==========================================================================
kind               ``agency`` | ``sector`` | ``procedure`` | ``service_point``
code               required; unique per kind; letters, digits and ``. _ -`` (≤ 64 characters)
name_vi            required; Vietnamese name
name_en            optional; English name
level              agency, required: ``province`` | ``department`` | ``commune`` | ``ward`` |
                   ``special_zone`` | ``central`` (central agency in the province, e.g. Công an
                   tỉnh) | ``health_facility`` | ``school`` | ``district`` (before 1 July 2025)
parent_code        agency, optional: code of the parent agency (empty = a root)
sector_code        procedure, required: code of its sector
agency_code        service_point, required: the agency that runs it
point_type         service_point, required: ``province_centre`` | ``district_centre`` |
                   ``commune_desk`` | ``agency_counter``
agencies_served    service_point, optional: agency codes separated by ``;`` (empty = agency_code)
address            service_point, optional
official_code      agency, optional: the national unit code (e.g. Công văn 1027/CTK-CSCL), ≤ 32
valid_from         agency and service_point, optional ISO date (YYYY-MM-DD): when the record
                   began; for an agency that exists, the day a changed name, code, level or
                   parent takes effect (empty: today)
valid_to           agency and service_point, optional ISO date: the first day it no longer
                   exists (empty: leaves the stored end as it is)
=================  ==========================================================================

Semantics: a row creates the record or updates it (matched by kind + code); the file is the truth
for the columns of its kind that its header names (an empty name_en clears it; a column the header
lacks is left alone). An agency's name, official code, level and parent are versioned: a change
closes the current version and opens a new one from valid_from (or today), see versions.py. Records absent from the file
are left alone (nothing is deleted). Re-importing the same file changes nothing. Rows may refer
to codes defined later in the file: sectors are stored first, then agencies parents-first, then
procedures and service points. A bad row is rejected with its line number, column and reason (in
Vietnamese); rows that depend on a rejected row are rejected too; every other row is kept. Text is
normalised to Unicode NFC (decomposed Vietnamese from some editors would otherwise look different).
"""
from __future__ import annotations

import csv
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from flask_babel import gettext as _

from survey.models.registry import AGENCY_LEVELS, SERVICE_POINT_KINDS

KINDS = ("agency", "sector", "procedure", "service_point")
COLUMNS = ("kind", "code", "name_vi", "name_en", "level", "parent_code", "sector_code",
           "agency_code", "point_type", "agencies_served", "address", "official_code", "valid_from", "valid_to")
DATED = ("agency", "service_point")  # the kinds with a validity period
REQUIRED = {"agency": ("code", "name_vi", "level"), "sector": ("code", "name_vi"),
            "procedure": ("code", "name_vi", "sector_code"),
            "service_point": ("code", "name_vi", "point_type", "agency_code")}
MAX_LENGTH = {"code": 64, "name_vi": 255, "name_en": 255, "address": 500, "official_code": 32}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class RowError:
    """One rejected row (or a file-level problem when line is the header's line)."""

    line: int
    column: str
    message: str
    kind: str = ""
    code: str = ""

    def __str__(self) -> str:
        where = _("dòng %(line)d", line=self.line)
        if self.column:
            where += ", " + _("cột %(column)s", column=self.column)
        return where + ": " + self.message


@dataclass
class ImportReport:
    """What an import did: counts per kind and outcome, and the rejected rows."""

    source: str
    dry_run: bool = False
    rows: int = 0
    counts: dict[str, Counter] = field(default_factory=lambda: {k: Counter() for k in KINDS})
    errors: list[RowError] = field(default_factory=list)

    def total(self, outcome: str) -> int:
        """Rows with this outcome (created/updated/unchanged) over all kinds."""
        return sum(c[outcome] for c in self.counts.values())

    @property
    def created(self) -> int:
        return self.total("created")

    @property
    def updated(self) -> int:
        return self.total("updated")

    @property
    def unchanged(self) -> int:
        return self.total("unchanged")

    @property
    def rejected_lines(self) -> list[int]:
        """Line numbers of the rejected rows, in file order."""
        return sorted({e.line for e in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")

    def has(self, key: str) -> bool:
        """Whether the file's header names this column (a missing column leaves stored values alone)."""
        return key in self.values

    def day(self, key: str) -> date | None:
        """The column as a date (checked by the row checks: call only on a valid row)."""
        return date.fromisoformat(self[key]) if self[key] else None


def parse_day(value: str) -> date:
    """An ISO date (YYYY-MM-DD); ValueError with a Vietnamese reason otherwise."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("Ngày không hợp lệ \"%(value)s\"; hãy ghi theo dạng NNNN-TT-NN, ví dụ 2025-07-01",
                           value=value)) from None


def _clean(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split())


def _read_text(source: str | os.PathLike | IO, report: ImportReport) -> str | None:
    if hasattr(source, "read"):
        raw = source.read()
    else:
        with open(source, "rb") as fh:
            raw = fh.read()
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        report.errors.append(RowError(line, "", _(
            "Tệp không phải mã UTF-8 (hãy lưu lại tệp dưới dạng CSV UTF-8)")))
        return None


def read_rows(source: str | os.PathLike | IO, report, columns: tuple[str, ...] = COLUMNS,
              required: tuple[str, ...] = ("kind", "code")) -> list[_Row] | None:
    """Parse the CSV into rows keyed by column; file-level problems go to the report (→ None).

    `report` needs `errors` and `rows`; `columns` are those the header may name, `required` those it must.
    """
    text = _read_text(source, report)
    if text is None:
        return None
    # Comment lines become blank lines so that line numbers stay those of the file.
    lines = ["\n" if ln.lstrip().startswith("#") else ln for ln in text.splitlines(keepends=True)]
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        report.errors.append(RowError(1, "", _("Tệp rỗng: không có dòng tiêu đề")))
        return None
    delimiter = max(",;\t", key=lines[first].count)
    reader = csv.reader(lines, delimiter=delimiter)
    header: list[str] | None = None
    rows, last = [], 0
    for record in reader:
        start, last = last + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [h.strip().lower() for h in record]
            if not _check_header(header, start, report, columns, required):
                return None
            continue
        if len(record) > len(header):
            report.errors.append(RowError(start, "", _(
                "Dòng có %(n)d cột nhưng tiêu đề chỉ có %(m)d cột", n=len(record), m=len(header))))
            continue
        rows.append(_Row(start, {h: _clean(v) for h, v in zip(header, record)}))
    report.rows = len(rows) + len({e.line for e in report.errors})
    return rows


def _check_header(header: list[str], line: int, report, columns: tuple[str, ...],
                  required: tuple[str, ...]) -> bool:
    unknown = [h for h in header if h not in columns]
    missing = [c for c in required if c not in header]
    doubled = sorted({h for h in header if header.count(h) > 1})
    for col in unknown:
        report.errors.append(RowError(line, col, _(
            "Cột không xác định; các cột hợp lệ: %(cols)s", cols=", ".join(columns))))
    for col in missing:
        report.errors.append(RowError(line, col, _("Thiếu cột bắt buộc")))
    for col in doubled:
        report.errors.append(RowError(line, col, _("Cột bị lặp lại trong tiêu đề")))
    return not (unknown or missing or doubled)


def _field_errors(row: _Row) -> list[RowError]:
    kind, code = row["kind"].lower(), row["code"]
    if kind not in KINDS:
        msg = _("Loại dòng không hợp lệ \"%(value)s\"; phải là một trong: %(allowed)s",
                value=row["kind"], allowed=", ".join(KINDS)) if row["kind"] else _("Thiếu giá trị bắt buộc")
        return [RowError(row.line, "kind", msg, code=code)]
    errors = [RowError(row.line, col, _("Thiếu giá trị bắt buộc"), kind, code)
              for col in REQUIRED[kind] if not row[col]]
    if code and not CODE_RE.match(code):
        errors.append(RowError(row.line, "code", _(
            "Mã \"%(code)s\" chỉ được gồm chữ không dấu, chữ số và . _ -", code=code), kind, code))
    limits = dict(MAX_LENGTH, name_vi=500, name_en=500) if kind == "procedure" else MAX_LENGTH
    for col, limit in limits.items():
        if len(row[col]) > limit:
            errors.append(RowError(row.line, col, _("Quá dài (tối đa %(max)d ký tự)", max=limit), kind, code))
    if kind == "agency" and row["level"] and row["level"].lower() not in AGENCY_LEVELS:
        errors.append(RowError(row.line, "level", _(
            "Cấp không hợp lệ \"%(value)s\"; phải là một trong: %(allowed)s",
            value=row["level"], allowed=", ".join(AGENCY_LEVELS)), kind, code))
    if kind == "service_point" and row["point_type"] and row["point_type"].lower() not in SERVICE_POINT_KINDS:
        errors.append(RowError(row.line, "point_type", _(
            "Loại điểm phục vụ không hợp lệ \"%(value)s\"; phải là một trong: %(allowed)s",
            value=row["point_type"], allowed=", ".join(SERVICE_POINT_KINDS)), kind, code))
    if kind in DATED:
        errors += _period_errors(row, kind, code)
    return errors


def _period_errors(row: _Row, kind: str, code: str) -> list[RowError]:
    errors, days = [], {}
    for col in ("valid_from", "valid_to"):
        if row[col]:
            try:
                days[col] = parse_day(row[col])
            except ValueError as exc:
                errors.append(RowError(row.line, col, str(exc), kind, code))
    if len(days) == 2 and days["valid_from"] >= days["valid_to"]:
        errors.append(RowError(row.line, "valid_to", _(
            "Ngày hết hiệu lực (%(end)s) phải sau ngày bắt đầu hiệu lực (%(start)s)",
            end=row["valid_to"], start=row["valid_from"]), kind, code))
    return errors
