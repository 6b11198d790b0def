"""Citizens' answers: validation against the exact questionnaire version, drafts, and storing once.

Semantics every channel (link, kiosk, offline queue) shares:
- Questions hidden by `show_if` are not asked: an answer sent for one is ignored, never stored.
- A required, visible question without an answer is an error unless the response is `partial`
  (a kiosk timeout with `kiosk.partial_on_timeout: keep`).
- Anything else that does not fit the version (unknown item, out-of-scale code, wrong type, text
  too long) is an error; a response with any error stores nothing.
- The response UUID comes from the client; a retry with the same UUID returns the stored response,
  and the database's unique keys (Response.uuid, Response.invitation_id) decide every race.
"""
from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.models import Answer, Invitation, QuestionnaireVersion, Response, ResponseDraft
from survey.models._base import utcnow
from survey.services.tokens import hash_token

DEFAULT_TEXT_MAX = 1000
OTHER_TEXT_MAX = 500

MESSAGES = {
    "unknown_item": _l("Câu hỏi không có trong bảng hỏi này."),
    "required": _l("Vui lòng trả lời câu hỏi này."),
    "wrong_type": _l("Câu trả lời không đúng dạng."),
    "out_of_scale": _l("Mức đánh giá không có trong thang đo."),
    "invalid_option": _l("Lựa chọn không có trong danh sách."),
    "too_long": _l("Nội dung quá dài (tối đa %(n)s ký tự)."),
    "not_integer": _l("Vui lòng nhập một số nguyên."),
    "too_small": _l("Số phải lớn hơn hoặc bằng %(n)s."),
    "too_large": _l("Số phải nhỏ hơn hoặc bằng %(n)s."),
    "no_other_box": _l("Câu hỏi này không có ô ghi ý kiến khác."),
    "exclusive": _l("Lựa chọn này không thể chọn cùng các lựa chọn khác."),
}


@dataclass(frozen=True)
class AnswerError:
    """One problem with one item: a machine code and a message for people."""

    item: str
    code: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The message in the current language."""
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])

    def as_dict(self) -> dict:
        """JSON form for API answers."""
        return {"item": self.item, "code": self.code, "message": self.message}


class SubmissionError(Exception):
    """A submission that cannot be stored; `status` is the HTTP status to answer with."""

    def __init__(self, code: str, message: str, status: int = 422, errors: list[AnswerError] | None = None):
        super().__init__(message)
        self.code, self.message, self.status, self.errors = code, message, status, errors or []

    def as_dict(self) -> dict:
        """JSON body for API answers."""
        return {"error": self.code, "message": self.message, "errors": [e.as_dict() for e in self.errors]}


# --- the questionnaire's shape -------------------------------------------------------------------

def sections(content: dict) -> list[dict]:
    """The questionnaire's sections (one screen each), in order."""
    return list(content.get("sections") or [])


def questions(content: dict) -> list[dict]:
    """Every question in order (each dict also gets its section id under `section`)."""
    out = []
    for section in sections(content):
        for q in section.get("questions") or []:
            out.append({**q, "section": section.get("id")})
    return out


def option_codes(content: dict, question: dict) -> list[int]:
    """Allowed integer codes of a scale/single/multiple question."""
    if question.get("type") == "scale":
        scale = (content.get("scales") or {}).get(question.get("scale"), {})
        return [c["code"] for c in scale.get("codes") or []]
    return [o["code"] for o in question.get("options") or []]


def is_visible(question: dict, answers: dict[str, Any]) -> bool:
    """Whether `show_if` lets the question be asked, given the (cleaned) earlier answers."""
    cond = question.get("show_if")
    if not cond:
        return True
    value = answers.get(cond.get("item"))
    allowed = set(cond.get("in") or [])
    if isinstance(value, list):
        return any(v in allowed for v in value)
    return value in allowed


def visible_sections(content: dict, answers: dict[str, Any]) -> list[dict]:
    """Sections with at least one question visible under the current answers (the screens to show)."""
    out, seen = [], {}
    for section in sections(content):
        shown = False
        for q in section.get("questions") or []:
            if is_visible(q, seen):
                shown = True
                if q["code"] in answers:
                    seen[q["code"]] = answers[q["code"]]
        if shown:
            out.append(section)
    return out


