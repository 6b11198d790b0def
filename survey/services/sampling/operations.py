"""A wave's life as administrators run it (admin pages and `hailong wave`), each step with its audit row.

`actor` is the User taking the step, or a string such as "cli". Every function flushes and never
commits; the caller's run_write commits once. Wave rules raise waves.WaveError (codes for
waves.error_message).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from survey.models import Invitation, Wave
from survey.services.common import audit
from survey.services.sampling import audit as wave_audit
from survey.services.sampling import invitations as inv_service
from survey.services.sampling import privacy, waves


def create(session: Session, actor: Any, **design: Any) -> Wave:
    """A draft wave planned from the previous period (arguments of waves.create_wave); logs `wave.create`."""
    wave = waves.create_wave(session, **design)
    audit.record(session, actor, "wave.create", "wave", wave.code, design=wave.design)
    return wave


def update(session: Session, actor: Any, wave: Wave, **design: Any) -> dict[str, list]:
    """Edit a draft wave (arguments of waves.update_wave); logs `wave.update` with what changed, if anything did."""
    changes = waves.update_wave(session, wave, **design)
    if changes:
        audit.record(session, actor, "wave.update", "wave", wave.code, changes=changes)
    return changes


def delete(session: Session, actor: Any, wave: Wave) -> dict:
    """Delete a draft wave nothing points at yet (`wave.delete`, with its name and period); returns them."""
    gone = waves.delete_wave(session, wave)
    audit.record(session, actor, "wave.delete", "wave", gone["code"], **gone)
    return gone


def override_stratum(session: Session, actor: Any, wave: Wave, key: str, *, pi: float | None = None,
                     target_n: int | None = None) -> None:
    """Fix one stratum's π or target (both None: the wave-wide rule) of a draft wave; logs `wave.stratum`."""
    waves.set_override(session, wave, key, pi=pi, target_n=target_n)
    audit.record(session, actor, "wave.stratum", "wave", wave.code, key=key, pi=pi, target_n=target_n)


def launch(session: Session, actor: Any, wave: Wave, *, deliver: bool = False) -> list[inv_service.Issued]:
    """Launch (or catch up) a wave; logs `wave.launch`; returns the new invitations with their tokens."""
    issued = waves.launch(session, wave, deliver=deliver)
    audit.record(session, actor, "wave.launch", "wave", wave.code, invitations=len(issued))
    return issued


def close(session: Session, actor: Any, wave: Wave) -> int:
    """Close a running wave (`wave.close`); returns how many open invitations expired."""
    expired = waves.close(session, wave)
    audit.record(session, actor, "wave.close", "wave", wave.code, expired=expired)
    return expired


def purge_contacts(session: Session, actor: Any, wave: Wave) -> int:
    """Delete the phone numbers of the wave's dossiers (`wave.purge_contacts`); returns how many."""
    deleted = privacy.purge_contacts(session, wave)
    audit.record(session, actor, "wave.purge_contacts", "wave", wave.code, deleted=deleted)
    return deleted


def anonymise(session: Session, actor: Any, wave: Wave) -> int:
    """Cut a closed wave's invitation–dossier links and erase its seed (`wave.anonymise`); returns how many were cut."""
    unlinked = privacy.anonymise(session, wave)
    audit.record(session, actor, "wave.anonymise", "wave", wave.code, unlinked=unlinked, seed_erased=True)
    return unlinked


def check_sample(session: Session, actor: Any, wave: Wave) -> wave_audit.AuditReport:
    """Re-derive the sample from the seed and compare with the stored invitations (`wave.audit`)."""
    report = wave_audit.audit(session, wave)
    audit.record(session, actor, "wave.audit", "wave", wave.code, ok=report.ok,
                 discrepancies=len(report.discrepancies))
    return report


def hand_out(session: Session, actor: Any, wave: Wave, invitations: list[Invitation], action: str, *,
             channel: Any = None, **details: Any) -> list[inv_service.Issued]:
    """Fresh tokens for invitations about to be delivered (old links stop working); logs `action`."""
    issued = inv_service.rekey(session, invitations, channel=channel)
    audit.record(session, actor, action, "wave", wave.code, invitations=len(issued), **details)
    return issued
