"""Home page, /healthz, language choice and the error handlers."""
from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import _
from flask_babel import lazy_gettext as _l
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from survey.extensions import db
from survey.web.main import bp


@bp.route("/")
def index():
    """Landing page pointing each kind of user to their entrance."""
    return render_template("main/index.html")


@bp.route("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise (for load balancers and `make run`)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not healthy" (the app context's teardown discards the session)
        current_app.logger.warning("healthz: database unreachable: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/lang/<code>")
def set_language(code: str):
    """Remember the chosen language in the session and go back."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.args.get("next") or url_for("main.index")
    if not target.startswith("/") or target.startswith("//") or not target.isprintable():
        target = url_for("main.index")  # never off-site; no control characters, which no header may hold
    return redirect(target)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@bp.before_app_request
def refuse_nul_characters():
    """400 for a NUL in the query string or a form field (PostgreSQL refuses it in any statement)."""
    # JSON bodies are checked field by field where they arrive (kiosk answers, intake records).
    fields = list(request.args.items(multi=True))
    if request.mimetype in FORM_TYPES:
        fields += request.form.items(multi=True)
    if any("\x00" in key or "\x00" in value for key, value in fields):
        abort(400, description=_("Dữ liệu gửi lên chứa ký tự NUL, không thể xử lý."))


JSON_PATHS = ("/api/", "/kiosk/api/")  # machine clients: errors in JSON, never an HTML page

ERROR_TITLES = {
    400: _l("Yêu cầu không hợp lệ"),
    403: _l("Bạn không có quyền xem trang này"),
    404: _l("Không tìm thấy trang"),
    405: _l("Phương thức không được phép"),
    413: _l("Dữ liệu gửi lên quá lớn"),
    429: _l("Quá nhiều yêu cầu, vui lòng thử lại sau ít phút"),
    500: _l("Đã có lỗi xảy ra"),
    503: _l("Dịch vụ tạm thời không sẵn sàng"),
}


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """Render HTTP errors in the user's language, or JSON for the API."""
    code = exc.code or 500
    # The exception's own headers matter to clients: Allow on a 405, WWW-Authenticate on a 401.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    if request.path.startswith(JSON_PATHS):
        return jsonify(error=exc.name, code=code, message=exc.description), code, headers
    title = ERROR_TITLES.get(code) or _("Đã có lỗi xảy ra")
    return render_template("errors/error.html", code=code, title=title), code, headers


@bp.app_errorhandler(Exception)
def unhandled_error(exc: Exception):
    """Log the failure and show a calm 500 page.

    Nothing is left to undo here: run_write rolled back a failed write, and the session of a failed
    read is discarded when the app context ends (this page does not touch the database).
    """
    if isinstance(exc, HTTPException):
        return http_error(exc)
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return database_unavailable(exc)
    current_app.logger.exception("unhandled error")
    if request.path.startswith(JSON_PATHS):
        return jsonify(error="Internal Server Error", code=500), 500
    return render_template("errors/error.html", code=500, title=_("Đã có lỗi xảy ra")), 500


def database_unavailable(exc: Exception):
    """503 with Retry-After when the database cannot be reached: the client may simply try again.

    Why not a 500: nothing is wrong with the request, and run_write stored nothing of it. The error
    page's layout needs no database (no signed-in user is looked up).
    """
    current_app.logger.warning("database unavailable: %s", str(exc).splitlines()[0][:200])
    headers = {"Retry-After": "30"}
    title = str(ERROR_TITLES[503])
    if request.path.startswith(JSON_PATHS):
        return jsonify(error="Service Unavailable", code=503, message=title), 503, headers
    return render_template("errors/error.html", code=503, title=title), 503, headers