# --- validation ----------------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _check(content: dict, q: dict, value: Any) -> tuple[Any, AnswerError | None]:
    """Validate one non-empty value; return the cleaned value or an error."""
    code, kind = q["code"], q.get("type")
    if kind in ("scale", "single"):
        if not _is_int(value):
            return None, AnswerError(code, "wrong_type")
        if value not in option_codes(content, q):
            return None, AnswerError(code, "out_of_scale" if kind == "scale" else "invalid_option")
        return value, None
    if kind == "multiple":
        if not isinstance(value, list) or not all(_is_int(v) for v in value):
            return None, AnswerError(code, "wrong_type")
        allowed = option_codes(content, q)
        if any(v not in allowed for v in value):
            return None, AnswerError(code, "invalid_option")
        chosen = sorted(set(value))
        exclusive = {o["code"] for o in q.get("options") or [] if o.get("exclusive")}
        if len(chosen) > 1 and exclusive.intersection(chosen):
            return None, AnswerError(code, "exclusive")
        return chosen, None
    if kind == "text":
        if not isinstance(value, str):
            return None, AnswerError(code, "wrong_type")
        limit = int(q.get("max_length") or DEFAULT_TEXT_MAX)
        text = value.strip()
        if len(text) > limit:
            return None, AnswerError(code, "too_long", {"n": limit})
        return text or None, None
    if kind == "number":
        if not _is_int(value):
            return None, AnswerError(code, "not_integer")
        if q.get("min") is not None and value < q["min"]:
            return None, AnswerError(code, "too_small", {"n": q["min"]})
        if q.get("max") is not None and value > q["max"]:
            return None, AnswerError(code, "too_large", {"n": q["max"]})
        return value, None
    return None, AnswerError(code, "wrong_type")


def clean_answers(content: dict, answers: dict[str, Any], other: dict[str, Any] | None = None,
                  *, partial: bool = False, only: set[str] | None = None
                  ) -> tuple[dict[str, Any], dict[str, str], list[AnswerError]]:
    """Validate answers against one questionnaire version; returns (answers, other texts, errors).

    `only` restricts the required-answer check to those item codes (one screen of the link flow);
    every given answer is still checked.
    """
    other = other or {}
    if not isinstance(answers, dict) or not isinstance(other, dict):
        return {}, {}, [AnswerError("", "wrong_type")]
    by_code = {q["code"]: q for q in questions(content)}
    errors = [AnswerError(c, "unknown_item") for c in list(answers) + list(other) if c not in by_code]
    cleaned: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for code, q in by_code.items():
        if not is_visible(q, cleaned):
            continue  # not asked: whatever was sent for it is ignored
        value = answers.get(code)
        if not _empty(value):
            value, error = _check(content, q, value)
            if error:
                errors.append(error)
                continue
        if _empty(value):
            if q.get("required") and not partial and (only is None or code in only):
                errors.append(AnswerError(code, "required"))
            continue
        cleaned[code] = value
        if code in other:
            text, error = _other_text(q, value, other[code])
            if error:
                errors.append(error)
            elif text:
                texts[code] = text
    return cleaned, texts, errors


def _other_text(q: dict, value: Any, text: Any) -> tuple[str | None, AnswerError | None]:
    """The free text of an "other" option: only kept when that option is chosen."""
    if q.get("other_text") is None:
        return None, AnswerError(q["code"], "no_other_box")
    if text is None:
        return None, None
    if not isinstance(text, str):
        return None, AnswerError(q["code"], "wrong_type")
    chosen = value if isinstance(value, list) else [value]
    if q["other_text"] not in chosen:
        return None, None
    text = text.strip()
    limit = int(q.get("max_length") or OTHER_TEXT_MAX)
    if len(text) > limit:
        return None, AnswerError(q["code"], "too_long", {"n": limit})
    return text or None, None


