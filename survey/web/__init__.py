"""Blueprint registration: the one place every feature's blueprint is mounted."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Mount every feature blueprint on the app."""
    from survey.web.admin import bp as admin_bp
    from survey.web.analyst import bp as analyst_bp
    from survey.web.api import bp as api_bp
    from survey.web.auth import bp as auth_bp
    from survey.web.jobs import bp as jobs_bp
    from survey.web.kiosk import bp as kiosk_bp
    from survey.web.main import bp as main_bp
    from survey.web.public import bp as public_bp
    from survey.web.respond import bp as respond_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(respond_bp, url_prefix="/s")
    app.register_blueprint(kiosk_bp, url_prefix="/kiosk")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(analyst_bp, url_prefix="/analyst")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(jobs_bp, url_prefix="/jobs")
    app.register_blueprint(public_bp, url_prefix="/cong-khai")
