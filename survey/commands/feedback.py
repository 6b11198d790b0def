"""`hailong feedback backfill`: file the free text of responses stored before comments existed (migration 0009).

One transaction per batch, progress printed after each; stopping and running again carries on where it was.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from survey.commands import write
from survey.extensions import db
from survey.services.feedback import backfill

feedback_cli = AppGroup("feedback", help="Góp ý của người dân: xử lý các phiếu lưu trước khi có hộp thư góp ý.")
commands = [feedback_cli]


@feedback_cli.command("backfill")
@click.option(
    "--batch",
    type=click.IntRange(1, 10000),
    default=backfill.BATCH,
    show_default=True,
    help="Số phiếu xử lý trong mỗi giao dịch.",
)
def backfill_command(batch: int) -> None:
    """Che thông tin cá nhân trong ý kiến của các phiếu cũ (lưu trước bản cập nhật 0009) và đưa vào hộp thư góp ý.

    Giữ nguyên văn bản gốc riêng cho quản trị viên; chạy lại không xử lý trùng.
    """
    total = backfill.remaining(db.session)
    db.session.rollback()  # the count's read transaction must not hold on while the batches write
    if not total:
        click.echo("Không còn phiếu nào cần xử lý.")
        return
    done = comments = redactions = 0
    after = 0
    while True:
        step = write(lambda after=after: backfill.backfill_batch(db.session, after, batch))
        if not step.responses:
            break
        after = step.last_id
        done, comments, redactions = done + step.responses, comments + step.comments, redactions + step.redactions
        click.echo(f"  {done}/{total} phiếu · {comments} ý kiến · {redactions} chỗ đã che (đến phiếu #{after})")
    click.echo(f"Xong: {done} phiếu, {comments} ý kiến đưa vào hộp thư, {redactions} chỗ thông tin cá nhân đã che.")
