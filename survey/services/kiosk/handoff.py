"""Kiosk pairing with the counter: an officer hands a sampled dossier's invitation to the next start.

A hand-off waits for a kiosk start, survives Back and walking away, and ends answered or released
(claims.py: the states and their timeouts).

An officer may hand off only the invitation of a dossier just returned at his counter (within
RETURN_MINUTES of its `completed_at`) whose token nobody holds yet (`delivered_at` NULL: no link,
slip or SMS went out). Why: the citizen who holds a link is the sampled respondent; an officer who
could send that invitation to the kiosk could answer it himself, and the citizen's link would then
say "already answered". For the same reason a hand-off answered on the counter's kiosk within
REVIEW_SECONDS of being made (quicker than anyone walks over and answers) is flagged for review; the
response stays in the sample, the flag is for a person to look at.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import (
    Device,
    Dossier,
    Invitation,
    KioskHandoff,
    QuestionnaireVersion,
    Response,
    ServicePoint,
    User,
    Wave,
)
from survey.models._base import utcnow
from survey.models.fieldwork import HandoffState, InvitationStatus, WaveStatus
from survey.services.common import audit
from survey.services.kiosk.claims import effective_state
from survey.services.respond.answers import duration
from survey.services.respond.responses import invitation_state

RETURN_MINUTES = 30    # KIOSK_HANDOFF_RETURN_MINUTES: how recently the dossier must have been returned
REVIEW_SECONDS = 20    # KIOSK_HANDOFF_REVIEW_SECONDS: an answer this soon after the hand-off is flagged
FLAG_QUICK = "quick_answer"
WALKUP_INSTRUMENT = "kiosk-quick"


class HandoffError(Exception):
    """The invitation cannot be handed to a kiosk: its state (used, expired, closed), or `delivered`
    (a citizen holds its token), or `not_recent` (not a dossier just returned at this counter)."""


def handoff_invitation(session: Session, invitation: Invitation, service_point_id: int, *,
                       by: int | None = None) -> KioskHandoff:
    """Queue an invitation for the next start on a service point's kiosk (waiting, see claims.py).

    The source system's own request (intake `kiosk_handoff`) comes here directly; an officer's goes
    through officer_handoff, which first checks that the dossier may be handed off at all. A hand-off
    that was released (or timed out) is made afresh; one a kiosk is answering right now is refused.
    """
    state = invitation_state(invitation)
    if state != "open":
        raise HandoffError(state)
    handoff = session.scalar(select(KioskHandoff).where(KioskHandoff.invitation_id == invitation.id))
    if handoff is None:
        handoff = KioskHandoff(invitation_id=invitation.id, service_point_id=service_point_id)
        session.add(handoff)
    elif handoff.state == HandoffState.IN_PROGRESS and effective_state(handoff) == HandoffState.IN_PROGRESS:
        raise HandoffError("in_progress")
    now = utcnow()
    handoff.service_point_id, handoff.device_id, handoff.created_by_id = service_point_id, None, by
    handoff.created_at, handoff.consumed_at, handoff.state, handoff.state_at = now, None, HandoffState.WAITING, now
    handoff.answered_at = handoff.released_at = handoff.released_by_id = None
    session.flush()
    return handoff


def _may_hand_off(service_point_id: int, now: datetime, minutes: int) -> tuple:
    """The one rule, as SQL conditions on Invitation joined to its Dossier: open, of this counter,
    returned here within `minutes`, and its token not handed out by any channel."""
    return (Invitation.service_point_id == service_point_id, Dossier.service_point_id == service_point_id,
            Invitation.status.in_((InvitationStatus.ISSUED, InvitationStatus.OPENED)),
            Invitation.completed_at.is_(None), Invitation.expires_at >= now, Invitation.delivered_at.is_(None),
            Dossier.completed_at >= now - timedelta(minutes=minutes), Wave.status != WaveStatus.CLOSED)


def eligible(service_point_id: int, now: datetime, minutes: int):
    """SELECT (Invitation, Dossier) of the invitations this counter may hand off or print now."""
    return (select(Invitation, Dossier).join(Dossier, Invitation.dossier_id == Dossier.id)
            .join(Wave, Invitation.wave_id == Wave.id).where(*_may_hand_off(service_point_id, now, minutes)))


def officer_handoff(session: Session, officer: User, invitation: Invitation, service_point_id: int, *,
                    minutes: int = RETURN_MINUTES) -> KioskHandoff:
    """An officer's hand-off, refused (HandoffError) unless the dossier was returned at this counter within
    `minutes` and nobody holds the invitation's token; records who made it."""
    now = utcnow()
    if session.scalar(eligible(service_point_id, now, minutes).where(Invitation.id == invitation.id)) is None:
        state = invitation_state(invitation, now)
        raise HandoffError(state if state != "open" else "delivered" if invitation.delivered_at else "not_recent")
    return handoff_invitation(session, invitation, service_point_id, by=officer.id)


