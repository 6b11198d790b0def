"""Unguessable single-use tokens and secrets: only their hashes are stored."""
from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 18  # 144 bits of entropy (≥ 128 as required), 24 URL-safe characters


def new_token() -> str:
    """A fresh URL-safe random token (invitation links, device credentials, API keys)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """SHA-256 hex of a high-entropy token; enough because such tokens cannot be brute-forced."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_hash(token: str, stored_hash: str) -> bool:
    """Constant-time comparison of a token with a stored hash."""
    return hmac.compare_digest(hash_token(token), stored_hash)


def new_short_code(length: int = 8) -> str:
    """A short human-typeable code (enrolment codes), from an alphabet without look-alikes."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))