def answer_rows(content: dict, answers: dict[str, Any], other: dict[str, str]) -> list[dict]:
    """Answer rows (dicts) per item, per chosen code for multiple choice; "other" text rides on its code's row."""
    rows = []
    for q in questions(content):
        code = q["code"]
        if code not in answers:
            continue
        value = answers[code]
        if q.get("type") == "text":
            rows.append({"item_code": code, "value_int": None, "value_text": value})
            continue
        for v in value if isinstance(value, list) else [value]:
            text = other.get(code) if v == q.get("other_text") else None
            rows.append({"item_code": code, "value_int": v, "value_text": text})
    return rows


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
        raise SubmissionError("bad_uuid", str(_l("Mã định danh câu trả lời (uuid) không hợp lệ.")), 400)


def store_response(session: Session, version: QuestionnaireVersion, response_uuid: str,
                   answers: dict, other: dict, *, mode: str, invitation: Invitation | None = None,
                   device_id: int | None = None, service_point_id: int | None = None,
                   language: str = "vi", started_at: datetime | None = None,
                   partial: bool = False) -> tuple[Response, bool]:
    """Validate and add a response with its answers in one savepoint; (response, created).

    A second submission with the same UUID returns the first one (created False); another UUID for
    an invitation already answered raises SubmissionError("already_answered", status 409).
    """
    response_uuid = parse_uuid(response_uuid)
    if invitation is not None:  # walk-ups skip this look-up: the unique UUID catches their repeats
        existing = _existing(session, response_uuid, invitation, device_id)
        if existing is not None:
            return existing, False
    if invitation is not None and invitation.wave.questionnaire_version_id != version.id:
        raise SubmissionError("version_mismatch", str(_l("Câu trả lời không đúng phiên bản bảng hỏi của lời mời.")))
    cleaned, texts, errors = clean_answers(version.content, answers, other, partial=partial)
    if errors:
        raise SubmissionError("invalid_answers", str(_l("Một số câu trả lời chưa hợp lệ.")), 422, errors)
    if partial and not cleaned:
        raise SubmissionError("empty", str(_l("Không có câu trả lời nào để lưu.")), 422)
    response = Response(
        uuid=response_uuid, questionnaire_version_id=version.id, mode=mode, partial=partial,
        language=language if language in ("vi", "en") else "vi", started_at=started_at,
        device_id=device_id, service_point_id=service_point_id,
        probability_sample=invitation is not None,
    )
    if invitation is not None:
        response.invitation_id, response.wave_id = invitation.id, invitation.wave_id
        response.agency_id, response.sector_id = invitation.agency_id, invitation.sector_id
        response.service_point_id = invitation.service_point_id or service_point_id
    try:
        with session.begin_nested():
            session.add(response)
            session.flush()
            # One multi-row INSERT for the answers (the ORM would add ~35 objects one by one).
            session.execute(insert(Answer.__table__), [{**row, "response_id": response.id}
                                             for row in answer_rows(version.content, cleaned, texts)])
    except IntegrityError:
        # Another request (second tab, double tap, retry) stored first: the unique keys decided.
        existing = _existing(session, response_uuid, invitation, device_id)
        if existing is not None:
            return existing, False
        raise SubmissionError("already_answered", str(_l("Lời mời này đã được trả lời.")), 409)
    if invitation is not None:
        now = utcnow()
        session.execute(update(Invitation).where(Invitation.id == invitation.id).values(
            status="completed", completed_at=now, opened_at=invitation.opened_at or now))
        session.execute(ResponseDraft.__table__.delete().where(ResponseDraft.invitation_id == invitation.id))
        session.expire(invitation)
    return response, True


def _existing(session: Session, response_uuid: str, invitation: Invitation | None,
              device_id: int | None) -> Response | None:
    """The stored response this submission repeats, if any; a UUID clash with a stranger is refused."""
    found = session.scalar(select(Response).where(Response.uuid == response_uuid))
    if found is None:
        if invitation is not None and session.scalar(
                select(Response.id).where(Response.invitation_id == invitation.id)) is not None:
            raise SubmissionError("already_answered", str(_l("Lời mời này đã được trả lời.")), 409)
        return None
    same = (found.invitation_id == (invitation.id if invitation else None)
            and (device_id is None or found.device_id == device_id))
    if not same:
        raise SubmissionError("uuid_conflict", str(_l("Mã định danh câu trả lời đã được dùng.")), 409)
    return found
