"""The lineage CSV: merges, splits and renames of registry units, checked as a whole and stored all or nothing.

Format (UTF-8, header line, ``#`` comments, comma/semicolon/tab as in the registry CSV)::

    kind,predecessor_code,successor_code,effective_on,share,note
    merge,XA_A,XA_MOI,2025-07-01,,Nghị quyết 1665/NQ-UBTVQH15
    split,XA_B,XA_MOI,2025-07-01,0.6,
    split,XA_B,XA_KHAC,2025-07-01,0.4,
    rename,SO_X,SO_Y,2025-03-01,,

One row per (predecessor, successor) pair. ``merge``: the predecessor's whole history goes to one
successor (many rows may share a successor). ``split``: one row per successor; ``share`` is the part
of the predecessor's dossiers that successor takes over, either given on every row (each in (0, 1],
summing to 1 ± 0.001) or on none (then the predecessor's numbers are not comparable across the
split). ``rename``: one predecessor, one successor. Codes are the registry's agency codes (import the
registry first). A file with any bad row changes nothing; every bad row is listed with its line and
reason. Re-importing the same file changes nothing. Applying a step ends the predecessor
(valid_to = effective_on; inactive once that day has come). A renamed unit begins on effective_on;
the successor of a merge or split keeps its own start (valid_from from the registry CSV for a new
unit; empty for a unit that existed before and absorbs the others), which must not be after it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models.registry import LINEAGE_KINDS, Agency, AgencyLineage, LineageKind
from survey.services.registry import versions
from survey.services.registry.csvfile import RowError, _Row, parse_day, read_rows
from survey.services.registry.lineage_rules import Step as _Step
from survey.services.registry.lineage_rules import check as _check

COLUMNS = ("kind", "predecessor_code", "successor_code", "effective_on", "share", "note")
REQUIRED = ("kind", "predecessor_code", "successor_code", "effective_on")


@dataclass
class LineageReport:
    """What a lineage import did (or, when refused, why): counts of steps and the rejected rows."""

    source: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rejected_lines(self) -> list[int]:
        """Line numbers of the rejected rows, in file order."""
        return sorted({e.line for e in self.errors})


def import_lineage(session: Session, source: str | os.PathLike | IO, *, actor: Any = None,
                   dry_run: bool = False, name: str | None = None) -> LineageReport:
    """Check a lineage CSV against itself and the registry; store it only when every row is right. Flushes."""
    report = LineageReport(source=name or str(getattr(source, "name", source)), dry_run=dry_run)
    rows = read_rows(source, report, COLUMNS, REQUIRED)
    if rows is None:
        return report
    steps = _parse(session, rows, report)
    stored = {(s.predecessor_id, s.successor_id): s for s in session.scalars(select(AgencyLineage))}
    _check(_union(session, stored, steps), steps, report)
    if not report.errors:
        # A savepoint: a dry run computes the exact outcome and leaves no trace; a refused file neither.
        savepoint = session.begin_nested()
        try:
            _apply(session, stored, steps, report)
        except versions.VersionError as exc:
            report.errors.append(RowError(exc.line, "effective_on", str(exc), "lineage"))
        except BaseException:
            savepoint.rollback()
            raise
        if report.errors or dry_run:
            savepoint.rollback()
        else:
            savepoint.commit()
    report.errors.sort(key=lambda e: (e.line, e.column))
    if report.errors:
        report.created = report.updated = report.unchanged = report.retired = 0
    elif actor is not None and not dry_run and (report.created or report.updated or report.retired):
        from survey.services.common.audit import record

        record(session, actor, "registry.lineage_import", "registry", os.path.basename(report.source)[:64],
               created=report.created, updated=report.updated, unchanged=report.unchanged, retired=report.retired)
    return report


def _share(value: str) -> float | None:
    if not value:
        return None
    text = value.replace(",", ".").strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        raise ValueError(_("Tỷ lệ \"%(value)s\" không phải là một số (ví dụ 0.4 hoặc 40%%)", value=value)) from None
    number = number / 100 if percent else number
    if not 0 < number <= 1:
        raise ValueError(_("Tỷ lệ %(value)s phải lớn hơn 0 và không quá 1", value=value))
    return number


def _parse(session: Session, rows: list[_Row], report: LineageReport) -> list[_Step]:
    """The rows that are right on their own, as steps; the others become errors."""
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    steps, seen = [], {}
    for row in rows:
        errors: list[RowError] = []
        kind = row["kind"].lower()

        def err(column: str, message: str, errors=errors, row=row) -> None:
            errors.append(RowError(row.line, column, message, "lineage", row["predecessor_code"]))

        for col in REQUIRED:
            if not row[col]:
                err(col, _("Thiếu giá trị bắt buộc"))
        if row["kind"] and kind not in LINEAGE_KINDS:
            err("kind", _("Loại thay đổi không hợp lệ \"%(value)s\"; phải là một trong: %(allowed)s",
                          value=row["kind"], allowed=", ".join(LINEAGE_KINDS)))
        units = {}
        for col in ("predecessor_code", "successor_code"):
            if row[col] and row[col] not in agencies:
                err(col, _("Không tìm thấy cơ quan \"%(code)s\" trong danh mục (hãy nhập danh mục trước)",
                           code=row[col]))
            units[col] = agencies.get(row[col])
        if row["predecessor_code"] and row["predecessor_code"] == row["successor_code"]:
            err("successor_code", _("Cơ quan kế tiếp trùng với cơ quan trước (một cơ quan không thể kế tiếp chính nó)"))
        day = share = None
        if row["effective_on"]:
            try:
                day = parse_day(row["effective_on"])
            except ValueError as exc:
                err("effective_on", str(exc))
        try:
            share = _share(row["share"])
        except ValueError as exc:
            err("share", str(exc))
        if share is not None and kind in (LineageKind.MERGE, LineageKind.RENAME):
            err("share", _("Chỉ khi chia tách (split) mới ghi tỷ lệ; sáp nhập và đổi tên chuyển toàn bộ hồ sơ"))
        if len(row["note"]) > 500:
            err("note", _("Quá dài (tối đa %(max)d ký tự)", max=500))
        pair = (row["predecessor_code"], row["successor_code"])
        if all(pair) and pair in seen:
            err("successor_code", _("Cặp cơ quan này đã có ở dòng %(line)d", line=seen[pair]))
        seen.setdefault(pair, row.line)
        if errors:
            report.errors.extend(errors)
            continue
        steps.append(_Step(row.line, kind, units["predecessor_code"], units["successor_code"], day, share,
                           row["note"]))
    return steps


def _union(session: Session, stored: dict, steps: list[_Step]) -> dict[tuple[int, int], _Step]:
    """The stored steps with the file's steps over them (the file is the truth for the pairs it names)."""
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    merged = {key: _Step(0, str(s.kind), agencies[s.predecessor_id], agencies[s.successor_id], s.effective_on,
                         s.share, s.note) for key, s in stored.items()}
    for step in steps:
        merged[step.predecessor.id, step.successor.id] = step
    return merged


