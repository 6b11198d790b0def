"""Home page (with the box for a slip's short code), /m/<code>, /healthz, language choice, error handlers."""
from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from wtforms import StringField
from wtforms.validators import DataRequired

from survey.extensions import db
from survey.services.sampling import invitations
from survey.web import limits
from survey.web.main import bp

# Guessing short codes (about 8.5e11 of them): failures per client address first, then for the whole site,
# as enrolment codes are limited; a right code gives its tokens back. At 1 guess a second site-wide, with
# 100 000 codes open, a hit takes about 100 days. The two limits are limits.DEFAULTS' code_address, code_global.


class CodeForm(FlaskForm):
    """The home page's box for the code printed on a slip."""

    code = StringField(_l("Mã trên phiếu"), validators=[DataRequired(message=_l("Vui lòng nhập mã trên phiếu."))],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                                  "maxlength": 20, "placeholder": "ABCD-EFGH", "enterkeyhint": "go"})


@bp.route("/", methods=["GET", "POST"])
def index():
    """Landing page: the box for a slip's code, and each kind of user's entrance."""
    form = CodeForm()
    if request.method == "POST" and form.validate_on_submit():
        return _open_code(form.code.data, form)
    return render_template("main/index.html", form=form), (422 if request.method == "POST" else 200)


@bp.route("/m/<code>")
def code_link(code: str):
    """The short link an SMS carries: the same as typing its code on the home page."""
    return _open_code(code, CodeForm(formdata=None, code=code))


def _open_code(typed: str, form: CodeForm):
    """Redirect to the invitation of a code, or the home page with what went wrong (nothing is stored)."""
    retry = _code_limited()
    if retry:
        error = _("Đã nhập sai mã quá nhiều lần. Vui lòng chờ vài phút rồi thử lại.")
        return _private(render_template("main/index.html", form=form, code_error=error), 429,
                        {"Retry-After": str(retry)})
    found = invitations.find_by_code(db.session, typed)
    if found is None:
        error = (_("Không có phiếu nào mang mã này. Vui lòng kiểm tra lại từng ký tự trên phiếu.")
                 if invitations.normalize_code(typed) else
                 _("Mã gồm 8 chữ và số, in trên phiếu dưới mã QR (ví dụ ABCD-EFGH)."))
        return _private(render_template("main/index.html", form=form, code_error=error),
                        422 if request.method == "POST" else 404)
    for kind, key in _code_buckets():  # a right code costs nobody any allowance
        limits.refund(kind, key)
    return _private(redirect(url_for("respond.welcome", token=found[1]), 303))


def _code_buckets() -> list[tuple[str, str]]:
    return [("code_address", request.remote_addr or "?"), ("code_global", "all")]


def _code_limited() -> int | None:
    """Retry-After seconds when this address, or the whole site, has used up its code attempts (see above)."""
    taken = []
    for kind, key in _code_buckets():
        retry = limits.check(kind, key)
        if retry:
            for done in taken:  # refused before the site-wide bucket: one address cannot use up everyone's
                limits.refund(*done)
            return retry
        taken.append((kind, key))
    return None


def _private(page, status: int | None = None, headers: dict | None = None):
    """A response about a code: never cached, never sent on as a Referer (the code opens an invitation).

    `status` None keeps the page's own (a redirect's 303); a number replaces it.
    """
    resp = current_app.make_response((page, status, headers or {}))
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


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
