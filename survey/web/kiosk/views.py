"""The kiosk tablet's pages: the offline-capable shell, enrolment, web app manifest, service worker."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import (
    Response as FlaskResponse,
)
from flask import (
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import _, get_locale
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from survey.extensions import db
from survey.services.common import audit
from survey.services.common.txn import run_write
from survey.services.kiosk import devices
from survey.services.kiosk.handoff import client_questionnaire, walkup_version
from survey.web import limits
from survey.web.kiosk import bp
from survey.web.kiosk.auth import current_device, set_device_cookie
from survey.web.kiosk.strings import ui_strings

STATIC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "static", "kiosk")
SHELL_ASSETS = ("kiosk.css", "kiosk.js", "icon.svg")


class EnrolForm(FlaskForm):
    """The one-time code an administrator gave for this tablet."""

    code = StringField(validators=[DataRequired(), Length(max=40)])


@lru_cache(maxsize=1)
def asset_version() -> str:
    """A short hash of the kiosk's static files: new files get new URLs, so caches never go stale."""
    digest = hashlib.sha256()
    for name in SHELL_ASSETS + ("sw.js",):
        with open(os.path.join(STATIC_DIR, name), "rb") as fh:
            digest.update(fh.read())
    return digest.hexdigest()[:12]


@bp.after_request
def _kiosk_headers(resp):
    resp.headers.setdefault("Cache-Control", "no-store")
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.route("/")
def shell():
    """The kiosk application (home screen, questions, thank-you) for an enrolled tablet."""
    device = current_device(allow_plain_cookie=True)
    if device is None:
        return render_template("kiosk/not_enrolled.html", strings=ui_strings()), 401
    version = walkup_version(db.session, current_app.config.get("KIOSK_WALKUP_INSTRUMENT", "kiosk-quick"))
    point = device.service_point
    config = {
        "device": {"id": device.id, "label": device.label},
        "centre": {"vi": point.name_vi, "en": point.name_en or point.name_vi},
        "idle_seconds": int(current_app.config.get("KIOSK_IDLE_SECONDS", 60)),
        "prompt_seconds": int(current_app.config.get("KIOSK_PROMPT_SECONDS", 20)),
        "thanks_seconds": int(current_app.config.get("KIOSK_THANKS_SECONDS", 8)),
        "heartbeat_seconds": int(current_app.config.get("KIOSK_HEARTBEAT_SECONDS", 60)),
        "walkup": client_questionnaire(version) if version else None,
        "strings": ui_strings(),
        "lang": str(get_locale()),
        "urls": {"start": url_for(".api_start"), "submit": url_for(".api_submit"),
                 "heartbeat": url_for(".api_heartbeat"), "enrol": url_for(".enrol"),
                 "give_back": url_for(".api_handoff_return"), "call": url_for(".api_call_staff"),
                 "sw": url_for(".service_worker"), "shell": url_for(".shell")},
    }
    return render_template("kiosk/app.html", config=config, v=asset_version(), point=point)


@bp.route("/enrol", methods=["GET", "POST"])
def enrol():
    """A tablet becomes a kiosk by entering (or scanning) its one-time enrolment code."""
    form = EnrolForm(code=request.args.get("code", ""))
    error = None
    if form.validate_on_submit():
        retry = _enrol_limited()
        if retry:
            return render_template("kiosk/enrol.html", form=form, error=_(
                "Quá nhiều lần thử. Vui lòng chờ %(n)s giây rồi thử lại.", n=retry)), 429
        try:
            device, credential = run_write(lambda: _enrol(form.code.data))
        except devices.EnrolmentError as exc:
            error = (_("Mã đăng ký đã hết hạn. Vui lòng xin mã mới từ quản trị viên.") if str(exc) == "expired"
                     else _("Mã đăng ký không đúng hoặc đã được dùng. Vui lòng kiểm tra lại."))
        else:
            resp = make_response(render_template("kiosk/enrolled.html", device=device, credential=credential,
                                                 shell=url_for(".shell")))
            set_device_cookie(resp, credential)
            return resp
    elif request.method == "POST":
        error = _("Vui lòng nhập mã đăng ký.")
    return render_template("kiosk/enrol.html", form=form, error=error), (422 if error else 200)


def _enrol_limited() -> int | None:
    """Retry-After seconds when this client address, or the whole site, has used up its enrolment attempts.

    The address's bucket comes first: an address over its own limit is refused before it takes from
    the site-wide bucket, so one address cannot use up everyone's allowance. Both are keyed by the
    moment of the last successful enrolment, so a success costs no allowance: it starts every bucket
    afresh (it took a code an administrator issued, used once). Enrolling a room of tablets from one
    office is thus never throttled by the attempts that went before.
    """
    epoch = devices.last_enrolment(db.session)
    epoch_key = epoch.isoformat() if epoch else "-"
    return (limits.check("enrol_address", "%s@%s" % (request.remote_addr or "?", epoch_key))
            or limits.check("enrol", "all@" + epoch_key))


def _enrol(code: str):
    device, credential = devices.enrol(db.session, code)
    audit.record(db.session, "device:%d" % device.id, "device.enrolled", "device", device.id,
                 service_point=device.service_point.code)
    return device, credential


@bp.route("/manifest.webmanifest")
def manifest():
    """Web app manifest: installable, fullscreen, starting at the kiosk home screen."""
    data = {
        "name": "Hài Lòng — Kiosk",
        "short_name": "Hài Lòng",
        "start_url": url_for(".shell"),
        "scope": url_for(".shell"),
        "display": "fullscreen",
        "orientation": "any",
        "background_color": "#f7f7f5",
        "theme_color": "#0b5394",
        "lang": "vi",
        "icons": [{"src": url_for("static", filename="kiosk/icon.svg"), "sizes": "any",
                   "type": "image/svg+xml", "purpose": "any"}],
    }
    resp = jsonify(data)
    resp.mimetype = "application/manifest+json"
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.route("/sw.js")
def service_worker():
    """The service worker, served under /kiosk/ so that it may control the kiosk's pages."""
    with open(os.path.join(STATIC_DIR, "sw.js"), encoding="utf-8") as fh:
        body = fh.read().replace("__VERSION__", asset_version())
    resp = FlaskResponse(body, mimetype="text/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Service-Worker-Allowed"] = url_for(".shell")
    return resp


@bp.route("/ping")
def ping():
    """A no-op endpoint (no database): health of the web tier and the load benchmark's ceiling."""
    return jsonify(ok=True)
