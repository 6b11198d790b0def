"""What a unit does with a feedback case: acknowledge, reply and resolve, close as not actionable, reassign.

Every step is a `case_event`; a refused step (reply on a closed case, acknowledging twice, a unit that does
not exist) raises CaseError with a Vietnamese message and changes nothing. Closing a case deletes the
respondent's call-back phone: it was given only so that this unit could call back about this case.
Reading that phone is audited. Services flush, never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from survey.models import Agency, CaseEvent, CaseStatus, ContactRequest, FeedbackCase
from survey.models._base import utcnow
from survey.services.common import audit
from survey.services.common.i18n import tr as _

OPEN = (CaseStatus.NEW, CaseStatus.ACKNOWLEDGED)
CLOSED = (CaseStatus.RESOLVED, CaseStatus.NOT_ACTIONABLE)
MAX_TEXT = 4000


class CaseError(ValueError):
    """A refused case step, with a message fit to show the user (Vietnamese)."""


def _event(
    session: Session,
    case: FeedbackCase,
    user: Any,
    action: str,
    note: str = "",
    from_agency_id: int | None = None,
    to_agency_id: int | None = None,
    at: datetime | None = None,
) -> None:
    case.events.append(
        CaseEvent(
            at=at or utcnow(),
            user_id=getattr(user, "id", None),
            actor=getattr(user, "username", None) or str(user),
            action=action,
            note=note,
            from_agency_id=from_agency_id,
            to_agency_id=to_agency_id,
        )
    )
    session.flush()


def _text(value: str | None, missing: str) -> str:
    text = (value or "").strip()
    if not text:
        raise CaseError(missing)
    if len(text) > MAX_TEXT:
        raise CaseError(_("Nội dung quá dài (tối đa %(n)d ký tự).", n=MAX_TEXT))
    return text


def _must_be_open(case: FeedbackCase) -> None:
    if case.status in CLOSED:
        raise CaseError(_("Phản ánh này đã đóng: không thể thay đổi nữa."))


def acknowledge(session: Session, user: Any, case: FeedbackCase) -> FeedbackCase:
    """new → acknowledged, with its event; CaseError when it is not new. Flushes."""
    _must_be_open(case)
    if case.status != CaseStatus.NEW:
        raise CaseError(_("Phản ánh này đã được tiếp nhận rồi."))
    case.status, case.acknowledged_at = CaseStatus.ACKNOWLEDGED, utcnow()
    _event(session, case, user, "acknowledged", at=case.acknowledged_at)
    return case


def _close(session: Session, case: FeedbackCase, status: CaseStatus) -> None:
    now = utcnow()
    case.status, case.closed_at = status, now
    case.acknowledged_at = case.acknowledged_at or now
    session.execute(delete(ContactRequest).where(ContactRequest.response_id == case.response_id))


def resolve(session: Session, user: Any, case: FeedbackCase, reply: str | None) -> FeedbackCase:
    """Record the unit's reply and close the case as resolved (its call-back phone is deleted). Flushes."""
    _must_be_open(case)
    case.reply = _text(reply, _("Hãy nhập nội dung trả lời, xử lý."))
    _close(session, case, CaseStatus.RESOLVED)
    _event(session, case, user, "resolved", note=case.reply, at=case.closed_at)
    return case


def not_actionable(session: Session, user: Any, case: FeedbackCase, reason: str | None) -> FeedbackCase:
    """Close the case as not actionable; the reason is required and kept in its event. Flushes."""
    _must_be_open(case)
    note = _text(reason, _("Hãy nêu lý do không xử lý được."))
    _close(session, case, CaseStatus.NOT_ACTIONABLE)
    _event(session, case, user, "not_actionable", note=note, at=case.closed_at)
    return case


def reassign(session: Session, user: Any, case: FeedbackCase, agency_id: int | None, note: str | None) -> FeedbackCase:
    """Hand the case to another unit (it starts as new there); a note is required. Flushes."""
    _must_be_open(case)
    agency = session.get(Agency, agency_id) if isinstance(agency_id, int) else None
    if agency is None or not agency.active:
        raise CaseError(_("Không tìm thấy đơn vị nhận trong danh mục."))
    if agency.id == case.agency_id:
        raise CaseError(_("Phản ánh đã thuộc đơn vị này."))
    text = _text(note, _("Hãy ghi lý do chuyển cho đơn vị khác."))
    before = case.agency_id
    case.agency_id, case.status, case.acknowledged_at = agency.id, CaseStatus.NEW, None
    _event(session, case, user, "reassigned", note=text, from_agency_id=before, to_agency_id=agency.id)
    return case


def contact_phone(session: Session, case: FeedbackCase) -> str | None:
    """The call-back phone the respondent left, while the case is open (None otherwise)."""
    if case.status in CLOSED:
        return None
    return session.scalar(select(ContactRequest.phone).where(ContactRequest.response_id == case.response_id))


def reveal_phone(session: Session, user: Any, case: FeedbackCase) -> str | None:
    """The call-back phone, each reading logged as `case.phone_view`. Flushes."""
    phone = contact_phone(session, case)
    if phone is not None:
        audit.record(session, user, "case.phone_view", "feedback_case", case.id, agency_id=case.agency_id)
    return phone


def has_contact(session: Session, case: FeedbackCase) -> bool:
    """Whether the respondent asked to be called back (and the case is still open)."""
    return contact_phone(session, case) is not None


def purge_contacts(session: Session, days: int, now: datetime | None = None) -> int:
    """Delete call-back phones of cases closed more than `days` ago (closing deletes them; this catches any
    left, e.g. written after the case closed); returns how many. Flushes."""
    if days < 0:
        raise CaseError(_("Số ngày không được âm."))
    limit = (now or utcnow()) - timedelta(days=days)
    closed = select(FeedbackCase.response_id).where(FeedbackCase.status.in_(CLOSED), FeedbackCase.closed_at <= limit)
    result = session.execute(delete(ContactRequest).where(ContactRequest.response_id.in_(closed)))
    session.flush()
    return result.rowcount or 0
