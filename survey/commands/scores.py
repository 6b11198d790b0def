"""`hailong scores backfill | check`: the per-response score rows of responses stored before migration 0012.

The backfill is one transaction per batch, in response id order, with a progress bar; interrupted,
it carries on where it stopped when run again (it only takes responses without a score row).
The check recomputes every response's rows from its answers; exit code 1 when any is missing or differs.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from survey.commands import write
from survey.extensions import db
from survey.services.respond import rescore

scores_cli = AppGroup("scores", help="Điểm lưu sẵn của từng phiếu (response_score) cho bảng chỉ số: bổ sung, kiểm tra.")
commands = [scores_cli]
LISTED = 20  # problems printed one by one; the rest are counted

batch_size = click.option("--batch-size", type=click.IntRange(1, 100000), default=rescore.BATCH, show_default=True,
                          help="Số phiếu xử lý trong mỗi giao dịch.")


def _progress(done: int, total: int, where: str) -> None:
    """One line per batch: percent done, a bar, the count (works in a terminal and in a log alike)."""
    share = min(1.0, done / total) if total else 1.0
    bar = "#" * round(share * 30)
    click.echo(f"  [{bar:<30}] {share * 100:5.1f} %  {done}/{total} phiếu ({where})")


@scores_cli.command("backfill")
@batch_size
@click.option("--max-batches", type=click.IntRange(1), default=None,
              help="Dừng sau chừng này giao dịch (chạy lại để làm tiếp phần còn lại).")
def backfill_command(batch_size: int, max_batches: int | None) -> None:
    """Tính điểm lưu sẵn cho các phiếu chưa có (lưu trước bản cập nhật 0012), từ câu trả lời đã lưu.

    Mỗi lô một giao dịch, theo thứ tự mã phiếu; dừng giữa chừng thì chạy lại sẽ làm tiếp, không tính trùng.
    """
    total = rescore.remaining(db.session)
    db.session.rollback()  # the count's read transaction must not hold on while the batches write
    if not total:
        click.echo("Mọi phiếu đã có điểm lưu sẵn.")
        return
    done = after = batches = 0
    while max_batches is None or batches < max_batches:
        step = write(lambda after=after: rescore.backfill_batch(db.session, after, batch_size))
        if not step.responses:
            break
        after, done, batches = step.last_id, done + step.responses, batches + 1
        _progress(done, total, f"đến phiếu #{after}")
    left = total - done
    if left > 0 and max_batches is not None and batches >= max_batches:
        click.echo(f"Đã dừng sau {batches} lô: {done} phiếu xong, còn khoảng {left} phiếu (chạy lại để làm tiếp).")
    else:
        click.echo(f"Xong: {done} phiếu có điểm lưu sẵn (đến phiếu #{after}).")


@scores_cli.command("check")
@batch_size
def check_command(batch_size: int) -> None:
    """Đối chiếu điểm lưu sẵn của mọi phiếu với câu trả lời đã lưu; mã thoát 1 khi có phiếu thiếu hoặc lệch."""
    total = db.session.scalar(rescore.count_responses())
    missing = differs = seen = 0
    for last, problems, read in rescore.check(db.session, batch_size):
        for problem in problems:
            if missing + differs < LISTED:
                what = "thiếu điểm lưu sẵn" if problem.kind == "missing" else "điểm lưu sẵn khác câu trả lời"
                click.echo(f"  phiếu #{problem.response_id}: {what}")
            missing += problem.kind == "missing"
            differs += problem.kind == "differs"
        seen += read
        _progress(seen, total, f"đến phiếu #{last}, {missing + differs} phiếu có vấn đề")
    db.session.rollback()
    if missing or differs:
        click.echo(f"{missing} phiếu thiếu điểm lưu sẵn, {differs} phiếu có điểm khác câu trả lời "
                   f"(trên {total} phiếu). Chạy `hailong scores backfill` cho phiếu thiếu.")
        raise SystemExit(1)
    click.echo(f"Khớp: {total} phiếu, điểm lưu sẵn đúng với câu trả lời.")