def _count(stored: dict, steps: list[_Step], report: LineageReport) -> None:
    for step in steps:
        old = stored.get((step.predecessor.id, step.successor.id))
        if old is None:
            report.created += 1
        elif (str(old.kind), old.effective_on, old.share, old.note) != (step.kind, step.effective_on, step.share,
                                                                         step.note):
            report.updated += 1
        else:
            report.unchanged += 1


def _apply(session: Session, stored: dict, steps: list[_Step], report: LineageReport) -> None:
    """Store the steps and date the units: the predecessor ends, the successor begins, on effective_on."""
    _count(stored, steps, report)
    for step in steps:
        old = stored.get((step.predecessor.id, step.successor.id))
        if old is None:
            session.add(AgencyLineage(kind=LineageKind(step.kind), predecessor_id=step.predecessor.id,
                                      successor_id=step.successor.id, effective_on=step.effective_on,
                                      share=step.share, note=step.note))
        else:
            old.kind, old.effective_on, old.share, old.note = (LineageKind(step.kind), step.effective_on, step.share,
                                                               step.note)
    today = date.today()
    # Successors first, oldest step first: a chain's middle unit begins before it ends.
    for step in sorted(steps, key=lambda s: s.effective_on):
        # A renamed unit begins under its new name that day. A merge's or split's successor keeps its start:
        # empty means it existed before and absorbs the others (Sở Tài chính taking over Sở Kế hoạch và
        # Đầu tư); a new unit's start comes from the registry CSV (valid_from), and is checked above.
        if step.kind == LineageKind.RENAME and step.successor.valid_from is None \
                and len(versions.versions_of(session, step.successor.id)) <= 1:
            _dated(step, lambda s=step: versions.set_bounds(session, s.successor, valid_from=s.effective_on))
    for step in sorted(steps, key=lambda s: s.effective_on):
        pred = step.predecessor
        if pred.valid_to != step.effective_on:
            _dated(step, lambda s=step: versions.set_bounds(session, s.predecessor, valid_to=s.effective_on))
        if step.effective_on <= today and pred.active:
            pred.active = False
            report.retired += 1
    session.flush()


def _dated(step: _Step, change) -> None:
    """Run a change of a unit's dates; a VersionError names the step's line."""
    try:
        change()
    except versions.VersionError as exc:
        exc.line = step.line
        raise
