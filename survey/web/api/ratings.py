"""Intake API for the QĐ 766 score: POST /ratings (per-dossier ratings) and POST /dossier-events.

Same keys and scopes as POST /dossiers: a key sends ratings and events only for dossiers of its source
system that its scope admits. Per record: stored, unchanged (a resend of the same external id) or rejected
with reasons; the good records of a batch are stored even when others are rejected.
"""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _

from survey.extensions import db
from survey.models import SourceSystem
from survey.services.common.txn import run_write
from survey.services.intake import apikeys, scopes
from survey.services.qd766 import ingest as qd_ingest
from survey.services.qd766.records import Kind
from survey.web.api import bp
from survey.web.api.views import DEFAULT_MAX_BATCH, _error, _json, _key_or_401

BODY_KEYS = {Kind.RATING: "ratings", Kind.EVENT: "events"}


def _post(kind: Kind):
    """Authenticate, check the body and its size, ingest in one unit of work, answer per record."""
    api_key, denied = _key_or_401()
    if denied:
        return denied
    name = BODY_KEYS[kind]
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get(name), list):
        return _error(400, "Bad Request", _('Nội dung phải là JSON dạng {"%(name)s": [ ... ]}.', name=name))
    records = payload[name]
    limit = int(current_app.config.get("INTAKE_MAX_BATCH", DEFAULT_MAX_BATCH))
    if len(records) > limit:
        return _error(
            413,
            "Payload Too Large",
            _("Mỗi lần gửi tối đa %(limit)d bản ghi (đã gửi %(n)d); hãy chia nhỏ lô.", limit=limit, n=len(records)),
        )
    source_id, source_code, key_id = api_key.source_system_id, api_key.source_system.code, api_key.id
    key_scopes, touch = scopes.scopes_of(api_key), apikeys.stale(api_key)

    def unit():
        result = qd_ingest.ingest(
            db.session,
            db.session.get(SourceSystem, source_id),
            kind,
            records,
            scope=scopes.KeyScope.load(db.session, key_scopes),
        )
        if touch:
            apikeys.touch(db.session, key_id)
        return result

    # conflicts: a concurrent batch may store one of these ids first; the rerun then finds it unchanged.
    result = run_write(unit, conflicts=True)
    return _json(
        {
            "source": source_code,
            "received": len(records),
            "stored": result.count("stored"),
            "unchanged": result.count("unchanged"),
            "rejected": result.count("rejected"),
            "results": [
                {
                    "index": it.result.index,
                    "external_id": it.result.external_id,
                    "status": it.result.status,
                    "errors": it.result.errors,
                }
                for it in result.items
            ],
        }
    )


@bp.post("/ratings")
def post_ratings():
    """Store a batch of per-dossier ratings (level and/or 0–18 score); answer per record."""
    return _post(Kind.RATING)


@bp.post("/dossier-events")
def post_dossier_events():
    """Store a batch of dossier events (on_time, overdue, apology_letter, petition); answer per record."""
    return _post(Kind.EVENT)
