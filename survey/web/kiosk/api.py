"""The kiosk's JSON API: start (claim a hand-off), submit a response, heartbeat.

Authenticated by the device credential (see auth.py) instead of a CSRF token; rate-limited per
device. Submissions are idempotent by their client UUID, so the kiosk's offline queue can resend
anything it is unsure about; a resend whose content differs from what is stored is refused (409
uuid_conflict). Bodies are capped at KIOSK_MAX_CONTENT_LENGTH: the largest legitimate submission is
a few kilobytes, and an unbounded one cost seconds of validation and an error list as large.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import wraps
from types import SimpleNamespace

from flask import abort, current_app, g, jsonify, request
from flask_babel import _
from sqlalchemy import update

from survey.extensions import csrf, db
from survey.models import Device, KioskHandoff, QuestionnaireVersion
from survey.models._base import utcnow
from survey.services.common import audit
from survey.services.common.txn import refused, run_write
from survey.services.kiosk import claims, devices
from survey.services.kiosk.handoff import REVIEW_SECONDS, client_questionnaire, review_answer
from survey.services.respond import batch, responses
from survey.web import limits
from survey.web.inputs import row_id
from survey.web.kiosk import bp
from survey.web.kiosk.auth import current_device, device_identity, forget, forget_all, set_device_cookie
from survey.web.kiosk.settings import timeouts

_versions: dict[int, SimpleNamespace] = {}  # versions are immutable: cache their content per process


def reset_caches() -> None:
    """Forget the per-process caches (versions, device identities): for tests, whose rolled-back
    transactions let a later row reuse an id these caches rely on being immutable."""
    _versions.clear()
    forget_all()


KIOSK_MAX_CONTENT_LENGTH = 256 * 1024


def _error(code: str, message: str, status: int, **extra):
    return jsonify(error=code, message=message, **extra), status


@bp.before_request
def _limit_body():
    """Refuse a body over KIOSK_MAX_CONTENT_LENGTH before reading it (413); a body without a length
    stops being read at the limit (werkzeug raises the same 413)."""
    limit = int(current_app.config.get("KIOSK_MAX_CONTENT_LENGTH", KIOSK_MAX_CONTENT_LENGTH))
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        abort(413, description=_("Dữ liệu gửi lên quá lớn (tối đa %(n)s KB).", n=limit // 1024))


def device_api(view=None, *, cached: bool = False):
    """Authenticate the device and apply its rate limit; CSRF-exempt (no cookie-only auth).

    With `cached`, g.device is a light identity from auth.device_identity and the view must
    re-check the credential inside its write transaction.
    """
    if view is None:
        return lambda v: device_api(v, cached=cached)

    @wraps(view)
    def wrapped(*args, **kwargs):
        device = device_identity() if cached else current_device()
        if device is None:
            return _error("not_enrolled", _("Máy chưa được đăng ký hoặc đã bị thu hồi."), 401)
        retry = limits.check("device", str(device.id))
        if retry:
            resp, status = _error("rate_limited", _("Quá nhiều yêu cầu, vui lòng thử lại sau."), 429,
                                  retry_after=retry)
            resp.headers["Retry-After"] = str(retry)
            return resp, status
        g.device = device
        return view(*args, **kwargs)

    return csrf.exempt(wrapped)


def _version(version_id) -> SimpleNamespace | None:
    version_id = row_id(version_id)
    if version_id is None:
        return None
    cached = _versions.get(version_id)
    if cached is None:
        row = db.session.get(QuestionnaireVersion, version_id)
        if row is None:
            return None
        cached = SimpleNamespace(id=row.id, content=row.content, content_hash=row.content_hash)
        _versions[version_id] = cached
    return cached


EARLIEST_CLIENT_TIME = datetime(2020, 1, 1)  # before this platform existed: a tablet's clock was unset


def _client_time(value) -> datetime | None:
    """A client timestamp (ISO 8601) as naive UTC; None when absent, unreadable, implausible or in the future."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved across midnight UTC
        return None
    return moment if EARLIEST_CLIENT_TIME <= moment <= utcnow() + timedelta(minutes=5) else None


