"""`hailong wave ...`: create, review, launch and close survey waves; audit, rates, delivery, privacy."""
from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from survey.commands import staged, write
from survey.extensions import db
from survey.models import Agency, Invitation, Sector, ServicePoint, Wave
from survey.services.publications import PublicationError
from survey.services.sampling import audit as wave_audit
from survey.services.sampling import invitations as inv_service
from survey.services.sampling import operations as ops
from survey.services.sampling import rules as sampling
from survey.services.sampling import slips
from survey.services.sampling.waves import WaveError, error_message
from survey.services.workspace import publishing

wave_cli = AppGroup("wave", help="Đợt khảo sát: tạo, xem, khởi động, đóng; kiểm tra mẫu, tỷ lệ phản hồi, phát thư mời.")
commands = [wave_cli]


def _wave(code: str) -> Wave:
    wave = db.session.execute(select(Wave).where(Wave.code == code)).scalar_one_or_none()
    if wave is None:
        raise click.ClickException(f"Không có đợt khảo sát mã '{code}'. Xem danh sách: hailong wave list")
    return wave


def _step(run):
    """Run one wave step as a unit of work; a WaveError is a clear message and stores nothing."""
    def unit():
        try:
            return run()
        except WaveError as exc:
            raise click.ClickException(error_message(str(exc))) from exc

    return write(unit)


@wave_cli.command("list")
def wave_list() -> None:
    """Liệt kê các đợt khảo sát."""
    rows = db.session.execute(select(Wave).order_by(Wave.period_start.desc(), Wave.id.desc())).scalars().all()
    if not rows:
        click.echo("Chưa có đợt khảo sát nào. Tạo bằng: hailong wave create --help")
    for w in rows:
        click.echo(f"{w.code:<24} {w.status:<9} {w.period_start} → {w.period_end}  {w.name}")


