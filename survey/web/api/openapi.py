"""The OpenAPI 3.1 description of the intake API (served at /api/v1/openapi.json).

Field names, enums and reason codes come from the implementation (survey.services.intake.batch, the models),
so the description cannot drift from what the server accepts; tests validate it and check real answers
against its schemas.
"""
from __future__ import annotations

from survey.models.fieldwork import CHANNELS, OUTCOMES
from survey.models.qd766 import EVENT_KINDS, RATING_LEVELS, SCORE_MAX
from survey.services.intake.batch import REASON_CODES, STATUSES, WARNING_CODES
from survey.services.intake.replay import MAX_KEY_LENGTH
from survey.services.qd766.records import NOTE_MAX
from survey.services.qd766.records import REASON_CODES as FEEDBACK_REASONS
from survey.services.sampling.slips import FORMATS

_TS = "ISO 8601 date-time; with an offset (e.g. +07:00 or Z) or local time of the province when no offset is given; "


def _issue(codes: tuple[str, ...], description: str) -> dict:
    return {
        "type": "object", "description": description, "required": ["code", "field", "message"],
        "properties": {"code": {"type": "string", "enum": list(codes)},
                       "field": {"type": "string", "description": "The record field concerned ('' for the record)."},
                       "message": {"type": "string", "description": "Explanation in Vietnamese (or English)."}},
    }


