"""Citizens' answers: validation against the exact questionnaire version, drafts, and storing once.

Semantics every channel (link, kiosk, offline queue) shares:
- Questions hidden by `show_if` are not asked: an answer sent for one is ignored, never stored.
- A required, visible question without an answer is an error unless the response is `partial`
  (a kiosk timeout with `kiosk.partial_on_timeout: keep`).
- Anything else that does not fit the version (unknown item, out-of-scale code, wrong type, text
  too long) is an error; a response with any error stores nothing.
- The response UUID comes from the client; a retry with the same UUID returns the stored response,
  and the database's unique keys (Response.uuid, Response.invitation_id) decide every race. A
  kiosk's retry whose content (version, partial, answers) differs from the stored one is no retry:
  it is refused as `uuid_conflict` and logged. The comparison runs only on the repeat path.

Two write paths take their rows from `prepare_response`: `store_response` here (the ORM, in the
request's transaction: link answers and kiosk hand-offs, which complete an invitation) and the
group commit of kiosk walk-ups (batch.py, writer.py), which stores the same rows in bulk. Those rows
hold free text already redacted, and carry the response's comment rows and call-back phone
(comments.py), which both paths store in the response's own transaction.
"""
from __future__ import annotations

import logging
import uuid as uuidlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.models import Answer, Invitation, QuestionnaireVersion, Response, ResponseDraft
from survey.models._base import utcnow
from survey.services.common.tokens import hash_token
from survey.services.respond import comments, scores
from survey.services.respond.answers import (  # noqa: F401  (re-exported: views and tests use them from here)
    AnswerError,
    answer_rows,
    checks_for,
    clean_answers,
    is_visible,
    option_codes,
    questions,
    sections,
    visible_sections,
)

log = logging.getLogger(__name__)
MAX_LISTED_ERRORS = 50  # an answer lists the first errors and counts them all: a huge body must not get a huger reply


class SubmissionError(Exception):
    """A submission that cannot be stored; `status` is the HTTP status to answer with."""

    def __init__(self, code: str, message: str, status: int = 422, errors: list[AnswerError] | None = None):
        super().__init__(message)
        self.code, self.message, self.status, self.errors = code, message, status, errors or []

    def as_dict(self) -> dict:
        """JSON body for API answers: the first MAX_LISTED_ERRORS errors and how many there are."""
        return {"error": self.code, "message": self.message, "error_count": len(self.errors),
                "errors": [e.as_dict() for e in self.errors[:MAX_LISTED_ERRORS]]}


# --- invitations by token and drafts -------------------------------------------------------------

def find_invitation(session: Session, token: str, lock: bool = False) -> Invitation | None:
    """The invitation for a link token, or None (only the token's hash is stored).

    `lock` (for writes) takes the row lock on PostgreSQL, so two tabs posting at once are handled
    one after the other and the second sees what the first committed (SQLite serialises writers).
    """
    if not token or len(token) > 200:
        return None
    query = select(Invitation).where(Invitation.token_hash == hash_token(token))
    return session.scalar(query.with_for_update() if lock else query)


def invitation_state(invitation: Invitation | None, now: datetime | None = None) -> str:
    """One of unknown, used, expired, closed, open."""
    if invitation is None:
        return "unknown"
    if invitation.status == "completed" or invitation.completed_at is not None:
        return "used"
    if invitation.wave is not None and invitation.wave.status == "closed":
        return "closed"
    if invitation.status == "expired" or invitation.expires_at < (now or utcnow()):
        return "expired"
    return "open"


def mark_opened(invitation: Invitation) -> None:
    """Record the first time the citizen opened the invitation."""
    if invitation.status == "issued":
        invitation.status = "opened"
    if invitation.opened_at is None:
        invitation.opened_at = utcnow()


def get_draft(session: Session, invitation: Invitation) -> ResponseDraft | None:
    """The server-side draft of an invitation, if any."""
    return session.scalar(select(ResponseDraft).where(ResponseDraft.invitation_id == invitation.id))


def save_draft(session: Session, invitation: Invitation, answers: dict, other: dict,
               codes: set[str], language: str) -> ResponseDraft:
    """Replace one screen's answers (`codes`) in the draft; the draft keeps the response UUID."""
    draft = get_draft(session, invitation)
    if draft is None:
        draft = ResponseDraft(invitation_id=invitation.id, data={
            "uuid": str(uuidlib.uuid4()), "started_at": utcnow().isoformat(), "answers": {}, "other": {}})
        session.add(draft)
    data = {**draft.data}
    kept = {k: v for k, v in data.get("answers", {}).items() if k not in codes}
    kept_other = {k: v for k, v in data.get("other", {}).items() if k not in codes}
    kept.update({k: v for k, v in answers.items() if k in codes})
    kept_other.update({k: v for k, v in other.items() if k in codes})
    data.update(answers=kept, other=kept_other, language=language)
    draft.data = data  # a new dict, so the JSON column is seen as changed
    draft.updated_at = utcnow()
    session.flush()
    return draft


