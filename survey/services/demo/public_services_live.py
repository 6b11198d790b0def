"""Demo of the discharge desk: a live (launched, not closed) inpatient wave of the current quarter at the
provincial hospital, a ward clerk's account at its discharge desk, a kiosk tablet there, and a few patients
discharged just now whose invitations the clerk may hand to that kiosk.

Called by the public-services step (demo/public_services.py) after its units and closed waves exist.
A clerk may hand off only a discharge made at his desk within the last KIOSK_HANDOFF_RETURN_MINUTES whose
token nobody holds (survey.services.kiosk.handoff), so each run tops the desk up to OPEN_AT_DESK such
invitations, sent through the real intake service (validate_event, selection on arrival) like a hospital's
software would; a run right after another adds none. The wave, the clerk and the tablet are made once; the
tablet's one-time enrolment code is issued afresh on every run (only its hash is stored).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from survey.models import Agency, Device, ServicePoint, User, Wave
from survey.models._base import utcnow
from survey.models.fieldwork import WaveStatus
from survey.models.user import Role
from survey.services.common import audit

HOSPITAL, EVENT_TYPE = "HT-BVDKT", "inpatient"
DESK = HOSPITAL + "-RV"
CLERK = "clerk"
DEVICE_LABEL = "Kiosk demo — bàn thủ tục ra viện"
OPEN_AT_DESK = 4


def _quarter(day: date) -> tuple[date, date, int, int]:
    """The quarter containing `day`: (start, end, year, quarter)."""
    q = (day.month - 1) // 3
    start = date(day.year, 3 * q + 1, 1)
    end = date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1) - timedelta(days=1)
    return start, end, day.year, q + 1


def wave_code(day: date) -> str:
    """The live wave's code for the quarter containing `day` ("NOITRU-2026-Q4")."""
    _s, _e, year, q = _quarter(day)
    return "NOITRU-%d-Q%d" % (year, q)


def _wave(ctx, day: date) -> Wave | None:
    """The current quarter's inpatient wave, created and launched once (None without the instrument)."""
    from survey.services.questionnaires.bank import get_version
    from survey.services.sampling import waves

    s = ctx.session
    wave = s.scalar(select(Wave).where(Wave.code == wave_code(day)))
    if wave is not None:
        return wave
    version = get_version(s, "health-inpatient")
    if version is None:
        return None
    start, end, year, q = _quarter(day)
    wave = waves.create_wave(s, code=wave_code(day), period_start=start, period_end=end, version=version,
                             name="Khảo sát hài lòng người bệnh nội trú quý %d/%d (đang chạy, demo)" % (q, year),
                             name_en="Inpatient satisfaction survey, Q%d %d (running, demo)" % (q, year),
                             margin=0.1, response_rate=0.6, min_responses=10, seed="demo-noitru-%d-Q%d" % (year, q))
    waves.launch(s, wave)
    return wave


def _clerk(ctx, desk: ServicePoint) -> None:
    """The ward clerk who hands discharges over to the desk's kiosk (an officer of that service point)."""
    s = ctx.session
    if s.scalar(select(User.id).where(User.username == CLERK)) is not None:
        return
    from survey.services.accounts.users import create_user
    from survey.services.demo.workspace import PASSWORD

    create_user(s, CLERK, PASSWORD, Role.OFFICER, service_point_id=desk.id,
                full_name="Điều dưỡng hành chính khoa (demo)")


def _device(ctx, desk: ServicePoint) -> str:
    """The desk's kiosk tablet (made once) and a fresh one-time enrolment code for it."""
    from survey.services.kiosk import devices

    s = ctx.session
    device = s.scalar(select(Device).where(Device.service_point_id == desk.id, Device.label == DEVICE_LABEL))
    if device is None:
        device, code = devices.create_device(s, desk, DEVICE_LABEL, hours=24 * 7)
        audit.record(s, "cli", "device.create", "device", device.id, service_point=desk.code, demo=True)
        return code
    return devices.issue_code(s, device, hours=24 * 7)


def open_at_desk(session, desk: ServicePoint, now: datetime) -> int:
    """How many invitations the desk's clerk may hand to the kiosk right now (the hand-off rule, with its
    default window: the demo does not read the app's configuration)."""
    from survey.services.kiosk.handoff import RETURN_MINUTES, eligible

    return session.scalar(select(func.count()).select_from(eligible(desk.id, now, RETURN_MINUTES).subquery()))


