"""Registry import: agencies, sectors, procedures and service points from one CSV file.

The file's format and the checks of each row on its own are in registry_csv.py; here the rows are
checked against each other and the database, then stored in dependency order.
"""
from __future__ import annotations

import os
from datetime import date
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Agency, Procedure, Sector, ServicePoint
from survey.services.registry import versions
from survey.services.registry.csvfile import KINDS, ImportReport, RowError, _field_errors, _Row, read_rows

__all__ = ["ImportReport", "RowError", "import_registry", "read_rows"]


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
        from survey.services.common.audit import record

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
            target = row["parent_code"] or None
            if row["code"] in agencies:
                self._edit_agency(agencies[row["code"]], row, agencies[target] if target else None)
                continue
            obj = self._upsert(Agency, "agency", agencies, row, {
                "level": row["level"].lower(), "official_code": row["official_code"] or None,
                "valid_from": row.day("valid_from"), "valid_to": row.day("valid_to")})
            obj.parent = agencies[target] if target else None
            if obj.valid_to is not None and obj.valid_to <= date.today():
                obj.active = False  # a unit recorded as already ended (a district before 1 July 2025, say)
            versions.open_first_version(self.session, obj)
        self.agencies = agencies

    def _edit_agency(self, agency: Agency, row: _Row, parent: Agency | None) -> None:
        """Versioned fields change from valid_from (or today); an end date is set when the file gives one."""
        changes: dict[str, Any] = {"name_vi": row["name_vi"], "level": row["level"].lower(), "parent": parent}
        changes.update({col: row[col] if col == "name_en" else row[col] or None
                        for col in ("name_en", "official_code") if row.has(col)})
        effective = row.day("valid_from") or date.today()
        start = versions.current_version(self.session, agency).valid_from
        try:
            savepoint = self.session.begin_nested()  # a refused row leaves the unit exactly as it was
            changed = versions.edit(self.session, agency, effective, changes)
            if not changed and row.day("valid_from") not in (None, start) \
                    and len(versions.versions_of(self.session, agency.id)) == 1:
                changed = versions.set_bounds(self.session, agency, valid_from=row.day("valid_from"))
            if row.day("valid_to") is not None:
                changed = versions.set_bounds(self.session, agency, valid_to=row.day("valid_to")) or changed
                if agency.valid_to <= date.today() and agency.active:
                    agency.active = False
            savepoint.commit()
        except versions.VersionError as exc:
            savepoint.rollback()
            self.reject(row, exc.column, str(exc))
            return
        self.report.counts["agency"]["updated" if changed else "unchanged"] += 1

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
            fields = {"kind": row["point_type"].lower(), "agency_id": owner.id, "address": row["address"]}
            if old is None:
                fields.update(valid_from=row.day("valid_from"), valid_to=row.day("valid_to"))
            else:  # an empty date leaves the stored one (as for agencies)
                fields.update({col: row.day(col) for col in ("valid_from", "valid_to") if row.day(col)})
                start, end = fields.get("valid_from", old.valid_from), fields.get("valid_to", old.valid_to)
                if start is not None and end is not None and start >= end:
                    self.reject(row, "valid_from" if "valid_from" in fields else "valid_to", _(
                        "Ngày hết hiệu lực (%(end)s) phải sau ngày bắt đầu hiệu lực (%(start)s)",
                        end=end.isoformat(), start=start.isoformat()))
                    continue
            obj = self._upsert(ServicePoint, "service_point", existing, row, fields, moved)
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
