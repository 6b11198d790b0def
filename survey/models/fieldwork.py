"""Fieldwork aggregate: source systems, dossiers, contacts, waves, strata, invitations."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models._base import allowed, enum_type, probability, utcnow
from survey.models.registry import Agency, Procedure, Sector, ServicePoint


class DossierChannel(StrEnum):
    """How the citizen filed the dossier."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    POSTAL = "postal"


class Outcome(StrEnum):
    """How the dossier was settled (the invitation keeps a copy as a cell of the design)."""

    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class WaveStatus(StrEnum):
    """A wave's life: designed (draft), inviting (launched), then closed for good."""

    DRAFT = "draft"
    LAUNCHED = "launched"
    CLOSED = "closed"


class InvitationStatus(StrEnum):
    """An invitation's life: issued, opened by the citizen, then completed or expired."""

    ISSUED = "issued"
    OPENED = "opened"
    COMPLETED = "completed"
    EXPIRED = "expired"


class InvitationChannel(StrEnum):
    """How the invitation reaches the citizen."""

    LINK = "link"
    QR = "qr"
    SMS = "sms"
    KIOSK = "kiosk"


class DossierKind(StrEnum):
    """What a frame record is: an administrative dossier, or a service event that is not one (QĐ 3869, QĐ 3476)."""

    DOSSIER = "dossier"
    HOSPITAL_VISIT = "hospital_visit"
    SCHOOL_ENROLMENT = "school_enrolment"


class EventType(StrEnum):
    """A service event's type: inpatient/outpatient for hospital visits, the school level for enrolments."""

    INPATIENT = "inpatient"
    OUTPATIENT = "outpatient"
    PRESCHOOL = "preschool"
    PRIMARY = "primary"
    SECONDARY = "secondary"


# Which event types each kind takes; a dossier has none.
EVENT_TYPES: dict[DossierKind, tuple[EventType, ...]] = {
    DossierKind.DOSSIER: (),
    DossierKind.HOSPITAL_VISIT: (EventType.INPATIENT, EventType.OUTPATIENT),
    DossierKind.SCHOOL_ENROLMENT: (EventType.PRESCHOOL, EventType.PRIMARY, EventType.SECONDARY),
}

# The values as plain strings, for messages and the API description that list them.
CHANNELS = tuple(channel.value for channel in DossierChannel)
OUTCOMES = tuple(outcome.value for outcome in Outcome)


def _event_type_fits_kind() -> CheckConstraint:
    """CHECK that a dossier has no event type and an event's type belongs to its kind (NULL allowed)."""
    fits = " OR ".join(
        f"(kind = '{kind.value}' AND event_type IN ({', '.join(repr(t.value) for t in types)}))"
        for kind, types in EVENT_TYPES.items() if types)
    return CheckConstraint(f"event_type IS NULL OR {fits}", name="event_type_fits_kind")


class SourceSystem(db.Model):
    """A one-stop software system that pushes completed dossiers."""

    __tablename__ = "source_system"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")


class ApiKey(db.Model):
    """An intake API key for a source system; only a hash of the secret is kept."""

    __tablename__ = "api_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_system_id: Mapped[int] = mapped_column(ForeignKey("source_system.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    label: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # Whole-province keys (the provincial one-stop software) send for every agency; any other key only
    # for its scopes. Keys made before scopes existed were whole-province, and migration 0005 says so.
    all_agencies: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_used_at: Mapped[datetime | None]

    source_system: Mapped[SourceSystem] = relationship()
    scopes: Mapped[list[ApiKeyScope]] = relationship(back_populates="api_key", cascade="all, delete-orphan")


class ApiKeyScope(db.Model):
    """What one intake key may send: dossiers of an agency (and the units below it), a service point, a sector.

    The named columns of a row must all match (an agency's land dossiers: agency + sector); a key may
    send a dossier when any of its rows matches.
    """

    __tablename__ = "api_key_scope"
    __table_args__ = (
        CheckConstraint("agency_id IS NOT NULL OR service_point_id IS NOT NULL OR sector_id IS NOT NULL",
                        name="names_a_unit"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_point.id"))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sector.id"))

    api_key: Mapped[ApiKey] = relationship(back_populates="scopes")
    agency: Mapped[Agency | None] = relationship()
    service_point: Mapped[ServicePoint | None] = relationship()
    sector: Mapped[Sector | None] = relationship()


