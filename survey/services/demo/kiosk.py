"""Demo step 2: a kiosk tablet registered at the provincial centre, and the counter officer's account.

Idempotent: the demo device is created once; every run issues it a fresh one-time enrolment code
(only its hash is stored, so the code printed by this run is the one that works). A tablet that
already enrolled keeps working until the new code is used.

Puts into ctx.data: kiosk_device_id, kiosk_service_point_code, kiosk_enrolment_code.
"""
from __future__ import annotations

from sqlalchemy import select

from survey.models import Device, ServicePoint, User
from survey.models.registry import ServicePointKind
from survey.models.user import Role
from survey.services.common import audit
from survey.services.kiosk import devices

DEMO_LABEL = "Kiosk demo — sảnh chính"
OFFICER = "officer"
DEFAULT_PASSWORD = "hailong-demo-2025"


def _centre(ctx) -> ServicePoint | None:
    s = ctx.session
    code = ctx.data.get("province_centre_code")
    point = s.scalar(select(ServicePoint).where(ServicePoint.code == code)) if code else None
    if point is None:
        point = s.scalar(select(ServicePoint).where(ServicePoint.kind == ServicePointKind.PROVINCE_CENTRE)
                          .order_by(ServicePoint.id))
    if point is None:
        point = s.scalar(select(ServicePoint).order_by(ServicePoint.id))
    return point


def _officer(ctx, point: ServicePoint) -> None:
    """The counter officer who hands results over to the kiosk (shared with the workspace step)."""
    s = ctx.session
    if s.scalar(select(User.id).where(User.username == OFFICER)) is not None:
        return
    try:
        from survey.services.accounts.users import create_user
    except ImportError:
        ctx.notes.append("Chưa có chức năng tài khoản: chưa tạo tài khoản cán bộ một cửa demo.")
        return
    try:
        from survey.services.demo.workspace import PASSWORD
    except ImportError:
        PASSWORD = DEFAULT_PASSWORD
    create_user(s, OFFICER, PASSWORD, Role.OFFICER, service_point_id=point.id, full_name="Cán bộ một cửa (demo)")


def seed(ctx) -> None:
    """Register (or re-code) the demo kiosk and print its enrolment address."""
    s = ctx.session
    point = _centre(ctx)
    if point is None:
        ctx.notes.append("Demo kiosk: chưa có điểm phục vụ nào nên chưa đăng ký máy kiosk.")
        return
    device = s.scalar(select(Device).where(Device.service_point_id == point.id, Device.label == DEMO_LABEL))
    if device is None:
        device, code = devices.create_device(s, point, DEMO_LABEL, hours=24 * 7)
        audit.record(s, "cli", "device.create", "device", device.id, service_point=point.code, demo=True)
    else:
        code = devices.issue_code(s, device, hours=24 * 7)
    ctx.data.update(kiosk_device_id=device.id, kiosk_service_point_code=point.code, kiosk_enrolment_code=code)
    _officer(ctx, point)
    ctx.urls.append((f"Kiosk demo — đăng ký máy tính bảng (mã dùng một lần {devices.format_code(code)})",
                     f"/kiosk/enrol?code={code}"))
    ctx.urls.append(("Kiosk demo (sau khi đăng ký)", "/kiosk/"))
    ctx.urls.append(("Cán bộ một cửa: chuyển lượt đánh giá sang kiosk (tài khoản officer)", "/kiosk/handoff"))
    ctx.urls.append(("Quản trị máy kiosk: lần cuối liên lạc, cấp mã, thu hồi", "/admin/devices"))
    ctx.notes.append(f"Kiosk demo tại {point.name_vi}: mở đường dẫn đăng ký máy ở trên trên máy tính bảng "
                     "(mã dùng một lần, hết hạn sau 7 ngày; chạy lại `hailong seed demo` để có mã mới).")
