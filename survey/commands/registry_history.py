"""`hailong registry timeline CODE`, `hailong registry retired-users` and `hailong registry reassign USER CODE`."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from survey.commands import write
from survey.extensions import db

registry_cli = AppGroup("registry", help="Lịch sử danh mục: dòng thời gian của cơ quan, tài khoản của đơn vị đã "
                                         "hết hiệu lực (xem docs/registry.md).")
KINDS = {"merge": "sáp nhập", "split": "chia tách", "rename": "đổi tên"}


def _agency(code: str):
    from survey.models.registry import Agency

    agency = db.session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise click.ClickException(f"Không có cơ quan mã \"{code}\" trong danh mục.")
    return agency


def _share(value: float | None) -> str:
    return "không rõ tỷ lệ" if value is None else f"{value * 100:.1f}%"


def _day(value) -> str:
    return value.isoformat() if value else "…"


@registry_cli.command("timeline")
@click.argument("code")
def timeline_command(code: str) -> None:
    """Dòng thời gian của cơ quan CODE: hình thành từ, các phiên bản, trở thành, quy về hôm nay."""
    from survey.services.registry.timeline import timeline

    t = timeline(db.session, _agency(code))
    click.echo(f"{t.agency.name_vi} ({t.agency.code}) — hiệu lực {_day(t.agency.valid_from)} đến "
               f"{_day(t.agency.valid_to)}")
    for e in t.events:
        if e.kind == "version":
            v = e.version
            click.echo(f"  {_day(e.day):<10}  phiên bản: {v.name_vi}, {v.level}"
                       + (f", mã đơn vị {v.official_code}" if v.official_code else ""))
        elif e.kind == "ended":
            click.echo(f"  {_day(e.day):<10}  hết hiệu lực (không có đơn vị kế tiếp)")
        else:
            verb = "hình thành từ" if e.kind == "came_from" else KINDS[str(e.steps[0].kind)] + " →"
            units = ", ".join(
                (s.predecessor if e.kind == "came_from" else s.successor).code
                + (f" ({_share(s.share)})" if str(s.kind) == "split" else "") for s in e.steps)
            click.echo(f"  {_day(e.day):<10}  {verb} {units}")
    if t.today:
        click.echo("Quy về hôm nay: " + ", ".join(f"{a.code} ({_share(s)})" for a, s in t.today))


@registry_cli.command("retired-users")
def retired_users_command() -> None:
    """Tài khoản còn hoạt động của các đơn vị đã hết hiệu lực, với đơn vị kế tiếp gợi ý."""
    from survey.services.registry.retired import retired_users

    listed = retired_users(db.session)
    if not listed:
        click.echo("Không có tài khoản nào gắn với đơn vị đã hết hiệu lực.")
        return
    for r in listed:
        successors = ", ".join(f"{a.code} ({_share(s)})" for a, s in r.successors) or "—"
        click.echo(f"{r.user.username:<20} {r.agency.code:<20} → {successors}")
    click.echo("Chuyển: hailong registry reassign TÊN_ĐĂNG_NHẬP MÃ_CƠ_QUAN")


@registry_cli.command("reassign")
@click.argument("username")
@click.argument("code")
def reassign_command(username: str, code: str) -> None:
    """Chuyển tài khoản USERNAME sang cơ quan hiện hành CODE (ghi nhật ký, kết thúc các phiên đăng nhập)."""
    from survey.services.accounts.reassign import reassign
    from survey.services.accounts.users import UserError, get_by_username

    def unit():
        user = get_by_username(db.session, username)
        if user is None:
            raise click.ClickException(f"Không có tài khoản \"{username}\".")
        try:
            reassign(db.session, "cli", user, _agency(code).id)
        except UserError as exc:
            raise click.ClickException(str(exc)) from exc
        return user

    user = write(unit)
    click.echo(f"Đã chuyển {user.username} sang {code}.")


commands = [registry_cli]
