"""`hailong partitions ...`: the answer table's partitions on PostgreSQL (list, create ahead, retire, convert).

A group of its own: Flask-Migrate owns `hailong db`. See survey/services/common/partitions.py for
the layout (ranges of response id; migration 0015) and docs/operations.md for when to run what.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from survey.commands import write
from survey.extensions import db
from survey.services.common import audit
from survey.services.common import partitions as parts

partitions_cli = AppGroup("partitions", help="Phân vùng bảng câu trả lời (PostgreSQL): xem, tạo trước, bỏ kỳ cũ, "
                                             "chuyển bảng cũ sang phân vùng.")
commands = [partitions_cli]


def _postgresql() -> None:
    if not parts.available(db.session.connection()):
        raise click.ClickException("Chỉ PostgreSQL có phân vùng bảng; cơ sở dữ liệu này là SQLite (không cần làm gì).")


def _checked(run):
    """A partition step as one unit of work; a PartitionError is a clear message and changes nothing."""
    def unit():
        try:
            return run()
        except parts.PartitionError as exc:
            raise click.ClickException(str(exc)) from exc

    return write(unit)


@partitions_cli.command("status")
def status() -> None:
    """Liệt kê các phân vùng của bảng câu trả lời: dải mã phiếu, số dòng (ước tính), dung lượng."""
    _postgresql()
    conn = db.session.connection()
    if not parts.is_partitioned(conn):
        click.echo("Bảng câu trả lời chưa được phân vùng. Chuyển bằng: hailong partitions convert")
        return
    click.echo(f"{'phân vùng':<18} {'mã phiếu từ':>12} {'đến (không gồm)':>16} {'số dòng':>12} {'MB':>9}")
    for p in parts.partitions(conn):
        low = "mặc định" if p.default else ("-∞" if p.low == parts.LOW else str(p.low))
        high = "" if p.default else str(p.high)
        rows = f"{p.rows:,}" if p.rows >= 0 else "?"  # never analysed yet
        click.echo(f"{p.name:<18} {low:>12} {high:>16} {rows:>12} {p.bytes / 2 ** 20:>9.1f}")


@partitions_cli.command("create")
@click.option("--ahead", type=click.IntRange(0, 1000), default=2, show_default=True,
              help="Số phân vùng tạo sẵn sau mã phiếu lớn nhất hiện có.")
@click.option("--size", type=click.IntRange(1), default=parts.SIZE, show_default=True,
              help="Số mã phiếu (response id) mỗi phân vùng.")
def create(ahead: int, size: int) -> None:
    """Tạo trước các phân vùng cho mã phiếu sắp tới (chạy định kỳ, ví dụ hằng tuần); dòng lỡ vào phân vùng
    mặc định được chuyển sang."""
    _postgresql()

    def run():
        made = parts.create_ahead(db.session.connection(), ahead=ahead, size=size)
        audit.record(db.session, "cli", "partitions.create", "table", "answer", created=made, size=size)
        return made

    made = _checked(run)
    click.echo("Đã tạo: " + ", ".join(made) if made else "Đã đủ phân vùng; không tạo thêm.")


@partitions_cli.command("retire")
@click.option("--below", type=click.IntRange(1), required=True,
              help="Bỏ mọi phân vùng có mã phiếu đều nhỏ hơn số này (câu trả lời của kỳ cũ bị xoá).")
@click.option("--yes", is_flag=True, help="Xác nhận xoá (không hỏi lại).")
def retire(below: int, yes: bool) -> None:
    """Tách và xoá các phân vùng của kỳ cũ (nhanh hơn DELETE, giải phóng dung lượng ngay)."""
    _postgresql()
    conn = db.session.connection()
    if parts.is_partitioned(conn):
        doomed = [p for p in parts.partitions(conn) if not p.default and p.high <= below]
        if not doomed:
            click.echo(f"Không có phân vùng nào nằm hoàn toàn dưới mã phiếu {below}; không xoá gì.")
            return
        if not yes:
            click.confirm("Xoá vĩnh viễn %s (khoảng %d câu trả lời)?" % (
                ", ".join(p.name for p in doomed), sum(max(p.rows, 0) for p in doomed)), abort=True)

    def run():
        gone = parts.retire(db.session.connection(), below)
        audit.record(db.session, "cli", "partitions.retire", "table", "answer", below=below,
                     dropped=[p.name for p in gone], rows=sum(max(p.rows, 0) for p in gone))
        return gone

    gone = _checked(run)
    click.echo("Đã xoá: " + ", ".join(p.name for p in gone))


@partitions_cli.command("convert")
@click.option("--batch", type=click.IntRange(1000), default=500_000, show_default=True,
              help="Số câu trả lời chép mỗi giao dịch.")
@click.option("--size", type=click.IntRange(1), default=parts.SIZE, show_default=True,
              help="Số mã phiếu (response id) mỗi phân vùng.")
def convert(batch: int, size: int) -> None:
    """Chuyển bảng câu trả lời đã có dữ liệu sang phân vùng: chép từng đợt (chạy lại thì làm tiếp),
    rồi đổi bảng; chỉ bước cuối chặn việc ghi."""
    _postgresql()
    db.session.rollback()  # the session's read transaction must not hold answer while it is swapped
    with db.engine.connect() as conn:
        with click.progressbar(length=1, label="Đang chép câu trả lời", show_pos=True) as bar:
            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - bar.pos)

            try:
                copied = parts.convert(conn, batch=batch, size=size, commit=conn.commit, progress=progress)
            except parts.PartitionError as exc:
                conn.rollback()
                raise click.ClickException(str(exc)) from exc
    write(lambda: audit.record(db.session, "cli", "partitions.convert", "table", "answer", rows=copied, size=size))
    click.echo(f"Đã chuyển bảng câu trả lời sang phân vùng ({copied:,} dòng chép).")
