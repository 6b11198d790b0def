"""Validating one intake record (API or CSV row) against the registry, without touching the database.

`validate` turns a raw record into the dossier's column values and content hash, or lists every problem
with a stable code (REASON_CODES) and a Vietnamese message.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Agency, Procedure, Sector, ServicePoint
from survey.models.fieldwork import CHANNELS, OUTCOMES
from survey.services.common.i18n import tr as _
from survey.services.common.texts import storable_text
from survey.services.intake import validity
from survey.services.intake.areas import check_area_code, known_area_codes

FIELDS = ("external_id", "agency", "procedure", "sector", "service_point", "channel", "received_at", "due_at",
          "completed_at", "outcome", "phone", "kiosk_handoff", "competent_agency_code", "received_service_point_code",
          "citizen_area_code")
REQUIRED = ("external_id", "agency", "channel", "received_at", "completed_at", "outcome")
# Clearer names for the same fields (issue 19): who decides, and where it was received.
ALIASES = {"agency": "competent_agency_code", "service_point": "received_service_point_code"}
MAX_LEN = {"external_id": 128, "agency": 64, "procedure": 64, "sector": 64, "service_point": 64, "phone": 32,
           "competent_agency_code": 64, "received_service_point_code": 64, "citizen_area_code": 16,
           "kind": 32, "unit_code": 64, "event_type": 32, "department": 120, "class": 120,
           "service_point_code": 64}
PHONE_RE = re.compile(r"^(?:\+?84|0)(\d{9,10})$")
EARLIEST = datetime(2000, 1, 1)
FUTURE_SLACK = timedelta(minutes=10)  # clocks of one-stop servers drift a little
IN_CHUNK = 900                        # below SQLite's historic 999 bound parameters
REASON_CODES = ("not_an_object", "missing_field", "bad_value", "unknown_agency", "unknown_procedure", "unknown_sector",
                "sector_mismatch", "unknown_service_point", "bad_channel", "bad_outcome", "bad_date",
                "completed_before_received", "due_before_received", "date_in_future", "conflict", "out_of_scope",
                "alias_mismatch", "bad_area_code", "bad_kind", "unknown_unit", "bad_event_type", *validity.CODES)
WARNING_CODES = ("bad_phone", "kiosk_no_service_point", "kiosk_failed")


class RecordStatus(StrEnum):
    """What became of one record: stored, already stored with the same content, or rejected."""

    STORED = "stored"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


STATUSES = tuple(status.value for status in RecordStatus)


@dataclass
class CodeMaps:
    """Registry codes → ids, loaded once per batch."""

    agencies: dict[str, int]
    sectors: dict[str, int]
    procedures: dict[str, tuple[int, int]]   # code -> (procedure id, sector id)
    service_points: dict[str, int]
    sector_codes: dict[int, str]
    agency_levels: dict[int, str] = field(default_factory=dict)   # agency id -> level value
    area_codes: frozenset[str] | None = None   # official commune-level codes; None: the registry has none
    units: validity.UnitDates | None = None    # validity of agencies and points; None: not checked

    @classmethod
    def load(cls, session: Session) -> CodeMaps:
        """Read the registry codes, agency levels and official commune-level codes into dictionaries."""
        sectors = dict(session.execute(select(Sector.code, Sector.id)).all())
        agencies = session.execute(select(Agency.code, Agency.id, Agency.level)).all()
        return cls(
            agencies={code: agency_id for code, agency_id, _level in agencies},
            agency_levels={agency_id: str(level) for _code, agency_id, level in agencies},
            area_codes=known_area_codes(session),
            units=validity.UnitDates.load(session),
            sectors=sectors,
            procedures={c: (i, s) for c, i, s in session.execute(select(Procedure.code, Procedure.id,
                                                                        Procedure.sector_id)).all()},
            service_points=dict(session.execute(select(ServicePoint.code, ServicePoint.id)).all()),
            sector_codes={v: k for k, v in sectors.items()},
        )


@dataclass
class RecordResult:
    """The outcome of one record: stored, unchanged or rejected (with reasons), and its invitations."""

    index: int
    external_id: str | None
    status: RecordStatus = RecordStatus.REJECTED
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    invitations: list[dict] = field(default_factory=list)   # wave, token, expires_at, kiosk_handoff
    row: dict | None = None
    phone: str | None = None
    kiosk: bool = False


def _err(result: RecordResult, code: str, fieldname: str, message: str) -> None:
    result.errors.append({"code": code, "field": fieldname, "message": message})


def _text(raw: dict, name: str, result: RecordResult) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and name in ("external_id", "phone"):
        value = str(value)  # numeric ids and phone numbers from spreadsheets
    if not isinstance(value, str):
        _err(result, "bad_value", name, _("Trường %(field)s phải là chuỗi ký tự.", field=name))
        return None
    if not storable_text(value):
        _err(result, "bad_value", name, _("Trường %(field)s chứa ký tự không hợp lệ (NUL hoặc mã Unicode lẻ).",
                                          field=name))
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_LEN.get(name, 64):
        _err(result, "bad_value", name, _("Trường %(field)s dài quá %(n)d ký tự.", field=name, n=MAX_LEN.get(name, 64)))
        return None
    return value


def _when(raw: dict, name: str, result: RecordResult, zone: ZoneInfo, end_of_day: bool = False) -> datetime | None:
    """ISO 8601 → naive UTC; no offset means local time; a bare date means its start (or end for due_at)."""
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        text = value.strip()
        parsed = datetime.fromisoformat(text)
        if len(text) == 10 and end_of_day:
            parsed = datetime.combine(parsed.date(), time(23, 59, 59))
    except (TypeError, ValueError, AttributeError):
        _err(result, "bad_date", name, _("Ngày giờ ở trường %(field)s không đúng định dạng ISO 8601 "
                                          "(ví dụ 2025-03-14T09:30:00+07:00): %(value)s", field=name,
                                          value=str(value)[:40]))
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    try:
        utc = parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01 east of Greenwich, 9999-12-31 west of it: no UTC time in range
        _err(result, "bad_date", name, _("Ngày ở trường %(field)s nằm ngoài khoảng ngày giờ xử lý được: %(value)s",
                                          field=name, value=text[:40]))
        return None
    if utc < EARLIEST:
        _err(result, "bad_date", name, _("Ngày ở trường %(field)s quá xa trong quá khứ: %(value)s", field=name,
                                          value=text))
        return None
    return utc


def begin(raw: object, index: int) -> RecordResult:
    """The result of one record, named by its external id; refused at once when it is not a JSON object."""
    if not isinstance(raw, dict):
        result = RecordResult(index, None)
        _err(result, "not_an_object", "", _("Bản ghi phải là một đối tượng JSON."))
        return result
    ext = raw.get("external_id")
    return RecordResult(index, str(ext)[:128] if ext is not None else None)


def validate(raw: object, index: int, maps: CodeMaps, zone: ZoneInfo, now: datetime) -> RecordResult:
    """Check one record; on success `result.row` holds the dossier's column values and content hash."""
    result = begin(raw, index)
    if not isinstance(raw, dict):
        return result
    values = {name: _text(raw, name, result) for name in ("external_id", "agency", "procedure", "sector",
                                                           "service_point", "channel", "outcome", "phone",
                                                           *ALIASES.values(), "citizen_area_code")}
    for name, alias in ALIASES.items():
        values[name] = merge_alias(values, name, alias, result)
    times = {"received_at": _when(raw, "received_at", result, zone),
             "completed_at": _when(raw, "completed_at", result, zone),
             "due_at": _when(raw, "due_at", result, zone, end_of_day=True)}
    for name in REQUIRED:
        present = values.get(name) if name in values else times.get(name)
        if present is None and not any(e["field"] == name for e in result.errors):
            _err(result, "missing_field", name, _("Thiếu trường bắt buộc: %(field)s.", field=name))
    if values["procedure"] is None and values["sector"] is None:
        _err(result, "missing_field", "sector", _("Cần mã thủ tục (procedure) hoặc mã lĩnh vực (sector)."))
    agency_id = maps.agencies.get(values["agency"]) if values["agency"] else None
    if values["agency"] and agency_id is None:
        _err(result, "unknown_agency", "agency", _("Mã cơ quan không có trong danh mục: %(code)s.",
                                                   code=values["agency"]))
    procedure_id, sector_id = None, None
    if values["procedure"]:
        found = maps.procedures.get(values["procedure"])
        if found is None:
            _err(result, "unknown_procedure", "procedure",
                 _("Mã thủ tục không có trong danh mục: %(code)s.", code=values["procedure"]))
        else:
            procedure_id, sector_id = found
    if values["sector"]:
        given = maps.sectors.get(values["sector"])
        if given is None:
            _err(result, "unknown_sector", "sector", _("Mã lĩnh vực không có trong danh mục: %(code)s.",
                                                       code=values["sector"]))
        elif sector_id is not None and given != sector_id:
            _err(result, "sector_mismatch", "sector",
                 _("Thủ tục %(procedure)s thuộc lĩnh vực %(expected)s, không phải %(given)s.",
                   procedure=values["procedure"], expected=maps.sector_codes.get(sector_id), given=values["sector"]))
        else:
            sector_id = given
    service_point_id = None
    if values["service_point"]:
        service_point_id = maps.service_points.get(values["service_point"])
        if service_point_id is None:
            _err(result, "unknown_service_point", "service_point",
                 _("Mã điểm phục vụ không có trong danh mục: %(code)s.", code=values["service_point"]))
    if values["channel"] and values["channel"] not in CHANNELS:
        _err(result, "bad_channel", "channel", _("Kênh không hợp lệ: %(value)s (chấp nhận: %(allowed)s).",
                                                 value=values["channel"], allowed=", ".join(CHANNELS)))
    if values["outcome"] and values["outcome"] not in OUTCOMES:
        _err(result, "bad_outcome", "outcome", _("Kết quả không hợp lệ: %(value)s (chấp nhận: %(allowed)s).",
                                                 value=values["outcome"], allowed=", ".join(OUTCOMES)))
    received, completed, due = times["received_at"], times["completed_at"], times["due_at"]
    if received and completed and completed < received:
        _err(result, "completed_before_received", "completed_at", _("Ngày hoàn thành sớm hơn ngày tiếp nhận."))
    if received and due and due < received:
        _err(result, "due_before_received", "due_at", _("Ngày hẹn trả sớm hơn ngày tiếp nhận."))
    for name in ("received_at", "completed_at"):
        if times[name] and times[name] > now + FUTURE_SLACK:
            _err(result, "date_in_future", name, _("Ngày ở trường %(field)s nằm ở tương lai.", field=name))
    area = check_area_code(values["citizen_area_code"], maps.area_codes, result)
    take_phone(values["phone"], result)
    result.kiosk = raw.get("kiosk_handoff") in (True, "true", "1", 1, "yes")
    if result.errors:
        return result
    key = "\x1f".join([values["external_id"], values["agency"], maps.sector_codes[sector_id], values["procedure"] or "",
                       values["service_point"] or "", values["channel"], received.isoformat(),
                       due.isoformat() if due else "", completed.isoformat(), values["outcome"]]
                      # Only when given: a dossier stored before the field existed, resent, stays unchanged.
                      + ([area] if area else []))
    result.row = {
        "external_id": values["external_id"], "agency_id": agency_id, "sector_id": sector_id,
        "procedure_id": procedure_id, "service_point_id": service_point_id, "channel": values["channel"],
        "received_at": received, "due_at": due, "completed_at": completed, "outcome": values["outcome"],
        "on_time": (completed <= due) if due else None, "citizen_area_code": area, **DOSSIER_ONLY,
        "content_hash": hashlib.sha256(key.encode("utf-8")).hexdigest(),
    }
    return result


# The event columns of a plain dossier (every row of a batch names the same columns: one executemany).
DOSSIER_ONLY = {"kind": "dossier", "event_type": None, "unit_department": None}


def merge_alias(values: dict, name: str, alias: str, result: RecordResult) -> str | None:
    """The field's value given under its name or its alias; both given and different is an error."""
    given, other = values.get(name), values.get(alias)
    if given is not None and other is not None and given != other:
        _err(result, "alias_mismatch", alias, _("Trường %(alias)s (%(other)s) khác trường %(field)s (%(given)s); "
                                                "chỉ cần gửi một trong hai.", alias=alias, other=other, field=name,
                                                given=given))
    return given if given is not None else other


def take_phone(phone: str | None, result: RecordResult) -> None:
    """Keep a valid Vietnamese mobile number (normalised to 0...) for the contact; warn and drop any other."""
    if not phone:
        return
    match = PHONE_RE.match(re.sub(r"[\s.\-()]", "", phone))
    if match:
        result.phone = "0" + match.group(1)
    else:
        result.warnings.append({"code": "bad_phone", "field": "phone",
                                "message": _("Số điện thoại không hợp lệ nên đã bỏ qua (hồ sơ vẫn được nhận).")})
