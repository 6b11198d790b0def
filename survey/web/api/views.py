"""Intake API: POST /dossiers (batches, and the helper service events share), the OpenAPI description, and
per-invitation QR codes and slips."""
from __future__ import annotations

import json

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from survey.extensions import db
from survey.models import Dossier, Invitation, SourceSystem
from survey.models._base import utcnow
from survey.services.common.texts import storable_text
from survey.services.common.txn import refused, run_write
from survey.services.intake import apikeys, replay, scopes
from survey.services.intake import batch as intake
from survey.services.sampling import invitations as inv_service
from survey.services.sampling import slips
from survey.web.api import bp
from survey.web.api.openapi import openapi_spec

DEFAULT_MAX_BATCH = 1000
RETRY_AFTER = 30  # seconds: a database restart usually takes less


def _error(code: int, name: str, message: str, **headers) -> tuple[Response, int]:
    """The same JSON shape as the app's error handler, with extra headers (e.g. WWW-Authenticate)."""
    resp = jsonify(error=name, code=code, message=message)
    resp.headers.update(headers)
    return resp, code


@bp.errorhandler(OperationalError)
@bp.errorhandler(InterfaceError)
@bp.errorhandler(PoolTimeout)
def database_unavailable(exc: Exception):
    """503 with Retry-After while the database cannot be reached (down, restarting, locked past retries).

    Nothing was stored (run_write rolled back), so the client may simply send the same batch again.
    """
    current_app.logger.warning("intake API: database unavailable: %s", str(exc).splitlines()[0][:200])
    return _error(503, "Service Unavailable", _("Cơ sở dữ liệu tạm thời không truy cập được; không có gì được lưu. "
                                                "Hãy gửi lại sau ít phút."), **{"Retry-After": str(RETRY_AFTER)})


