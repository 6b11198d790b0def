"""Registry import: agencies, sectors, procedures and service points from one CSV file.

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
level              agency, required: ``province`` | ``department`` | ``district`` | ``commune`` |
                   ``central`` (central agency in the province, e.g. Công an tỉnh)
parent_code        agency, optional: code of the parent agency (empty = a root)
sector_code        procedure, required: code of its sector
agency_code        service_point, required: the agency that runs it
point_type         service_point, required: ``province_centre`` | ``district_centre`` |
                   ``commune_desk`` | ``agency_counter``
agencies_served    service_point, optional: agency codes separated by ``;`` (empty = agency_code)
address            service_point, optional
=================  ==========================================================================

Semantics: a row creates the record or updates it in place (matched by kind + code); the file is
the truth for the columns of its kind (an empty name_en clears it). Records absent from the file
are left alone (nothing is deleted). Re-importing the same file changes nothing. Rows may refer
to codes defined later in the file: sectors are stored first, then agencies parents-first, then
procedures and service points. A bad row is rejected with its line number, column and reason (in
Vietnamese); rows that depend on a rejected row are rejected too; every other row is kept. Text is
normalised to Unicode NFC (decomposed Vietnamese from some editors would otherwise look different).
"""
from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Agency, Procedure, Sector, ServicePoint
from survey.models.registry import AGENCY_LEVELS, SERVICE_POINT_KINDS

KINDS = ("agency", "sector", "procedure", "service_point")
COLUMNS = ("kind", "code", "name_vi", "name_en", "level", "parent_code", "sector_code",
           "agency_code", "point_type", "agencies_served", "address")
REQUIRED = {"agency": ("code", "name_vi", "level"), "sector": ("code", "name_vi"),
            "procedure": ("code", "name_vi", "sector_code"),
            "service_point": ("code", "name_vi", "point_type", "agency_code")}
MAX_LENGTH = {"code": 64, "name_vi": 255, "name_en": 255, "address": 500}
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


def read_rows(source: str | os.PathLike | IO, report: ImportReport) -> list[_Row] | None:
    """Parse the CSV into rows keyed by column; file-level problems go to the report (→ None)."""
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
            if not _check_header(header, start, report):
                return None
            continue
        if len(record) > len(header):
            report.errors.append(RowError(start, "", _(
                "Dòng có %(n)d cột nhưng tiêu đề chỉ có %(m)d cột", n=len(record), m=len(header))))
            continue
        rows.append(_Row(start, {h: _clean(v) for h, v in zip(header, record)}))
    report.rows = len(rows) + len({e.line for e in report.errors})
    return rows


def _check_header(header: list[str], line: int, report: ImportReport) -> bool:
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in ("kind", "code") if c not in header]
    doubled = sorted({h for h in header if header.count(h) > 1})
    for col in unknown:
        report.errors.append(RowError(line, col, _(
            "Cột không xác định; các cột hợp lệ: %(cols)s", cols=", ".join(COLUMNS))))
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
    return errors


def import_registry(session: Session, source: str | os.PathLike | IO, *, actor: Any = None,
                    dry_run: bool = False, name: str | None = None) -> ImportReport:
    """Import a registry CSV (path or file object); flushes, never commits; audits when actor is set."""
    report = ImportReport(source=name or str(getattr(source, "name", source)), dry_run=dry_run)
    rows = read_rows(source, report)
    if rows is None:
        return report
    # A savepoint lets a dry run compute the exact outcome and then leave no trace.
    savepoint = session.begin_nested()
    try:
        _Importer(session, report).run(rows)
        session.flush()
    except BaseException:
        savepoint.rollback()
        raise
    report.errors.sort(key=lambda e: e.line)
    if dry_run:
        savepoint.rollback()
        return report
    savepoint.commit()
    if actor is not None:
        from survey.services.audit import record

        record(session, actor, "registry.import", "registry", os.path.basename(report.source)[:64],
               counts={k: dict(c) for k, c in report.counts.items()}, rejected=len(report.rejected_lines))
    return report


