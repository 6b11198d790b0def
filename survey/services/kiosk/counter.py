"""What an officer does at the counter besides a hand-off: print the dossier's slip, answer a kiosk's call.

Printing gives the invitation a fresh token (sampling.invitations.rekey; the token exists in clear only
now) and marks it delivered on the QR channel: the citizen takes the slip home, so the kiosk can no
longer be handed that invitation (handoff.py's rule). A waiting hand-off of it is released first; one a
kiosk is answering right now is refused. The same slip can be printed again while nobody has opened
it (the paper jammed): the earlier print's link stops working.

A kiosk's "Gọi nhân viên" (call staff) is an audit entry `kiosk.call_staff`; the counter's officer
sees it on the hand-off page until someone answers it (`kiosk.call_answered`) or CALL_MINUTES pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import AuditLog, Device, Dossier, Invitation, KioskHandoff, User
from survey.models._base import utcnow
from survey.models.fieldwork import HandoffState, InvitationChannel
from survey.services.common import audit
from survey.services.kiosk import claims
from survey.services.kiosk.handoff import RETURN_MINUTES, HandoffError, eligible
from survey.services.respond.responses import invitation_state
from survey.services.sampling.invitations import Issued, rekey

PRINTED = "kiosk.slip_printed"
CALL, CALL_ANSWERED = "kiosk.call_staff", "kiosk.call_answered"
CALL_MINUTES = 15


def _printed_here(session: Session, invitation_ids: list[int]) -> set[int]:
    """Which of these invitations had a slip printed from a counter's hand-off page."""
    if not invitation_ids:
        return set()
    rows = session.scalars(select(AuditLog.target_id).where(
        AuditLog.action == PRINTED, AuditLog.target_type == "invitation",
        AuditLog.target_id.in_([str(i) for i in invitation_ids])))
    return {int(r) for r in rows}


def reprintable(session: Session, service_point_id: int, *, minutes: int = RETURN_MINUTES,
                limit: int = 20) -> list[tuple[Invitation, Dossier]]:
    """Slips printed at this counter within `minutes` that nobody has opened yet (newest first)."""
    now = utcnow()
    rows = session.execute(
        select(Invitation, Dossier).join(Dossier, Invitation.dossier_id == Dossier.id)
        .where(Invitation.service_point_id == service_point_id, Dossier.service_point_id == service_point_id,
               Invitation.channel == InvitationChannel.QR, Invitation.delivered_at >= now - timedelta(minutes=minutes),
               Invitation.opened_at.is_(None), Invitation.completed_at.is_(None), Invitation.expires_at >= now)
        .order_by(Invitation.delivered_at.desc()).limit(limit)).all()
    printed = _printed_here(session, [inv.id for inv, _d in rows])
    return [(inv, dossier) for inv, dossier in rows if inv.id in printed]


def print_slip(session: Session, officer: User, invitation: Invitation, service_point_id: int, fmt: str, *,
               minutes: int = RETURN_MINUTES) -> Issued:
    """A fresh token for the dossier's slip (HandoffError when it may not be printed here: its state,
    `delivered` by another channel, `not_recent`, or `in_progress` on the kiosk)."""
    now = utcnow()
    fresh = session.scalar(eligible(service_point_id, now, minutes).where(Invitation.id == invitation.id))
    again = any(inv.id == invitation.id for inv, _d in reprintable(session, service_point_id, minutes=minutes))
    if fresh is None and not again:
        state = invitation_state(invitation, now)
        raise HandoffError(state if state != "open" else "delivered" if invitation.delivered_at else "not_recent")
    handoff = session.scalar(select(KioskHandoff).where(KioskHandoff.invitation_id == invitation.id))
    if handoff is not None and handoff.state in claims.LIVE:
        if claims.effective_state(handoff, now) == HandoffState.IN_PROGRESS:
            raise HandoffError("in_progress")
        claims.release(session, handoff, officer)
    [issued] = rekey(session, [invitation], channel=InvitationChannel.QR, now=now)
    audit.record(session, officer, PRINTED, "invitation", invitation.id, format=fmt, reprint=again)
    return issued


@dataclass(frozen=True)
class Call:
    """A kiosk of the counter asking for staff."""

    device_id: int
    label: str
    at: datetime


def open_calls(session: Session, service_point_id: int, *, minutes: int = CALL_MINUTES) -> list[Call]:
    """The counter's kiosks that called staff within `minutes` and were not answered since (oldest first)."""
    devices = {d.id: d.label
               for d in session.scalars(select(Device).where(Device.service_point_id == service_point_id))}
    if not devices:
        return []
    entries = session.execute(
        select(AuditLog.target_id, AuditLog.action, AuditLog.at)
        .where(AuditLog.action.in_((CALL, CALL_ANSWERED)), AuditLog.target_type == "device",
               AuditLog.target_id.in_([str(i) for i in devices]), AuditLog.at >= utcnow() - timedelta(minutes=minutes))
        .order_by(AuditLog.at, AuditLog.id)).all()
    latest: dict[int, tuple[str, datetime]] = {}
    for target, action, at in entries:
        latest[int(target)] = (action, at)
    return sorted((Call(i, devices[i], at) for i, (action, at) in latest.items() if action == CALL),
                  key=lambda c: c.at)


def answer_call(session: Session, officer: User, device: Device) -> None:
    """The officer went to the kiosk: its call is answered (audit `kiosk.call_answered`)."""
    audit.record(session, officer, CALL_ANSWERED, "device", device.id)