def _json(body: dict) -> Response:
    """A JSON answer in readable UTF-8 (Vietnamese messages unescaped), never cached: it may carry tokens."""
    text = json.dumps(body, ensure_ascii=False)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        # A rejected record's echoed value may hold a lone surrogate, which has no UTF-8 form; the
        # batch is committed by now, so the answer (with its tokens) must still go out: escaped.
        data = json.dumps(body).encode("ascii")
    resp = Response(data, mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _presented_key() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("X-API-Key", "").strip() or None


def _key_or_401():
    """The row of the presented API key, or a 401 answer."""
    key = _presented_key()
    row = apikeys.authenticate(db.session, key)
    if row is not None:
        return row, None
    message = _("Thiếu khoá API.") if not key else _("Khoá API không đúng hoặc đã bị thu hồi.")
    return None, _error(401, "Unauthorized", message, **{"WWW-Authenticate": 'Bearer realm="hailong-intake"'})


def _idempotency_key() -> tuple[str | None, bool]:
    """The Idempotency-Key header (None when absent) and whether it is acceptable (1-128 visible ASCII)."""
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None, True
    value = value.strip()
    return value, 0 < len(value) <= replay.MAX_KEY_LENGTH and all(" " <= c <= "~" for c in value)


def _invitation_entry(entry: dict) -> dict:
    """Public description of an invitation issued for a record (the token appears only here)."""
    token, base = entry["token"], current_app.config["PUBLIC_BASE_URL"]
    link = lambda endpoint, **kw: inv_service.absolute_url(url_for(endpoint, token=token, **kw), base)  # noqa: E731
    return {
        "wave": entry["wave"], "token": token, "url": inv_service.absolute_url(inv_service.invitation_url(token), base),
        "qr_svg": link("api.invitation_qr_svg"), "qr_png": link("api.invitation_qr_png"),
        "slip": {fmt: link("api.invitation_slip", format=fmt) for fmt in slips.FORMATS},
        "expires_at": entry["expires_at"].replace(microsecond=0).isoformat() + "Z",
        "kiosk_handoff": entry["kiosk_handoff"],
    }


@bp.post("/dossiers")
def post_dossiers():
    """Store a batch of completed dossiers; answer per record (stored / unchanged / rejected).

    A retry of the same batch (same Idempotency-Key, or the same records) within a day gets the first
    answer again, tokens included, and stores nothing more.
    """
    return post_batch("dossiers", intake.validate, _('Nội dung phải là JSON dạng {"dossiers": [ ... ]}.'))


def post_batch(name: str, validator, shape_message: str, tag: str | None = None):
    """The intake of a batch of `name` records (dossiers, service events): key, limits, replay, one commit.

    `tag` sets the records' fingerprint apart from another endpoint's (None: the records alone, as
    dossier batches have always been fingerprinted, so their kept answers stay valid).
    """
    api_key, denied = _key_or_401()
    if denied:
        return denied
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get(name), list):
        return _error(400, "Bad Request", shape_message)
    records = payload[name]
    limit = int(current_app.config.get("INTAKE_MAX_BATCH", DEFAULT_MAX_BATCH))
    if len(records) > limit:
        return _error(413, "Payload Too Large",
                      _("Mỗi lần gửi tối đa %(limit)d hồ sơ (đã gửi %(n)d); hãy chia nhỏ lô.", limit=limit,
                        n=len(records)))
    idempotency_key, acceptable = _idempotency_key()
    if not acceptable:
        return _error(400, "Bad Request", _("Tiêu đề Idempotency-Key phải gồm 1 đến %(n)d ký tự ASCII in được.",
                                            n=replay.MAX_KEY_LENGTH))
    source_id, source_code, key_id = api_key.source_system_id, api_key.source_system.code, api_key.id
    key_scopes, touch = scopes.scopes_of(api_key), apikeys.stale(api_key)
    body = replay.body_hash(records if tag is None else [tag, records])
    call = replay.Call(source_id, idempotency_key, body, scopes.signature(key_scopes))
    secret = current_app.config["SECRET_KEY"]

    def unit():
        now = utcnow()
        first = replay.replay(db.session, secret, call, now)
        if first is replay.MISMATCH:
            return refused(_error(422, "Unprocessable Entity", _(
                "Idempotency-Key này đã được dùng cho một lô hồ sơ khác trong 24 giờ qua; mỗi lô mới cần một "
                "khoá mới.")))
        if first is None:
            result = intake.ingest(db.session, db.session.get(SourceSystem, source_id), records, now=now,
                                   scope=scopes.KeyScope.load(db.session, key_scopes), validator=validator)
            answer = _batch_answer(source_code, records, result)
            replay.keep(db.session, secret, call, answer, now)
        if touch:
            apikeys.touch(db.session, key_id, now)
        return (answer, False) if first is None else (first, True)

    # conflicts: a concurrent request may store one of these ids, or the same call, first; the rerun
    # then finds the dossier stored, or the call's sealed answer.
    outcome = run_write(unit, conflicts=True)
    if not isinstance(outcome[0], dict):
        return outcome  # the 422
    answer, replayed = outcome
    resp = _json(answer)
    if replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


def _batch_answer(source_code: str, records: list, result: intake.IntakeResult) -> dict:
    """The JSON answer to a batch (what is sealed for retries)."""
    return {
        "source": source_code, "received": len(records), "stored": result.count("stored"),
        "unchanged": result.count("unchanged"), "rejected": result.count("rejected"), "invited": result.invited,
        "results": [{"index": r.index, "external_id": r.external_id, "status": r.status, "errors": r.errors,
                     "warnings": r.warnings, "invitations": [_invitation_entry(e) for e in r.invitations]}
                    for r in result.results],
    }