class _Importer:
    """Validates rows against each other and the database, then upserts them in dependency order."""

    def __init__(self, session: Session, report: ImportReport) -> None:
        self.session, self.report = session, report
        self.rejected: dict[str, dict[str, int]] = {k: {} for k in KINDS}  # kind → code → line

    def reject(self, row: _Row, column: str, message: str) -> None:
        kind = row["kind"].lower()
        self.report.errors.append(RowError(row.line, column, message, kind, row["code"]))
        self.rejected.setdefault(kind, {}).setdefault(row["code"], row.line)

    def run(self, rows: list[_Row]) -> None:
        valid: dict[str, dict[str, _Row]] = {k: {} for k in KINDS}
        seen: dict[tuple[str, str], int] = {}
        for row in rows:
            errors = _field_errors(row)
            kind, code = row["kind"].lower(), row["code"]
            if kind in KINDS and code:
                if (kind, code) in seen:
                    errors.append(RowError(row.line, "code", _(
                        "Mã \"%(code)s\" bị trùng với dòng %(line)d", code=code, line=seen[kind, code]),
                        kind, code))
                seen.setdefault((kind, code), row.line)
            if errors:
                self.report.errors.extend(errors)
                self.rejected.setdefault(kind, {}).setdefault(code, row.line)
            else:
                valid[kind][code] = row
        # A code seen twice: the first row is ambiguous too, so neither is stored.
        for kind, rows_of_kind in valid.items():
            for code in [c for c in rows_of_kind if c in self.rejected[kind]]:
                row = rows_of_kind.pop(code)
                self.reject(row, "code", _("Mã \"%(code)s\" xuất hiện nhiều lần trong tệp", code=code))
        self.sectors = {s.code: s for s in self.session.scalars(select(Sector))}
        for row in sorted(valid["sector"].values(), key=lambda r: r.line):
            self._upsert(Sector, "sector", self.sectors, row, {})
        self.session.flush()
        self._agencies(valid["agency"])
        self.session.flush()
        self._procedures(valid["procedure"])
        self._service_points(valid["service_point"])

    def _upsert(self, model: type, kind: str, existing: dict, row: _Row, fields: dict,
                moved: bool = False) -> Any:
        """Create or update by code; `moved` says a relation changed (counts as an update)."""
        fields = {"name_vi": row["name_vi"], "name_en": row["name_en"], **fields}
        obj = existing.get(row["code"])
        if obj is None:
            obj = model(code=row["code"], **fields)
            self.session.add(obj)
            existing[row["code"]] = obj
            self.report.counts[kind]["created"] += 1
            return obj
        changed = [k for k, v in fields.items() if getattr(obj, k) != v]
        for key in changed:
            setattr(obj, key, fields[key])
        self.report.counts[kind]["updated" if changed or moved else "unchanged"] += 1
        return obj

    def _lookup(self, kind: str, code: str, found: dict, row: _Row, column: str) -> Any:
        """The object for `code`, or None after rejecting `row` with a precise reason."""
        if code in found:
            return found[code]
        line = self.rejected[kind].get(code)
        if line is not None:
            self.reject(row, column, _rejected_message(column, code, line))
        else:
            self.reject(row, column, _missing_message(column, code))
        return None

    def _agencies(self, rows: dict[str, _Row]) -> None:
        agencies = {a.code: a for a in self.session.scalars(select(Agency))}
        code_by_id = {a.id: a.code for a in agencies.values()}
        db_parent = {c: code_by_id.get(a.parent_id) for c, a in agencies.items()}
        parent = {**db_parent, **{c: r["parent_code"] or None for c, r in rows.items()}}
        rows = dict(rows)

        def drop(code: str) -> None:
            rows.pop(code)
            if code in db_parent:
                parent[code] = db_parent[code]  # the stored agency stays as it was
            else:
                parent.pop(code)

        # Rejecting a row can orphan its children or break a cycle: repeat until stable.
        changed = True
        while changed:
            changed = False
            for code, row in sorted(rows.items(), key=lambda kv: kv[1].line):
                if row["parent_code"] and row["parent_code"] not in parent:
                    self._lookup("agency", row["parent_code"], {}, row, "parent_code")
                    drop(code)
                    changed = True
            for cycle in _cycles(parent, rows):
                path = " → ".join(cycle + [cycle[0]])
                for code in (c for c in cycle if c in rows):
                    self.reject(rows[code], "parent_code", _("Vòng lặp cơ quan cha: %(path)s", path=path))
                    drop(code)
                    changed = True
        depth = _depths(parent)
        for row in sorted(rows.values(), key=lambda r: (depth[r["code"]], r.line)):
            old = agencies.get(row["code"])
            target = row["parent_code"] or None
            moved = old is not None and code_by_id.get(old.parent_id) != target
            obj = self._upsert(Agency, "agency", agencies, row, {"level": row["level"].lower()}, moved)
            if old is None or moved:
                obj.parent = agencies[target] if target else None
        self.agencies = agencies

    def _procedures(self, rows: dict[str, _Row]) -> None:
        existing = {p.code: p for p in self.session.scalars(select(Procedure))}
        for row in sorted(rows.values(), key=lambda r: r.line):
            sector = self._lookup("sector", row["sector_code"], self.sectors, row, "sector_code")
            if sector is not None:
                self._upsert(Procedure, "procedure", existing, row, {"sector_id": sector.id})

    def _service_points(self, rows: dict[str, _Row]) -> None:
        existing = {p.code: p for p in self.session.scalars(select(ServicePoint))}
        for row in sorted(rows.values(), key=lambda r: r.line):
            owner = self._lookup("agency", row["agency_code"], self.agencies, row, "agency_code")
            codes = list(dict.fromkeys(c.strip() for c in row["agencies_served"].split(";") if c.strip()))
            served = [self._lookup("agency", c, self.agencies, row, "agencies_served") for c in codes]
            if owner is None or None in served:
                continue
            served = served or [owner]
            old = existing.get(row["code"])
            moved = old is not None and {a.id for a in old.agencies_served} != {a.id for a in served}
            obj = self._upsert(ServicePoint, "service_point", existing, row, {
                "kind": row["point_type"].lower(), "agency_id": owner.id, "address": row["address"]}, moved)
            if old is None or moved:
                obj.agencies_served = served


