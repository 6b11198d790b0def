"""Kiosk pairing with the counter: an officer hands a sampled dossier's invitation to the next start.

A hand-off is valid for HANDOFF_MINUTES: a citizen who walks away must not leave the invitation to
whoever touches the kiosk next hours later. Claiming a hand-off is one conditional UPDATE, so two
kiosks at the same counter can never both answer it.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from survey.models import (
    Device,
    Dossier,
    Invitation,
    KioskHandoff,
    QuestionnaireVersion,
    Wave,
)
from survey.models._base import utcnow
from survey.models.fieldwork import InvitationStatus, WaveStatus
from survey.services.respond.responses import invitation_state

HANDOFF_MINUTES = 15
WALKUP_INSTRUMENT = "kiosk-quick"


class HandoffError(Exception):
    """The invitation cannot be handed to a kiosk (answered, expired, wave closed)."""


def handoff_invitation(session: Session, invitation: Invitation, service_point_id: int,
                       device_id: int | None = None) -> KioskHandoff:
    """Queue an invitation for the next start on a service point's kiosk (or one given device)."""
    state = invitation_state(invitation)
    if state != "open":
        raise HandoffError(state)
    handoff = session.scalar(select(KioskHandoff).where(KioskHandoff.invitation_id == invitation.id))
    if handoff is None:
        handoff = KioskHandoff(invitation_id=invitation.id, service_point_id=service_point_id)
        session.add(handoff)
    handoff.service_point_id, handoff.device_id = service_point_id, device_id
    handoff.created_at, handoff.consumed_at = utcnow(), None
    session.flush()
    return handoff


def next_handoff(session: Session, device: Device) -> Invitation | None:
    """Claim the oldest fresh hand-off for this device's counter; its invitation, or None."""
    since = utcnow() - timedelta(minutes=HANDOFF_MINUTES)
    candidates = session.scalars(
        select(KioskHandoff)
        .where(KioskHandoff.service_point_id == device.service_point_id,
               KioskHandoff.consumed_at.is_(None), KioskHandoff.created_at >= since,
               or_(KioskHandoff.device_id.is_(None), KioskHandoff.device_id == device.id))
        .order_by(KioskHandoff.created_at, KioskHandoff.id)
    ).all()
    for handoff in candidates:
        claimed = session.execute(
            update(KioskHandoff)
            .where(KioskHandoff.id == handoff.id, KioskHandoff.consumed_at.is_(None))
            .values(consumed_at=utcnow(), device_id=device.id)
        ).rowcount
        if claimed != 1:
            continue  # another kiosk took it a moment ago
        session.expire(handoff)
        if invitation_state(handoff.invitation) == "open":
            return handoff.invitation
    return None


def pending_handoffs(session: Session, service_point_id: int) -> list[KioskHandoff]:
    """Hand-offs still waiting for a kiosk start at a counter (newest first)."""
    since = utcnow() - timedelta(minutes=HANDOFF_MINUTES)
    return list(session.scalars(
        select(KioskHandoff).where(KioskHandoff.service_point_id == service_point_id,
                                   KioskHandoff.consumed_at.is_(None), KioskHandoff.created_at >= since)
        .order_by(KioskHandoff.created_at.desc())))


def cancel_handoff(session: Session, handoff: KioskHandoff) -> None:
    """Withdraw a hand-off nobody has started yet."""
    session.delete(handoff)
    session.flush()


def open_invitations(session: Session, service_point_id: int, search: str = "",
                     limit: int = 50) -> list[tuple[Invitation, Dossier | None]]:
    """Invitations of this counter that can still be answered, newest first, optionally by dossier id."""
    now = utcnow()
    query = (select(Invitation, Dossier).outerjoin(Dossier, Invitation.dossier_id == Dossier.id)
             .join(Wave, Invitation.wave_id == Wave.id)
             .where(Invitation.service_point_id == service_point_id,
                    Invitation.status.in_((InvitationStatus.ISSUED, InvitationStatus.OPENED)),
                    Invitation.completed_at.is_(None), Invitation.expires_at >= now, Wave.status != WaveStatus.CLOSED)
             .order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(limit))
    if search.strip():
        query = query.where(Dossier.external_id.ilike("%" + search.strip().replace("%", "") + "%"))
    return [(inv, dossier) for inv, dossier in session.execute(query).all()]


def walkup_version(session: Session, instrument: str = WALKUP_INSTRUMENT) -> QuestionnaireVersion | None:
    """The latest loaded version of the walk-up instrument, or None when the bank lacks it."""
    from survey.services.questionnaires.bank import get_version

    return get_version(session, instrument)


def client_questionnaire(version: QuestionnaireVersion) -> dict:
    """What a kiosk needs to render and submit a version (it caches this for offline use)."""
    content = version.content
    return {
        "version_id": version.id,
        "content_hash": version.content_hash,
        "instrument": content.get("instrument"),
        "version": content.get("version"),
        "title": content.get("title") or {},
        "description": content.get("description") or {},
        "estimated_minutes": content.get("estimated_minutes"),
        "partial_on_timeout": (content.get("kiosk") or {}).get("partial_on_timeout", "discard"),
        "scales": content.get("scales") or {},
        "sections": content.get("sections") or [],
    }
