"""Validating one service event (a hospital visit or a school enrolment) into the columns of a dossier row.

A service event is a frame record that is not an administrative dossier (issue 22): the unit is the
hospital or school (an agency of level health_facility / school, under its managing agency), the type
is inpatient/outpatient or the school level, the department or class is kept as given. It is stored
as a dossier of its kind, so the rules of dossiers hold unchanged: one external id per source, resends
unchanged, scoped keys, contacts apart, selection on arrival. The sector follows from the kind.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from survey.models.fieldwork import EVENT_TYPES, OUTCOMES, DossierChannel, DossierKind, Outcome
from survey.services.common.i18n import tr as _
from survey.services.intake.areas import check_area_code
from survey.services.intake.records import (
    FUTURE_SLACK,
    CodeMaps,
    RecordResult,
    _err,
    _text,
    _when,
    begin,
    merge_alias,
    take_phone,
)

EVENT_FIELDS = ("external_id", "kind", "unit_code", "event_type", "department", "class", "service_point_code",
                "started_at", "ended_at", "outcome", "phone", "citizen_area_code", "kiosk_handoff")
EVENT_REQUIRED = ("external_id", "kind", "unit_code", "event_type", "started_at")
KINDS = tuple(k.value for k in DossierKind if k != DossierKind.DOSSIER)
# The registry level of each kind's unit, and the sector code its events count under.
UNIT_LEVEL = {DossierKind.HOSPITAL_VISIT: "health_facility", DossierKind.SCHOOL_ENROLMENT: "school"}
SECTOR_OF = {DossierKind.HOSPITAL_VISIT: "health", DossierKind.SCHOOL_ENROLMENT: "education"}


def validate_event(raw: object, index: int, maps: CodeMaps, zone: ZoneInfo, now: datetime) -> RecordResult:
    """Check one service event; on success `result.row` holds its dossier columns and content hash."""
    result = begin(raw, index)
    if not isinstance(raw, dict):
        return result
    values = {name: _text(raw, name, result) for name in ("external_id", "kind", "unit_code", "event_type",
                                                           "department", "class", "service_point_code",
                                                           "outcome", "phone", "citizen_area_code")}
    values["department"] = merge_alias(values, "department", "class", result)
    started, ended = _when(raw, "started_at", result, zone), _when(raw, "ended_at", result, zone)
    for name in EVENT_REQUIRED:
        present = started if name == "started_at" else values.get(name)
        if present is None and not any(e["field"] == name for e in result.errors):
            _err(result, "missing_field", name, _("Thiếu trường bắt buộc: %(field)s.", field=name))
    kind = _kind(values["kind"], result)
    unit_id = _unit(values["unit_code"], kind, maps, result)
    event_type = _event_type(values["event_type"], kind, result)
    sector_id = None
    if kind is not None:
        sector_id = maps.sectors.get(SECTOR_OF[kind])
        if sector_id is None:
            _err(result, "unknown_sector", "kind", _("Danh mục chưa có lĩnh vực %(code)s để ghi nhận loại sự kiện "
                                                     "này.", code=SECTOR_OF[kind]))
    point_id = None
    if values["service_point_code"]:
        point_id = maps.service_points.get(values["service_point_code"])
        if point_id is None:
            _err(result, "unknown_service_point", "service_point_code",
                 _("Mã điểm phục vụ không có trong danh mục: %(code)s.", code=values["service_point_code"]))
    outcome = values["outcome"] or Outcome.APPROVED.value  # served, unless the source says otherwise
    if outcome not in OUTCOMES:
        _err(result, "bad_outcome", "outcome", _("Kết quả không hợp lệ: %(value)s (chấp nhận: %(allowed)s).",
                                                 value=outcome, allowed=", ".join(OUTCOMES)))
    if started and ended and ended < started:
        _err(result, "completed_before_received", "ended_at", _("Ngày kết thúc sớm hơn ngày bắt đầu."))
    for name, when in (("started_at", started), ("ended_at", ended)):
        if when and when > now + FUTURE_SLACK:
            _err(result, "date_in_future", name, _("Ngày ở trường %(field)s nằm ở tương lai.", field=name))
    area = check_area_code(values["citizen_area_code"], maps.area_codes, result)
    take_phone(values["phone"], result)
    result.kiosk = raw.get("kiosk_handoff") in (True, "true", "1", 1, "yes")
    if result.errors:
        return result
    ended = ended or started  # an outpatient visit or an enrolment may have one date
    key = "\x1f".join([values["external_id"], kind.value, values["unit_code"], event_type, values["department"] or "",
                       values["service_point_code"] or "", started.isoformat(), ended.isoformat(), outcome,
                       area or ""])
    result.row = {
        "external_id": values["external_id"], "agency_id": unit_id, "sector_id": sector_id, "procedure_id": None,
        "service_point_id": point_id, "channel": DossierChannel.IN_PERSON.value, "received_at": started,
        "due_at": None, "completed_at": ended, "outcome": outcome, "on_time": None, "citizen_area_code": area,
        "kind": kind.value, "event_type": event_type, "unit_department": values["department"],
        "content_hash": hashlib.sha256(key.encode("utf-8")).hexdigest(),
    }
    return result


def _kind(value: str | None, result: RecordResult) -> DossierKind | None:
    if value is None:
        return None
    if value not in KINDS:
        _err(result, "bad_kind", "kind", _("Loại sự kiện không hợp lệ: %(value)s (chấp nhận: %(allowed)s).",
                                           value=value, allowed=", ".join(KINDS)))
        return None
    return DossierKind(value)


def _unit(code: str | None, kind: DossierKind | None, maps: CodeMaps, result: RecordResult) -> int | None:
    """The hospital's or school's agency id; it must exist and be of the kind's level."""
    if code is None:
        return None
    unit_id = maps.agencies.get(code)
    if unit_id is None:
        _err(result, "unknown_unit", "unit_code", _("Mã đơn vị không có trong danh mục: %(code)s.", code=code))
        return None
    if kind is not None and maps.agency_levels.get(unit_id) != UNIT_LEVEL[kind]:
        what = _("cơ sở y tế") if kind == DossierKind.HOSPITAL_VISIT else _("trường học")
        _err(result, "unknown_unit", "unit_code", _("Đơn vị %(code)s không phải là %(what)s trong danh mục.",
                                                    code=code, what=what))
        return None
    return unit_id


def _event_type(value: str | None, kind: DossierKind | None, result: RecordResult) -> str | None:
    if value is None or kind is None:
        return None
    allowed = [t.value for t in EVENT_TYPES[kind]]
    if value not in allowed:
        _err(result, "bad_event_type", "event_type",
             _("Loại %(value)s không dùng được cho %(kind)s (chấp nhận: %(allowed)s).", value=value, kind=kind.value,
               allowed=", ".join(allowed)))
        return None
    return value