class IntakeRequest(db.Model):
    """An intake call's answer, sealed and kept for a day, so that a retry gets the same invitation tokens.

    Tokens are stored only as hashes; a client whose connection dropped after the commit would
    otherwise lose them. The answer is encrypted with a key derived from SECRET_KEY, so the database
    alone does not reveal a token. Found again by the Idempotency-Key header, or by the body's hash.
    """

    __tablename__ = "intake_request"
    __table_args__ = (UniqueConstraint("source_system_id", "idempotency_key"),
                      UniqueConstraint("source_system_id", "body_hash"))
    id: Mapped[int] = mapped_column(primary_key=True)
    source_system_id: Mapped[int] = mapped_column(ForeignKey("source_system.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    body_hash: Mapped[str] = mapped_column(String(64))
    answer_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Dossier(db.Model):
    """A completed dossier (hồ sơ) reported by a source system."""

    __tablename__ = "dossier"
    __table_args__ = (UniqueConstraint("source_system_id", "external_id"), allowed("channel", DossierChannel),
                      allowed("outcome", Outcome), allowed("kind", DossierKind), allowed("event_type", EventType),
                      _event_type_fits_kind())
    id: Mapped[int] = mapped_column(primary_key=True)
    source_system_id: Mapped[int] = mapped_column(ForeignKey("source_system.id"))
    external_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[DossierKind] = mapped_column(enum_type(DossierKind, 32), default=DossierKind.DOSSIER,
                                              server_default=DossierKind.DOSSIER.value)
    # The competent agency, who decides (for a service event: the hospital or school). Strata, indices
    # and feedback cases use it.
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id"), index=True)
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedure.id"))
    # Where it was received (or where the event was handed over, e.g. a discharge desk): reception is
    # boundary-free within the province, so this may belong to another commune than the agency.
    # Service-point pages use it.
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_point.id"), index=True)
    event_type: Mapped[EventType | None] = mapped_column(enum_type(EventType, 32))
    # The hospital department or ward, or the school class ("Khoa Nội", "3A").
    unit_department: Mapped[str | None] = mapped_column(String(120))
    # The official commune-level code of the citizen's area, only when the source gives it; never finer.
    citizen_area_code: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[DossierChannel] = mapped_column(enum_type(DossierChannel, 16))
    received_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime] = mapped_column(index=True)
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, 16))
    on_time: Mapped[bool | None]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship()
    sector: Mapped[Sector] = relationship()
    procedure: Mapped[Procedure | None] = relationship()
    service_point: Mapped[ServicePoint | None] = relationship()


class DossierContact(db.Model):
    """A phone number kept apart from the dossier, only to deliver an invitation; purgeable."""

    __tablename__ = "dossier_contact"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"), unique=True)
    phone: Mapped[str] = mapped_column(String(32))


class Wave(db.Model):
    """A survey wave (đợt khảo sát): period, questionnaire version, design and seed."""

    __tablename__ = "wave"
    __table_args__ = (allowed("status", WaveStatus),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    period_start: Mapped[date]
    period_end: Mapped[date]
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    seed: Mapped[str] = mapped_column(String(64))
    status: Mapped[WaveStatus] = mapped_column(enum_type(WaveStatus, 16), default=WaveStatus.DRAFT)
    design: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    launched_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    contacts_purged_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]

    strata: Mapped[list[WaveStratum]] = relationship(back_populates="wave", order_by="WaveStratum.id")


class WaveStratum(db.Model):
    """A stratum of a wave (agency × sector by default) with its inclusion probability."""

    __tablename__ = "wave_stratum"
    __table_args__ = (UniqueConstraint("wave_id", "key"), probability("pi"))
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(160))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sector.id"))
    pi: Mapped[float]
    target_n: Mapped[int | None]
    population_prev: Mapped[int | None]
    population: Mapped[int | None]

    wave: Mapped[Wave] = relationship(back_populates="strata")


class Invitation(db.Model):
    """An invitation to answer: single-use token (hash only), π, channel, status, expiry."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("wave_id", "dossier_id"), probability("pi"), allowed("outcome", Outcome),
                      allowed("channel", InvitationChannel), allowed("status", InvitationStatus),
                      allowed("event_type", EventType))
    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("wave.id"), index=True)
    stratum_id: Mapped[int | None] = mapped_column(ForeignKey("wave_stratum.id"), index=True)
    # Nulled by `wave anonymise`: the stratum, π and cells below keep the weights computable.
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The short code a person types (hash only, unique) and the token sealed with that code, so that
    # the code leads to /s/<token>; NULL for invitations issued before codes (migration 0007).
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_box: Mapped[str | None] = mapped_column(String(128))
    pi: Mapped[float]
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id"), index=True)
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_point.id"), index=True)
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome, 16))
    # The dossier's event type (inpatient/outpatient, school level): a cell of unit × type strata that
    # must outlive `wave anonymise`; NULL for dossiers.
    event_type: Mapped[EventType | None] = mapped_column(enum_type(EventType, 32))
    channel: Mapped[InvitationChannel] = mapped_column(enum_type(InvitationChannel, 16), default=InvitationChannel.LINK)
    status: Mapped[InvitationStatus] = mapped_column(enum_type(InvitationStatus, 16), default=InvitationStatus.ISSUED)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the (current) token was handed out (API answer, slip, SMS file); NULL = nobody has it yet.
    delivered_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    wave: Mapped[Wave] = relationship()
    stratum: Mapped[WaveStratum | None] = relationship()
    dossier: Mapped[Dossier | None] = relationship()


class HandoffState(StrEnum):
    """A hand-off's life: waiting for a kiosk start, being answered, answered; or released (by the
    officer, or by the timeout) without an answer. Back and idling before an answer return it to waiting."""

    WAITING = "waiting"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    RELEASED = "released"


class KioskHandoff(db.Model):
    """An officer's hand-over: the next start on this service point's kiosk answers the invitation."""

    __tablename__ = "kiosk_handoff"
    __table_args__ = (allowed("state", HandoffState),)
    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"), index=True)
    # The kiosk that claimed it last (NULL while waiting).
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    consumed_at: Mapped[datetime | None]  # when a kiosk last claimed it
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    state: Mapped[HandoffState] = mapped_column(enum_type(HandoffState, 16), default=HandoffState.WAITING)
    # When the state last changed: the timeouts count from here (a hand-off given back by Back waits afresh).
    state_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # NULL: the timeout
    # Set when the hand-off needs a second look (e.g. answered by the counter's kiosk within seconds
    # of being handed off: the officer may have answered it himself).
    flagged_at: Mapped[datetime | None]
    flag_reason: Mapped[str | None] = mapped_column(String(64))

    invitation: Mapped[Invitation] = relationship()
