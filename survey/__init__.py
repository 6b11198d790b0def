"""Hài Lòng: the Flask application factory."""
from __future__ import annotations

import os
from typing import Any

from flask import Flask, has_request_context, request, session

from survey.config import load_config
from survey.extensions import babel, csrf, db, login_manager, migrate
from survey.paths import MIGRATIONS_DIR, PACKAGE_DIR, QUESTIONNAIRE_DIR, ROOT_DIR, TEMPLATE_DIR  # noqa: F401


def select_locale() -> str:
    """Pick the UI language: explicit choice in the session, else Vietnamese."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background work speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    arg = request.args.get("lang")
    if arg in languages:
        return arg
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → CLI hooks."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=TEMPLATE_DIR,
        static_folder="static",
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(app.instance_path))
    if config:
        app.config.from_mapping(config)
    if app.testing and "RATE_LIMIT_FILE" not in (config or {}):
        app.config["RATE_LIMIT_FILE"] = None  # each test process its own in-memory limits

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=os.path.join(PACKAGE_DIR, "translations"),
    )
    login_manager.init_app(app)
    from flask_babel import get_locale

    from survey.services.common import formats

    formats.install(app)  # |num |pct |points |day |when |period |named on every page

    app.jinja_env.globals["get_locale"] = get_locale
    login_manager.login_view = "auth.login"

    from survey import models  # noqa: F401  (register every table on the metadata)
    from survey.web import headers, inputs, register_blueprints

    inputs.install(app)
    headers.install(app)
    register_blueprints(app)
    from survey.commands import all_commands

    for command in all_commands():  # the same commands under `flask` and in app.test_cli_runner()
        app.cli.add_command(command)
    _install_sqlite_pragmas(app)
    return app


SQL_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _install_sqlite_pragmas(app: Flask) -> None:
    """SQLite: enforce foreign keys and use WAL so kiosks and analysts do not block each other."""
    from sqlalchemy import event

    from survey.services.common.txn import holds_writer_lock

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial
            # Let SQLAlchemy, not pysqlite, open transactions, so SAVEPOINT works (SQLAlchemy docs,
            # "Serializable isolation / Savepoints / Transactional DDL" for pysqlite).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=5000")
            if ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # pragma: no cover - trivial
            conn.exec_driver_sql("BEGIN")

        @event.listens_for(engine, "before_cursor_execute")
        def _write_outside_the_queue(_conn, _cursor, statement, _params, _context, _many):
            # SQLite has one writer at a time; run_write queues writers on its lock file. A request
            # writing outside it waits in busy_timeout's sleeps instead, and under load answers
            # "database is locked" (500): named here so the write path can be found and fixed.
            if statement.lstrip()[:7].upper().startswith(SQL_WRITES) and has_request_context() \
                    and not holds_writer_lock():
                app.logger.warning("SQLite write outside run_write's lock in %s: %s", request.endpoint,
                                   " ".join(statement.split()[:3]))
