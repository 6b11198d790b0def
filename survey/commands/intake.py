"""`hailong import dossiers FILE.csv` (the API keys are in survey.commands.apikeys; service events in events.py)."""
from __future__ import annotations

import csv
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import click
from sqlalchemy import select

from survey.commands import import_cli, staged, write
from survey.extensions import db
from survey.models import SourceSystem
from survey.services.common import audit
from survey.services.common.spreadsheet import safe_row
from survey.services.intake import batch as intake
from survey.services.sampling import slips
from survey.services.sampling.invitations import Issued
from survey.services.sampling.selector import Selector

CHUNK = 2000  # records per ingest call: big enough for fast multi-row INSERTs, small enough for memory


@dataclass(frozen=True)
class Kind:
    """What a CSV file holds: how a row is validated, the columns it needs, how it is shown and audited."""

    validator: Callable
    columns: tuple[tuple[str, ...], ...]   # each needed column, with the names it may go by
    label: str
    action: str


DOSSIERS = Kind(intake.validate, (("external_id",), ("agency", "competent_agency_code"), ("completed_at",)),
                "Đang nhập hồ sơ", "dossiers.import")


def _reader(fh, delimiter: str | None):
    sample = fh.read(4096)
    fh.seek(0)
    if delimiter is None:
        delimiter = ";" if sample.split("\n", 1)[0].count(";") > sample.split("\n", 1)[0].count(",") else ","
    return csv.DictReader(fh, delimiter=delimiter)


@import_cli.command("dossiers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", "source_code", required=True, help="Mã hệ thống nguồn của các hồ sơ (phải có sẵn).")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False),
              help="Ghi mọi dòng bị từ chối cùng lý do vào tệp CSV này.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Thư mục ghi phiếu mời in và tệp SMS cho các hồ sơ được chọn mẫu ngay khi nhập.")
@click.option("--format", "fmt", type=click.Choice(list(slips.FORMATS)), default="a6", show_default=True,
              help="Khổ phiếu in.")
@click.option("--delimiter", default=None, help="Dấu phân cách cột (mặc định: tự nhận , hoặc ;).")
@click.option("--quiet", is_flag=True, help="Không hiện thanh tiến trình.")
def import_dossiers(path: str, source_code: str, errors_path: str | None, out_dir: str | None, fmt: str,
                    delimiter: str | None, quiet: bool) -> None:
    """Nhập hồ sơ đã giải quyết từ tệp CSV (UTF-8; cột như API: external_id, agency, procedure, sector,
    service_point, channel, received_at, due_at, completed_at, outcome, phone; tuỳ chọn:
    competent_agency_code và received_service_point_code thay cho agency và service_point,
    citizen_area_code là mã đơn vị hành chính cấp xã nơi người dân cư trú).

    Dòng hợp lệ được lưu, dòng trùng nguyên vẹn được bỏ qua, dòng lỗi được báo kèm lý do.
    """
    run_import(DOSSIERS, path, source_code, errors_path, out_dir, fmt, delimiter, quiet)


def run_import(kind: Kind, path: str, source_code: str, errors_path: str | None, out_dir: str | None, fmt: str,
               delimiter: str | None, quiet: bool) -> None:
    """Import a CSV file of `kind` in one unit of work; report the counts, rejected rows, slips; exit 1 on rejects."""
    with staged(out_dir) as folder:
        counts, rejected, issued, written = write(
            lambda: _import_file(kind, path, source_code, delimiter, quiet, folder(), fmt),
            conflicts=True)  # another import or the API storing the same dossier: the rerun finds it unchanged
    click.echo(f"Đã lưu {counts['stored']}, trùng không đổi {counts['unchanged']}, từ chối {counts['rejected']}; "
               f"{len(issued)} hồ sơ được chọn mẫu và nhận thư mời.")
    if written:
        click.echo(f"Đã ghi {written['slips']} phiếu mời ({', '.join(written['slip_files'])}) và "
                   f"{written['sms']} tin nhắn (sms.csv) vào {out_dir}.")
    elif issued:
        click.echo("Lưu ý: không có --out nên mã mời chưa được phát; dùng `hailong wave slips` / "
                   "`hailong wave sms-csv` để phát.", err=True)
    _report_rejections(rejected, errors_path)
    if counts["rejected"]:
        sys.exit(1)


