"""Kiosk devices as administrators manage them (admin pages and `hailong device`), each change audit-logged.

`actor` is the User making the change, or a string such as "cli". Flushes, never commits.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from survey.models import Device, ServicePoint
from survey.services.common import audit
from survey.services.kiosk import devices


def register_device(session: Session, actor: Any, point: ServicePoint, label: str,
                    hours: int = devices.ENROLMENT_HOURS) -> tuple[Device, str]:
    """Register a tablet for a service point (`device.create`); returns it and its one-time code."""
    device, code = devices.create_device(session, point, label, hours)
    audit.record(session, actor, "device.create", "device", device.id, service_point=point.code, label=device.label)
    return device, code


def new_code(session: Session, actor: Any, device: Device, hours: int = devices.ENROLMENT_HOURS) -> str:
    """A fresh one-time enrolment code for a device (`device.new_code`)."""
    code = devices.issue_code(session, device, hours)
    audit.record(session, actor, "device.new_code", "device", device.id)
    return code


def revoke_device(session: Session, actor: Any, device: Device) -> None:
    """Switch a device off at once (`device.revoke`)."""
    devices.revoke(session, device)
    audit.record(session, actor, "device.revoke", "device", device.id)
