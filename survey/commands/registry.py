"""`hailong import registry FILE.csv`, `hailong import lineage FILE.csv` and `hailong targets list|set|delete`."""
from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from survey.commands import import_cli, write
from survey.extensions import db

KIND_LABELS = {"agency": "Cơ quan", "sector": "Lĩnh vực", "procedure": "Thủ tục (TTHC)",
               "service_point": "Điểm phục vụ"}


@import_cli.command("registry")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True,
              help="Chạy thử: kiểm tra và báo cáo kết quả nhưng không ghi gì vào cơ sở dữ liệu.")
def import_registry_command(path: str, dry_run: bool) -> None:
    """Nhập danh mục cơ quan, lĩnh vực, thủ tục và điểm phục vụ từ tệp CSV.

    \b
    Tệp CSV UTF-8, dòng đầu là tiêu đề, dòng bắt đầu bằng # là chú thích.
    Cột "kind" cho biết loại dòng: agency | sector | procedure | service_point.
    Các cột:
      kind, code, name_vi          bắt buộc với mọi loại (code duy nhất theo loại)
      name_en                      tên tiếng Anh (tuỳ chọn)
      level                        agency: province | department | commune |
                                   ward | special_zone | central |
                                   health_facility | school | district
                                   (district: trước 1/7/2025)
      parent_code                  agency: mã cơ quan cha (trống = gốc)
      sector_code                  procedure: mã lĩnh vực
      agency_code                  service_point: cơ quan quản lý điểm
      point_type                   service_point: province_centre |
                                   district_centre | commune_desk | agency_counter
      agencies_served              service_point: các mã cơ quan, cách nhau bằng ;
      address                      service_point: địa chỉ (tuỳ chọn)
      official_code                agency: mã đơn vị hành chính quốc gia (tuỳ chọn)
      valid_from, valid_to         agency, service_point: ngày bắt đầu / hết hiệu
                                   lực (NNNN-TT-NN, tuỳ chọn; valid_to không tính)

    \b
    Nhập lại cùng một tệp không thay đổi gì. Đổi tên, mã, cấp hoặc cơ quan cha
    của một cơ quan tạo phiên bản mới từ ngày valid_from (trống: hôm nay);
    phiên bản cũ được giữ nguyên. Xem docs/registry.md.
    Dòng lỗi bị từ chối (kèm số dòng, cột, lý do); các dòng đúng vẫn được lưu.
    Mã thoát 1 khi có dòng bị từ chối. Ví dụ mẫu: survey/demo_data/ha_tinh_registry.csv
    """
    from survey.services.common.txn import refused
    from survey.services.registry.imports import import_registry

    def unit():
        report = import_registry(db.session, path, actor="cli", dry_run=dry_run, name=os.path.basename(path))
        return refused(report) if dry_run else report  # a dry run stores nothing

    report = write(unit)
    click.echo(f"Danh mục từ {report.source}: {report.rows} dòng dữ liệu")
    if report.rows:
        click.echo(f"  {'':<16}{'Thêm mới':>10}{'Cập nhật':>10}{'Không đổi':>11}")
        for kind, label in KIND_LABELS.items():
            c = report.counts[kind]
            click.echo(f"  {label:<16}{c['created']:>10}{c['updated']:>10}{c['unchanged']:>11}")
    if report.errors:
        click.echo(f"Bị từ chối: {len(report.rejected_lines)} dòng "
                   f"({len(report.errors)} lỗi)", err=True)
        for error in report.errors:
            click.echo(f"  {error}", err=True)
    if dry_run:
        click.echo("Chạy thử (--dry-run): không ghi gì vào cơ sở dữ liệu.")
    elif report.errors and (report.created or report.updated):
        click.echo("Các dòng hợp lệ đã được lưu; sửa các dòng lỗi rồi nhập lại tệp.")
    if report.errors:
        raise SystemExit(1)


@import_cli.command("lineage")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True,
              help="Chạy thử: kiểm tra và báo cáo kết quả nhưng không ghi gì vào cơ sở dữ liệu.")