@bp.route("/api/hello", methods=["POST"])
@device_api
def api_hello():
    """Confirm the credential and renew the kiosk's cookie."""
    device = g.device
    resp = jsonify(device=device.id, label=device.label, service_point=device.service_point.code)
    set_device_cookie(resp, request.headers.get("X-Device-Credential") or request.cookies.get("hl_device"))
    return resp


@bp.route("/api/start", methods=["POST"])
@device_api
def api_start():
    """A citizen pressed start: answer the counter's pending hand-off if there is one, else walk-up."""
    def unit():
        handoff = claims.claim(db.session, g.device, **timeouts())
        if handoff is None:
            return jsonify(mode="walkup")
        version = db.session.get(QuestionnaireVersion, handoff.invitation.wave.questionnaire_version_id)
        return jsonify(mode="kiosk", handoff_id=handoff.id, questionnaire=client_questionnaire(version))

    return run_write(unit)


@bp.route("/api/handoff/return", methods=["POST"])
@device_api
def api_handoff_return():
    """The citizen left before any answer was stored (Back on the first screen, idle reset): the
    hand-off waits for the next start again (200), or it was no longer this kiosk's (409)."""
    data = request.get_json(silent=True)
    handoff_id = row_id(data.get("handoff_id")) if isinstance(data, dict) else None
    if handoff_id is None:
        return _error("bad_json", _("Thiếu mã lượt chuyển."), 400)
    device_id = g.device.id
    if not run_write(lambda: claims.give_back(db.session, handoff_id, device_id)):
        return _error("not_in_progress", _("Lượt chuyển này không còn do máy này giữ."), 409)
    return jsonify(state="waiting")


@bp.route("/api/call", methods=["POST"])
@device_api
def api_call_staff():
    """The citizen pressed "Gọi nhân viên": recorded (audit `kiosk.call_staff`), shown on the officer's page."""
    device = g.device

    def unit():
        audit.record(db.session, "device:%d" % device.id, "kiosk.call_staff", "device", device.id,
                     service_point=device.service_point.code)
        return jsonify(ok=True)

    return run_write(unit)


@bp.route("/api/responses", methods=["POST"])
@device_api(cached=True)
def api_submit():
    """Store one kiosk response exactly once: 201 stored, 200 already stored, 4xx with reasons.

    A walk-up goes through the group commit (batch.py); a hand-off through store_response in
    this request's own transaction, which locks and completes its invitation.
    """
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error("bad_json", _("Dữ liệu gửi lên phải là một đối tượng JSON."), 400)
    version = _version(data.get("version_id"))
    if version is None:
        return _error("unknown_version", _("Không có phiên bản bảng hỏi này."), 422)
    if data.get("content_hash") not in (None, version.content_hash):
        return _error("version_changed", _("Nội dung bảng hỏi không khớp với phiên bản trên máy chủ."), 422)
    device_id, point_id, secret_hash = g.device.id, g.device.service_point_id, g.device.secret_hash
    try:
        response_uuid = responses.parse_uuid(data.get("uuid"))
    except responses.SubmissionError as exc:
        return jsonify(exc.as_dict()), exc.status

    if data.get("handoff_id") is None:
        return _submit_grouped(version, response_uuid, data, device_id, point_id, secret_hash)

    def unit():
        # Start the write transaction with a write: on SQLite it takes the write lock at once (waiting
        # its turn) instead of failing later when another kiosk committed in between. The write is
        # useful too: a submission is a sign of life of the device. It also re-checks the credential,
        # in this very transaction, so a device revoked a moment ago stores nothing. (The rollback
        # ends the read transaction _version may have begun, so the UPDATE is the first statement.)
        db.session.rollback()
        alive = db.session.execute(
            update(Device).where(Device.id == device_id, Device.secret_hash == secret_hash, Device.active.is_(True))
            .values(last_seen_at=utcnow())).rowcount
        if alive != 1:
            forget(secret_hash)
            return refused(_error("not_enrolled", _("Máy chưa được đăng ký hoặc đã bị thu hồi."), 401))
        handoff_id = row_id(data["handoff_id"])
        handoff = db.session.get(KioskHandoff, handoff_id) if handoff_id is not None else None
        if handoff is None or handoff.device_id != device_id:
            return refused(_error("unknown_handoff", _("Lượt đánh giá được chuyển từ quầy không hợp lệ."), 422))
        invitation = handoff.invitation
        if responses.invitation_state(invitation) == "closed":
            return refused(_error("wave_closed", _("Đợt khảo sát đã kết thúc"), 409))
        try:
            response, created = responses.store_response(
                db.session, version, response_uuid, data.get("answers") or {}, data.get("other") or {},
                mode="kiosk", invitation=invitation, device_id=device_id, service_point_id=point_id,
                language=str(data.get("language") or "vi"), started_at=_client_time(data.get("started_at")),
                partial=data.get("partial") is True, client_submitted_at=_client_time(data.get("client_submitted_at")))
        except responses.SubmissionError as exc:
            return refused((jsonify(exc.as_dict()), exc.status))
        claims.mark_answered(db.session, handoff, response.submitted_at)
        if created:  # answered within seconds of the hand-off: flagged for review (the response still counts)
            review_answer(db.session, handoff, response.submitted_at,
                          seconds=int(current_app.config.get("KIOSK_HANDOFF_REVIEW_SECONDS", REVIEW_SECONDS)))
        return jsonify(status="stored" if created else "duplicate", uuid=response_uuid), 201 if created else 200

    return run_write(unit)


