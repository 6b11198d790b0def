"""`hailong cases scan|notify|digest|purge-contacts|seed-rules`: feedback cases from the command line (cron).

`scan` opens cases for new responses; `notify` mails new and overdue cases; `digest` sends the daily
digest to staff who asked for it; `purge-contacts` deletes call-back phones of long-closed cases.
Each is one unit of work: what the mail server took is recorded even when it stops part-way.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from survey.commands import write
from survey.extensions import db
from survey.services.feedback import case_actions, case_rules, cases, notify

cases_cli = AppGroup("cases", help="Phản ánh của người dân: mở phản ánh, gửi thư báo, thư tổng hợp, xoá số gọi lại.")
commands = [cases_cli]


@cases_cli.command("scan")
@click.option(
    "--batch", type=click.IntRange(1, 10000), default=cases.BATCH, show_default=True, help="Số phiếu đọc mỗi lượt."
)
def scan_command(batch):
    """Đọc các phiếu mới và mở phản ánh theo quy tắc (chạy lại không mở trùng)."""
    result = write(lambda: cases.scan(db.session, batch=batch), conflicts=True)
    click.echo(f"Đã đọc {result.read} phiếu, mở {len(result.opened)} phản ánh; con trỏ ở phiếu #{result.cursor}.")
    if result.held_back:
        click.echo("Còn góp ý chưa gắn chủ đề: các phiếu sau đó sẽ được đọc ở lần chạy sau.")


def _report(label: str, sent: notify.Sent) -> None:
    click.echo(f"{label}: {sent.messages} thư cho {len(sent.cases)} phản ánh.")


@cases_cli.command("notify")
def notify_command():
    """Gửi thư báo phản ánh mới và phản ánh quá hạn (mỗi phản ánh quá hạn chỉ nhắc một lần)."""
    if not notify.configured():
        raise click.ClickException("Chưa cấu hình máy chủ thư (HAILONG_MAIL_SERVER): không gửi thư nào.")

    def unit():
        return notify.notify_new(db.session), notify.notify_overdue(db.session)

    new, overdue = write(unit)
    _report("Phản ánh mới", new)
    _report("Phản ánh quá hạn", overdue)
    if new.error or overdue.error:
        raise click.ClickException(new.error or overdue.error)


@cases_cli.command("digest")
def digest_command():
    """Gửi thư tổng hợp phản ánh đang mở cho cán bộ đã đăng ký (mỗi người tối đa một thư mỗi ngày)."""
    if not notify.configured():
        raise click.ClickException("Chưa cấu hình máy chủ thư (HAILONG_MAIL_SERVER): không gửi thư nào.")
    sent = write(lambda: notify.digest(db.session))
    click.echo(f"Đã gửi {sent.messages} thư tổng hợp.")
    if sent.error:
        raise click.ClickException(sent.error)


@cases_cli.command("purge-contacts")
@click.option(
    "--days",
    type=click.IntRange(0, 3650),
    default=30,
    show_default=True,
    help="Xoá số gọi lại của phản ánh đã đóng quá số ngày này.",
)
def purge_contacts_command(days):
    """Xoá số điện thoại gọi lại của các phản ánh đã đóng."""
    count = write(lambda: case_actions.purge_contacts(db.session, days))
    click.echo(f"Đã xoá {count} số điện thoại gọi lại.")


@cases_cli.command("seed-rules")
def seed_rules_command():
    """Tạo quy tắc mặc định cho các bảng hỏi chưa có quy tắc nào."""
    count = write(lambda: case_rules.seed_defaults(db.session, "cli"))
    click.echo(f"Đã thêm {count} quy tắc mặc định.")