SCHEMAS = {
    "Dossier": {
        "type": "object", "additionalProperties": True,
        "required": ["external_id", "agency", "channel", "received_at", "completed_at", "outcome"],
        "description": "A completed dossier (hồ sơ). Either `procedure` or `sector` is required; when both are "
                       "given they must agree. Unknown extra fields are ignored.",
        "properties": {
            "external_id": {"type": ["string", "integer"], "maxLength": 128,
                            "description": "The dossier's id in the source system (unique per source system)."},
            "agency": {"type": "string", "maxLength": 64, "description": "Agency code from the registry."},
            "procedure": {"type": ["string", "null"], "maxLength": 64,
                          "description": "National procedure (TTHC) code; gives the sector."},
            "sector": {"type": ["string", "null"], "maxLength": 64, "description": "Sector code (lĩnh vực)."},
            "service_point": {"type": ["string", "null"], "maxLength": 64,
                              "description": "Code of the one-stop service point that returned the result."},
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "received_at": {"type": "string", "description": _TS + "a bare date means 00:00."},
            "due_at": {"type": ["string", "null"], "description": _TS + "a bare date means the end of that day. "
                       "on_time is completed_at <= due_at."},
            "completed_at": {"type": "string", "description": _TS + "must not be before received_at."},
            "outcome": {"type": "string", "enum": list(OUTCOMES)},
            "phone": {"type": ["string", "null"], "maxLength": 32,
                      "description": "Optional Vietnamese mobile number, kept apart and only to send an invitation; "
                                     "an invalid number is dropped with a warning."},
            "kiosk_handoff": {"type": "boolean", "default": False,
                              "description": "When the dossier is invited, hand the invitation to the service "
                                             "point's kiosk so the citizen can answer right at the counter."},
        },
    },
    "Batch": {
        "type": "object", "required": ["dossiers"],
        "properties": {"dossiers": {"type": "array", "items": {"$ref": "#/components/schemas/Dossier"},
                                    "description": "At most INTAKE_MAX_BATCH (default 1000) records."}},
    },
    "Invitation": {
        "type": "object", "description": "An invitation issued for the record. The token is shown only in this "
                                         "answer: print the slip or send the link now.",
        "required": ["wave", "token", "url", "qr_svg", "qr_png", "slip", "expires_at", "kiosk_handoff"],
        "properties": {
            "wave": {"type": "string", "description": "Code of the survey wave."},
            "token": {"type": "string", "description": "Single-use token (≥ 128 bits)."},
            "url": {"type": "string", "format": "uri", "description": "The link the citizen opens (/s/<token>)."},
            "qr_svg": {"type": "string", "format": "uri"}, "qr_png": {"type": "string", "format": "uri"},
            "slip": {"type": "object", "required": list(FORMATS), "additionalProperties": False,
                     "properties": {k: {"type": "string", "format": "uri"} for k in FORMATS},
                     "description": "Printable slips (HTML with print CSS) in A5, A6 and 80 mm thermal widths."},
            "expires_at": {"type": "string", "format": "date-time"},
            "kiosk_handoff": {"type": "boolean", "description": "True when the invitation waits on the kiosk."},
        },
    },
    "Reason": _issue(REASON_CODES, "Why a record was rejected."),
    "Warning": _issue(WARNING_CODES, "Something that did not prevent storing the record."),
    "RecordResult": {
        "type": "object", "required": ["index", "external_id", "status", "errors", "warnings", "invitations"],
        "properties": {
            "index": {"type": "integer", "description": "Position of the record in the batch (from 0)."},
            "external_id": {"type": ["string", "null"]},
            "status": {"type": "string", "enum": list(STATUSES),
                       "description": "stored: new; unchanged: already stored with the same content (no-op); "
                                      "rejected: see errors, nothing stored."},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Reason"}},
            "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Warning"}},
            "invitations": {"type": "array", "items": {"$ref": "#/components/schemas/Invitation"}},
        },
    },
    "BatchResult": {
        "type": "object", "required": ["source", "received", "stored", "unchanged", "rejected", "invited", "results"],
        "properties": {
            "source": {"type": "string", "description": "The source system of the API key."},
            **{k: {"type": "integer"} for k in ("received", "stored", "unchanged", "rejected", "invited")},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/RecordResult"}},
        },
    },
    "Reissued": {
        "type": "object", "required": ["external_id", "invitations"],
        "properties": {"external_id": {"type": "string"},
                       "invitations": {"type": "array", "items": {"$ref": "#/components/schemas/Invitation"}}},
    },
    # QĐ 766 inputs (survey/web/api/ratings.py): ratings and events of dossiers already sent to /dossiers.
    "Rating": {
        "type": "object", "additionalProperties": True, "required": ["external_id", "dossier", "rated_at"],
        "description": "A citizen's rating of one dossier: `level`, `score` or both (at least one). When both are "
                       "given the level is the verdict the QĐ 766 score uses; a score alone counts as not "
                       "satisfied below 6 (the dossier-eval \"weak\" band). See docs/methodology.md §17.",
        "properties": {
            "external_id": {"type": ["string", "integer"], "maxLength": 128,
                            "description": "The rating's id in the source system (unique per source system)."},
            "dossier": {"type": ["string", "integer"], "maxLength": 128,
                        "description": "external_id of the rated dossier, sent earlier by the same source system."},
            "rated_at": {"type": "string", "description": _TS + "not in the future."},
            "level": {"type": ["string", "null"], "enum": [*RATING_LEVELS, None],
                      "description": "hài lòng / bình thường / không hài lòng."},
            "score": {"type": ["integer", "null"], "minimum": 0, "maximum": SCORE_MAX,
                      "description": "Sum of the nine dossier-eval criteria (2 / 1 / 0 points each)."},
        },
    },
    "DossierEvent": {
        "type": "object", "additionalProperties": True, "required": ["external_id", "dossier", "kind", "at"],
        "description": "Something that happened to a dossier: settled on time or overdue (the latest of the two "
                       "wins over the dossier's own due date), an apology letter, a petition (phản ánh, kiến nghị).",
        "properties": {
            "external_id": {"type": ["string", "integer"], "maxLength": 128,
                            "description": "The event's id in the source system (unique per source system)."},
            "dossier": {"type": ["string", "integer"], "maxLength": 128,
                        "description": "external_id of the dossier, sent earlier by the same source system."},
            "kind": {"type": "string", "enum": list(EVENT_KINDS)},
            "at": {"type": "string", "description": _TS + "not in the future."},
            "note": {"type": ["string", "null"], "maxLength": NOTE_MAX},
        },
    },
    "FeedbackReason": _issue(FEEDBACK_REASONS, "Why a rating or event was rejected."),
    "FeedbackResult": {
        "type": "object", "required": ["source", "received", "stored", "unchanged", "rejected", "results"],
        "properties": {
            "source": {"type": "string"},
            **{k: {"type": "integer"} for k in ("received", "stored", "unchanged", "rejected")},
            "results": {"type": "array", "items": {
                "type": "object", "required": ["index", "external_id", "status", "errors"],
                "properties": {"index": {"type": "integer"}, "external_id": {"type": ["string", "null"]},
                               "status": {"type": "string", "enum": list(STATUSES)},
                               "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FeedbackReason"}}},
            }},
        },
    },
    "Error": {
        "type": "object", "required": ["error", "code", "message"],
        "properties": {"error": {"type": "string"}, "code": {"type": "integer"}, "message": {"type": "string"}},
    },
}


