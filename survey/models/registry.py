"""Registry aggregate: agencies (effective-dated, with versions and lineage), sectors, procedures,
service points, devices and targets."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db
from survey.models._base import allowed, enum_type, utcnow


class AgencyLevel(StrEnum):
    """Where an agency sits in the province's hierarchy."""

    PROVINCE = "province"
    DEPARTMENT = "department"
    DISTRICT = "district"  # only for periods before 1 July 2025 (two-level local government since)
    COMMUNE = "commune"
    WARD = "ward"
    SPECIAL_ZONE = "special_zone"
    CENTRAL = "central"
    HEALTH_FACILITY = "health_facility"
    SCHOOL = "school"


class LineageKind(StrEnum):
    """How a unit became another: merged with others, split into several, or renamed."""

    MERGE = "merge"
    SPLIT = "split"
    RENAME = "rename"


class ServicePointKind(StrEnum):
    """What a service point is: a one-stop centre (province, district), a commune desk or an agency's counter."""

    PROVINCE_CENTRE = "province_centre"
    DISTRICT_CENTRE = "district_centre"
    COMMUNE_DESK = "commune_desk"
    AGENCY_COUNTER = "agency_counter"


class TargetScope(StrEnum):
    """What a target measures (see survey.services.registry.targets)."""

    TTHC = "tthc"                      # administrative procedures, all sectors
    TTHC_SECTOR = "tthc_sector"        # administrative procedures of one sector (sector_code set)
    SERVICE = "service"                # the service of state administrative agencies
    PUBLIC_SERVICE = "public_service"  # public health or education services (sector_code set)
    PROVINCE = "province"              # the province's own yearly SIPAS target


# The values as plain strings, for messages and imports that list them.
AGENCY_LEVELS = tuple(level.value for level in AgencyLevel)
SERVICE_POINT_KINDS = tuple(kind.value for kind in ServicePointKind)
LINEAGE_KINDS = tuple(kind.value for kind in LineageKind)


def _validity() -> CheckConstraint:
    """CHECK that a validity period is not empty: valid_from < valid_to when both are set (ck_<table>_validity)."""
    return CheckConstraint("valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to", name="validity")

service_point_agencies = Table(
    "service_point_agency",
    db.metadata,
    Column("service_point_id", ForeignKey("service_point.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True),
)


class Agency(db.Model):
    """A state administrative agency (cơ quan) in the province's hierarchy."""

    __tablename__ = "agency"
    __table_args__ = (allowed("level", AgencyLevel), _validity())
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255), default="")
    level: Mapped[AgencyLevel] = mapped_column(enum_type(AgencyLevel, 16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # The national unit code (e.g. a commune's code under Công văn 1027/CTK-CSCL), beside the product's code.
    official_code: Mapped[str | None] = mapped_column(String(32))
    # This row is the unit's current state; its history is in agency_version. None = since ever / still valid;
    # valid_to is exclusive (the day the unit no longer exists).
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]

    parent: Mapped[Agency | None] = relationship(remote_side="Agency.id", back_populates="children")
    children: Mapped[list[Agency]] = relationship(back_populates="parent")


class AgencyVersion(db.Model):
    """One version of an agency's name, codes, level and parent, valid over [valid_from, valid_to).

    An edit closes the current version and opens a new one, so past periods keep the names and
    parents they had; the Agency row mirrors the open version.
    """

    __tablename__ = "agency_version"
    __table_args__ = (allowed("level", AgencyLevel), _validity())
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    code: Mapped[str] = mapped_column(String(64))
    official_code: Mapped[str | None] = mapped_column(String(32))
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255), default="")
    level: Mapped[AgencyLevel] = mapped_column(enum_type(AgencyLevel, 16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))

    agency: Mapped[Agency] = relationship(foreign_keys=[agency_id])
    parent: Mapped[Agency | None] = relationship(foreign_keys=[parent_id])


class AgencyLineage(db.Model):
    """A reorganisation step: the predecessor's dossiers and history pass to the successor on effective_on.

    A merge or rename has one row per predecessor; a split one row per successor, each with the share
    of the predecessor's dossiers it takes over when known (None: not known, not comparable).
    """

    __tablename__ = "agency_lineage"
    __table_args__ = (
        UniqueConstraint("predecessor_id", "successor_id"),
        allowed("kind", LineageKind),
        CheckConstraint("predecessor_id <> successor_id", name="distinct_units"),
        CheckConstraint("share IS NULL OR (share > 0 AND share <= 1)", name="share"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LineageKind] = mapped_column(enum_type(LineageKind, 16))
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    effective_on: Mapped[date]
    share: Mapped[float | None]
    note: Mapped[str] = mapped_column(String(500), default="")

    predecessor: Mapped[Agency] = relationship(foreign_keys=[predecessor_id])
    successor: Mapped[Agency] = relationship(foreign_keys=[successor_id])


class Sector(db.Model):
    """A field of administrative procedures (lĩnh vực), e.g. land or construction."""

    __tablename__ = "sector"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255), default="")


class Procedure(db.Model):
    """An administrative procedure (TTHC) identified by its national code."""

    __tablename__ = "procedure"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(500))
    name_en: Mapped[str] = mapped_column(String(500), default="")
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id"), index=True)

    sector: Mapped[Sector] = relationship()


class ServicePoint(db.Model):
    """A one-stop centre or counter where dossiers are received and results returned."""

    __tablename__ = "service_point"
    __table_args__ = (allowed("kind", ServicePointKind), _validity())
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255), default="")
    kind: Mapped[ServicePointKind] = mapped_column(enum_type(ServicePointKind, 32))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    address: Mapped[str] = mapped_column(String(500), default="")
    valid_from: Mapped[date | None]  # None = since ever
    valid_to: Mapped[date | None]  # exclusive; None = still open

    agency: Mapped[Agency] = relationship()
    agencies_served: Mapped[list[Agency]] = relationship(secondary=service_point_agencies)


class Device(db.Model):
    """An enrolled kiosk tablet at a service point; secrets are stored only as hashes."""

    __tablename__ = "device"
    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    enrolment_code_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    enrolment_expires_at: Mapped[datetime | None]
    secret_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    enrolled_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    queued_reported: Mapped[int] = mapped_column(default=0)
    # Of those, how many the tablet could only hold in memory (its storage was full): lost if it is
    # switched off before they are sent, so the devices page flags them.
    unsaved_reported: Mapped[int] = mapped_column(default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    service_point: Mapped[ServicePoint] = relationship()


class Target(db.Model):
    """A satisfaction target (percent) for a year and scope; targets are data, not constants."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("year", "scope", "sector_code"), allowed("scope", TargetScope))
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    scope: Mapped[TargetScope] = mapped_column(enum_type(TargetScope, 32))
    sector_code: Mapped[str] = mapped_column(String(64), default="")
    value: Mapped[float]
    label_vi: Mapped[str] = mapped_column(String(255), default="")
    label_en: Mapped[str] = mapped_column(String(255), default="")
