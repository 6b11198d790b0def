"""`hailong report` (the PDF for the People's Committee) and `hailong export` (index tables, microdata, codebook)."""
from __future__ import annotations

import os
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from survey.commands import staged, write
from survey.extensions import db
from survey.models import Agency, Wave
from survey.services.common import audit
from survey.services.registry.hierarchy import agency_subtree_ids

export_cli = AppGroup("export", help="Xuất bảng chỉ số (CSV, XLSX), vi dữ liệu ẩn danh (CSV, SPSS .sav) và codebook.")


def _wave(code: str) -> Wave:
    wave = db.session.scalar(select(Wave).where(Wave.code == code))
    if wave is None:
        codes = ", ".join(db.session.scalars(select(Wave.code).order_by(Wave.period_start)).all()) or "—"
        raise click.ClickException(f"Không có đợt khảo sát mã {code!r}. Các đợt hiện có: {codes}")
    if wave.status == "draft":
        raise click.ClickException(f"Đợt {code} chưa khởi động: chưa có số liệu để báo cáo.")
    return wave


def _scope(agency_code: str | None):
    """(visible agency ids, agency) for --agency, or (None, None) for the whole province."""
    if not agency_code:
        return None, None
    agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
    if agency is None:
        raise click.ClickException(f"Không tìm thấy cơ quan có mã {agency_code!r}.")
    return agency_subtree_ids(db.session, agency.id), agency