def review_answer(session: Session, handoff: KioskHandoff, answered_at: datetime, *,
                  seconds: int = REVIEW_SECONDS) -> bool:
    """Flag a hand-off answered within `seconds` of being made (audit `kiosk.handoff_flagged`); whether it was."""
    if handoff.flagged_at is not None or (answered_at - handoff.created_at).total_seconds() > seconds:
        return False
    handoff.flagged_at, handoff.flag_reason = utcnow(), FLAG_QUICK
    audit.record(session, "device:%s" % handoff.device_id, "kiosk.handoff_flagged", "invitation",
                 handoff.invitation_id, reason=FLAG_QUICK, officer_id=handoff.created_by_id,
                 seconds=round((answered_at - handoff.created_at).total_seconds(), 1))
    return True


def open_invitations(session: Session, service_point_id: int, search: str = "", limit: int = 50, *,
                     minutes: int = RETURN_MINUTES) -> list[tuple[Invitation, Dossier]]:
    """Invitations this counter may hand off (officer_handoff's rule), newest first, optionally by dossier id."""
    query = (eligible(service_point_id, utcnow(), minutes)
             .order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(limit))
    if search.strip():
        query = query.where(Dossier.external_id.ilike("%" + search.strip().replace("%", "") + "%"))
    return [(inv, dossier) for inv, dossier in session.execute(query).all()]


@dataclass(frozen=True)
class FlaggedHandoff:
    """A hand-off flagged for review, as the devices page lists it."""

    flagged_at: datetime
    reason: str
    service_point: str
    dossier: str
    officer: str | None
    device: str | None
    seconds: float | None  # from the hand-off to the response


def flagged_handoffs(session: Session, limit: int = 50) -> list[FlaggedHandoff]:
    """The latest hand-offs flagged for review, newest first."""
    rows = session.execute(
        select(KioskHandoff, ServicePoint.code, Dossier.external_id, User.username, Device.label,
               Response.submitted_at)
        .join(ServicePoint, KioskHandoff.service_point_id == ServicePoint.id)
        .join(Invitation, KioskHandoff.invitation_id == Invitation.id)
        .outerjoin(Dossier, Invitation.dossier_id == Dossier.id)
        .outerjoin(User, KioskHandoff.created_by_id == User.id)
        .outerjoin(Device, KioskHandoff.device_id == Device.id)
        .outerjoin(Response, Response.invitation_id == KioskHandoff.invitation_id)
        .where(KioskHandoff.flagged_at.is_not(None))
        .order_by(KioskHandoff.flagged_at.desc(), KioskHandoff.id.desc()).limit(limit)).all()
    return [FlaggedHandoff(h.flagged_at, h.flag_reason or "", point, dossier or "#%d" % h.invitation_id, officer,
                           device, round((answered - h.created_at).total_seconds(), 1) if answered else None)
            for h, point, dossier, officer, device, answered in rows]


def walkup_version(session: Session, instrument: str = WALKUP_INSTRUMENT) -> QuestionnaireVersion | None:
    """The latest loaded version of the walk-up instrument, or None when the bank lacks it."""
    from survey.services.questionnaires.bank import get_version

    return get_version(session, instrument)


def client_questionnaire(version: QuestionnaireVersion) -> dict:
    """What a kiosk needs to render and submit a version (it caches this for offline use)."""
    content = version.content
    minutes, parts = duration(content)
    return {
        "version_id": version.id,
        "content_hash": version.content_hash,
        "instrument": content.get("instrument"),
        "version": content.get("version"),
        "title": content.get("title") or {},
        "description": content.get("description") or {},
        "estimated_minutes": content.get("estimated_minutes"),
        "minutes": minutes,   # computed from the questions, what the kiosk tells the citizen
        "parts": parts,
        "partial_on_timeout": (content.get("kiosk") or {}).get("partial_on_timeout", "discard"),
        "scales": content.get("scales") or {},
        "sections": content.get("sections") or [],
    }
