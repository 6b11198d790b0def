"""QĐ 766 aggregate: per-dossier ratings and dossier events, as the one-stop software reports them.

Both come from a source system with the source's own id (external_id, unique per source), so a resend
of the same rating or event is recognised and changes nothing (survey.services.qd766.ingest). The
766-style satisfaction score is computed from them and the dossiers (survey.services.qd766.score).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models._base import allowed, enum_type, utcnow
from survey.models.fieldwork import Dossier

SCORE_MAX = 18  # the dossier-eval questionnaire: nine criteria of 0, 1 or 2 points


class RatingLevel(StrEnum):
    """The citizen's verdict on one dossier, as the public service portals ask it (three levels)."""

    SATISFIED = "satisfied"  # hài lòng (also "rất hài lòng" where a portal asks four levels)
    NORMAL = "normal"  # bình thường
    NOT_SATISFIED = "not_satisfied"  # không hài lòng


class DossierEventKind(StrEnum):
    """What happened to a dossier that the 766 score counts."""

    ON_TIME = "on_time"  # settled on or before the due date
    OVERDUE = "overdue"  # settled (or still open) after the due date
    APOLOGY_LETTER = "apology_letter"  # thư xin lỗi for an overdue dossier
    PETITION = "petition"  # phản ánh, kiến nghị about the dossier


RATING_LEVELS = tuple(level.value for level in RatingLevel)
EVENT_KINDS = tuple(kind.value for kind in DossierEventKind)


class DossierRating(db.Model):
    """One per-dossier rating: the three-level verdict, the dossier-eval 0–18 score, or both."""

    __tablename__ = "dossier_rating"
    __table_args__ = (
        UniqueConstraint("source_system_id", "external_id"),
        allowed("level", RatingLevel),
        CheckConstraint("level IS NOT NULL OR score IS NOT NULL", name="rated"),
        CheckConstraint(f"score IS NULL OR (score >= 0 AND score <= {SCORE_MAX})", name="score"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_system_id: Mapped[int] = mapped_column(ForeignKey("source_system.id"))
    external_id: Mapped[str] = mapped_column(String(128))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"), index=True)
    rated_at: Mapped[datetime]
    level: Mapped[RatingLevel | None] = mapped_column(enum_type(RatingLevel, 16))
    score: Mapped[int | None]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dossier: Mapped[Dossier] = relationship()


class DossierEvent(db.Model):
    """One dossier event: on time / overdue, an apology letter, a petition (phản ánh kiến nghị)."""

    __tablename__ = "dossier_event"
    __table_args__ = (UniqueConstraint("source_system_id", "external_id"), allowed("kind", DossierEventKind))
    id: Mapped[int] = mapped_column(primary_key=True)
    source_system_id: Mapped[int] = mapped_column(ForeignKey("source_system.id"))
    external_id: Mapped[str] = mapped_column(String(128))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DossierEventKind] = mapped_column(enum_type(DossierEventKind, 16))
    at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dossier: Mapped[Dossier] = relationship()
