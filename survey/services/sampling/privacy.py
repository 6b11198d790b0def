"""Privacy operations on a wave: purge contact data; after closing, cut the response–dossier link and erase the seed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from survey.models import Dossier, DossierContact, Invitation, Wave
from survey.models._base import utcnow
from survey.models.fieldwork import WaveStatus
from survey.services.common.periods import period_bounds
from survey.services.sampling import frames
from survey.services.sampling.waves import WaveError


def purge_contacts(session: Session, wave: Wave, now: datetime | None = None) -> int:
    """Delete the phone numbers of the wave's dossiers (its period's and its invited ones); returns how many."""
    lo, hi = period_bounds(wave.period_start, wave.period_end, wave.design.get("timezone"))
    # Only the wave's frame: purging a procedure wave must not take the phones a hospital wave still needs.
    in_period = select(Dossier.id).where(Dossier.completed_at >= lo, Dossier.completed_at < hi,
                                         *frames.where(frames.frame_of(wave.design), Dossier))
    invited = select(Invitation.dossier_id).where(Invitation.wave_id == wave.id, Invitation.dossier_id.is_not(None))
    result = session.execute(
        delete(DossierContact).where(or_(DossierContact.dossier_id.in_(in_period),
                                         DossierContact.dossier_id.in_(invited)))
        .execution_options(synchronize_session=False))
    wave.contacts_purged_at = now or utcnow()
    session.flush()
    return result.rowcount or 0


def anonymise(session: Session, wave: Wave, forget_seed: bool = True, now: datetime | None = None) -> int:
    """After closing: drop Invitation.dossier_id, coarsen invitation times to the day, purge contacts, erase the seed.

    What the weights need stays on each invitation: stratum, π, agency, sector, service point, outcome;
    the strata keep their dossier counts. The seed goes too, always: selection is HMAC(seed, dossier id),
    so anyone holding the seed and the period's dossier list could re-derive who was invited, which is
    the link anonymisation cuts. The sample can then no longer be re-derived (the audit says so).
    `forget_seed` is accepted for callers that still pass it and changes nothing: keeping the seed of an
    anonymised wave is not an option. Returns how many invitations were unlinked.
    """
    if wave.status != WaveStatus.CLOSED:
        raise WaveError("not_closed")
    now = now or utcnow()
    purge_contacts(session, wave, now)
    rows = session.execute(select(Invitation.id, Invitation.created_at, Invitation.delivered_at,
                                  Invitation.expires_at).where(Invitation.wave_id == wave.id)).all()
    # Times are rounded to the day: an exact creation time would match the dossier's arrival time.
    params = [{"id": r.id, "dossier_id": None, "created_at": _day(r.created_at), "delivered_at": _day(r.delivered_at),
               "expires_at": _day(r.expires_at)} for r in rows]
    unlinked = session.execute(select(Invitation.id).where(Invitation.wave_id == wave.id,
                                                           Invitation.dossier_id.is_not(None))).all()
    if params:
        session.execute(update(Invitation), params)
    # "" rather than a hash: a seed someone chose by hand could be found again from its hash.
    wave.seed = ""
    wave.anonymised_at = now
    session.flush()
    return len(unlinked)


def _day(value: datetime | None) -> datetime | None:
    return value.replace(hour=0, minute=0, second=0, microsecond=0) if value else None