def _submit_grouped(version, response_uuid, data, device_id, point_id, secret_hash):
    """A walk-up submission through the group committer (see batch.py)."""
    try:
        values, rows = responses.prepare_response(
            version, response_uuid, data.get("answers") or {}, data.get("other") or {}, mode="kiosk_walkup",
            device_id=device_id, service_point_id=point_id, language=str(data.get("language") or "vi"),
            started_at=_client_time(data.get("started_at")), partial=data.get("partial") is True,
            client_submitted_at=_client_time(data.get("client_submitted_at")))
    except responses.SubmissionError as exc:
        return jsonify(exc.as_dict()), exc.status
    if db.session.registry.has():  # hold no connection while waiting (usually none was opened)
        db.session.rollback()
    try:
        job = batch.committer_for(current_app._get_current_object()).submit(batch.Job(values, rows, secret_hash))
    except Exception:
        current_app.logger.exception("kiosk group commit failed")
        return _error("unavailable", _("Dịch vụ tạm thời không sẵn sàng"), 503)
    if job.result == "not_enrolled":
        forget(secret_hash)
        return _error("not_enrolled", _("Máy chưa được đăng ký hoặc đã bị thu hồi."), 401)
    if job.result in ("conflict", "changed"):  # changed: a resend of this UUID with other answers (logged)
        return _error("uuid_conflict", _("Mã định danh câu trả lời đã được dùng."), 409, errors=[])
    if job.result == "refused":
        return _error("not_stored", _("Máy chủ không lưu được câu trả lời này."), 422)
    created = job.result == "stored"
    # The answer of nearly every kiosk request, written out rather than through jsonify (its
    # JSON provider and Response building were a tenth of a submission's CPU); the UUID is canonical.
    body = '{"status": "%s", "uuid": "%s"}' % ("stored" if created else "duplicate", response_uuid)
    return current_app.response_class(body, 201 if created else 200, mimetype="application/json")


@bp.route("/api/heartbeat", methods=["POST"])
@device_api
def api_heartbeat():
    """The kiosk is alive; record when, and how many answers wait in its offline queue."""
    data = request.get_json(silent=True)
    if data is None:
        data = {}  # a bare heartbeat is a sign of life too
    if not isinstance(data, dict):
        return _error("bad_json", _("Dữ liệu gửi lên phải là một đối tượng JSON."), 400)
    queued, unsaved = data.get("queued", 0), data.get("unsaved", 0)
    if any(not isinstance(n, int) or isinstance(n, bool) for n in (queued, unsaved)):
        return _error("bad_json", _("Số đánh giá đang chờ phải là số nguyên."), 400)
    device = g.device

    def unit():
        devices.heartbeat(device, queued, unsaved)
        return jsonify(ok=True, server_time=utcnow().isoformat() + "Z")

    return run_write(unit)