def _check_folder(path: str) -> None:
    """Refuse before any work when the output folder does not exist."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise click.ClickException(f"Thư mục {folder} không tồn tại.")


def _save(out: str, body: bytes, kind: str, wave_code: str, **details) -> None:
    """Write `body` to `out` and its `export.<kind>` audit row, both or neither.

    The file is staged first and moved into place only once the audit row is committed: an export
    nobody could trace is never left behind, and a failed audit insert is a clear error.
    """
    _check_folder(out)
    with staged(out, folder=False) as folder:
        with open(os.path.join(folder(), os.path.basename(out)), "wb") as fh:
            fh.write(body)
        write(lambda: audit.record(db.session, "cli", "export." + kind, "wave", wave_code, **details))


@click.command("report")
@click.option("--wave", "wave_code", required=True, help="Mã đợt khảo sát, ví dụ DEMO-2025-Q3.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Tệp PDF sẽ ghi ra.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Ngôn ngữ của báo cáo (tiếng Việt mặc định; en = tiếng Anh).")
@click.option("--agency", "agency_code",
              help="Chỉ báo cáo một cơ quan và các đơn vị trực thuộc (mã cơ quan).")
@with_appcontext
def report_command(wave_code, out, lang, agency_code):
    """Lập báo cáo PDF kết quả khảo sát của một đợt cho UBND tỉnh (in ra thời gian lập)."""
    from survey.services.workspace.reports import report

    _check_folder(out)
    wave = _wave(wave_code)
    visible, agency = _scope(agency_code)
    click.echo(f"Đang lập báo cáo đợt {wave.code} ({lang})…")
    started = time.perf_counter()
    pdf = report(db.session, wave, lang, visible=visible, min_n=current_app.config["MIN_CELL_ANSWERS"],
                 province=current_app.config["PROVINCE_NAME"], scope_agency=agency)
    _save(out, pdf, "report", wave.code, lang=lang, agency=agency_code or "")
    elapsed = time.perf_counter() - started
    click.echo(f"Đã ghi {out} ({len(pdf) / 1024:.0f} KB) trong {elapsed:.1f} giây.")


@export_cli.command("index")
@click.option("--wave", "wave_code", required=True, help="Mã đợt khảo sát.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Tệp .csv hoặc .xlsx.")
@click.option("--agency", "agency_code", help="Chỉ một cơ quan và các đơn vị trực thuộc (mã cơ quan).")
@click.option("--csv", "csv_style", type=click.Choice(["vi", "intl"]), default="vi", show_default=True,
              help="CSV: vi = dấu ; và dấu phẩy thập phân (Excel tiếng Việt); intl = dấu , và dấu chấm.")
def export_index(wave_code, out, agency_code, csv_style):
    """Bảng chỉ số (tổng, yếu tố, tiêu chí, lĩnh vực, cơ quan, điểm phục vụ) với KTC 95 % và đánh giá."""
    from survey.services.workspace import dashboard as dash
    from survey.services.workspace import exports

    fmt = _format(out, ("csv", "xlsx"))
    wave = _wave(wave_code)
    visible, _agency = _scope(agency_code)
    min_n = current_app.config["MIN_CELL_ANSWERS"]
    rows = exports.index_rows(db.session, wave, dash.Filters(wave.id), visible, min_n)
    body = exports.to_csv(exports.INDEX_COLUMNS, rows, csv_style) if fmt == "csv" else \
        exports.index_xlsx(rows, exports.index_notes(wave, dash.Filters(wave.id), min_n))
    _finish(out, body, "index", wave, fmt, f"{len(rows)} dòng")


@export_cli.command("microdata")
@click.option("--wave", "wave_code", required=True, help="Mã đợt khảo sát.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Tệp .csv, .xlsx hoặc .sav (SPSS).")
@click.option("--agency", "agency_code", help="Chỉ một cơ quan và các đơn vị trực thuộc (mã cơ quan).")
@click.option("--csv", "csv_style", type=click.Choice(["vi", "intl"]), default="vi", show_default=True,
              help="CSV: vi = dấu ; và dấu phẩy thập phân (Excel tiếng Việt); intl = dấu , và dấu chấm.")
@click.option("--version", "version", type=int, help="Một phiên bản công bố chính thức cũ (mặc định: hiện hành).")
def export_microdata(wave_code, out, agency_code, csv_style, version):
    """Vi dữ liệu ẩn danh: trọng số cuối, tầng, PSU, fpc và các câu trả lời mã hoá (không có văn bản tự do).

    Ghi từng khối 5.000 người trả lời (bộ nhớ không tăng theo cỡ đợt) và in tiến độ."""
    from survey.services.workspace import microdata_jobs, wavedata

    fmt = _format(out, ("csv", "xlsx", "sav"))
    wave = _wave(wave_code)
    visible, _agency = _scope(agency_code)
    started, shown = time.perf_counter(), [-1.0]

    def progress(done: int, total: int, message: str) -> None:
        step = 100.0 * done / total if total else 100.0
        if step - shown[0] >= 10 or done == total:  # a line every tenth of the work
            shown[0] = step
            click.echo(f"  {step:5.1f} %  {message}")

    with staged(out, folder=False) as folder:
        path = os.path.join(folder(), os.path.basename(out))
        try:
            done = microdata_jobs.export(db.session, wave, fmt, path, visible=visible, version=version,
                                         style=csv_style, progress=progress)
        except wavedata.NotPublished as exc:
            raise click.ClickException(f"Đợt {wave.code} không có phiên bản công bố {version}.") from exc
        details = {"format": fmt, "rows": done.rows, **({"csv": csv_style} if fmt == "csv" else {})}
        write(lambda: audit.record(db.session, "cli", "export.microdata", "wave", wave.code, **details))
    click.echo(f"Đã ghi {out}: {done.rows} người trả lời, {done.columns} biến "
               f"({os.path.getsize(out) / 1024:.0f} KB, {time.perf_counter() - started:.1f} giây).")


@export_cli.command("codebook")
@click.option("--wave", "wave_code", required=True, help="Mã đợt khảo sát.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Tệp .csv, .md hoặc .html.")
@click.option("--agency", "agency_code", help="Sổ tay vi dữ liệu của một cơ quan và đơn vị trực thuộc.")
def export_codebook(wave_code, out, agency_code):
    """Sổ tay biến (codebook) của vi dữ liệu: tên biến, nhãn, giá trị, ghi chú về quyền riêng tư."""
    from survey.services.workspace import exports, microdata_release

    fmt = _format(out, ("csv", "md", "html"))
    wave = _wave(wave_code)
    visible, _agency = _scope(agency_code)
    plan = microdata_release.plan(db.session, wave, visible)  # disclosure control only: no row is made
    variables = plan.variables
    body = exports.codebook(variables, fmt, "Codebook — " + wave.name, plan.sdc, plan.source)
    _finish(out, body, "codebook", wave, fmt, f"{len(variables)} biến")


def _format(out: str, allowed: tuple) -> str:
    _check_folder(out)
    fmt = os.path.splitext(out)[1].lower().lstrip(".")
    if fmt not in allowed:
        raise click.ClickException("Đuôi tệp phải là một trong: " + ", ".join("." + a for a in allowed))
    return fmt


def _finish(out: str, body: bytes, kind: str, wave: Wave, fmt: str, what: str) -> None:
    _save(out, body, kind, wave.code, format=fmt)
    click.echo(f"Đã ghi {out}: {what}.")


commands = [report_command, export_cli]