def _err(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


UNAVAILABLE = {**_err("The database cannot be reached for the moment; nothing was stored. Send again later."),
               "headers": {"Retry-After": {"description": "Seconds to wait before sending again.",
                                           "schema": {"type": "integer"}}}}


def _token_get(summary: str, media: str, extra_params: list | None = None) -> dict:
    return {"get": {
        "summary": summary, "security": [],
        "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}]
        + (extra_params or []),
        "responses": {"200": {"description": "OK", "content": {media: {}}},
                      "400": _err("A NUL character in the query string."),
                      "404": _err("Unknown token."), "410": _err("Already answered or expired."),
                      "503": UNAVAILABLE},
    }}


def _feedback_post(summary: str, operation: str, name: str, ref: str) -> dict:
    """A POST of a batch of QĐ 766 records (ratings or dossier events)."""
    return {"post": {
        "summary": summary, "operationId": operation,
        "description": "Each record is stored, recognised as a resend of the same external_id with the same "
                       "content (`unchanged`, nothing changes), or rejected with reasons (the same external_id "
                       "with other content: `conflict`, the stored record stays). Good records are stored even "
                       "when others are rejected. Only dossiers of the key's source system and scope.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": [name],
            "properties": {name: {"type": "array", "items": {"$ref": ref},
                                  "description": "At most INTAKE_MAX_BATCH (default 1000) records."}}}}}},
        "responses": {
            "200": {"description": "The batch was processed (look at each record's status).",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FeedbackResult"}}}},
            "400": _err(f"The body is not JSON of the form {{\"{name}\": [...]}}."),
            "401": _err("Missing, wrong or revoked API key."),
            "413": _err("Too many records in one batch."),
            "503": UNAVAILABLE,
        }}}


