"""The schemas of the intake API's OpenAPI description (survey.web.api.openapi): records, results, errors.

Field names, enums and reason codes come from the implementation, so the description cannot drift.
"""
from __future__ import annotations

from survey.models.fieldwork import CHANNELS, EVENT_TYPES, OUTCOMES, DossierKind
from survey.models.qd766 import EVENT_KINDS, RATING_LEVELS, SCORE_MAX
from survey.services.intake.batch import REASON_CODES, STATUSES, WARNING_CODES
from survey.services.intake.events import EVENT_REQUIRED, KINDS, SECTOR_OF, UNIT_LEVEL
from survey.services.intake.records import ALIASES, REQUIRED
from survey.services.qd766.records import NOTE_MAX
from survey.services.qd766.records import REASON_CODES as FEEDBACK_REASONS
from survey.services.sampling.slips import FORMATS

_TS = "ISO 8601 date-time; with an offset (e.g. +07:00 or Z) or local time of the province when no offset is given; "
_AREA = {"type": ["string", "null"], "maxLength": 16, "pattern": "^[0-9]{5}$",
         "description": "Official commune-level code (5 digits, Công văn 1027/CTK-CSCL) of the citizen's area, only "
                        "when the source knows it; never finer than the commune. It must be a commune-level unit "
                        "of the registry once official codes are loaded (`bad_area_code` otherwise)."}
_TYPES = {kind.value: [t.value for t in EVENT_TYPES[kind]] for kind in UNIT_LEVEL}


def _issue(codes: tuple[str, ...], description: str) -> dict:
    return {
        "type": "object", "description": description, "required": ["code", "field", "message"],
        "properties": {"code": {"type": "string", "enum": list(codes)},
                       "field": {"type": "string", "description": "The record field concerned ('' for the record)."},
                       "message": {"type": "string", "description": "Explanation in Vietnamese (or English)."}},
    }


def _reason() -> dict:
    """Why a record was rejected; the registry's validity codes carry the codes to send instead."""
    schema = _issue(REASON_CODES, "Why a record was rejected. `retired_unit`: the competent agency (the unit of a "
                                  "service event) was no longer valid on the local day the record was completed, "
                                  "or the service point was closed on the day it was received; the message names "
                                  "the successor unit(s) from the registry's lineage. `unit_not_yet_valid`: the "
                                  "unit did not exist yet on that day. A record of an earlier period naming the "
                                  "old unit is accepted: each record is checked on its own day.")
    schema["properties"]["replacement_codes"] = {
        "type": "array", "items": {"type": "string"},
        "description": "With `retired_unit` / `unit_not_yet_valid` on an agency: the registry codes of the "
                       "unit(s) valid on the record's day that carry the old unit's dossiers (absent if none)."}
    return schema


SCHEMAS = {
    "Dossier": {
        "type": "object", "additionalProperties": True,
        "required": [name for name in REQUIRED if name not in ALIASES],
        # a required field may come under its alias instead
        "allOf": [{"anyOf": [{"required": [name]}, {"required": [alias]}]} for name, alias in ALIASES.items()
                  if name in REQUIRED],
        "description": "A completed dossier (hồ sơ). Either `procedure` or `sector` is required; when both are "
                       "given they must agree. The competent agency (who decides) is `agency` or its alias "
                       "`competent_agency_code`; where it was received is `service_point` or its alias "
                       "`received_service_point_code`, which may be another commune's point (reception is "
                       "boundary-free within the province). Given under both names, the two must be equal "
                       "(`alias_mismatch`). Unknown extra fields are ignored.",
        "properties": {
            "external_id": {"type": ["string", "integer"], "maxLength": 128,
                            "description": "The dossier's id in the source system (unique per source system)."},
            "agency": {"type": "string", "maxLength": 64,
                       "description": "Code of the competent agency (who decides) from the registry; strata, "
                                      "indices and feedback cases use it."},
            "competent_agency_code": {"type": "string", "maxLength": 64, "description": "Alias of `agency`."},
            "received_service_point_code": {"type": ["string", "null"], "maxLength": 64,
                                            "description": "Alias of `service_point`."},
            "citizen_area_code": _AREA,
            "procedure": {"type": ["string", "null"], "maxLength": 64,
                          "description": "National procedure (TTHC) code; gives the sector."},
            "sector": {"type": ["string", "null"], "maxLength": 64, "description": "Sector code (lĩnh vực)."},
            "service_point": {"type": ["string", "null"], "maxLength": 64,
                              "description": "Code of the one-stop service point where the dossier was received "
                                             "(and its result returned); service-point pages use it."},
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
    "ServiceEvent": {
        "type": "object", "additionalProperties": True, "required": list(EVENT_REQUIRED),
        "description": "A service event that is not an administrative dossier: a hospital visit or discharge "
                       f"(kind hospital_visit, sector `{SECTOR_OF[DossierKind.HOSPITAL_VISIT]}`) or a school "
                       f"enrolment (kind school_enrolment, sector `{SECTOR_OF[DossierKind.SCHOOL_ENROLMENT]}`). "
                       "Stored beside the dossiers of the source under the same rules: external ids unique per "
                       "source system, a resend with the same content `unchanged`, other content `conflict`. "
                       "Unknown extra fields are ignored.",
        "properties": {
            "external_id": {"type": ["string", "integer"], "maxLength": 128,
                            "description": "The event's id in the source system (unique per source system, "
                                           "dossiers included)."},
            "kind": {"type": "string", "enum": list(KINDS)},
            "unit_code": {"type": "string", "maxLength": 64,
                          "description": "Registry code of the hospital (an agency of level "
                                         f"`{UNIT_LEVEL[DossierKind.HOSPITAL_VISIT]}`) or the school (level "
                                         f"`{UNIT_LEVEL[DossierKind.SCHOOL_ENROLMENT]}`)."},
            "event_type": {"type": "string", "enum": sorted({t for types in _TYPES.values() for t in types}),
                           "description": "By kind: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in _TYPES.items())
                                          + " (the school level). Another kind's type: `bad_event_type`."},
            "department": {"type": ["string", "null"], "maxLength": 120,
                           "description": "The hospital department or ward (e.g. \"Khoa Nội\")."},
            "class": {"type": ["string", "null"], "maxLength": 120,
                      "description": "The school class (e.g. \"3A\"); an alias of `department`."},
            "service_point_code": {"type": ["string", "null"], "maxLength": 64,
                                   "description": "Where it was handed over, e.g. the discharge desk's service "
                                                  "point (its kiosk takes hand-offs)."},
            "started_at": {"type": "string", "description": _TS + "admission, visit or enrolment date."},
            "ended_at": {"type": ["string", "null"], "description": _TS + "discharge or notice date; not before "
                         "started_at; absent: the same as started_at. A wave takes the event by this date."},
            "outcome": {"type": ["string", "null"], "enum": [*OUTCOMES, None], "default": "approved",
                        "description": "approved = served (the default)."},
            "phone": {"type": ["string", "null"], "maxLength": 32,
                      "description": "Optional mobile number (the patient's or the parent's), kept apart, only to "
                                     "send an invitation, purged with the wave's contacts."},
            "citizen_area_code": _AREA,
            "kiosk_handoff": {"type": "boolean", "default": False,
                              "description": "Hand the invitation to the service point's kiosk."},
        },
    },
    "EventBatch": {
        "type": "object", "required": ["events"],
        "properties": {"events": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceEvent"},
                                  "description": "At most INTAKE_MAX_BATCH (default 1000) records."}},
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
    "Reason": _reason(),
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
