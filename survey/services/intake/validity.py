"""Refusing intake records whose unit did not exist on the record's own day (issue 19, item 3).

The competent agency (for a service event: the hospital or school) must be valid on the local day the
record was completed: a commune merged on 1 July 2025 still takes its dossiers completed in June, and
from 1 July the message names the unit(s) that carry its dossiers, from the lineage. The service point
must be open on the local day the dossier was received there: a district centre closed on 1 July really
did receive the dossiers it took in June, even when they were completed later, so refusing those would
lose true records. A unit not yet valid on the day is refused with the unit(s) valid then.

Reason codes: `retired_unit` (the day is on or after the unit's valid_to) and `unit_not_yet_valid`
(before its valid_from). Pure reads, loaded once per batch; nothing here writes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models.registry import Agency, LineageKind, ServicePoint
from survey.services.common import formats
from survey.services.common.i18n import tr as _
from survey.services.registry import lineage

RETIRED = "retired_unit"
NOT_YET = "unit_not_yet_valid"
CODES = (RETIRED, NOT_YET)
Bounds = tuple[date | None, date | None]


@dataclass
class UnitDates:
    """Validity bounds, codes and names of the registry's agencies and service points, for one batch."""

    agencies: dict[int, Bounds]
    points: dict[int, Bounds]
    names: dict[int, tuple[str, str]]        # agency id -> (code, Vietnamese name)
    point_names: dict[int, tuple[str, str]]
    _graph: lineage.LineageGraph | None = field(default=None, repr=False)
    _session: Session | None = field(default=None, repr=False)

    @classmethod
    def load(cls, session: Session) -> UnitDates:
        """Read every agency's and service point's validity (two queries; the lineage only when needed)."""
        agencies, names = {}, {}
        for agency_id, code, name, start, end in session.execute(
                select(Agency.id, Agency.code, Agency.name_vi, Agency.valid_from, Agency.valid_to)):
            names[agency_id] = (code, name)
            if start is not None or end is not None:
                agencies[agency_id] = (start, end)
        points, point_names = {}, {}
        for point_id, code, name, start, end in session.execute(
                select(ServicePoint.id, ServicePoint.code, ServicePoint.name_vi, ServicePoint.valid_from,
                       ServicePoint.valid_to)):
            point_names[point_id] = (code, name)
            if start is not None or end is not None:
                points[point_id] = (start, end)
        return cls(agencies, points, names, point_names, _session=session)

    @property
    def dated(self) -> bool:
        """Whether any unit has a validity bound at all (a registry without history skips every check)."""
        return bool(self.agencies or self.points)

    def graph(self) -> lineage.LineageGraph:
        """The lineage graph, loaded on the first refusal only (most batches never need it)."""
        if self._graph is None:
            self._graph = lineage.LineageGraph(self._session)  # loaded once per batch
        return self._graph


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The province-local day of a naive-UTC moment (what a unit's validity dates are in)."""
    return moment.replace(tzinfo=UTC).astimezone(zone).date()


def _outside(bounds: Bounds | None, day: date) -> str | None:
    if bounds is None:
        return None
    start, end = bounds
    if end is not None and day >= end:
        return RETIRED
    if start is not None and day < start:
        return NOT_YET
    return None


def check(result, units: UnitDates, zone: ZoneInfo) -> None:
    """Refuse a validated record (result.row set) whose agency or service point is not valid on its day."""
    row = result.row
    if row is None or not units.dated:
        return
    dossier = row.get("kind", "dossier") == "dossier"
    agency_field, point_field = ("agency", "service_point") if dossier else ("unit_code", "service_point_code")
    done = local_day(row["completed_at"], zone)
    why = _outside(units.agencies.get(row["agency_id"]), done)
    if why is not None:
        _refuse(result, why, agency_field, *_agency_message(units, row["agency_id"], why, done))
    point_id = row.get("service_point_id")
    if point_id is not None:
        received = local_day(row["received_at"], zone)
        why = _outside(units.points.get(point_id), received)
        if why is not None:
            _refuse(result, why, point_field, _point_message(units, point_id, why, received), [])
    if result.errors:
        result.row = None


def _refuse(result, code: str, fieldname: str, message: str, replacements: list[str]) -> None:
    error = {"code": code, "field": fieldname, "message": message}
    if replacements:
        error["replacement_codes"] = replacements  # the codes to send instead, for the source system's mapping
    result.errors.append(error)


def _agency_message(units: UnitDates, agency_id: int, why: str, day: date) -> tuple[str, list[str]]:
    code, name = units.names[agency_id]
    start, end = units.agencies[agency_id]
    graph = units.graph()
    if why == RETIRED:
        mapped = graph.successors(agency_id, day)
        found = [units.names[node] for node, _share in mapped]
        if not found:
            return _("%(unit)s (mã %(code)s) không còn hiệu lực từ %(since)s và không có đơn vị kế thừa trong danh "
                     "mục; kiểm tra lại mã cơ quan của hồ sơ.", unit=name, code=code, since=formats.day(end)), []
        edges = graph.out.get(agency_id, ())
        kinds = {edge.kind for edge in edges}
        words = dict(unit=name, code=code, since=formats.day(end), successors=", ".join(f"{n} ({c})" for c, n in found),
                     codes=_(" hoặc ").join(c for c, _n in found))
        if {node for node, _share in mapped} - {edge.successor_id for edge in edges}:  # a chain of reorganisations
            return _("%(unit)s (mã %(code)s) không còn hiệu lực từ %(since)s; qua các lần sắp xếp, hồ sơ của đơn vị "
                     "này nay thuộc %(successors)s; gửi hồ sơ với mã %(codes)s.", **words), [c for c, _n in found]
        change = (_("đã chia thành") if LineageKind.SPLIT in kinds else
                  _("đã đổi tên thành") if kinds == {LineageKind.RENAME} else _("đã sáp nhập vào"))
        return _("%(unit)s (mã %(code)s) %(change)s %(successors)s từ %(since)s; gửi hồ sơ với mã %(codes)s.",
                 change=change, **words), [c for c, _n in found]
    earlier = [units.names[p] for p in sorted(graph.predecessors(agency_id)) if graph.valid(p, day)]
    if not earlier:
        return _("%(unit)s (mã %(code)s) chỉ có hiệu lực từ %(since)s; hồ sơ hoàn thành ngày %(day)s không thể "
                 "thuộc đơn vị này.", unit=name, code=code, since=formats.day(start), day=formats.day(day)), []
    return _("%(unit)s (mã %(code)s) chỉ có hiệu lực từ %(since)s; hồ sơ hoàn thành ngày %(day)s gửi với mã "
             "%(codes)s.", unit=name, code=code, since=formats.day(start), day=formats.day(day),
             codes=_(" hoặc ").join(c for c, _n in earlier)), [c for c, _n in earlier]


def _point_message(units: UnitDates, point_id: int, why: str, day: date) -> str:
    code, name = units.point_names[point_id]
    start, end = units.points[point_id]
    if why == RETIRED:
        return _("Điểm phục vụ %(point)s (mã %(code)s) đã đóng từ %(since)s; hồ sơ tiếp nhận ngày %(day)s phải ghi "
                 "điểm phục vụ đang hoạt động.", point=name, code=code, since=formats.day(end), day=formats.day(day))
    return _("Điểm phục vụ %(point)s (mã %(code)s) chỉ hoạt động từ %(since)s; hồ sơ tiếp nhận ngày %(day)s không "
             "thể ghi điểm này.", point=name, code=code, since=formats.day(start), day=formats.day(day))
