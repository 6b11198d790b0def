"""Response aggregate: submitted responses, one row per answer, and server-side drafts."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models._base import allowed, enum_type, utcnow


class ResponseMode(StrEnum):
    """How a response came in: by an invitation's link, on a kiosk for an invitation, or walk-up at a kiosk."""

    LINK = "link"
    KIOSK = "kiosk"
    KIOSK_WALKUP = "kiosk_walkup"


class Language(StrEnum):
    """The language the respondent answered in (the application's two languages)."""

    VI = "vi"
    EN = "en"


class Response(db.Model):
    """A submitted response; the UUID comes from the client so retries are idempotent."""

    __tablename__ = "response"
    __table_args__ = (allowed("mode", ResponseMode), allowed("language", Language))
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    # Unique: the database itself guarantees at most one response per invitation.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"), unique=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"), index=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sector.id"), index=True)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_point.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    mode: Mapped[ResponseMode] = mapped_column(enum_type(ResponseMode, 16))
    probability_sample: Mapped[bool] = mapped_column(default=True)
    partial: Mapped[bool] = mapped_column(default=False)
    language: Mapped[Language] = mapped_column(enum_type(Language, 8), default=Language.VI)
    started_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the server received it
    # When the tablet says it was submitted (an offline answer arrives later); never after submitted_at.
    client_submitted_at: Mapped[datetime | None]

    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")


class Answer(db.Model):
    """One answer: an item code with an integer scale code or a text (multi-choice: one row per choice)."""

    __tablename__ = "answer"
    # One index, by response then item: every read goes from a wave's responses to their answers
    # (the item's as well), and the cascade from a response needs it. No query filters by the item
    # alone, and an index on it made each answer row's insert about 30 % dearer (migration 0002).
    __table_args__ = (Index("ix_answer_response_id_item_code", "response_id", "item_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    item_code: Mapped[str] = mapped_column(String(64))
    value_int: Mapped[int | None]
    value_text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")


class ResponseScore(db.Model):
    """What estimation needs of one response, written with its answers: index bits and indicator choices.

    Bit j of `satisfied`/`valid` is index item 60·block + j (index_structure order) answered with a
    satisfied / a valid code; bit k of `chosen` is the k-th (indicator question, option) slot, bit q of
    `answered` the q-th indicator question (analysis.indicators order); `overall` is the overall item's
    code (block 0 only). So a wave's index table reads one row per respondent and block, not one per
    answer; the answer rows stay the record (survey/services/respond/scores.py, `hailong scores check`).
    """

    __tablename__ = "response_score"
    # wave first: the index table reads a wave's rows in response order, from the index alone
    __table_args__ = (Index("ix_response_score_wave_id_response_id", "wave_id", "response_id"),)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    block: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("wave.id"))  # the response's, copied: no join
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    satisfied: Mapped[int] = mapped_column(BigInteger, default=0)
    valid: Mapped[int] = mapped_column(BigInteger, default=0)
    chosen: Mapped[int] = mapped_column(BigInteger, default=0)
    answered: Mapped[int] = mapped_column(BigInteger, default=0)
    overall: Mapped[int | None]


class ResponseDraft(db.Model):
    """Answers in progress for an invitation token, kept server-side between screens."""

    __tablename__ = "response_draft"
    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
