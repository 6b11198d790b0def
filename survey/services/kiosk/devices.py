"""Kiosk devices: one-time enrolment codes, long device credentials (hashes only), heartbeats."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import Device, ServicePoint
from survey.models._base import utcnow
from survey.services.common.tokens import hash_token, new_short_code

ENROLMENT_HOURS = 24
CODE_LENGTH = 10  # 10 characters of a 32-letter alphabet: 50 bits, and attempts are rate-limited


class EnrolmentError(Exception):
    """An enrolment code that is unknown, used or expired."""


class DeviceStatus(StrEnum):
    """What the devices page shows for a tablet (worked out from its row, not stored)."""

    REVOKED = "revoked"
    PENDING = "pending"    # a code is issued, not used yet
    WAITING = "waiting"    # no credential and no code
    ONLINE = "online"      # heard from within 3 minutes
    STALE = "stale"        # within the hour
    OFFLINE = "offline"


def normalise_code(code: str) -> str:
    """Codes are typed by hand: ignore case, spaces and dashes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def find_service_point(session: Session, code: str) -> ServicePoint | None:
    """A service point by its code."""
    return session.scalar(select(ServicePoint).where(ServicePoint.code == code))


def create_device(session: Session, service_point: ServicePoint, label: str,
                  hours: int = ENROLMENT_HOURS) -> tuple[Device, str]:
    """Register a tablet for a service point; returns the device and its one-time enrolment code."""
    device = Device(service_point_id=service_point.id, label=label.strip()[:120] or service_point.code)
    session.add(device)
    session.flush()
    return device, issue_code(session, device, hours)


def issue_code(session: Session, device: Device, hours: int = ENROLMENT_HOURS) -> str:
    """A fresh one-time enrolment code for a device (replaces any earlier unused code)."""
    code = new_short_code(CODE_LENGTH)
    device.enrolment_code_hash = hash_token(code)
    device.enrolment_expires_at = utcnow() + timedelta(hours=hours)
    device.active = True
    session.flush()
    return code


def format_code(code: str) -> str:
    """Show a code in groups of five for reading aloud: ABCDE-FGHJK."""
    return "-".join(code[i:i + 5] for i in range(0, len(code), 5))


def enrol(session: Session, code: str, now: datetime | None = None) -> tuple[Device, str]:
    """Use a one-time code: the device gets a new long credential (returned once, stored hashed)."""
    code = normalise_code(code)
    if not code:
        raise EnrolmentError("empty")
    device = session.scalar(select(Device).where(Device.enrolment_code_hash == hash_token(code)))
    if device is None or not device.active:
        raise EnrolmentError("unknown")
    if device.enrolment_expires_at is None or device.enrolment_expires_at < (now or utcnow()):
        raise EnrolmentError("expired")
    credential = secrets.token_urlsafe(32)  # 256 bits
    device.secret_hash = hash_token(credential)
    device.enrolment_code_hash = None  # single use
    device.enrolment_expires_at = None
    device.enrolled_at = device.last_seen_at = utcnow()
    session.flush()
    return device, credential


def last_enrolment(session: Session) -> datetime | None:
    """When a device last enrolled successfully (any device), or None."""
    return session.scalar(select(func.max(Device.enrolled_at)))


def authenticate(session: Session, credential: str | None) -> Device | None:
    """The active device holding this credential, or None."""
    if not credential or len(credential) > 200:
        return None
    device = session.scalar(select(Device).where(Device.secret_hash == hash_token(credential)))
    if device is None or not device.active:
        return None
    return device


def heartbeat(device: Device, queued: int, unsaved: int = 0) -> None:
    """Record that the device is alive, how many answers wait in its offline queue and how many of
    those it holds only in memory (its storage is full)."""
    device.last_seen_at = utcnow()
    device.queued_reported = max(0, min(int(queued), 1_000_000))
    device.unsaved_reported = max(0, min(int(unsaved), device.queued_reported))


def revoke(session: Session, device: Device) -> None:
    """Switch a device off: its credential and any pending code stop working."""
    device.active = False
    device.secret_hash = None
    device.enrolment_code_hash = None
    device.enrolment_expires_at = None
    session.flush()


def list_devices(session: Session) -> list[Device]:
    """Every device, by service point then label."""
    return list(session.scalars(
        select(Device).join(Device.service_point).order_by(ServicePoint.code, Device.label, Device.id)))


def status(device: Device, now: datetime | None = None) -> DeviceStatus:
    """One of revoked, pending (code issued, not used), waiting (no code), online, stale, offline."""
    now = now or utcnow()
    if not device.active:
        return DeviceStatus.REVOKED
    if device.secret_hash is None:
        return DeviceStatus.PENDING if device.enrolment_code_hash else DeviceStatus.WAITING
    if device.last_seen_at is None:
        return DeviceStatus.OFFLINE
    age = (now - device.last_seen_at).total_seconds()
    return DeviceStatus.ONLINE if age <= 180 else (DeviceStatus.STALE if age <= 3600 else DeviceStatus.OFFLINE)
