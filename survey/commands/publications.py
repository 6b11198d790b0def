"""`hailong wave publish | restate | publications | diff | pack`: the published record of a wave."""
from __future__ import annotations

import json
import math

import click

from survey.commands import write
from survey.commands.waves import _wave, wave_cli
from survey.extensions import db
from survey.services import publications
from survey.services.publications import PublicationError, pack_views
from survey.services.workspace import publishing

commands: list = []  # these attach to `hailong wave` (survey.commands.waves)


def _publish(run):
    """Run a publication step as one unit of work; a PublicationError is a clear message and stores nothing."""
    def unit():
        try:
            return run()
        except PublicationError as exc:
            raise click.ClickException(str(exc)) from exc
    return write(unit)


def _pct(value) -> str:
    return "—" if value is None or (isinstance(value, float) and not math.isfinite(value)) else "%.2f" % value


@wave_cli.command("publish")
@click.argument("code")
def wave_publish(code: str) -> None:
    """Công bố số liệu của đợt (phiên bản 1); đợt đã công bố thì dùng `hailong wave restate`."""
    def run():
        wave = _wave(code)
        if publications.current(db.session, wave.id) is not None and \
                not publications.current(db.session, wave.id).provisional:
            raise PublicationError("Đợt %s đã được công bố: muốn sửa số liệu hãy dùng `hailong wave restate "
                                   "%s --reason ...`." % (code, code))
        return publishing.publish(db.session, "cli", wave)
    pub = _publish(run)
    click.echo("Đã công bố đợt %s, phiên bản %d (%s)." % (code, pub.version, pub.content_hash[:12]))


@wave_cli.command("restate")
@click.argument("code")
@click.option("--reason", required=True, help="Lý do công bố lại (bắt buộc), ví dụ 'nhập bổ sung hồ sơ muộn'.")
def wave_restate(code: str, reason: str) -> None:
    """Công bố lại: tạo phiên bản mới (kèm lý do và bảng chênh lệch); phiên bản cũ vẫn giữ nguyên."""
    pub = _publish(lambda: publishing.restate(db.session, "cli", _wave(code), reason))
    changes = (pub.diff or {}).get("changes", [])
    click.echo("Đã công bố lại đợt %s: phiên bản %d; %d số liệu thay đổi, %d trạng thái đổi."
               % (code, pub.version, len(changes), len((pub.diff or {}).get("statuses", []))))


@wave_cli.command("publications")
@click.argument("code")
def wave_publications(code: str) -> None:
    """Liệt kê các phiên bản công bố của đợt."""
    views = publications.versions(db.session, _wave(code).id)
    if not views:
        click.echo("Đợt %s chưa có phiên bản công bố nào: hailong wave publish %s" % (code, code))
    for v in views:
        overall = v.table.overall.index.overall
        click.echo("%-11s v%-3d %s  %-10s n=%-6d chỉ số=%s  %s" % (
            str(v.kind), v.version, v.published_at.strftime("%Y-%m-%d %H:%M"), v.actor, v.table.respondents,
            _pct(overall.value), v.reason))


@wave_cli.command("diff")
@click.argument("code")
@click.argument("version", type=int)
@click.option("--json", "as_json", is_flag=True, help="In bảng chênh lệch dạng JSON.")
def wave_diff(code: str, version: int, as_json: bool) -> None:
    """Bảng chênh lệch của một phiên bản công bố lại so với phiên bản trước nó."""
    view = next((v for v in publications.versions(db.session, _wave(code).id)
                 if v.version == version and not v.provisional), None)
    if view is None:
        raise click.ClickException("Đợt %s không có phiên bản công bố %d." % (code, version))
    if as_json:
        click.echo(json.dumps(view.diff, ensure_ascii=False, indent=1))
        return
    if not view.diff:
        click.echo("Phiên bản %d là bản công bố đầu tiên: không có chênh lệch." % version)
        return
    before, after = view.diff["respondents"]
    click.echo("Phiên bản %d (%s): người trả lời %d → %d" % (version, view.reason, before, after))
    for c in view.diff["changes"]:
        b, a = c["before"] or {}, c["after"] or {}
        click.echo("  %-15s %-40s %-14s %s → %s (%s)" % (c["scope"], c["label"][:40], c["estimate"][:14],
                                                       _pct(b.get("value")), _pct(a.get("value")),
                                                       _pct(c["delta"])))
    for s in view.diff["statuses"]:
        click.echo("  trạng thái %-15s %-40s %s → %s" % (s["scope"], s["label"][:40], s["before"], s["after"]))


@wave_cli.command("pack")
@click.argument("code")
@click.option("--version", "version", type=int, default=None,
              help="Phiên bản công bố chính thức (mặc định: phiên bản mới nhất).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Tệp ZIP sẽ ghi, ví dụ pack.zip.")
def wave_pack(code: str, version: int | None, out: str) -> None:
    """Gói tái lập của một phiên bản công bố: dữ liệu vi mô (CSV, .sav, .dta), sổ mã, cú pháp R/Stata/SPSS."""
    def run():
        view = pack_views.find(db.session, _wave(code), version)
        if view is None:
            raise PublicationError("Đợt %s không có phiên bản công bố %s." % (code, version or "chính thức nào"))
        body, name = pack_views.download(db.session, "cli", view)
        return body, name, view.version
    body, _name, got = _publish(run)
    with open(out, "wb") as fh:
        fh.write(body)
    click.echo("Đã ghi gói tái lập của đợt %s, phiên bản %d: %s (%d byte)." % (code, got, out, len(body)))
