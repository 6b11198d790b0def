"""`hailong qd766 import FILE.csv` (per-dossier ratings or dossier events) and `hailong qd766 score --period`."""

from __future__ import annotations

import csv
import os
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from survey.commands import write
from survey.extensions import db
from survey.models import Agency, SourceSystem
from survey.services.common import audit
from survey.services.common.txn import refused
from survey.services.qd766 import ingest as qd_ingest
from survey.services.qd766 import score as qd
from survey.services.qd766.records import EVENT_FIELDS, RATING_FIELDS, Kind

qd766_cli = AppGroup("qd766", help="Điểm hài lòng kiểu QĐ 766/QĐ-TTg từ đánh giá và sự kiện của từng hồ sơ.")
commands = [qd766_cli]


def _kind_of(fieldnames: list[str]) -> Kind:
    """Ratings when the header has level or score, events when it has kind; else a clear error."""
    names = set(fieldnames)
    if "kind" in names and not names & {"level", "score"}:
        return Kind.EVENT
    if names & {"level", "score"} and "kind" not in names:
        return Kind.RATING
    raise click.ClickException(
        "Không nhận ra loại tệp từ dòng tiêu đề. Tệp đánh giá có cột: "
        + ", ".join(RATING_FIELDS)
        + " (level và/hoặc score); tệp sự kiện có cột: "
        + ", ".join(EVENT_FIELDS)
        + ". Không lưu gì."
    )


def _read(path: str, delimiter: str | None) -> tuple[Kind, list[dict], list[int]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            sample = fh.read(4096)
            fh.seek(0)
            first = sample.split("\n", 1)[0]
            reader = csv.DictReader(fh, delimiter=delimiter or (";" if first.count(";") > first.count(",") else ","))
            kind = _kind_of([n.strip() for n in reader.fieldnames or []])
            rows, lines = [], []
            for row in reader:
                rows.append({(k or "").strip(): v for k, v in row.items()})
                lines.append(reader.line_num)
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"Tệp không phải UTF-8 ({exc.reason}); không lưu gì.") from exc
    return kind, rows, lines


@qd766_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", "source_code", required=True, help="Mã hệ thống nguồn đã gửi các hồ sơ (phải có sẵn).")
@click.option("--delimiter", default=None, help="Dấu phân cách cột (mặc định: tự nhận , hoặc ;).")
def import_file(path: str, source_code: str, delimiter: str | None) -> None:
    """Nhập đánh giá của từng hồ sơ hoặc sự kiện hồ sơ từ tệp CSV (UTF-8).

    Tệp đánh giá: external_id, dossier, rated_at, level (satisfied / normal / not_satisfied) và/hoặc score
    (0–18). Tệp sự kiện: external_id, dossier, kind (on_time / overdue / apology_letter / petition), at, note.
    Chỉ cần một dòng lỗi là không lưu gì: mọi dòng lỗi được báo kèm lý do. Gửi lại cùng mã không thay đổi gì.
    """
    kind, rows, lines = _read(path, delimiter)

    def unit():
        source = db.session.execute(select(SourceSystem).where(SourceSystem.code == source_code)).scalar_one_or_none()
        if source is None:
            return refused(f"Chưa có hệ thống nguồn '{source_code}'; không lưu gì.")
        result = qd_ingest.ingest(db.session, source, kind, rows)
        if result.count("rejected"):
            return refused(result)
        audit.record(
            db.session,
            "cli",
            "qd766.import",
            "source_system",
            source.code,
            file=os.path.basename(path),
            kind=str(kind),
            stored=result.count("stored"),
            unchanged=result.count("unchanged"),
        )
        return result

    result = write(unit, conflicts=True)
    if isinstance(result, str):
        raise click.ClickException(result)
    bad = [it for it in result.items if it.result.status == "rejected"]
    if bad:
        for it in bad:
            reasons = "; ".join(f"{e['code']}: {e['message']}" for e in it.result.errors)
            click.echo(f"  dòng {lines[it.result.index]} ({it.result.external_id or '?'}): {reasons}", err=True)
        click.echo(f"Tệp có {len(bad)} dòng lỗi trên {len(rows)} dòng; không lưu dòng nào. Sửa rồi nhập lại.", err=True)
        sys.exit(1)
    what = "đánh giá" if kind == Kind.RATING else "sự kiện"
    click.echo(f"Đã lưu {result.count('stored')} {what}, trùng không đổi {result.count('unchanged')}.")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


@qd766_cli.command("score")
@click.option("--period", required=True, help="Kỳ: 2025-Q3, tuần 2025-W27, 2025-07, 2025 hoặc 2025-07-01:2025-09-30.")
@click.option("--rollup", is_flag=True, help="Gộp cả các đơn vị cấp dưới vào từng cơ quan.")
def score_command(period: str, rollup: bool) -> None:
    """Điểm hài lòng kiểu QĐ 766 theo cơ quan trong một kỳ (docs/methodology.md §17).

    Điểm (%) = 100 × (số hồ sơ − số hồ sơ quá hạn, có phản ánh kiến nghị hoặc bị đánh giá không hài lòng) / số hồ
    sơ; quy ra điểm trên 18. Cơ quan không có hồ sơ trong kỳ: “—”.
    """
    try:
        start, end = qd.parse_period(period)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    own = qd.by_agency(db.session, start, end)
    scores = qd.rolled_up(db.session, own) if rollup else own
    names = dict(db.session.execute(select(Agency.id, Agency.code)).all())
    click.echo(f"Kỳ {start} → {end}" + (" (gộp đơn vị cấp dưới)" if rollup else ""))
    click.echo(
        f"{'cơ quan':<20} {'hồ sơ':>7} {'quá hạn':>8} {'xin lỗi':>8} {'PAKN':>6} {'đã đánh giá':>12} "
        f"{'không HL':>9} {'điểm %':>7} {'/18':>6}"
    )
    for agency_id in sorted(scores, key=lambda a: names.get(a, "")):
        s = scores[agency_id]
        click.echo(
            f"{names.get(agency_id, agency_id):<20} {s.dossiers:>7} {s.overdue:>8} {s.apologised:>8} "
            f"{s.petitions:>6} {s.rated:>12} {s.not_satisfied:>9} {_pct(s.value):>7} {_pct(s.points):>6}"
        )
    total = qd.overall(own)
    click.echo(
        f"{'Tổng':<20} {total.dossiers:>7} {total.overdue:>8} {total.apologised:>8} {total.petitions:>6} "
        f"{total.rated:>12} {total.not_satisfied:>9} {_pct(total.value):>7} {_pct(total.points):>6}"
    )
