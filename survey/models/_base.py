"""Shared column helpers for the models."""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC now: every timestamp in the database is naive UTC (SQLite keeps no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)
