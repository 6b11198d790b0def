"""A hand-off's life on the kiosk: claimed at a start, given back by Back or idling, answered, released.

A hand-off is WAITING until a kiosk of its counter starts it (IN_PROGRESS, that device). Back on the
first screen, or the idle reset before anything was stored, gives it back (WAITING again, its wait
starting afresh), so the sampled citizen who tapped Back by mistake still answers their own dossier
and the answer stays in the probability sample. It ends ANSWERED when its response is stored, or
RELEASED by the officer or by a timeout: WAIT_MINUTES without a start (KIOSK_HANDOFF_MINUTES), or
PROGRESS_MINUTES after a start with no answer (KIOSK_HANDOFF_PROGRESS_MINUTES: the tablet crashed or
was switched off mid-survey). A timed-out hand-off is shown as released at once and written as
released by the next write at its counter (a claim or an officer's action).

Claiming is one conditional UPDATE, so two kiosks at the same counter never both start it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from survey.models import Device, Invitation, KioskHandoff, User
from survey.models._base import utcnow
from survey.models.fieldwork import HandoffState
from survey.services.respond.responses import invitation_state

WAIT_MINUTES = 15       # KIOSK_HANDOFF_MINUTES: waiting this long without a start → released
PROGRESS_MINUTES = 60   # KIOSK_HANDOFF_PROGRESS_MINUTES: started this long ago, no answer → released
RECENT_HOURS = 8        # the officer's page lists the hand-offs of the last shift
LIVE = (HandoffState.WAITING, HandoffState.IN_PROGRESS)


def _stale(now: datetime, wait: int, progress: int):
    """SQL: a live hand-off whose timeout has passed."""
    return or_(and_(KioskHandoff.state == HandoffState.WAITING, KioskHandoff.state_at < now - timedelta(minutes=wait)),
               and_(KioskHandoff.state == HandoffState.IN_PROGRESS,
                    KioskHandoff.state_at < now - timedelta(minutes=progress)))


def effective_state(handoff: KioskHandoff, now: datetime | None = None, *, wait: int = WAIT_MINUTES,
                    progress: int = PROGRESS_MINUTES) -> HandoffState:
    """The state as the officer should see it now: a timed-out one is released, an answered invitation answered."""
    now = now or utcnow()
    if handoff.state in LIVE and handoff.invitation.completed_at is not None:
        return HandoffState.ANSWERED  # answered another way (e.g. its link), or the store is not yet marked
    if handoff.state == HandoffState.WAITING and handoff.state_at < now - timedelta(minutes=wait):
        return HandoffState.RELEASED
    if handoff.state == HandoffState.IN_PROGRESS and handoff.state_at < now - timedelta(minutes=progress):
        return HandoffState.RELEASED
    return handoff.state


def sweep(session: Session, service_point_id: int, *, wait: int = WAIT_MINUTES, progress: int = PROGRESS_MINUTES,
          now: datetime | None = None) -> int:
    """Write the timed-out hand-offs of a counter as released (by nobody: the timeout); how many."""
    now = now or utcnow()
    return session.execute(
        update(KioskHandoff).where(KioskHandoff.service_point_id == service_point_id, _stale(now, wait, progress))
        .values(state=HandoffState.RELEASED, state_at=now, released_at=now, released_by_id=None)
        .execution_options(synchronize_session=False)).rowcount


def _set(session: Session, handoff_id: int, where: tuple, **values) -> bool:
    """One conditional UPDATE of a hand-off; whether it applied (the condition held)."""
    done = session.execute(update(KioskHandoff).where(KioskHandoff.id == handoff_id, *where)
                           .values(state_at=utcnow(), **values)
                           .execution_options(synchronize_session=False)).rowcount == 1
    if done:
        handoff = session.get(KioskHandoff, handoff_id)
        if handoff is not None:
            session.expire(handoff)
    return done


def claim(session: Session, device: Device, *, wait: int = WAIT_MINUTES,
          progress: int = PROGRESS_MINUTES) -> KioskHandoff | None:
    """A start on this device: the hand-off it already holds (its page was reloaded, or giving it back
    failed), else the oldest waiting one of its counter; None for a walk-up."""
    now = utcnow()
    sweep(session, device.service_point_id, wait=wait, progress=progress, now=now)
    held = session.scalars(
        select(KioskHandoff).where(KioskHandoff.device_id == device.id, KioskHandoff.state == HandoffState.IN_PROGRESS)
        .order_by(KioskHandoff.state_at.desc())).all()
    waiting = session.scalars(
        select(KioskHandoff).where(KioskHandoff.service_point_id == device.service_point_id,
                                   KioskHandoff.state == HandoffState.WAITING)
        .order_by(KioskHandoff.state_at, KioskHandoff.id)).all()
    for handoff in held:
        if invitation_state(handoff.invitation) == "open" and _set(
                session, handoff.id, (KioskHandoff.state == HandoffState.IN_PROGRESS,), consumed_at=now):
            return handoff
    for handoff in waiting:
        if not _set(session, handoff.id, (KioskHandoff.state == HandoffState.WAITING,),
                    state=HandoffState.IN_PROGRESS, consumed_at=now, device_id=device.id):
            continue  # another kiosk took it a moment ago
        if invitation_state(handoff.invitation) == "open":
            return handoff
        _set(session, handoff.id, (), state=HandoffState.RELEASED, released_at=now)  # answered or expired meanwhile
    return None


def give_back(session: Session, handoff_id: int, device_id: int) -> bool:
    """The citizen left before anything was stored (Back on the first screen, idle reset): waiting again."""
    return _set(session, handoff_id, (KioskHandoff.device_id == device_id,
                                      KioskHandoff.state == HandoffState.IN_PROGRESS),
                state=HandoffState.WAITING, consumed_at=None, device_id=None)


def mark_answered(session: Session, handoff: KioskHandoff, at: datetime) -> None:
    """Its response is stored (complete or partial): answered, whatever it was before."""
    if handoff.state != HandoffState.ANSWERED:
        handoff.state, handoff.state_at, handoff.answered_at = HandoffState.ANSWERED, utcnow(), at
        session.flush()


def release(session: Session, handoff: KioskHandoff, officer: User | None) -> bool:
    """The officer withdraws a waiting or started hand-off; whether it was still live.

    A kiosk still answering it may send the answers afterwards: they are stored (the sampled citizen
    answered) and the hand-off becomes answered.
    """
    return _set(session, handoff.id, (KioskHandoff.state.in_(LIVE),), state=HandoffState.RELEASED,
                released_at=utcnow(), released_by_id=officer.id if officer else None)


def recent(session: Session, service_point_id: int, *, hours: int = RECENT_HOURS,
           limit: int = 30) -> list[KioskHandoff]:
    """A counter's hand-offs of the last `hours` (newest first), for the officer's page."""
    since = utcnow() - timedelta(hours=hours)
    return list(session.scalars(
        select(KioskHandoff).join(Invitation, KioskHandoff.invitation_id == Invitation.id)
        .where(KioskHandoff.service_point_id == service_point_id,
               or_(KioskHandoff.created_at >= since, KioskHandoff.state_at >= since, KioskHandoff.state.in_(LIVE)))
        .order_by(KioskHandoff.created_at.desc(), KioskHandoff.id.desc()).limit(limit)))
