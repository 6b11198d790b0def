"""`hailong device ...`: register kiosk tablets, issue enrolment codes, list and revoke devices."""
from __future__ import annotations

import click
import segno
from flask import current_app
from flask.cli import AppGroup

from survey.commands import write
from survey.extensions import db
from survey.models import Device
from survey.services.kiosk import devices
from survey.services.kiosk import operations as kiosk_ops

device_cli = AppGroup("device", help="Máy khảo sát (kiosk): đăng ký, cấp mã, liệt kê, thu hồi.")
commands = [device_cli]


def _enrolment_url(code: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/kiosk/enrol?code=" + code


def _print_code(device: Device, code: str, qr: bool) -> None:
    url = _enrolment_url(code)
    click.echo(f"Máy #{device.id} “{device.label}” — {device.service_point.name_vi} ({device.service_point.code})")
    click.echo(f"  Mã đăng ký (dùng một lần): {devices.format_code(code)}")
    click.echo(f"  Hết hạn lúc (UTC):         {device.enrolment_expires_at:%Y-%m-%d %H:%M}")
    click.echo(f"  Mở trên máy tính bảng:     {url}")
    if qr:
        segno.make(url, error="m").terminal(compact=True)


def _device(device_id: int) -> Device:
    device = db.session.get(Device, device_id)
    if device is None:
        raise click.ClickException(f"Không có máy #{device_id}.")
    return device


@device_cli.command("enrol")
@click.option("--service-point", "service_point", required=True, metavar="CODE",
              help="Mã điểm phục vụ nơi đặt máy (ví dụ PVHCC, trung tâm tỉnh trong bản demo).")
@click.option("--label", default="", help="Tên máy dễ nhận biết (mặc định: Kiosk <mã điểm>).")
@click.option("--hours", default=devices.ENROLMENT_HOURS, show_default=True, type=click.IntRange(1, 24 * 14),
              help="Số giờ mã đăng ký còn hiệu lực.")
@click.option("--qr/--no-qr", default=False, help="In mã QR ra màn hình terminal.")
def enrol_command(service_point: str, label: str, hours: int, qr: bool) -> None:
    """Đăng ký một máy tính bảng mới cho điểm phục vụ và in mã đăng ký dùng một lần."""
    def unit():
        point = devices.find_service_point(db.session, service_point)
        if point is None:
            raise click.ClickException(f"Không có điểm phục vụ mã “{service_point}”.")
        return kiosk_ops.register_device(db.session, "cli", point, label or f"Kiosk {point.code}", hours)

    device, code = write(unit)
    _print_code(device, code, qr)


@device_cli.command("new-code")
@click.argument("device_id", type=int)
@click.option("--hours", default=devices.ENROLMENT_HOURS, show_default=True, type=click.IntRange(1, 24 * 14),
              help="Số giờ mã đăng ký còn hiệu lực.")
@click.option("--qr/--no-qr", default=False, help="In mã QR ra màn hình terminal.")
def new_code_command(device_id: int, hours: int, qr: bool) -> None:
    """Cấp mã đăng ký mới cho máy DEVICE_ID (thay máy tính bảng, hoặc mã cũ đã hết hạn)."""
    code = write(lambda: kiosk_ops.new_code(db.session, "cli", _device(device_id), hours))
    _print_code(_device(device_id), code, qr)


@device_cli.command("list")
def list_command() -> None:
    """Liệt kê các máy: điểm phục vụ, trạng thái, lần cuối liên lạc, số đánh giá đang chờ gửi."""
    rows = devices.list_devices(db.session)
    if not rows:
        click.echo("Chưa có máy nào. Dùng `hailong device enrol --service-point MÃ` để đăng ký.")
        return
    click.echo(f"{'#':>4}  {'điểm phục vụ':<16} {'trạng thái':<9} {'lần cuối (UTC)':<19} {'chờ':>5}  tên")
    for d in rows:
        seen = d.last_seen_at.strftime("%Y-%m-%d %H:%M:%S") if d.last_seen_at else "—"
        full = f"  [bộ nhớ máy đầy: {d.unsaved_reported} đánh giá chỉ giữ tạm]" if d.unsaved_reported else ""
        click.echo(f"{d.id:>4}  {d.service_point.code:<16} {devices.status(d):<9} {seen:<19} "
                   f"{d.queued_reported:>5}  {d.label}{full}")


@device_cli.command("revoke")
@click.argument("device_id", type=int)
def revoke_command(device_id: int) -> None:
    """Thu hồi máy DEVICE_ID: khoá của máy hết hiệu lực ngay."""
    def unit():
        device = _device(device_id)
        kiosk_ops.revoke_device(db.session, "cli", device)
        return device

    device = write(unit)
    click.echo(f"Đã thu hồi máy #{device.id} “{device.label}”.")