# --- storing ---------------------------------------------------------------------------------------

def parse_uuid(value: Any) -> str:
    """Canonical form of a client UUID, or SubmissionError."""
    try:
        return str(uuidlib.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise SubmissionError("bad_uuid", str(_l("Mã định danh câu trả lời (uuid) không hợp lệ.")), 400) from None


def prepare_response(version: QuestionnaireVersion, response_uuid: str, answers: dict, other: dict, *,
                     mode: str, invitation: Invitation | None = None, device_id: int | None = None,
                     service_point_id: int | None = None, language: str = "vi",
                     started_at: datetime | None = None, partial: bool = False,
                     client_submitted_at: datetime | None = None
                     ) -> tuple[dict, comments.AnswerRows]:
    """Validate a submission; the response's column values and its answer rows (no database access).

    Free text in the rows is redacted; the rows also carry the comment rows and the call-back phone.
    Raises SubmissionError (bad uuid, wrong version for the invitation, invalid answers, empty partial).
    """
    if invitation is not None and invitation.wave.questionnaire_version_id != version.id:
        raise SubmissionError("version_mismatch", str(_l("Câu trả lời không đúng phiên bản bảng hỏi của lời mời.")))
    cleaned, texts, errors = clean_answers(version.content, answers, other, partial=partial)
    if errors:
        raise SubmissionError("invalid_answers", str(_l("Một số câu trả lời chưa hợp lệ.")), 422, errors)
    if partial and not cleaned:
        raise SubmissionError("empty", str(_l("Không có câu trả lời nào để lưu.")), 422)
    received = utcnow()
    values = {
        "uuid": parse_uuid(response_uuid), "questionnaire_version_id": version.id, "mode": mode,
        "partial": partial, "language": language if language in ("vi", "en") else "vi",
        "started_at": started_at, "device_id": device_id, "service_point_id": service_point_id,
        "probability_sample": invitation is not None, "submitted_at": received,
        # a tablet clock ahead of the server's would date the answer after its arrival
        "client_submitted_at": None if client_submitted_at is None else min(client_submitted_at, received),
        "invitation_id": None, "wave_id": None, "agency_id": None, "sector_id": None,
    }
    if invitation is not None:
        values.update(invitation_id=invitation.id, wave_id=invitation.wave_id, agency_id=invitation.agency_id,
                      sector_id=invitation.sector_id,
                      service_point_id=invitation.service_point_id or service_point_id)
    content = version.content
    cleaned, texts, free, phone = comments.redact_free_text(checks_for(content).kinds, cleaned, texts)
    overall = cleaned.get(content["overall_item"]) if content.get("overall_item") else None
    rows = comments.attach(answer_rows(content, cleaned, texts), values, free, overall, phone)
    rows.scores = scores.score_rows(scores.layout_for(content), ((r["item_code"], r["value_int"]) for r in rows),
                                    values["wave_id"], version.id)
    return values, rows


def store_response(session: Session, version: QuestionnaireVersion, response_uuid: str,
                   answers: dict, other: dict, *, mode: str, invitation: Invitation | None = None,
                   device_id: int | None = None, service_point_id: int | None = None,
                   language: str = "vi", started_at: datetime | None = None,
                   partial: bool = False, client_submitted_at: datetime | None = None) -> tuple[Response, bool]:
    """Validate and add a response with its answers in one savepoint; (response, created).

    The ORM path; a walk-up stored here gets the rows the group commit (batch.py) would store.

    A second submission with the same UUID returns the first one (created False), unless a kiosk's
    differs from it in content ("uuid_conflict", status 409); another UUID for an invitation already
    answered raises SubmissionError("already_answered", status 409).
    """
    response_uuid = parse_uuid(response_uuid)

    def prepare() -> tuple[dict, comments.AnswerRows]:
        return prepare_response(version, response_uuid, answers, other, mode=mode, invitation=invitation,
                                device_id=device_id, service_point_id=service_point_id, language=language,
                                started_at=started_at, partial=partial, client_submitted_at=client_submitted_at)

    if invitation is not None:  # walk-ups skip this look-up: the unique UUID catches their repeats
        existing = _existing(session, response_uuid, invitation, device_id)
        if existing is not None:
            return _repeat(session, existing, device_id, prepare), False
    values, rows = prepare()
    response = Response(**values)
    try:
        with session.begin_nested():
            session.add(response)
            session.flush()
            # One multi-row INSERT for the answers (the ORM would add ~35 objects one by one).
            if rows:  # a form whose questions are all optional may be sent with none answered
                session.execute(insert(Answer.__table__), [{**row, "response_id": response.id} for row in rows])
            comments.store_extras(session, response.id, rows)
            scores.store(session, response.id, rows)
    except IntegrityError:
        # Another request (second tab, double tap, retry) stored first: the unique keys decided.
        existing = _existing(session, response_uuid, invitation, device_id)
        if existing is not None:
            return _repeat(session, existing, device_id, lambda: (values, rows)), False
        raise SubmissionError("already_answered", str(_l("Lời mời này đã được trả lời.")), 409) from None
    if invitation is not None:
        now = utcnow()
        session.execute(update(Invitation).where(Invitation.id == invitation.id).values(
            status="completed", completed_at=now, opened_at=invitation.opened_at or now))
        session.execute(ResponseDraft.__table__.delete().where(ResponseDraft.invitation_id == invitation.id))
        session.expire(invitation)
    return response, True


def content_of(values: dict, rows: list[dict]) -> tuple:
    """What a resend must repeat exactly: the version, whether partial, and the answer rows (in any order)."""
    return (values["questionnaire_version_id"], bool(values["partial"]),
            sorted(((r["item_code"], r["value_int"], r["value_text"]) for r in rows), key=_row_order))


def stored_content(executor: Session | Connection, response_uuid: str) -> tuple | None:
    """content_of the stored response with this UUID (None when there is none); a session or a connection."""
    found = executor.execute(select(Response.id, Response.questionnaire_version_id, Response.partial)
                             .where(Response.uuid == response_uuid)).first()
    if found is None:
        return None
    rows = executor.execute(select(Answer.item_code, Answer.value_int, Answer.value_text)
                            .where(Answer.response_id == found.id)).all()
    return found.questionnaire_version_id, bool(found.partial), sorted((tuple(r) for r in rows), key=_row_order)


def _row_order(row: tuple) -> tuple:
    item, value, text = row
    return item, value is None, value or 0, text or ""


def changed_resend(response_uuid: str, device_id: int | None) -> None:
    """Log a kiosk's resend of a stored UUID with other content (answered 409 uuid_conflict)."""
    log.warning("kiosk resend with different content refused: uuid %s, device %s", response_uuid, device_id)


def _repeat(session: Session, existing: Response, device_id: int | None,
            prepare: Callable[[], tuple[dict, list[dict]]]) -> Response:
    """The stored response a resend repeats; a kiosk's resend with other content raises uuid_conflict.

    Links are not compared: their answers come from the server-side draft, not from the client.
    """
    if device_id is None:
        return existing
    try:
        current = content_of(*prepare())
    except SubmissionError:  # what was stored passed these checks: a resend that fails them differs
        current = None
    if current is None or current != stored_content(session, existing.uuid):
        changed_resend(existing.uuid, device_id)
        raise SubmissionError("uuid_conflict", str(_l("Mã định danh câu trả lời đã được dùng.")), 409)
    return existing


def repeat_of(found_device_id: int | None, found_invitation_id: int | None, invitation_id: int | None,
              device_id: int | None) -> bool:
    """Whether a stored response with this UUID is the same submission sent again (not a stranger's)."""
    return found_invitation_id == invitation_id and (device_id is None or found_device_id == device_id)


def _existing(session: Session, response_uuid: str, invitation: Invitation | None,
              device_id: int | None) -> Response | None:
    """The stored response this submission repeats, if any; a UUID clash with a stranger is refused."""
    found = session.scalar(select(Response).where(Response.uuid == response_uuid))
    if found is None:
        if invitation is not None and session.scalar(
                select(Response.id).where(Response.invitation_id == invitation.id)) is not None:
            raise SubmissionError("already_answered", str(_l("Lời mời này đã được trả lời.")), 409)
        return None
    if not repeat_of(found.device_id, found.invitation_id, invitation.id if invitation else None, device_id):
        raise SubmissionError("uuid_conflict", str(_l("Mã định danh câu trả lời đã được dùng.")), 409)
    return found
