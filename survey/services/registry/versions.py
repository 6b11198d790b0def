"""Agency versions: an edit of a unit's name, codes, level or parent closes its version and opens a new one.

The Agency row is the unit's current state (what existing queries read); agency_version keeps
every state with the period it held, so a page or report of an earlier period can show the names
and parents of that period. Versions are never overwritten, with one exception: an edit effective
on the very day the current version began corrects that version (a version of zero days means
nothing). Services here flush, never commit.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models.registry import Agency, AgencyVersion

VERSIONED = ("name_vi", "name_en", "official_code", "level", "parent_id")


class VersionError(ValueError):
    """An edit that cannot be placed in the unit's history (its date is out of order); `column` is the date's."""

    def __init__(self, message: str, column: str = "valid_from") -> None:
        super().__init__(message)
        self.column = column
        self.line = 0  # the file's line, set by an import that knows it


def versions_of(session: Session, agency_id: int) -> list[AgencyVersion]:
    """An agency's versions, oldest first (the one valid since ever, if any, first)."""
    rows = session.scalars(select(AgencyVersion).where(AgencyVersion.agency_id == agency_id)).all()
    return sorted(rows, key=lambda v: (v.valid_from is not None, v.valid_from or date.min, v.id or 0))


def _snapshot(session: Session, agency: Agency, valid_from: date | None, valid_to: date | None) -> AgencyVersion:
    if agency.id is None or agency in session.dirty:
        session.add(agency)
        session.flush()  # ids (its own and its parent's) are what a version stores
    return AgencyVersion(agency_id=agency.id, valid_from=valid_from, valid_to=valid_to, code=agency.code,
                         official_code=agency.official_code, name_vi=agency.name_vi, name_en=agency.name_en or "",
                         level=agency.level, parent_id=agency.parent_id)


def open_first_version(session: Session, agency: Agency) -> AgencyVersion:
    """The first version of a new agency, from its current state and validity. Flushes."""
    version = _snapshot(session, agency, agency.valid_from, agency.valid_to)
    session.add(version)
    session.flush()
    return version


def current_version(session: Session, agency: Agency) -> AgencyVersion:
    """The open (latest) version; one is made from the current state for an agency that has none."""
    found = versions_of(session, agency.id) if agency.id is not None else []
    return found[-1] if found else open_first_version(session, agency)


def edit(session: Session, agency: Agency, effective: date, changes: dict[str, Any]) -> bool:
    """Apply `changes` (versioned fields; a `parent` Agency may stand for parent_id) from `effective` on.

    Returns whether anything changed. Raises VersionError when `effective` is before the current
    version began or not before the unit's end. Flushes.
    """
    changes = dict(changes)
    if "parent" in changes:
        parent = changes.pop("parent")
        if parent is not None and parent.id is None:
            session.flush()  # a parent created earlier in the same import
        changes["parent_id"] = parent.id if parent is not None else None
    changed = {k: v for k, v in changes.items() if getattr(agency, k) != v}
    if not changed:
        return False
    current = current_version(session, agency)
    if current.valid_from is not None and effective < current.valid_from:
        raise VersionError(_("Ngày hiệu lực %(day)s sớm hơn ngày bắt đầu của phiên bản hiện tại (%(start)s)",
                             day=effective.isoformat(), start=current.valid_from.isoformat()))
    if agency.valid_to is not None and effective >= agency.valid_to:
        raise VersionError(_("Ngày hiệu lực %(day)s không trước ngày cơ quan hết hiệu lực (%(end)s)",
                             day=effective.isoformat(), end=agency.valid_to.isoformat()), "valid_from")
    for key, value in changed.items():
        setattr(agency, key, value)
    session.flush()
    session.expire(agency, ["parent"])  # parent_id was set directly; the relationship reloads from it
    if current.valid_from == effective:
        for key in VERSIONED:  # the same day: a correction of the version that began then
            setattr(current, key, getattr(agency, key) if key != "name_en" else agency.name_en or "")
    else:
        current.valid_to = effective
        session.add(_snapshot(session, agency, effective, agency.valid_to))
    session.flush()
    return True


def set_bounds(session: Session, agency: Agency, *, valid_from: Any = ..., valid_to: Any = ...) -> bool:
    """Set when the unit began and/or ended; its first and last versions follow. Returns whether it changed.

    Raises VersionError when the new bound would empty a version. Flushes.
    """
    found = versions_of(session, agency.id) if agency.id is not None else []
    if not found:
        found = [open_first_version(session, agency)]
    first, last = found[0], found[-1]
    changed = False
    if valid_from is not ... and valid_from != agency.valid_from:
        end = first.valid_to if len(found) > 1 else agency.valid_to if valid_to is ... else valid_to
        if valid_from is not None and end is not None and valid_from >= end:
            raise VersionError(_("Ngày bắt đầu %(day)s không trước ngày kết thúc của phiên bản đầu (%(end)s)",
                                 day=valid_from.isoformat(), end=end.isoformat()))
        agency.valid_from = first.valid_from = valid_from
        changed = True
    if valid_to is not ... and valid_to != agency.valid_to:
        start = last.valid_from
        if valid_to is not None and start is not None and valid_to <= start:
            raise VersionError(_("Ngày kết thúc %(day)s không sau ngày bắt đầu của phiên bản hiện tại (%(start)s)",
                                 day=valid_to.isoformat(), start=start.isoformat()), "valid_to")
        agency.valid_to = last.valid_to = valid_to
        changed = True
    if changed:
        session.flush()
    return changed


def versions_on(session: Session, on: date) -> dict[int, AgencyVersion]:
    """{agency id: its version valid on `on`} for every agency that existed then (names of a past period)."""
    rows = session.scalars(select(AgencyVersion).where(
        (AgencyVersion.valid_from.is_(None)) | (AgencyVersion.valid_from <= on),
        (AgencyVersion.valid_to.is_(None)) | (AgencyVersion.valid_to > on)))
    return {v.agency_id: v for v in rows}


def version_on(session: Session, agency_id: int, on: date) -> AgencyVersion | None:
    """The version of an agency valid on `on` (None when the unit did not exist then)."""
    for version in versions_of(session, agency_id):
        if (version.valid_from is None or version.valid_from <= on) and (version.valid_to is None
                                                                          or version.valid_to > on):
            return version
    return None
