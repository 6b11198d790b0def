"""`hailong import events FILE.csv`: hospital visits and school enrolments, imported like dossiers."""
from __future__ import annotations

import click

from survey.commands import import_cli
from survey.commands.intake import Kind, run_import
from survey.services.intake.events import validate_event
from survey.services.sampling import slips

EVENTS = Kind(validate_event, (("external_id",), ("kind",), ("unit_code",), ("started_at",)),
              "Đang nhập sự kiện dịch vụ", "events.import")


@import_cli.command("events")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", "source_code", required=True, help="Mã hệ thống nguồn của các sự kiện (phải có sẵn).")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False),
              help="Ghi mọi dòng bị từ chối cùng lý do vào tệp CSV này.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Thư mục ghi phiếu mời in và tệp SMS cho các sự kiện được chọn mẫu ngay khi nhập.")
@click.option("--format", "fmt", type=click.Choice(list(slips.FORMATS)), default="a6", show_default=True,
              help="Khổ phiếu in.")
@click.option("--delimiter", default=None, help="Dấu phân cách cột (mặc định: tự nhận , hoặc ;).")
@click.option("--quiet", is_flag=True, help="Không hiện thanh tiến trình.")
def import_events(path: str, source_code: str, errors_path: str | None, out_dir: str | None, fmt: str,
                  delimiter: str | None, quiet: bool) -> None:
    """Nhập lượt khám/ra viện và lượt nhập học từ tệp CSV (UTF-8; cột như API /service-events:
    external_id, kind (hospital_visit | school_enrolment), unit_code (mã bệnh viện hoặc trường), event_type
    (inpatient | outpatient; preschool | primary | secondary), department hoặc class, service_point_code,
    started_at, ended_at, outcome, phone, citizen_area_code).

    Như khi nhập hồ sơ: dòng hợp lệ được lưu, dòng trùng nguyên vẹn được bỏ qua, dòng lỗi được báo kèm lý do
    (và lệnh kết thúc với mã lỗi 1).
    """
    run_import(EVENTS, path, source_code, errors_path, out_dir, fmt, delimiter, quiet)