@bp.post("/invitations/reissue")
def reissue_invitation():
    """A fresh token for a dossier's not-yet-opened invitations (when the intake answer was lost)."""
    api_key, denied = _key_or_401()
    if denied:
        return denied
    payload = request.get_json(silent=True)
    external_id = payload.get("external_id") if isinstance(payload, dict) else None
    if not storable_text(external_id) or not external_id.strip():
        return _error(400, "Bad Request", _('Nội dung phải là JSON dạng {"external_id": "..."}.'))
    source_id, wanted, key_id = api_key.source_system_id, external_id.strip(), api_key.id
    key_scopes, touch = scopes.scopes_of(api_key), apikeys.stale(api_key)

    def unit():
        scope = scopes.KeyScope.load(db.session, key_scopes)
        invs = [inv for inv in db.session.execute(
            select(Invitation).join(Dossier, Dossier.id == Invitation.dossier_id)
            .where(Dossier.source_system_id == source_id, Dossier.external_id == wanted,
                   Invitation.status == "issued")).scalars()
            # Another agency's dossier of the same source is, for this key, not there at all.
            if scope.refusal({"agency_id": inv.dossier.agency_id, "service_point_id": inv.dossier.service_point_id,
                              "sector_id": inv.dossier.sector_id}) is None]
        if touch:
            apikeys.touch(db.session, key_id)
        if not invs:
            return refused(_error(404, "Not Found", _("Hồ sơ này không có thư mời nào đang chờ (chưa mở) để cấp lại.")))
        issued = inv_service.rekey(db.session, invs)
        by_id = {inv.id: inv for inv in invs}
        entries = [{"wave": by_id[i.invitation_id].wave.code, "token": i.token, "kiosk_handoff": False,
                    "expires_at": by_id[i.invitation_id].expires_at} for i in issued]
        return _json({"external_id": wanted, "invitations": [_invitation_entry(e) for e in entries]})

    return run_write(unit)


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_spec(request.host_url.rstrip("/") + "/api/v1"))


def _open_invitation(token: str):
    """The invitation of a token when it can still be answered, else a 404/410 answer."""
    inv = inv_service.find_by_token(db.session, token)
    if inv is None:
        return None, _error(404, "Not Found", _("Không tìm thấy thư mời."))
    reason = inv_service.unusable_reason(inv)
    if reason:
        message = _("Thư mời này đã được trả lời.") if reason == "completed" else _("Thư mời này đã hết hạn.")
        return None, _error(410, "Gone", message)
    return inv, None


def _private(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the URL carries the token
    return resp


@bp.get("/invitations/<token>/qr.svg")
def invitation_qr_svg(token: str):
    """The QR code of the invitation link, as SVG."""
    inv, denied = _open_invitation(token)
    if denied:
        return denied
    url = inv_service.absolute_url(inv_service.invitation_url(token))
    return _private(Response(inv_service.qr_svg(url), mimetype="image/svg+xml"))


@bp.get("/invitations/<token>/qr.png")
def invitation_qr_png(token: str):
    """The QR code of the invitation link, as PNG."""
    inv, denied = _open_invitation(token)
    if denied:
        return denied
    url = inv_service.absolute_url(inv_service.invitation_url(token))
    return _private(Response(inv_service.qr_png(url), mimetype="image/png"))


@bp.get("/invitations/<token>/slip")
def invitation_slip(token: str):
    """The printable slip of one invitation (?format=a5|a6|80mm, A6 by default).

    A person opens this URL in a browser (the officer's print button redirects here), so a slip that
    cannot be printed gets a page in words, not the API's JSON error.
    """
    unavailable = slips.unavailable_page(db.session, token)
    if unavailable is not None:
        html, status = unavailable
        return _private(Response(html, status=status, mimetype="text/html"))
    inv, denied = _open_invitation(token)
    if denied:
        return denied
    fmt = request.args.get("format", "a6")
    if fmt not in slips.FORMATS:
        return _error(400, "Bad Request", _("Khổ giấy không hợp lệ: %(fmt)s (a5, a6, 80mm).", fmt=fmt))
    items = slips.build_items(db.session, [inv_service.Issued(inv.id, inv.dossier_id, token)])
    return _private(Response(slips.render_slips(items, fmt, screen_tools=True), mimetype="text/html"))
