"""`hailong user create|set-role|disable|enable|password|revoke-sessions|list`: staff accounts from the command line.

A new password, role or scope and disabling end the account's open sessions (accounts.operations),
exactly as the admin pages do.
"""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from survey.commands import write
from survey.extensions import db
from survey.models import Agency, ServicePoint
from survey.models.user import ROLES
from survey.services.accounts import operations as accounts
from survey.services.accounts import users as users_service

user_cli = AppGroup("user", help="Quản lý tài khoản cán bộ (tạo, đổi vai trò, khoá, liệt kê).")
commands = [user_cli]

ROLE_HELP = "Vai trò: admin | analyst | agency_viewer | officer."


def _read_password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")


def _agency_id(code: str | None) -> int | None:
    if not code:
        return None
    agency_id = db.session.scalar(select(Agency.id).where(Agency.code == code))
    if agency_id is None:
        raise click.ClickException(f"Không tìm thấy cơ quan có mã {code!r}.")
    return agency_id


def _service_point_id(code: str | None) -> int | None:
    if not code:
        return None
    sp_id = db.session.scalar(select(ServicePoint.id).where(ServicePoint.code == code))
    if sp_id is None:
        raise click.ClickException(f"Không tìm thấy điểm phục vụ có mã {code!r}.")
    return sp_id


def _user(username: str):
    user = users_service.get_by_username(db.session, username)
    if user is None:
        raise click.ClickException(f"Không có tài khoản {username!r}.")
    return user


def _refused(exc: users_service.UserError) -> click.ClickException:
    return click.ClickException(str(exc))


@user_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help=ROLE_HELP)
@click.option("--agency", "agency_code", help="Mã cơ quan (bắt buộc với agency_viewer).")
@click.option("--service-point", "sp_code", help="Mã điểm phục vụ (bắt buộc với officer).")
@click.option("--full-name", default="", help="Họ và tên.")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ dòng đầu của stdin thay vì hỏi.")
def create_command(username, role, agency_code, sp_code, full_name, password_stdin):
    """Tạo tài khoản USERNAME; mật khẩu được hỏi hai lần (hoặc đọc từ stdin)."""
    password = _read_password(password_stdin)

    def unit():
        try:
            return accounts.create_account(db.session, "cli", username, password, role, _agency_id(agency_code),
                                           _service_point_id(sp_code), full_name).username
        except users_service.UserError as exc:
            raise _refused(exc) from exc

    click.echo(f"Đã tạo tài khoản {write(unit)} (vai trò {role}).")


@user_cli.command("set-role")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help=ROLE_HELP)
@click.option("--agency", "agency_code", help="Mã cơ quan (bắt buộc với agency_viewer).")
@click.option("--service-point", "sp_code", help="Mã điểm phục vụ (bắt buộc với officer).")
def set_role_command(username, role, agency_code, sp_code):
    """Đổi vai trò (và phạm vi) của tài khoản USERNAME (mọi phiên đang mở của tài khoản kết thúc)."""
    def unit():
        try:
            return accounts.change_role(db.session, "cli", _user(username), role, _agency_id(agency_code),
                                        _service_point_id(sp_code)).username
        except users_service.UserError as exc:
            raise _refused(exc) from exc

    click.echo(f"Đã đổi vai trò của {write(unit)} thành {role}.")


@user_cli.command("disable")
@click.argument("username")
def disable_command(username):
    """Khoá tài khoản USERNAME (không đăng nhập được nữa; phiên đang mở cũng hết hiệu lực)."""
    name = write(lambda: accounts.set_active(db.session, "cli", _user(username), enable=False).username)
    click.echo(f"Đã khoá tài khoản {name}.")


@user_cli.command("enable")
@click.argument("username")
def enable_command(username):
    """Mở khoá tài khoản USERNAME (và xoá khoá tạm do đăng nhập sai)."""
    name = write(lambda: accounts.set_active(db.session, "cli", _user(username), enable=True).username)
    click.echo(f"Đã mở khoá tài khoản {name}.")


@user_cli.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ dòng đầu của stdin thay vì hỏi.")
def password_command(username, password_stdin):
    """Đặt mật khẩu mới cho tài khoản USERNAME (mọi phiên đang mở của tài khoản kết thúc)."""
    _user(username)  # an unknown account is refused before the password is asked for
    password = _read_password(password_stdin)

    def unit():
        try:
            return accounts.change_password(db.session, "cli", _user(username), password).username
        except users_service.UserError as exc:
            raise _refused(exc) from exc

    click.echo(f"Đã đặt mật khẩu mới cho {write(unit)}.")


@user_cli.command("revoke-sessions")
@click.argument("username")
def revoke_sessions_command(username):
    """Kết thúc mọi phiên đăng nhập đang mở của tài khoản USERNAME (phải đăng nhập lại ở mọi nơi)."""
    count = write(lambda: accounts.revoke_sessions(db.session, "cli", _user(username)))
    click.echo(f"Đã kết thúc {count} phiên đăng nhập của {username}.")


@user_cli.command("list")
@click.option("--role", type=click.Choice(ROLES), help="Chỉ liệt kê vai trò này.")
def list_command(role):
    """Liệt kê các tài khoản (tên, vai trò, phạm vi, trạng thái)."""
    users = users_service.list_users(db.session, role=role)
    if not users:
        click.echo("Chưa có tài khoản nào.")
        return
    for u in users:
        scope = u.agency.code if u.agency else (u.service_point.code if u.service_point else "")
        state = "hoạt động" if u.active else "đã khoá"
        click.echo(f"{u.username:<24} {u.role:<14} {scope:<20} {state}")
