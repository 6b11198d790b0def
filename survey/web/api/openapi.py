"""The OpenAPI 3.1 description of the intake API (served at /api/v1/openapi.json).

Field names, enums and reason codes come from the implementation (survey.services.intake.batch, the models),
so the description cannot drift from what the server accepts; tests validate it and check real answers
against its schemas.
"""
from __future__ import annotations

from survey.services.intake.replay import MAX_KEY_LENGTH
from survey.services.sampling.slips import FORMATS
from survey.web.api.schemas import SCHEMAS


def _err(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


UNAVAILABLE = {**_err("The database cannot be reached for the moment; nothing was stored. Send again later."),
               "headers": {"Retry-After": {"description": "Seconds to wait before sending again.",
                                           "schema": {"type": "integer"}}}}


def _page(description: str) -> dict:
    return {"description": description, "content": {"text/html": {}}}


def _token_get(summary: str, media: str, extra_params: list | None = None, pages: bool = False) -> dict:
    """A GET by invitation token; `pages`: a person opens it, so 404/410 are HTML pages in words, not JSON."""
    gone = _page if pages else _err
    responses = {"200": {"description": "OK", "content": {media: {}}},
                 "400": _err("A NUL character in the query string."),
                 "404": gone("Unknown token."), "410": gone("Already answered, expired or its wave closed."),
                 "503": UNAVAILABLE}
    if pages:
        responses["400"] = _err("A NUL character in the query string, or an unknown format.")
    return {"get": {
        "summary": summary, "security": [],
        "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}]
        + (extra_params or []),
        "responses": responses,
    }}


def _batch_post(summary: str, operation: str, description: str, ref: str, name: str) -> dict:
    """A POST of an intake batch (dossiers, service events): scope, retries, per-record results."""
    return {"post": {
        "summary": summary, "operationId": operation, "description": description,
        "parameters": [{
            "name": "Idempotency-Key", "in": "header", "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]+$"},
            "description": "A unique value per batch chosen by the client (e.g. a UUID), reused only for "
                           "retries of that batch. Reused within 24 h for other records: 422.",
        }],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": ref}}}},
        "responses": {
            "200": {"description": "The batch was processed (look at each record's status), or this is "
                                   "the kept answer to its first sending.",
                    "headers": {"Idempotent-Replayed": {
                        "description": "\"true\" when this is the kept answer of an earlier sending.",
                        "schema": {"type": "string", "enum": ["true"]}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchResult"}}}},
            "400": _err(f"The body is not JSON of the form {{\"{name}\": [...]}}, or the Idempotency-Key "
                        "header is not 1-128 printable ASCII characters."),
            "401": _err("Missing, wrong or revoked API key."),
            "413": _err("Too many records in one batch, or the body is larger than 16 MB."),
            "422": _err("The Idempotency-Key was used within 24 h for a batch with other records."),
            "503": UNAVAILABLE,
        }}}


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
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hài Lòng intake API", "version": "1.0.0",
                 "description": "One-stop software pushes completed dossiers; the platform samples them for "
                                "satisfaction surveys and answers with the invitation to hand out. See "
                                "docs/operations.md."},
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}, {"apiKeyHeader": []}],
        "paths": {
            "/dossiers": _batch_post(
                "Submit a batch of completed dossiers", "postDossiers",
                "Each record is stored, recognised as an unchanged duplicate, or rejected with "
                "reasons; good records are stored even when others are rejected. Records completed "
                "inside a launched wave's period may be selected on arrival; their invitation "
                "(token, link, QR, slips) is in the answer.\n\n"
                "**Scope.** A key sends only the dossiers of its scope (set by an administrator): "
                "whole-province keys any agency's; other keys those of their agencies (and the "
                "units below them, at service points of those agencies), service points or "
                "sectors. A record outside the key's scope is rejected with the reason "
                "`out_of_scope` (its `field` says which of agency, service_point or sector is "
                "outside); the others are stored. A dossier received at another commune's point "
                "(boundary-free reception) is sent by a whole-province key or one scoped to that "
                "service point.\n\n"
                "**Retries.** The answer is kept for 24 hours. Sending the same batch again within "
                "that time (the same `Idempotency-Key` header, or without one the same records) "
                "returns the first answer again, with the same invitation tokens, and stores "
                "nothing more; such an answer carries `Idempotent-Replayed: true`. So a client "
                "whose connection dropped simply resends. To have rejected records judged again "
                "(after a registry or scope fix), send them as a new batch.",
                "#/components/schemas/Batch", "dossiers"),
            "/service-events": _batch_post(
                "Submit a batch of service events: hospital visits, school enrolments", "postServiceEvents",
                "Frames that are not dossiers, for the public health (QĐ 3869/QĐ-BYT) and public education "
                "(QĐ 3476/QĐ-BGDĐT) measurements. The same rules as `/dossiers`: a result per record, good "
                "records stored even when others are rejected, the answer kept for 24 hours for retries "
                "(`Idempotency-Key`), invitations of the waves that select an event on arrival in the "
                "answer. **Scope**: a key scoped to an agency covers the hospitals and schools under it (a "
                "department of health, a commune's People's Committee); else `out_of_scope`. Unknown units, "
                "units of the wrong level, a type of another kind or a bad area code are refused per "
                "record (`unknown_unit`, `bad_event_type`, `bad_area_code`).",
                "#/components/schemas/EventBatch", "events"),
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
                  "schema": {"type": "string", "enum": list(FORMATS), "default": "a6"}}], pages=True),
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
