"""`hailong questionnaires validate|load|list|show`: the questionnaire bank from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from survey.commands import database_error, write
from survey.extensions import db

questionnaires_cli = AppGroup(
    "questionnaires",
    help="Bộ câu hỏi (questionnaires/*.yaml): kiểm tra, nạp, liệt kê, xem cấu trúc. "
         "Questionnaire bank: validate, load, list, show.")
commands = [questionnaires_cli]


def _default_dir() -> str:
    from survey.paths import QUESTIONNAIRE_DIR

    return QUESTIONNAIRE_DIR


def _database_errors(func):
    """Turn a database failure while reading (schema not created) into a clear message, not a traceback."""
    import functools

    from sqlalchemy.exc import SQLAlchemyError

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SQLAlchemyError as exc:  # a read failed: nothing to undo, and the command ends here
            raise click.ClickException(database_error(exc)) from exc
    return wrapper


def _yaml_files(path: str) -> list[str]:
    import glob
    import os

    if os.path.isdir(path):
        return glob.glob(os.path.join(path, "*.yaml")) + glob.glob(os.path.join(path, "*.yml"))
    return [path]


def _print_errors(errors: list) -> None:
    for error in errors:
        click.echo(f"  ✗ {error}", err=True)
    click.echo(f"{len(errors)} lỗi (errors).", err=True)


@questionnaires_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
def validate_command(paths: tuple[str, ...]) -> None:
    """Kiểm tra tệp/thư mục bộ câu hỏi (mặc định questionnaires/); liệt kê mọi lỗi, thoát mã 1 nếu có lỗi.

    Validate questionnaire files or directories (default: questionnaires/); lists every error and exits
    non-zero when there is any.
    """
    import os

    from survey.services.questionnaires.bank import validate_paths

    paths = paths or (_default_dir(),)
    errors = validate_paths(list(paths))
    bad = {e.file for e in errors}
    for path in paths:
        names = {os.path.basename(f) for f in _yaml_files(path)} or {os.path.basename(path.rstrip("/"))}
        click.echo(f"{'✗' if names & bad or path in bad else '✓'} {path}")
    if errors:
        _print_errors(errors)
        raise SystemExit(1)
    click.echo("Hợp lệ (valid).")


@questionnaires_cli.command("load")
@click.argument("paths", nargs=-1, type=click.Path())
@_database_errors
def load_command(paths: tuple[str, ...]) -> None:
    """Nạp bộ câu hỏi vào cơ sở dữ liệu (mặc định questionnaires/); phiên bản đã nạp không được sửa.

    Load questionnaire files or directories (default: questionnaires/). Identical re-loads are no-ops;
    a changed file under an already loaded version is refused and nothing is written.
    """
    from survey.services.questionnaires.bank import QuestionnaireError, load_paths

    try:
        # conflicts: another process loading the same version at once; the rerun finds it loaded (unchanged).
        results = write(lambda: load_paths(db.session, list(paths) or [_default_dir()], actor="cli"),
                        conflicts=True)
    except QuestionnaireError as exc:
        _print_errors(exc.errors)
        click.echo("Không nạp tệp nào (nothing loaded).", err=True)
        raise SystemExit(1) from exc
    for r in results:
        status = "đã nạp (loaded)" if r.status == "loaded" else "không đổi (unchanged)"
        click.echo(f"  {r.instrument} {r.version} [{r.content_hash[:12]}] {status} ← {r.file}")
    loaded = sum(r.status == "loaded" for r in results)
    click.echo(f"{loaded} phiên bản mới, {len(results) - loaded} không đổi.")


@questionnaires_cli.command("list")
@_database_errors
def list_command() -> None:
    """Liệt kê các phiên bản đã nạp: bộ câu hỏi, phiên bản, mã băm, thời điểm nạp, số câu hỏi.

    List loaded versions: instrument, version, hash prefix, loaded at (UTC), number of items.
    """
    from survey.services.questionnaires.bank import iter_questions, list_versions

    versions = list_versions(db.session)
    if not versions:
        click.echo("Chưa nạp bộ câu hỏi nào. Chạy: hailong questionnaires load")
        return
    click.echo(f"{'BỘ CÂU HỎI':<22} {'PHIÊN BẢN':<10} {'MÃ BĂM':<12} {'NẠP LÚC (UTC)':<19} SỐ CÂU")
    for v in versions:
        items = sum(1 for _ in iter_questions(v.content))
        click.echo(f"{v.questionnaire.instrument:<22} {v.version:<10} {v.content_hash[:12]:<12} "
                   f"{v.loaded_at:%Y-%m-%d %H:%M:%S} {items:>6}")


def _label(text: dict) -> str:
    return f"{text['vi']} / {text['en']}"


@questionnaires_cli.command("show")
@click.argument("instrument")
@click.option("--version", "version", default=None, help="Phiên bản (mặc định: bản nạp gần nhất). Version.")
@_database_errors
def show_command(instrument: str, version: str | None) -> None:
    """Hiển thị cấu trúc một bộ câu hỏi đã nạp: các phần, câu hỏi, thang đo, cây chỉ số.

    Show a loaded instrument: sections, questions, scales and the index tree.
    """
    from survey.services.questionnaires.bank import answer_codes, get_version, index_structure, scale_for

    found = get_version(db.session, instrument, version)
    if found is None:
        what = f"{instrument} phiên bản {version}" if version else instrument
        raise click.ClickException(f"Chưa nạp bộ câu hỏi {what}. Xem: hailong questionnaires list")
    content = found.content
    click.echo(f"{instrument} {found.version} — {_label(content['title'])}")
    click.echo(f"mã băm {found.content_hash}  nạp lúc {found.loaded_at:%Y-%m-%d %H:%M:%S} UTC  tệp {found.source_file}")
    click.echo("\nThang đo (scales):")
    for name, scale in content.get("scales", {}).items():
        codes = ", ".join(f"{c['code']}={c['label']['vi']}" for c in scale["codes"])
        extra = f"  hài lòng={scale['satisfied']}" if scale.get("satisfied") else ""
        click.echo(f"  {name}: {codes}{extra}{'  (mặt cười)' if scale.get('faces') else ''}")
    for section in content["sections"]:
        click.echo(f"\n[{section['id']}] {_label(section['title'])}")
        for q in section["questions"]:
            flags = [q["type"] + (f":{q['scale']}" if scale_for(content, q) else "")]
            if q.get("required"):
                flags.append("bắt buộc")
            if q.get("show_if"):
                flags.append(f"khi {q['show_if']['item']} ∈ {q['show_if']['in']}")
            click.echo(f"  {q['code']:<10} ({', '.join(flags)}) {q['text']['vi']}")
            if q["type"] in ("single", "multiple"):
                codes = "; ".join(f"{o['code']}={o['label']['vi']}" for o in answer_codes(content, q))
                click.echo("             " + codes)
    structure = index_structure(content)
    if structure["items"]:
        click.echo("\nCây chỉ số (index):")
        for part, elements in structure["parts"].items():
            click.echo(f"  {part}: {_label(content['index']['parts'][part]['label'])}")
            for element in elements:
                items = [structure["items"][i] for i in structure["elements"][element]]
                click.echo(f"    {element}: {', '.join(items)}")
        if structure["overall_item"]:
            click.echo(f"  câu đánh giá chung (overall): {structure['overall_item']}")
    if content.get("scoring"):
        scoring = content["scoring"]
        bands = "; ".join(f"≥{b['min']} {b['label']['vi']}" for b in scoring["bands"])
        click.echo(f"\nTính điểm (scoring): tổng {', '.join(scoring['items'])}; mức: {bands}")


@questionnaires_cli.command("import-xlsform")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--check", is_flag=True, help="Chỉ kiểm tra, không nạp. Validate only, load nothing.")
@click.option("--yaml", "yaml_out", type=click.Path(dir_okay=False), default=None,
              help="Ghi thêm tệp YAML tương ứng (questionnaires/*.yaml). Also write the YAML file.")
@_database_errors
def import_xlsform_command(file: str, check: bool, yaml_out: str | None) -> None:
    """Nhập một biểu mẫu XLSForm (.xlsx của ODK, KoboToolbox, SurveyCTO) vào ngân hàng câu hỏi.

    Import an XLSForm workbook as a questionnaire version: it is checked like a YAML file (errors name
    the sheet and row), then loaded (all or nothing). Mapping: docs/xlsform.md.
    """
    import os

    from survey.services.questionnaires.bank import QuestionnaireError
    from survey.services.questionnaires.xlsform import import_xlsx, load_xlsx, to_yaml

    with open(file, "rb") as fh:
        data = fh.read()
    content, errors = import_xlsx(data, os.path.basename(file))
    if errors:
        _print_errors(errors)
        click.echo("Không nạp gì (nothing loaded).", err=True)
        raise SystemExit(1)
    if yaml_out:
        with open(yaml_out, "w", encoding="utf-8") as fh:
            fh.write(to_yaml(content))
        click.echo(f"Đã ghi {yaml_out}")
    if check:
        click.echo(f"Hợp lệ (valid): {content['instrument']} {content['version']}.")
        return
    try:
        result = write(lambda: load_xlsx(db.session, data, os.path.basename(file), actor="cli"), conflicts=True)
    except QuestionnaireError as exc:
        _print_errors(exc.errors)
        click.echo("Không nạp gì (nothing loaded).", err=True)
        raise SystemExit(1) from exc
    status = "đã nạp (loaded)" if result.status == "loaded" else "không đổi (unchanged)"
    click.echo(f"  {result.instrument} {result.version} [{result.content_hash[:12]}] {status} ← {result.file}")


def _content_of(instrument: str, version: str | None) -> dict:
    """A version's content from the database, else from the bank's YAML files (not loaded yet)."""
    from survey.services.questionnaires.bank import get_version
    from survey.services.questionnaires.fileformat import parse_file

    found = get_version(db.session, instrument, version)
    if found is not None:
        return found.content
    for path in sorted(_yaml_files(_default_dir())):
        content, errors = parse_file(path)
        if not errors and content["instrument"] == instrument and version in (None, content["version"]):
            return content
    what = f"{instrument} phiên bản {version}" if version else instrument
    raise click.ClickException(f"Không có bộ câu hỏi {what} (chưa nạp, không có trong questionnaires/). "
                               "Xem: hailong questionnaires list")


@questionnaires_cli.command("export-xlsform")
@click.argument("code")
@click.option("--version", "version", default=None, help="Phiên bản (mặc định: bản nạp gần nhất). Version.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Tệp .xlsx cần ghi. Output file.")
@_database_errors
def export_xlsform_command(code: str, version: str | None, out: str) -> None:
    """Xuất một bộ câu hỏi ra XLSForm (.xlsx) để mở bằng Excel, ODK, KoboToolbox, SurveyCTO.

    Export an instrument version (CODE = instrument, e.g. sipas2023-service) as an XLSForm workbook,
    checked with pyxform. Importing it back gives the same content hash.
    """
    from survey.services.questionnaires.fileformat import content_hash
    from survey.services.questionnaires.xlsform import ExportError, export_xlsx

    content = _content_of(code, version)
    try:
        data = export_xlsx(content)
    except ExportError as exc:
        raise click.ClickException(f"Không xuất được: {exc}") from exc
    with open(out, "wb") as fh:
        fh.write(data)
    click.echo(f"Đã ghi {out}: {content['instrument']} {content['version']} [{content_hash(content)[:12]}]")
