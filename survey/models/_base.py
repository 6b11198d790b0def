"""Shared column helpers for the models: timestamps, enum columns and the CHECKs behind them."""
from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum


def utcnow() -> datetime:
    """Naive UTC now: every timestamp in the database is naive UTC (SQLite keeps no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def enum_type(enum: type[StrEnum], length: int) -> Enum:
    """A VARCHAR(length) holding an enum's values, read back as its members.

    Not a native enum type and no CHECK of its own: the allowed values are a named CHECK
    (`allowed`), the same on SQLite and PostgreSQL, so a new value is one migration.
    """
    return Enum(enum, native_enum=False, length=length, values_callable=_values)


def allowed(column: str, enum: type[StrEnum]) -> CheckConstraint:
    """CHECK (column IN (the enum's values)), named ck_<table>_<column> by the naming convention."""
    values = ", ".join(f"'{value}'" for value in _values(enum))
    return CheckConstraint(f"{column} IN ({values})", name=column)


def probability(column: str) -> CheckConstraint:
    """CHECK (0 < column <= 1) for an inclusion probability: with π = 0 a unit is never sampled and 1/π,
    its weight, is undefined."""
    return CheckConstraint(f"{column} > 0 AND {column} <= 1", name=column)
