"""`hailong apikey create|list|scope|rotate|revoke`: intake API keys and what each may send."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from survey.commands import write
from survey.extensions import db
from survey.services.intake import apikeys
from survey.services.intake import operations as intake_ops
from survey.services.intake.apikeys import ScopeError

apikey_cli = AppGroup("apikey", help="Khoá API cho phần mềm một cửa gửi hồ sơ (intake API).")
commands = [apikey_cli]

SCOPE_HELP = ("Phạm vi: mỗi tổ hợp các giá trị --agency/--service-point/--sector đã cho là một dòng phạm vi; "
              "khoá gửi được hồ sơ khớp một dòng. --agency gồm cả các đơn vị cấp dưới.")


def scope_options(command):
    """The options that say what a key may send (create, scope)."""
    for option in reversed([
        click.option("--agency", "agencies", multiple=True, metavar="MA",
                     help="Mã cơ quan (gồm các đơn vị cấp dưới); lặp lại được."),
        click.option("--service-point", "points", multiple=True, metavar="MA",
                     help="Mã điểm phục vụ; lặp lại được."),
        click.option("--sector", "sectors", multiple=True, metavar="MA", help="Mã lĩnh vực; lặp lại được."),
        click.option("--all-agencies", is_flag=True,
                     help="Khoá toàn tỉnh: gửi được hồ sơ của mọi cơ quan (phần mềm một cửa cấp tỉnh)."),
    ]):
        command = option(command)
    return command


def _scopes(agencies, points, sectors, all_agencies: bool):
    """None (whole province) or the scope rows; a clear error when neither or both are asked for."""
    if all_agencies and (agencies or points or sectors):
        raise click.UsageError("--all-agencies không dùng cùng --agency/--service-point/--sector.")
    if all_agencies:
        return None
    if not (agencies or points or sectors):
        raise click.UsageError("Hãy cho phạm vi của khoá: --agency, --service-point, --sector, "
                               "hoặc --all-agencies cho khoá toàn tỉnh.")
    try:
        return intake_ops.scopes_from_codes(db.session, agencies, points, sectors)
    except ScopeError as exc:
        raise click.ClickException(f"Mã không có trong danh mục ({exc}).") from exc


def _scope_text(row) -> str:
    described = intake_ops.describe(row)
    if described == "all":
        return "toàn tỉnh"
    return " | ".join("+".join(f"{k}={v}" for k, v in part.items()) for part in described)


def _key_or_fail(prefix: str):
    row = apikeys.find(db.session, prefix.strip())
    if row is None:
        raise click.ClickException(f"Không có khoá API với tiền tố {prefix}.")
    return row


@apikey_cli.command("create", epilog=SCOPE_HELP)
@click.option("--source", "source_code", required=True, help="Mã hệ thống nguồn, ví dụ motcua-hatinh.")
@click.option("--name", default="", help="Tên hệ thống nguồn (khi tạo mới).")
@click.option("--label", default="", help="Tên gợi nhớ của khoá, ví dụ: Một cửa Sở Tư pháp.")
@scope_options
def apikey_create(source_code: str, name: str, label: str, agencies, points, sectors, all_agencies: bool) -> None:
    """Tạo khoá API cho một hệ thống nguồn (tạo hệ thống nếu chưa có). Khoá chỉ hiện MỘT lần."""
    def unit():
        scopes = _scopes(agencies, points, sectors, all_agencies)
        made = intake_ops.issue_key(db.session, "cli", source_code.strip(), name, scopes=scopes, label=label)
        return made.key, made.row.prefix, made.source_created, made.source.code, _scope_text(made.row)

    key, prefix, source_created, source, scope = write(unit, conflicts=True)
    if source_created:
        click.echo(f"Đã tạo hệ thống nguồn {source}.")
    click.echo(f"Khoá API (chỉ hiện lần này, hãy lưu lại ngay): {key}")
    click.echo(f"Tiền tố để quản lý: {prefix}")
    click.echo(f"Phạm vi: {scope}")


@apikey_cli.command("list")
def apikey_list() -> None:
    """Liệt kê các khoá API (tiền tố, nguồn, tên, phạm vi, ngày tạo, lần dùng cuối, trạng thái)."""
    keys = apikeys.list_keys(db.session)
    if not keys:
        click.echo("Chưa có khoá API nào. Tạo bằng: hailong apikey create --source MA_NGUON --all-agencies")
        return
    click.echo(f"{'tiền tố':<10} {'nguồn':<20} {'tạo lúc (UTC)':<17} {'dùng cuối (UTC)':<17} {'trạng thái':<28} "
               f"tên; phạm vi")
    for k in keys:
        state = f"đã thu hồi {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "đang dùng"
        used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "chưa dùng"
        click.echo(f"{k.prefix:<10} {k.source_system.code:<20} {k.created_at:%Y-%m-%d %H:%M}  {used:<17} "
                   f"{state:<28} {k.label or '-'}; {_scope_text(k)}")


@apikey_cli.command("scope", epilog=SCOPE_HELP)
@click.argument("prefix")
@scope_options
def apikey_scope(prefix: str, agencies, points, sectors, all_agencies: bool) -> None:
    """Đổi phạm vi của khoá có tiền tố PREFIX (thay toàn bộ phạm vi cũ)."""
    def unit():
        row = _key_or_fail(prefix)
        intake_ops.change_scope(db.session, "cli", row, _scopes(agencies, points, sectors, all_agencies))
        return row.prefix, _scope_text(row)

    changed, scope = write(unit)
    click.echo(f"Đã đổi phạm vi khoá {changed}: {scope}")


@apikey_cli.command("rotate")
@click.argument("prefix")
def apikey_rotate(prefix: str) -> None:
    """Cấp khoá mới thay khoá PREFIX (cùng nguồn, tên, phạm vi); khoá cũ thôi dùng được ngay."""
    def unit():
        row = _key_or_fail(prefix)
        if row.revoked_at is not None:
            raise click.ClickException(f"Khoá {row.prefix} đã bị thu hồi; hãy tạo khoá mới.")
        made = intake_ops.rotate_key(db.session, "cli", row)
        return made.key, made.row.prefix

    key, new_prefix = write(unit)
    click.echo(f"Khoá {prefix.strip()} đã bị thu hồi.")
    click.echo(f"Khoá API mới (chỉ hiện lần này, hãy lưu lại ngay): {key}")
    click.echo(f"Tiền tố để quản lý: {new_prefix}")


@apikey_cli.command("revoke")
@click.argument("prefix")
def apikey_revoke(prefix: str) -> None:
    """Thu hồi khoá API có tiền tố PREFIX (xem `hailong apikey list`)."""
    def unit():
        row = intake_ops.revoke_key(db.session, "cli", prefix.strip())
        if row is None:
            raise click.ClickException(f"Không có khoá API với tiền tố {prefix}.")
        return row.prefix, row.source_system.code

    revoked, source = write(unit)
    click.echo(f"Đã thu hồi khoá {revoked} của {source}.")