def import_lineage_command(path: str, dry_run: bool) -> None:
    """Nhập lịch sử sáp nhập, chia tách, đổi tên cơ quan từ tệp CSV.

    \b
    Các cột: kind,predecessor_code,successor_code,effective_on,share,note
      kind              merge (sáp nhập) | split (chia tách) | rename (đổi tên)
      predecessor_code  mã cơ quan trước (đã có trong danh mục)
      successor_code    mã cơ quan kế tiếp (đã có trong danh mục)
      effective_on      ngày hiệu lực, NNNN-TT-NN (ví dụ 2025-07-01)
      share             split: tỷ lệ hồ sơ cơ quan kế tiếp nhận (0-1], tổng = 1;
                        bỏ trống cả nhóm nếu không biết
      note              ghi chú, ví dụ số nghị quyết (tuỳ chọn)

    \b
    Tất cả hoặc không: có một dòng lỗi thì không ghi gì, mọi dòng lỗi được liệt kê
    kèm số dòng và lý do (vòng lặp, sáp nhập vào hai cơ quan, ngày sai thứ tự, mã
    không có). Nhập lại cùng tệp không thay đổi gì. Cơ quan trước hết hiệu lực từ
    effective_on (và ngừng hoạt động khi đến ngày đó). Mã thoát 1 khi tệp bị từ chối.
    """
    from survey.services.common.txn import refused
    from survey.services.registry.lineage_import import import_lineage

    def unit():
        report = import_lineage(db.session, path, actor="cli", dry_run=dry_run, name=os.path.basename(path))
        return refused(report) if dry_run or report.errors else report

    report = write(unit)
    click.echo(f"Lịch sử cơ quan từ {report.source}: {report.rows} dòng dữ liệu")
    if report.errors:
        click.echo(f"Tệp bị từ chối, không ghi gì: {len(report.rejected_lines)} dòng lỗi "
                   f"({len(report.errors)} lỗi)", err=True)
        for error in report.errors:
            click.echo(f"  {error}", err=True)
        raise SystemExit(1)
    click.echo(f"  Thêm mới {report.created}, cập nhật {report.updated}, không đổi {report.unchanged}; "
               f"{report.retired} cơ quan ngừng hoạt động")
    if dry_run:
        click.echo("Chạy thử (--dry-run): không ghi gì vào cơ sở dữ liệu.")


targets_cli = AppGroup("targets", help="Chỉ tiêu hài lòng theo năm và phạm vi (xem, đặt, xoá).")


def _percent(value: str) -> float:
    """Accept 90, 90.5, 90,5 or 90% (a Vietnamese decimal comma is common)."""
    try:
        return float(value.strip().rstrip("%").strip().replace(",", "."))
    except ValueError:
        raise click.BadParameter(f"\"{value}\" không phải là một số phần trăm (ví dụ 90 hoặc 87,5)") from None


@targets_cli.command("list")
@click.option("--year", type=int, default=None, help="Chỉ xem các chỉ tiêu của năm này.")
def targets_list_command(year: int | None) -> None:
    """Liệt kê các chỉ tiêu (năm, phạm vi, lĩnh vực, giá trị %)."""
    from survey.services.registry.targets import list_targets

    targets = list_targets(db.session, year)
    if not targets:
        click.echo("Chưa có chỉ tiêu nào. Ví dụ thêm: hailong targets set 2025 tthc 90")
        return
    click.echo(f"{'Năm':<6}{'Phạm vi':<16}{'Lĩnh vực':<14}{'Chỉ tiêu':>9}  Mô tả")
    for t in targets:
        click.echo(f"{t.year:<6}{t.scope:<16}{t.sector_code or '-':<14}{t.value:>8g}%  {t.label_vi}")


@targets_cli.command("set")
@click.argument("year", type=int)
@click.argument("scope")
@click.argument("value")
@click.option("--sector", "sector_code", default="",
              help="Mã lĩnh vực (bắt buộc với tthc_sector và public_service), ví dụ land.")
@click.option("--label-vi", default=None, help="Mô tả tiếng Việt (mặc định theo phạm vi).")
@click.option("--label-en", default=None, help="Mô tả tiếng Anh (mặc định theo phạm vi).")
def targets_set_command(year: int, scope: str, value: str, sector_code: str,
                        label_vi: str | None, label_en: str | None) -> None:
    """Đặt chỉ tiêu VALUE (%) cho năm YEAR và phạm vi SCOPE.

    \b
    SCOPE: tthc (TTHC mọi lĩnh vực), tthc_sector (TTHC một lĩnh vực, cần --sector),
           service (sự phục vụ của cơ quan HCNN), public_service (dịch vụ công y tế,
           giáo dục, cần --sector), province (chỉ tiêu riêng của tỉnh).
    Ví dụ: hailong targets set 2025 tthc_sector 85 --sector land
    """
    from survey.services.registry.targets import TargetError, set_target

    percent = _percent(value)

    def unit():
        try:
            return set_target(db.session, year, scope, percent, sector_code, actor="cli", label_vi=label_vi,
                              label_en=label_en)
        except TargetError as exc:
            raise click.ClickException(str(exc)) from exc

    target, outcome = write(unit, conflicts=True)  # two operators setting one target: the rerun updates it
    verb = {"created": "Đã thêm", "updated": "Đã cập nhật", "unchanged": "Không đổi"}[outcome]
    sector = f" ({target.sector_code})" if target.sector_code else ""
    click.echo(f"{verb}: {target.year} {target.scope}{sector} = {target.value:g}% — {target.label_vi}")


@targets_cli.command("delete")
@click.argument("year", type=int)
@click.argument("scope")
@click.option("--sector", "sector_code", default="", help="Mã lĩnh vực của chỉ tiêu cần xoá.")
def targets_delete_command(year: int, scope: str, sector_code: str) -> None:
    """Xoá chỉ tiêu của năm YEAR, phạm vi SCOPE (và --sector nếu có)."""
    from survey.services.registry.targets import delete_target

    def unit():
        if not delete_target(db.session, year, scope, sector_code, actor="cli"):
            raise click.ClickException("Không có chỉ tiêu này (xem: hailong targets list).")

    write(unit)
    click.echo(f"Đã xoá chỉ tiêu {year} {scope} {sector_code}".rstrip())


commands = [targets_cli]