def openapi_spec(server_url: str = "/api/v1") -> dict:
    """The OpenAPI document, with `server_url` as its server."""
    json_body = lambda ref: {"required": True, "content": {"application/json": {"schema": {"$ref": ref}}}}  # noqa: E731
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hài Lòng intake API", "version": "1.0.0",
                 "description": "One-stop software pushes completed dossiers; the platform samples them for "
                                "satisfaction surveys and answers with the invitation to hand out. See "
                                "docs/operations.md."},
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}, {"apiKeyHeader": []}],
        "paths": {
            "/dossiers": {"post": {
                "summary": "Submit a batch of completed dossiers", "operationId": "postDossiers",
                "description": "Each record is stored, recognised as an unchanged duplicate, or rejected with "
                               "reasons; good records are stored even when others are rejected. Records completed "
                               "inside a launched wave's period may be selected on arrival; their invitation "
                               "(token, link, QR, slips) is in the answer.\n\n"
                               "**Scope.** A key sends only the dossiers of its scope (set by an administrator): "
                               "whole-province keys any agency's; other keys those of their agencies (and the "
                               "units below them, at service points of those agencies), service points or "
                               "sectors. A record outside the key's scope is rejected with the reason "
                               "`out_of_scope` (its `field` says which of agency, service_point or sector is "
                               "outside); the others are stored.\n\n"
                               "**Retries.** The answer is kept for 24 hours. Sending the same batch again within "
                               "that time (the same `Idempotency-Key` header, or without one the same records) "
                               "returns the first answer again, with the same invitation tokens, and stores "
                               "nothing more; such an answer carries `Idempotent-Replayed: true`. So a client "
                               "whose connection dropped simply resends. To have rejected records judged again "
                               "(after a registry or scope fix), send them as a new batch.",
                "parameters": [{
                    "name": "Idempotency-Key", "in": "header", "required": False,
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]+$"},
                    "description": "A unique value per batch chosen by the client (e.g. a UUID), reused only for "
                                   "retries of that batch. Reused within 24 h for other records: 422.",
                }],
                "requestBody": json_body("#/components/schemas/Batch"),
                "responses": {
                    "200": {"description": "The batch was processed (look at each record's status), or this is "
                                           "the kept answer to its first sending.",
                            "headers": {"Idempotent-Replayed": {
                                "description": "\"true\" when this is the kept answer of an earlier sending.",
                                "schema": {"type": "string", "enum": ["true"]}}},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchResult"}}}},
                    "400": _err("The body is not JSON of the form {\"dossiers\": [...]}, or the Idempotency-Key "
                                "header is not 1-128 printable ASCII characters."),
                    "401": _err("Missing, wrong or revoked API key."),
                    "413": _err("Too many records in one batch, or the body is larger than 16 MB."),
                    "422": _err("The Idempotency-Key was used within 24 h for a batch with other records."),
                    "503": UNAVAILABLE,
                }}},
            "/invitations/reissue": {"post": {
                "summary": "Reissue the tokens of a dossier's not-yet-opened invitations",
                "operationId": "reissueInvitation",
                "description": "For when the intake answer with the token was lost (a retry of the batch within "
                               "24 h returns it too). The previous token stops working. Only dossiers within "
                               "the key's scope.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["external_id"],
                    "properties": {"external_id": {"type": "string", "minLength": 1, "pattern": "\\S"}}}}}},
                "responses": {
                    "200": {"description": "New tokens.", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Reissued"}}}},
                    "400": _err("No external_id."), "401": _err("Missing, wrong or revoked API key."),
                    "404": _err("No open, unopened invitation for this dossier (within the key's scope)."),
                    "503": UNAVAILABLE,
                }}},
            "/ratings": _feedback_post("Submit per-dossier ratings (QĐ 766 score)", "postRatings", "ratings",
                                       "#/components/schemas/Rating"),
            "/dossier-events": _feedback_post("Submit dossier events: on time, overdue, apology letter, petition",
                                              "postDossierEvents", "events", "#/components/schemas/DossierEvent"),
            "/openapi.json": {"get": {"summary": "This description", "security": [],
                                      "responses": {"200": {"description": "OpenAPI document",
                                                            "content": {"application/json": {}}}}}},
            "/invitations/{token}/qr.svg": _token_get("QR code of the invitation link (SVG)", "image/svg+xml"),
            "/invitations/{token}/qr.png": _token_get("QR code of the invitation link (PNG)", "image/png"),
            "/invitations/{token}/slip": _token_get(
                "Printable invitation slip (HTML with print CSS)", "text/html",
                [{"name": "format", "in": "query", "required": False,
                  "schema": {"type": "string", "enum": list(FORMATS), "default": "a6"}}]),
        },
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "Authorization: Bearer <key> (key from the admin page "
                                              "Quản trị › Khoá API, or `hailong apikey create`)."},
                "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
