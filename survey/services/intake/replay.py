"""Sealed intake answers: a retried batch gets the answer (and the invitation tokens) of its first run.

A client whose connection dropped after the commit resends the batch; run again, it would only say
"unchanged" without the tokens, which looks like "not selected". So each answer is kept for KEEP_FOR,
encrypted (Fernet, with a key derived from SECRET_KEY: the database alone does not reveal a token), and
found again by the Idempotency-Key header or else by the hash of the records.

A stored answer is only replayed to a key with the same scope (the scope is part of the fingerprint and
of the sealed text): tokens never reach a key that may not send those dossiers.
"""
from __future__ import annotations

import base64
import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from survey.models import IntakeRequest

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 128  # the column's width


@dataclass(frozen=True)
class Call:
    """What identifies an intake call: the source, its Idempotency-Key (if any), the records, the key's scope."""

    source_id: int
    idempotency_key: str | None
    body: str    # sha256 of the records, canonical JSON
    scope: str   # survey.services.intake.scopes.signature of the sending key

    @property
    def fingerprint(self) -> str:
        """The stored body_hash: records and scope together (unique per source)."""
        return hashlib.sha256(f"{self.scope}\n{self.body}".encode("ascii")).hexdigest()


class Mismatch:
    """The Idempotency-Key was used before for other records (a client bug: answered 422)."""


MISMATCH = Mismatch()


def body_hash(records: list) -> str:
    """sha256 of the records as canonical JSON (key order and spacing do not matter)."""
    text = json.dumps(records, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"hailong intake answers v1").derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str, call: Call, answer: dict) -> str:
    """The answer encrypted, with what it answered (records hash, scope)."""
    payload = {"body": call.body, "scope": call.scope, "answer": answer}
    # Compressed first: a thousand results repeat the same URLs, and the row is kept for a day.
    plain = zlib.compress(json.dumps(payload, ensure_ascii=True).encode("ascii"))
    return _fernet(secret).encrypt(plain).decode("ascii")


def unseal(secret: str, sealed: str) -> dict | None:
    """The sealed payload, or None when it cannot be read (SECRET_KEY changed, damaged row)."""
    try:
        return json.loads(zlib.decompress(_fernet(secret).decrypt(sealed.encode("ascii"))))
    except (InvalidToken, ValueError, zlib.error):
        return None


def replay(session: Session, secret: str, call: Call, now: datetime) -> dict | Mismatch | None:
    """The first answer to this call, MISMATCH (same key, other records), or None (run the batch)."""
    alive = (IntakeRequest.source_system_id == call.source_id, IntakeRequest.expires_at > now)
    if call.idempotency_key is not None:
        row = session.scalar(select(IntakeRequest).where(*alive,
                                                         IntakeRequest.idempotency_key == call.idempotency_key))
        if row is not None:
            payload = unseal(secret, row.answer_sealed)
            if payload is None or payload["scope"] != call.scope:
                # Unreadable, or the key's scope changed since: run the batch again under the new scope.
                session.delete(row)
                session.flush()
            elif payload["body"] != call.body:
                return MISMATCH
            else:
                return payload["answer"]
    row = session.scalar(select(IntakeRequest).where(*alive, IntakeRequest.body_hash == call.fingerprint))
    if row is None:
        return None
    payload = unseal(secret, row.answer_sealed)
    if payload is None:
        session.delete(row)
        session.flush()
        return None
    return payload["answer"]


def keep(session: Session, secret: str, call: Call, answer: dict, now: datetime) -> None:
    """Store the answer for KEEP_FOR (a concurrent identical call then loses on the unique keys and replays).

    Purges the source's expired answers first (the table holds about a day of calls), at the end of the
    unit of work: concurrent batches of the source wait on each other's purge only until the commit.
    """
    session.execute(delete(IntakeRequest).where(IntakeRequest.source_system_id == call.source_id,
                                                IntakeRequest.expires_at <= now))
    session.add(IntakeRequest(source_system_id=call.source_id, idempotency_key=call.idempotency_key,
                              body_hash=call.fingerprint, answer_sealed=seal(secret, call, answer), created_at=now,
                              expires_at=now + KEEP_FOR))
    session.flush()