def _missing_message(column: str, code: str) -> str:
    # Whole sentences per reference, so that translations need not glue fragments together.
    if column == "parent_code":
        return _("Không tìm thấy cơ quan cha \"%(code)s\" (không có trong tệp lẫn trong danh mục)", code=code)
    if column == "sector_code":
        return _("Không tìm thấy lĩnh vực \"%(code)s\" (không có trong tệp lẫn trong danh mục)", code=code)
    return _("Không tìm thấy cơ quan \"%(code)s\" (không có trong tệp lẫn trong danh mục)", code=code)


def _rejected_message(column: str, code: str, line: int) -> str:
    if column == "parent_code":
        return _("Cơ quan cha \"%(code)s\" bị từ chối ở dòng %(line)d", code=code, line=line)
    if column == "sector_code":
        return _("Lĩnh vực \"%(code)s\" bị từ chối ở dòng %(line)d", code=code, line=line)
    return _("Cơ quan \"%(code)s\" bị từ chối ở dòng %(line)d", code=code, line=line)


def _cycles(parent: dict[str, str | None], rows: dict[str, _Row]) -> list[list[str]]:
    """Cycles in the parent graph that pass through a row of the file (each reported once)."""
    found, done = [], set()
    for start in rows:
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in done and node not in path:
            path.append(node)
            node = parent.get(node)
        if node is not None and node in path:
            found.append(path[path.index(node):])
        done.update(path)
    return found


def _depths(parent: dict[str, str | None]) -> dict[str, int]:
    """Distance of every agency from its root (the graph is acyclic by now)."""
    depth: dict[str, int] = {}
    for start in parent:
        chain = []
        node: str | None = start
        while node is not None and node not in depth and node not in chain:
            chain.append(node)
            node = parent.get(node)
        base = depth.get(node, -1) if node is not None else -1
        for offset, code in enumerate(reversed(chain), 1):
            depth[code] = base + offset
    return depth