@wave_cli.command("create")
@click.argument("code")
@click.option("--name", required=True, help="Tên đợt, ví dụ 'Quý II/2025'.")
@click.option("--start", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Ngày bắt đầu (YYYY-MM-DD).")
@click.option("--end", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Ngày kết thúc (YYYY-MM-DD).")
@click.option("--instrument", default="sipas2023-service", show_default=True, help="Bảng hỏi.")
@click.option("--version", "version", default=None, help="Phiên bản bảng hỏi (mặc định: bản nạp gần nhất).")
@click.option("--strata", type=click.Choice(sampling.STRATA_SCHEMES), default="agency_sector", show_default=True,
              help="Phân tầng: cơ quan × lĩnh vực, chỉ cơ quan, hoặc chỉ lĩnh vực.")
@click.option("--pi", type=float, default=None, help="Xác suất chọn cố định cho mọi tầng (bỏ qua cỡ mẫu SIPAS).")
@click.option("--margin", type=float, default=sampling.DEFAULT_MARGIN, show_default=True,
              help="Sai số e trong n = N/(1+N·e²).")
@click.option("--response-rate", type=float, default=sampling.DEFAULT_RESPONSE_RATE, show_default=True,
              help="Tỷ lệ phản hồi dự kiến (để tăng số thư mời).")
@click.option("--min", "min_responses", type=int, default=sampling.DEFAULT_MIN_RESPONSES, show_default=True,
              help="Số phiếu tối thiểu mỗi tầng.")
@click.option("--new-stratum-pi", type=float, default=1.0, show_default=True,
              help="π cho tầng chưa có hồ sơ kỳ trước (mặc định chọn toàn bộ).")
@click.option("--seed", default=None, help="Hạt giống chọn mẫu (mặc định: ngẫu nhiên 128 bit).")
def wave_create(code, name, start, end, instrument, version, strata, pi, margin, response_rate, min_responses,
                new_stratum_pi, seed) -> None:
    """Tạo đợt khảo sát nháp CODE và tính mẫu dự kiến theo tầng từ số hồ sơ kỳ trước."""
    from survey.services.questionnaires.bank import get_version

    def run():
        qv = get_version(db.session, instrument, version)
        if qv is None:
            raise click.ClickException(f"Chưa nạp bảng hỏi {instrument} {version or ''}: "
                                       "hailong questionnaires load questionnaires/")
        return ops.create(db.session, "cli", code=code, name=name, period_start=start.date(), period_end=end.date(),
                          version=qv, scheme=strata, fixed_pi=pi, margin=margin, response_rate=response_rate,
                          min_responses=min_responses, new_stratum_pi=new_stratum_pi, seed=seed)

    wave = _step(run)
    click.echo(f"Đã tạo đợt nháp {wave.code}. Xem lại rồi khởi động: hailong wave launch {wave.code} --out THU_MUC")
    _print_plan(wave)


def _print_plan(wave: Wave) -> None:
    agencies = dict(db.session.execute(select(Agency.id, Agency.name_vi)).all())
    sectors = dict(db.session.execute(select(Sector.id, Sector.name_vi)).all())
    rr = wave.design["response_rate"]
    click.echo(f"{'tầng':<34} {'N kỳ trước':>10} {'N kỳ này':>9} {'π':>7} {'n mục tiêu':>10} {'thư mời dự kiến':>15} "
               f"{'phiếu dự kiến':>13}")
    tot = [0, 0, 0.0, 0.0]
    for s in wave.strata:
        label = " × ".join(x for x in (agencies.get(s.agency_id), sectors.get(s.sector_id)) if x) or s.key
        exp_inv = s.pi * (s.population_prev or 0)
        click.echo(f"{label[:34]:<34} {s.population_prev or 0:>10} {s.population or 0:>9} {s.pi:>7.4f} "
                   f"{s.target_n if s.target_n is not None else '—':>10} {exp_inv:>15.0f} {exp_inv * rr:>13.0f}")
        tot = [tot[0] + (s.population_prev or 0), tot[1] + (s.population or 0), tot[2] + exp_inv, tot[3] + exp_inv * rr]
    click.echo(f"{'Tổng':<34} {tot[0]:>10} {tot[1]:>9} {'':>7} {'':>10} {tot[2]:>15.0f} {tot[3]:>13.0f}")


@wave_cli.command("show")
@click.argument("code")
def wave_show(code: str) -> None:
    """Xem đợt khảo sát: thiết kế, hạt giống, mẫu dự kiến theo tầng, số thư mời."""
    wave = _wave(code)
    d = wave.design
    click.echo(f"{wave.code} — {wave.name} [{wave.status}]  kỳ {wave.period_start} → {wave.period_end} "
               f"(kỳ trước {d['previous_period'][0]} → {d['previous_period'][1]})")
    rule = f"π cố định {d['fixed_pi']}" if d["rule"] == "fixed" else (
        f"n = N/(1+N·e²), e = {d['margin']}, tối thiểu {d['min_responses']}, tỷ lệ phản hồi {d['response_rate']}")
    click.echo(f"Phân tầng: {d['scheme']}; quy tắc: {rule}; π tầng mới: {d['new_stratum_pi']}")
    click.echo(f"Hạt giống: {wave.seed or '(đã xoá)'}")
    n_inv = db.session.execute(select(func.count()).where(Invitation.wave_id == wave.id)).scalar_one()
    click.echo(f"Thư mời: {n_inv}")
    _print_plan(wave)


@wave_cli.command("stratum")
@click.argument("code")
@click.argument("key")
@click.option("--pi", type=float, default=None, help="π cố định cho tầng này.")
@click.option("--target", type=int, default=None, help="Số phiếu mục tiêu cho tầng này.")
def wave_stratum(code: str, key: str, pi: float | None, target: int | None) -> None:
    """Đặt π hoặc số phiếu mục tiêu cho tầng KEY (dạng MA_CO_QUAN|MA_LINH_VUC) của đợt nháp.

    Không có tuỳ chọn: bỏ đặt riêng.
    """
    wave = _step(lambda: _override(code, key, pi, target))
    _print_plan(wave)


def _override(code: str, key: str, pi: float | None, target: int | None) -> Wave:
    wave = _wave(code)
    ops.override_stratum(db.session, "cli", wave, key, pi=pi, target_n=target)
    return wave


def _echo_delivery(written: dict, out_dir: str) -> None:
    click.echo(f"Đã ghi vào {out_dir}: {written['slips']} phiếu in ({len(written['slip_files'])} tệp), "
               f"{written['sms']} tin nhắn (sms.csv), {written['links']} đường liên kết (links.csv).")
    click.echo("Các tệp này chứa mã mời: chuyển cho người phát rồi xoá; không gửi qua kênh công khai.")


@wave_cli.command("launch")
@click.argument("code")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Thư mục ghi phiếu in, sms.csv và links.csv cho các thư mời vừa phát hành.")
@click.option("--format", "fmt", type=click.Choice(list(slips.FORMATS)), default="a6", show_default=True)
@click.option("--yes", is_flag=True, help="Không hỏi xác nhận.")
def wave_launch(code: str, out_dir: str | None, fmt: str, yes: bool) -> None:
    """Khởi động đợt: chọn mẫu một lượt trong các hồ sơ đã có của kỳ; hồ sơ đến sau được chọn khi nhận.

    Chạy lại trên đợt đang chạy sẽ bổ sung thư mời còn thiếu (nếu `wave audit` báo thiếu).
    """
    wave = _wave(code)
    if wave.status == "draft" and not yes:
        _print_plan(wave)
        click.confirm(f"Khởi động đợt {wave.code}? Sau khi khởi động không sửa được thiết kế", abort=True)
    with staged(out_dir) as folder:  # the slips appear only once their invitations are committed
        issued, written = _step(lambda: _launch(code, folder(), fmt))
    if written:
        _echo_delivery(written, out_dir)
    click.echo(f"Đợt {code} đang chạy: {len(issued)} thư mời mới.")
    if issued and not out_dir:
        click.echo("Chưa phát thư mời: dùng `hailong wave slips` / `hailong wave sms-csv` để ghi phiếu và tin nhắn.")


def _launch(code: str, out_dir: str | None, fmt: str) -> tuple[list, dict | None]:
    issued = ops.launch(db.session, "cli", _wave(code), deliver=bool(out_dir))
    written = None
    if out_dir and issued:
        written = slips.write_bundle(out_dir, slips.build_items(db.session, issued), fmt)
    return issued, written


@wave_cli.command("close")
@click.argument("code")
def wave_close(code: str) -> None:
    """Đóng đợt và công bố số liệu (phiên bản 1): chốt số hồ sơ theo tầng; thư mời chưa trả lời hết hiệu lực."""
    def run():
        try:
            return publishing.close_and_publish(db.session, "cli", _wave(code))
        except PublicationError as exc:
            raise click.ClickException(str(exc)) from exc
    expired = _step(run)
    click.echo(f"Đã đóng đợt {code} và công bố số liệu (phiên bản 1); {expired} thư mời chưa trả lời đã hết "
               "hiệu lực.")


@wave_cli.command("audit")
@click.argument("code")
def wave_audit_cmd(code: str) -> None:
    """Tính lại mẫu từ hạt giống và so với thư mời đã phát; mã thoát 1 nếu có sai lệch."""
    report = write(lambda: ops.check_sample(db.session, "cli", _wave(code)))
    if [kind for kind, *_ in report.discrepancies] == ["seed_forgotten"]:
        click.echo("Không thể tính lại mẫu: hạt giống đã bị xoá khi ẩn danh hoá đợt, nên không ai suy ra được "
                   "hồ sơ nào đã được mời.")
        return
    click.echo(f"{report.dossiers} hồ sơ trong kỳ; {report.expected} được chọn theo hạt giống; "
               f"{report.invitations} thư mời đã lưu.")
    for kind, ref, detail in report.discrepancies[:50]:
        click.echo(f"  SAI LỆCH {kind}: {ref} {detail}")
    if len(report.discrepancies) > 50:
        click.echo(f"  ... và {len(report.discrepancies) - 50} sai lệch khác")
    if not report.ok:
        click.echo("Kết quả: CÓ SAI LỆCH. (Thiếu thư mời do hồ sơ đến đúng lúc khởi động: chạy lại wave launch.)")
        sys.exit(1)
    click.echo("Kết quả: khớp hoàn toàn.")


@wave_cli.command("rates")
@click.argument("code")
@click.option("--by", "by", type=click.Choice(list(wave_audit.RATE_GROUPS) + ["all"]), default="all", show_default=True)
def wave_rates(code: str, by: str) -> None:
    """Tỷ lệ phản hồi theo tầng, điểm phục vụ và kết quả giải quyết."""
    wave = _wave(code)
    for group in (wave_audit.RATE_GROUPS if by == "all" else (by,)):
        click.echo(f"\n== {group} ==")
        click.echo(f"{'nhóm':<40} {'mời':>7} {'đã mở':>7} {'trả lời':>8} {'hết hạn':>8} {'tỷ lệ':>7}")
        for r in wave_audit.response_rates(db.session, wave, group):
            rate = f"{100 * r.rate:.1f}%" if r.rate is not None else "—"
            label = "Tổng" if r.label == "total" else r.label
            click.echo(f"{label[:40]:<40} {r.invited:>7} {r.opened:>7} {r.responded:>8} {r.expired:>8} {rate:>7}")


def _service_point_id(code: str | None) -> int | None:
    if not code:
        return None
    sp = db.session.execute(select(ServicePoint.id).where(ServicePoint.code == code)).scalar_one_or_none()
    if sp is None:
        raise click.ClickException(f"Không có điểm phục vụ mã {code}.")
    return sp


def _deliver(code: str, out: str, fmt: str, reissue: bool, service_point: str | None, limit: int | None,
             sms_only: bool) -> None:
    with staged(out, folder=not sms_only) as folder:  # the files appear only once their tokens are committed
        written = _step(lambda: _hand_out(code, folder(), os.path.basename(out), fmt, reissue, service_point, limit,
                                          sms_only))
    if written is None:
        click.echo("Không còn thư mời nào chưa phát"
                   + ("" if reissue else " (thêm --reissue để cấp lại mã cho thư mời chưa mở)."))
    elif sms_only:
        click.echo(f"Đã ghi {written['sms']} tin nhắn vào {out}.")
    else:
        _echo_delivery(written, out)


def _hand_out(code: str, folder: str, name: str, fmt: str, reissue: bool, service_point: str | None,
              limit: int | None, sms_only: bool) -> dict | None:
    """Fresh tokens for the invitations nobody holds yet, written as slips (or sms.csv) into `folder`."""
    wave = _wave(code)
    if wave.status != "launched":
        raise click.ClickException(error_message("not_launched") if wave.status == "draft" else error_message("closed"))
    invs = slips.pending_delivery(db.session, wave, reissue=reissue, service_point_id=_service_point_id(service_point),
                                  with_phone=sms_only, limit=limit)
    if not invs:
        return None
    issued = ops.hand_out(db.session, "cli", wave, invs, "wave.sms_csv" if sms_only else "wave.slips",
                          channel="sms" if sms_only else None, reissue=reissue)
    items = slips.build_items(db.session, issued)
    if not sms_only:
        return slips.write_bundle(folder, items, fmt, sms=False)
    rows = slips.sms_rows(items, current_app.config["PROVINCE_NAME"])
    slips.write_sms_csv(os.path.join(folder, name), rows)
    return {"sms": len(rows)}


_delivery_options = [
    click.option("--reissue", is_flag=True,
                 help="Cấp lại mã cho cả thư mời đã phát nhưng chưa mở (mã cũ mất hiệu lực)."),
    click.option("--service-point", default=None, help="Chỉ thư mời của điểm phục vụ này (mã)."),
    click.option("--limit", type=int, default=None, help="Tối đa bấy nhiêu thư mời."),
]


def _with_delivery_options(f):
    for opt in reversed(_delivery_options):
        f = opt(f)
    return f


@wave_cli.command("slips")
@click.argument("code")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Thư mục ghi phiếu in.")
@click.option("--format", "fmt", type=click.Choice(list(slips.FORMATS)), default="a6", show_default=True)
@_with_delivery_options
def wave_slips(code, out, fmt, reissue, service_point, limit) -> None:
    """Ghi phiếu mời in (HTML, mỗi điểm phục vụ một tệp) cho thư mời chưa phát; mã mời được cấp ngay lúc này."""
    _deliver(code, out, fmt, reissue, service_point, limit, sms_only=False)


@wave_cli.command("sms-csv")
@click.argument("code")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Tệp CSV cho cổng SMS/Zalo.")
@_with_delivery_options
def wave_sms_csv(code, out, reissue, service_point, limit) -> None:
    """Ghi tệp CSV tin nhắn SMS/Zalo (chỉ hồ sơ có số điện thoại) cho thư mời chưa phát."""
    _deliver(code, out, "a6", reissue, service_point, limit, sms_only=True)


@wave_cli.command("expire")
def wave_expire() -> None:
    """Đánh dấu hết hạn mọi thư mời quá hạn (chạy định kỳ, ví dụ mỗi đêm)."""
    n = write(lambda: inv_service.expire_due(db.session))
    click.echo(f"{n} thư mời đã hết hạn.")


@wave_cli.command("purge-contacts")
@click.argument("code")
@click.option("--yes", is_flag=True, help="Không hỏi xác nhận.")
def wave_purge_contacts(code: str, yes: bool) -> None:
    """Xoá số điện thoại của các hồ sơ thuộc đợt (không hoàn tác được)."""
    wave = _wave(code)
    if not yes:
        click.confirm(f"Xoá vĩnh viễn số điện thoại của hồ sơ thuộc đợt {wave.code}?", abort=True)
    n = write(lambda: ops.purge_contacts(db.session, "cli", _wave(code)))
    click.echo(f"Đã xoá {n} số điện thoại.")


@wave_cli.command("anonymise")
@click.argument("code")
@click.option("--yes", is_flag=True, help="Không hỏi xác nhận.")
def wave_anonymise(code: str, yes: bool) -> None:
    """Sau khi đóng đợt: cắt liên kết thư mời – hồ sơ và xoá hạt giống; giữ tầng, π và ô hiệu chỉnh để tính trọng số."""
    wave = _wave(code)
    if not yes:
        click.confirm(f"Ẩn danh hoá đợt {wave.code} (xoá cả hạt giống: không kiểm tra lại mẫu được nữa)? "
                      "Không hoàn tác được", abort=True)
    n = _step(lambda: ops.anonymise(db.session, "cli", _wave(code)))
    click.echo(f"Đã cắt liên kết của {n} thư mời với hồ sơ; trọng số vẫn tính được.")

