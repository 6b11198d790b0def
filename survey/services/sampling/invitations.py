"""Invitations: single-use tokens (only hashes stored), links, QR codes, expiry and status changes.

A token exists in clear only in the moment it is issued: it is returned to the caller, who hands it
out at once (API answer, printed slip, SMS file) and `delivered_at` records that it was handed out.
A lost token cannot be recovered from its hash; `rekey` gives the invitation a fresh token instead
(the old link stops working), which is how slips and SMS files are produced after the fact.

Each token comes with a short code a person can type (8 characters, no 0/O, 1/I/L, shown ABCD-EFGH):
a function of the token, so whoever holds the token (a slip printed later) knows the code too. The
database keeps the code's hash (unique: a token whose code is taken is drawn again) and the token
sealed with a key derived from the code, so that the code alone leads to /s/<token>. A code has about
40 bits: unguessable only because guesses are rate-limited (survey/web/main/views.py), whereas the
token's 144 bits need no limit; a stolen database lets one recover codes offline, which gives no more
than the codes do (answering those surveys), as a stolen token hash would not.
"""
from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
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

    @property
    def code(self) -> str:
        """The invitation's short code (derived from the token)."""
        return short_code(self.token)


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
    tokens = fresh_tokens(session, len(rows))
    params = [{
        "wave_id": wave_id, "stratum_id": r["stratum_id"], "dossier_id": r["dossier_id"],
        "token_hash": hash_token(t), **code_columns(t), "pi": float(r["pi"]), "agency_id": r["agency_id"],
        "sector_id": r["sector_id"], "service_point_id": r.get("service_point_id"), "outcome": r["outcome"],
        "channel": channel, "status": InvitationStatus.ISSUED, "expires_at": expires, "created_at": now,
        "delivered_at": now if delivered else None, "event_type": r.get("event_type"),
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
          now: datetime | None = None, tokens: list[str] | None = None) -> list[Issued]:
    """Give each invitation a fresh token (the old link stops working), mark it delivered now.

    `tokens`: drawn beforehand with fresh_tokens (the bundle job writes its files before it re-keys).
    """
    now = now or utcnow()
    expires = now + timedelta(days=ttl_days())
    issued = []
    for inv, token in zip(invitations, tokens or fresh_tokens(session, len(invitations)), strict=True):
        inv.token_hash = hash_token(token)
        codes = code_columns(token)
        inv.code_hash, inv.code_box = codes["code_hash"], codes["code_box"]
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


def code_url(code: str) -> str:
    """The short path an SMS carries: /m/<ABCD-EFGH> (it redirects to the invitation's /s/<token>)."""
    return f"/m/{display_code(code)}"


# 31 symbols: the digits and capitals without 0/O, 1/I/L, which people mistake for one another.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
_CODE_SPACE = len(CODE_ALPHABET) ** CODE_LENGTH  # about 8.5e11 (39.6 bits)
_SEPARATORS = re.compile(r"[\s\-–—._/]+")


def short_code(token: str) -> str:
    """The 8-character code of a token (its hash in the code alphabet): the same token, the same code."""
    n = int.from_bytes(hashlib.sha256(b"hailong-short-code\0" + token.encode("utf-8")).digest()[:8], "big")
    n %= _CODE_SPACE  # 2^64 over 31^8 leaves a bias of under 1e-7: immaterial
    chars = []
    for _ in range(CODE_LENGTH):
        n, digit = divmod(n, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[digit])
    return "".join(chars)


def display_code(code: str) -> str:
    """A code as printed: two groups of four, ABCD-EFGH."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_code(text: str | None) -> str | None:
    """What a person typed as a code (any case, spaces or dashes), or None when it cannot be one."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    code = _SEPARATORS.sub("", text).upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def code_hash(code: str) -> str:
    """What the database keeps of a code (SHA-256 hex, in its own domain so it never equals a token hash)."""
    return hashlib.sha256(b"hailong-code\0" + code.encode("ascii")).hexdigest()


def _keystream(code: str, length: int) -> bytes:
    return hashlib.shake_256(b"hailong-code-box\0" + code.encode("ascii")).digest(length)


def code_columns(token: str) -> dict[str, str]:
    """code_hash and code_box (the token sealed with its code: XOR with a stream drawn from the code) of a token."""
    code, raw = short_code(token), token.encode("utf-8")
    box = bytes(a ^ b for a, b in zip(raw, _keystream(code, len(raw)), strict=True))
    return {"code_hash": code_hash(code), "code_box": box.hex()}


def fresh_tokens(session: Session, n: int, draw: Callable[[], str] = new_token) -> list[str]:
    """n new tokens whose codes no invitation holds (nor one another): a taken code means a new token.

    With 1e6 invitations stored a new code is taken about once in 850 000 draws; `draw` makes tokens.
    """
    tokens: list[str] = []
    while len(tokens) < n:
        batch = {code_hash(short_code(t)): t for t in (draw() for _ in range(n - len(tokens)))}
        for t in tokens:
            batch.pop(code_hash(short_code(t)), None)
        hashes = list(batch)
        for k in range(0, len(hashes), 900):
            taken = session.execute(select(Invitation.code_hash)
                                    .where(matches(session, Invitation.code_hash, hashes[k:k + 900]))).scalars()
            for h in taken:
                batch.pop(h, None)
        tokens.extend(batch.values())
    return tokens


def find_by_code(session: Session, text: str | None) -> tuple[Invitation, str] | None:
    """The invitation of a typed code and its token in clear, or None (not a code, or nobody's)."""
    code = normalize_code(text)
    if code is None:
        return None
    inv = session.scalar(select(Invitation).where(Invitation.code_hash == code_hash(code)))
    if inv is None or not inv.code_box:
        return None
    box = bytes.fromhex(inv.code_box)
    token = bytes(a ^ b for a, b in zip(box, _keystream(code, len(box)), strict=True)).decode("utf-8", "replace")
    return (inv, token) if hash_token(token) == inv.token_hash else None


def code_of(invitation: Invitation, token: str) -> str | None:
    """The short code that works for this invitation and token, or None (issued before codes existed)."""
    code = short_code(token)
    return code if invitation.code_hash == code_hash(code) else None


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
