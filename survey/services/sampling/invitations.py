"""Invitations: single-use tokens (only hashes stored), links, QR codes, expiry and status changes.

A token exists in clear only in the moment it is issued: it is returned to the caller, who hands it
out at once (API answer, printed slip, SMS file) and `delivered_at` records that it was handed out.
A lost token cannot be recovered from its hash; `rekey` gives the invitation a fresh token instead
(the old link stops working), which is how slips and SMS files are produced after the fact.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from survey.models import Invitation
from survey.models._base import utcnow
from survey.models.fieldwork import InvitationChannel, InvitationStatus
from survey.services.common.bulk import bulk_insert, matches
from survey.services.common.tokens import hash_token, new_token
from survey.services.respond.responses import find_invitation, invitation_state

DEFAULT_TTL_DAYS = 30
OPEN_STATUSES = (InvitationStatus.ISSUED, InvitationStatus.OPENED)


@dataclass(frozen=True)
class Issued:
    """An invitation id with its token in clear (only ever held in memory)."""

    invitation_id: int
    dossier_id: int | None
    token: str


def ttl_days() -> int:
    """INVITATION_TTL_DAYS from the app config (30 outside an app context)."""
    try:
        from flask import current_app

        return int(current_app.config.get("INVITATION_TTL_DAYS", DEFAULT_TTL_DAYS))
    except RuntimeError:  # no app context (pure scripts)
        return DEFAULT_TTL_DAYS


def bulk_issue(session: Session, wave_id: int, rows: list[dict], now: datetime | None = None,
               delivered: bool = False, channel: InvitationChannel = InvitationChannel.LINK) -> list[Issued]:
    """Insert many invitations in one statement; `rows` carry dossier_id, stratum_id, pi and the cells."""
    if not rows:
        return []
    now = now or utcnow()
    expires = now + timedelta(days=ttl_days())
    tokens = [new_token() for _ in rows]
    params = [{
        "wave_id": wave_id, "stratum_id": r["stratum_id"], "dossier_id": r["dossier_id"],
        "token_hash": hash_token(t), "pi": float(r["pi"]), "agency_id": r["agency_id"],
        "sector_id": r["sector_id"], "service_point_id": r.get("service_point_id"), "outcome": r["outcome"],
        "channel": channel, "status": InvitationStatus.ISSUED, "expires_at": expires, "created_at": now,
        "delivered_at": now if delivered else None,
    } for r, t in zip(rows, tokens)]
    # executemany, then read the ids back by token hash (unique): an ordered RETURNING would insert row by row

    bulk_insert(session, Invitation.__table__, params)
    hashes = [p["token_hash"] for p in params]
    ids: dict[str, int] = {}

    for k in range(0, len(hashes), 900):
        ids.update(session.execute(select(Invitation.token_hash, Invitation.id)
                                   .where(matches(session, Invitation.token_hash, hashes[k:k + 900]))).all())
    return [Issued(ids[p["token_hash"]], r["dossier_id"], t) for p, r, t in zip(params, rows, tokens)]


def rekey(session: Session, invitations: list[Invitation], channel: InvitationChannel | None = None,
          now: datetime | None = None) -> list[Issued]:
    """Give each invitation a fresh token (the old link stops working), mark it delivered now."""
    now = now or utcnow()
    expires = now + timedelta(days=ttl_days())
    issued = []
    for inv in invitations:
        token = new_token()
        inv.token_hash = hash_token(token)
        inv.delivered_at = now
        inv.expires_at = expires
        if channel:
            inv.channel = channel
        issued.append(Issued(inv.id, inv.dossier_id, token))
    session.flush()
    return issued


def invitation_url(token: str) -> str:
    """The path citizens open: /s/<token>."""
    return f"/s/{token}"


def absolute_url(path: str, base: str | None = None) -> str:
    """PUBLIC_BASE_URL + path (what goes into QR codes, SMS texts and API answers)."""
    if base is None:
        from flask import current_app

        base = current_app.config["PUBLIC_BASE_URL"]
    return base.rstrip("/") + path


def qr_svg(url: str, scale: int = 8, inline: bool = False) -> str:
    """The QR code of a URL as SVG (error correction M, quiet zone of 4 modules).

    `inline=True` gives markup for embedding in HTML: no XML declaration and no fixed size (CSS sizes it).
    """
    qr = segno.make(url, error="m", micro=False)
    buf = io.BytesIO()
    qr.save(buf, kind="svg", scale=scale, border=4, xmldecl=not inline, svgns=True, omitsize=inline,
            dark="#000", light="#fff")
    return buf.getvalue().decode("utf-8")


def qr_png(url: str, scale: int = 8) -> bytes:
    """The QR code of a URL as PNG bytes."""
    qr = segno.make(url, error="m", micro=False)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def find_by_token(session: Session, token: str) -> Invitation | None:
    """The invitation a token belongs to, or None (the lookup is by hash; tokens are never stored)."""
    return find_invitation(session, token)


def unusable_reason(invitation: Invitation, now: datetime | None = None) -> str | None:
    """Why an invitation cannot be answered now ("completed", "expired"), or None when it can.

    The same rule as the citizen's page (responses.invitation_state); a closed wave counts as expired.
    """
    state = invitation_state(invitation, now)
    return None if state == "open" else "completed" if state == "used" else "expired"


def expire_due(session: Session, now: datetime | None = None, wave_id: int | None = None) -> int:
    """Mark every issued/opened invitation past its expiry as expired; returns how many."""
    now = now or utcnow()
    stmt = (update(Invitation).where(Invitation.status.in_(OPEN_STATUSES), Invitation.expires_at <= now)
            .values(status=InvitationStatus.EXPIRED).execution_options(synchronize_session="fetch"))
    if wave_id is not None:
        stmt = stmt.where(Invitation.wave_id == wave_id)
    return session.execute(stmt).rowcount or 0


def expire_open(session: Session, wave_id: int) -> int:
    """Expire every still-open invitation of a wave (when it closes); returns how many."""
    stmt = (update(Invitation).where(Invitation.wave_id == wave_id, Invitation.status.in_(OPEN_STATUSES))
            .values(status=InvitationStatus.EXPIRED).execution_options(synchronize_session="fetch"))
    return session.execute(stmt).rowcount or 0