def _discharges(ctx, desk: ServicePoint, catchment, departments: list[str]) -> int:
    """Discharge just-now patients at the desk through intake until OPEN_AT_DESK are open there (at most
    a few batches: the wave samples with its π, not all of them)."""
    from survey.services.demo.public_services import SOURCE, resident_of
    from survey.services.intake import batch as intake
    from survey.services.intake.events import validate_event

    s, rng = ctx.session, ctx.rng
    source, _created = intake.get_or_create_source(s, SOURCE, "Phần mềm quản lý bệnh viện, trường học (demo)")
    sent = 0
    for _round in range(5):
        now = utcnow()
        missing = OPEN_AT_DESK - open_at_desk(s, desk, now)
        if missing <= 0:
            break
        records = []
        for k in range(missing + 1):
            ended = (now - timedelta(minutes=2 + 3 * k)).replace(microsecond=0)
            area = resident_of(rng, catchment)
            records.append({"external_id": "RV-%s-%02d" % (now.strftime("%Y%m%d%H%M%S%f"), k), "kind": "hospital_visit",
                            "unit_code": HOSPITAL, "event_type": EVENT_TYPE, "department": rng.choice(departments),
                            "service_point_code": desk.code, "started_at": (ended - timedelta(days=rng.randint(2, 9)))
                            .isoformat() + "+00:00", "ended_at": ended.isoformat() + "+00:00",
                            **({"citizen_area_code": area} if area else {})})
        result = intake.ingest(s, source, records, deliver=False, validator=validate_event)
        bad = [e for r in result.results for e in r.errors]
        if bad:  # our own records: an error here is a bug, not user input
            raise RuntimeError("Demo discharges rejected: %s" % bad[:3])
        sent += len(records)
    return sent


def seed(ctx, rows: list[dict]) -> None:
    """The live inpatient wave, the clerk, the desk's kiosk and fresh discharges to hand off; URLs and notes."""
    from survey.services.demo.public_services import catchments
    from survey.services.demo.workspace import PASSWORD
    from survey.services.kiosk import devices
    from survey.services.kiosk.handoff import RETURN_MINUTES

    s = ctx.session
    desk = s.scalar(select(ServicePoint).where(ServicePoint.code == DESK))
    hospital = s.scalar(select(Agency).where(Agency.code == HOSPITAL))
    if desk is None or hospital is None:
        return
    wave = _wave(ctx, date.today())
    if wave is None or wave.status != WaveStatus.LAUNCHED:
        ctx.notes.append("Demo bàn ra viện: chưa có bảng hỏi người bệnh nội trú hoặc đợt đã đóng.")
        return
    _clerk(ctx, desk)
    code = _device(ctx, desk)
    mine = next(r for r in rows if r["code"] == HOSPITAL and r["event_type"] == EVENT_TYPE)
    sent = _discharges(ctx, desk, catchments(s, [mine]).get(HOSPITAL), mine["departments"].split(";"))
    ctx.data["live_health_wave"] = wave.code
    open_now = open_at_desk(s, desk, utcnow())
    ctx.urls.append(("Kiosk bàn ra viện %s — đăng ký máy (mã dùng một lần %s)" % (hospital.name_vi,
                                                                                 devices.format_code(code)),
                     "/kiosk/enrol?code=%s" % code))
    ctx.urls.append(("Bàn ra viện: chuyển người bệnh vừa ra viện sang kiosk (tài khoản clerk)", "/kiosk/handoff"))
    ctx.notes.append("Demo bàn ra viện: đợt %s đang chạy; %d người bệnh vừa ra viện tại %s có thư mời chưa giao "
                     "(%d lượt ra viện mới gửi vào như phần mềm bệnh viện lần này). Đăng ký máy kiosk ở trên, "
                     "đăng nhập clerk (mật khẩu %s), chọn một người bệnh và chuyển sang kiosk; chỉ chuyển được "
                     "trong %d phút sau khi ra viện — chạy lại `hailong seed demo` để có người bệnh mới."
                     % (wave.code, open_now, desk.name_vi, sent, PASSWORD, RETURN_MINUTES))