def _import_file(kind: Kind, path: str, source_code: str, delimiter: str | None, quiet: bool, out_dir: str | None,
                 fmt: str) -> tuple[dict, list, list, dict | None]:
    """The import as one unit of work: every chunk, the slips of the dossiers selected, the audit row."""
    source = db.session.execute(select(SourceSystem).where(SourceSystem.code == source_code)).scalar_one_or_none()
    if source is None:
        raise click.ClickException(f"Chưa có hệ thống nguồn '{source_code}'. "
                                   f"Tạo bằng: hailong apikey create --source {source_code} --all-agencies")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        total = max(sum(1 for _ in csv.reader(fh)) - 1, 0)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = _reader(fh, delimiter)
        missing = [names[0] for names in kind.columns if not set(names) & set(reader.fieldnames or [])]
        if missing:
            raise click.ClickException(f"Tệp thiếu cột: {', '.join(missing)}. Dòng đầu phải là tên cột như API.")
        counts, rejected, issued = {"stored": 0, "unchanged": 0, "rejected": 0}, [], []
        maps, selector = intake.CodeMaps.load(db.session), Selector.load(db.session)
        with click.progressbar(length=total, label=kind.label, hidden=quiet, show_pos=True,
                               show_eta=True) as bar:
            chunk, line_of = [], []
            for row in reader:
                chunk.append(row)
                line_of.append(reader.line_num)
                if len(chunk) >= CHUNK:
                    _ingest_chunk(kind, source, chunk, line_of, maps, selector, counts, rejected, issued,
                                  bool(out_dir))
                    bar.update(len(chunk))
                    chunk, line_of = [], []
            if chunk:
                _ingest_chunk(kind, source, chunk, line_of, maps, selector, counts, rejected, issued,
                              bool(out_dir))
                bar.update(len(chunk))
    written = None
    if issued and out_dir:  # staged: the files appear only once the invitations they hold are committed
        written = slips.write_bundle(out_dir, slips.build_items(db.session, issued), fmt)
    audit.record(db.session, "cli", kind.action, "source_system", source.code, file=os.path.basename(path),
                 **counts, invited=len(issued))
    return counts, rejected, issued, written


def _ingest_chunk(kind, source, chunk, line_of, maps, selector, counts, rejected, issued, deliver) -> None:
    result = intake.ingest(db.session, source, chunk, maps=maps, selector=selector, deliver=deliver,
                           validator=kind.validator)
    for r in result.results:
        counts[r.status] += 1
        if r.status == "rejected":
            rejected.append((line_of[r.index], r.external_id, r.errors, chunk[r.index]))
        for entry in r.invitations:
            issued.append(Issued(entry["invitation_id"], r.row["id"], entry["token"]))


def _report_rejections(rejected: list, errors_path: str | None) -> None:
    if not rejected:
        return
    for line, ext, errors, _row in rejected[:20]:
        reasons = "; ".join(f"{e['code']}: {e['message']}" for e in errors)
        click.echo(f"  dòng {line} ({ext or '?'}): {reasons}", err=True)
    if len(rejected) > 20 and not errors_path:
        click.echo(f"  ... và {len(rejected) - 20} dòng khác; dùng --errors TỆP.csv để ghi đủ.", err=True)
    if errors_path:
        with open(errors_path, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["line", "external_id", "codes", "reasons"])
            for line, ext, errors, _row in rejected:  # external ids come from the file: never a formula
                writer.writerow(safe_row([line, ext or "", " ".join(e["code"] for e in errors),
                                          "; ".join(e["message"] for e in errors)]))
        click.echo(f"Đã ghi {len(rejected)} dòng bị từ chối vào {errors_path}.", err=True)
