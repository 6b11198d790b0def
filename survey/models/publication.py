"""Publications (the system of record of every published number) and background jobs."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import db
from survey.models._base import allowed, enum_type, utcnow


class PublicationKind(StrEnum):
    """A final publication is the public record; a provisional one describes a running wave."""

    FINAL = "final"
    PROVISIONAL = "provisional"


class Publication(db.Model):
    """One version of a wave's published index table with its frozen inputs.

    Rows are immutable: the database refuses UPDATE (and DELETE of a final version) by trigger
    (migration 0006). A restatement is a new row with `supersedes_id`, a reason and a diff.
    """

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("wave_id", "kind", "version"), allowed("kind", PublicationKind))
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    kind: Mapped[PublicationKind] = mapped_column(enum_type(PublicationKind, 16))
    version: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("publication.id"))
    method_version: Mapped[str] = mapped_column(String(32))
    code_version: Mapped[str] = mapped_column(String(64), default="")
    results: Mapped[dict[str, Any]] = mapped_column(JSON)      # the whole index table, every estimate
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)       # frozen inputs: π, counts, calibration, registry...
    diff: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # against the superseded version
    frame: Mapped[bytes] = mapped_column(LargeBinary)          # frozen per-respondent arrays (npz)
    content_hash: Mapped[str] = mapped_column(String(64))


class JobState(StrEnum):
    """Where a background job is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    """A long task (export, publication, slip bundle) run in the background, with its progress."""

    __tablename__ = "job"
    __table_args__ = (allowed("state", JobState),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[JobState] = mapped_column(enum_type(JobState, 16), default=JobState.QUEUED)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    file_path: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
