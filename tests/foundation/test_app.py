"""The application skeleton: health check, error pages, languages, migrations."""
from __future__ import annotations

from alembic.script import ScriptDirectory
from flask_migrate import Migrate
from sqlalchemy import inspect

from survey import MIGRATIONS_DIR, create_app
from survey.extensions import db


def test_healthz_is_ok_when_the_database_answers(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "SECRET_KEY": "x"})
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["database"] == "unreachable"


def test_unknown_page_shows_a_vietnamese_404(client):
    resp = client.get("/khong-co-trang-nay")
    assert resp.status_code == 404
    assert "Không tìm thấy trang" in resp.get_data(as_text=True)


def test_unknown_api_path_answers_json(client):
    resp = client.get("/api/v1/khong-co")
    assert resp.status_code == 404
    assert resp.get_json()["code"] == 404


def test_a_nul_character_in_a_form_or_query_is_a_400_on_every_backend(client):
    # PostgreSQL refuses NUL in any statement: without the guard this sign-in was a 500 there.
    resp = client.post("/auth/login", data={"username": "mi\x00nh", "password": "x"})
    assert resp.status_code == 400 and "Yêu cầu không hợp lệ" in resp.get_data(as_text=True)
    assert client.get("/auth/login?next=/a%00b").status_code == 400
    api = client.get("/api/v1/openapi.json?x=%00")
    assert api.status_code == 400 and "NUL" in api.get_json()["message"]
    kiosk = client.post("/kiosk/api/heartbeat?x=%00", json={"queued": 0})
    assert kiosk.status_code == 400 and kiosk.get_json()["code"] == 400  # a kiosk reads JSON, not a page
    assert client.get("/auth/login?next=/analyst/").status_code == 200  # the guard passes ordinary requests


def test_choosing_english_translates_the_error_page(client):
    client.get("/lang/en")
    resp = client.get("/khong-co-trang-nay")
    assert "Page not found" in resp.get_data(as_text=True)


def test_language_switch_refuses_offsite_redirects(client):
    resp = client.get("/lang/en?next=//evil.example/")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_migrations_have_a_single_head(app):
    with app.app_context():
        migrate: Migrate = app.extensions["migrate"].migrate
        script = ScriptDirectory.from_config(migrate.get_config(MIGRATIONS_DIR))
        assert len(script.get_heads()) == 1


def test_migrated_schema_matches_the_models(app):
    """Autogenerate against the migrated database finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        assert "response" in inspect(conn).get_table_names()


def test_hailong_cli_lists_the_feature_groups(runner):
    from survey.cli import cli

    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "import" in result.output and "seed" in result.output


def test_seed_urls_without_a_demo_explains_what_to_run(runner, app, tmp_path):
    old = app.instance_path
    app.instance_path = str(tmp_path)
    try:
        result = runner.invoke(args=["seed", "urls"])
    finally:
        app.instance_path = old
    assert result.exit_code != 0
    assert "hailong seed demo" in result.output


def test_demo_secret_key_is_stable_across_app_instances(tmp_path, monkeypatch):
    from survey.config import load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(str(tmp_path))["SECRET_KEY"]
    second = load_config(str(tmp_path))["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_gettext_outside_a_request_uses_the_default_language(app):
    from flask_babel import gettext

    with app.app_context():
        assert gettext("Không tìm thấy trang") == "Không tìm thấy trang"
