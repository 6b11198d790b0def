"""`hailong seed demo` and `hailong seed urls`: the demo province and the URLs to try."""
from __future__ import annotations

import json

import click

from survey.commands import seed_cli, write
from survey.extensions import db

commands: list = []


@seed_cli.command("demo")
def seed_demo_command() -> None:
    """Tạo (hoặc cập nhật) tỉnh demo Hà Tĩnh: danh mục, kiosk, đợt khảo sát, tài khoản demo."""
    from flask import current_app

    from survey.services.demo import seed_demo

    ctx = write(lambda: seed_demo(db.session))
    # Tokens and one-time codes exist only now: keep what `seed urls` prints beside the database.
    path = current_app.instance_path + "/demo-urls.json"
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"urls": ctx.urls, "notes": ctx.notes}, fh, ensure_ascii=False, indent=1)
    click.echo(f"Đã tạo dữ liệu demo ({len(ctx.urls)} đường dẫn).")


@seed_cli.command("urls")
@click.option("--base", default=None, help="Địa chỉ gốc, ví dụ http://127.0.0.1:5000")
def seed_urls_command(base: str | None) -> None:
    """In ra các đường dẫn để thử bản demo (sau `hailong seed demo`)."""
    from flask import current_app

    base = (base or current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    path = current_app.instance_path + "/demo-urls.json"
    try:
        with open(path, encoding="utf-8") as fh:
            saved = json.load(fh)
    except FileNotFoundError:
        raise click.ClickException("Chưa có dữ liệu demo: hãy chạy `hailong seed demo` trước.") from None
    click.echo("")
    click.echo("=== Hài Lòng đang chạy — hãy mở các địa chỉ sau ===")
    click.echo(f"  Kiểm tra sức khoẻ (healthz):  {base}/healthz")
    click.echo(f"  Trang chủ:                    {base}/")
    for label, url in saved["urls"]:
        click.echo(f"  {label}: {base}{url}" if url.startswith("/") else f"  {label}: {url}")
    for note in saved["notes"]:
        click.echo(f"  {note}")
    click.echo("")
