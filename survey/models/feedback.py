"""What citizens say and what is done about it: comments (redacted on write), themes, feedback cases.

The answer table keeps the redacted text too (every page and export reads that); the raw text lives
apart in `comment_raw` (only where redaction changed it: no row means the text is as typed), read only
by an administrator (each read audited) and purgeable. A contact
phone given for a call-back ("Tôi muốn được liên hệ lại") lives in `contact_request`, like
invitation contacts, and is purged when its case closes.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models._base import allowed, enum_type, utcnow


class Comment(db.Model):
    """One free-text answer (open comment or "other" text) of a response, redacted, with where and when."""

    __tablename__ = "comment"
    __table_args__ = (
        UniqueConstraint("response_id", "item_code"),
        Index("ix_comment_agency_day", "agency_id", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    item_code: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)                   # redacted: what everyone but an admin reads
    folded: Mapped[str] = mapped_column(Text)                 # lower-case, no diacritics: search ignores them
    redactions: Mapped[int] = mapped_column(default=0)        # how many spans were replaced
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_point.id"), index=True)
    day: Mapped[date]                                         # local day only, never the time
    overall: Mapped[int | None]                               # the respondent's overall rating, when asked
    probability_sample: Mapped[bool] = mapped_column(default=True)
    tagged_at: Mapped[datetime | None]                        # when themes were suggested for it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    raw: Mapped[CommentRaw | None] = relationship(cascade="all, delete-orphan", uselist=False)


class CommentRaw(db.Model):
    """The text exactly as typed, kept apart for an administrator until purged."""

    __tablename__ = "comment_raw"
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class Theme(db.Model):
    """A tag the province edits (e.g. "Thái độ cán bộ"); keywords suggest it automatically."""

    __tablename__ = "comment_theme"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="", server_default="")
    keywords: Mapped[str] = mapped_column(Text, default="", server_default="")  # one per line, folded when matched
    complaint: Mapped[bool] = mapped_column(default=False, server_default=false())  # tagging it may open a case
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentTag(db.Model):
    """A theme on a comment, suggested by keywords (auto) or set by a person."""

    __tablename__ = "comment_tag"
    __table_args__ = (UniqueConstraint("comment_id", "theme_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("comment_theme.id", ondelete="CASCADE"), index=True)
    auto: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    theme: Mapped[Theme] = relationship()


class CaseRuleKind(StrEnum):
    """What opens a feedback case."""

    OVERALL_LOW = "overall_low"    # the overall rating ≤ threshold
    ITEM_LOW = "item_low"          # any index item ≤ threshold
    COMPLAINT = "complaint"        # a comment tagged with a complaint theme


class CaseStatus(StrEnum):
    """Where a feedback case is: new → acknowledged → resolved / not actionable."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    NOT_ACTIONABLE = "not_actionable"


class CaseRule(db.Model):
    """A rule of one questionnaire that opens a case of a type, due within sla_days."""

    __tablename__ = "case_rule"
    __table_args__ = (allowed("kind", CaseRuleKind), CheckConstraint("sla_days > 0", name="sla_days"))
    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"), index=True)
    kind: Mapped[CaseRuleKind] = mapped_column(enum_type(CaseRuleKind, 16))
    threshold: Mapped[int | None]
    case_type: Mapped[str] = mapped_column(String(40))
    sla_days: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)


class FeedbackCase(db.Model):
    """A low rating or complaint routed to the unit responsible for the dossier's procedure."""

    __tablename__ = "feedback_case"
    __table_args__ = (
        UniqueConstraint("response_id", "case_type"),
        allowed("status", CaseStatus),
        allowed("rule_kind", CaseRuleKind),
        Index("ix_feedback_case_agency_status", "agency_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="SET NULL"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    rule_kind: Mapped[CaseRuleKind] = mapped_column(enum_type(CaseRuleKind, 16))
    case_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[CaseStatus] = mapped_column(enum_type(CaseStatus, 16), default=CaseStatus.NEW)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(index=True)
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reply: Mapped[str] = mapped_column(Text, default="", server_default="")
    overdue_notified_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id",
                                                   cascade="all, delete-orphan")


class CaseEvent(db.Model):
    """One step of a case's history: opened, acknowledged, replied, reassigned, closed, notified."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("feedback_case.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(32))
    from_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    to_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")

    case: Mapped[FeedbackCase] = relationship(back_populates="events")


class ContactRequest(db.Model):
    """A respondent's own request to be called back: the phone, kept apart and purged when the case closes."""

    __tablename__ = "contact_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), unique=True)
    phone: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackCursor(db.Model):
    """How far a background pass (e.g. opening cases) has read the responses, by id."""

    __tablename__ = "feedback_cursor"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_response_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
