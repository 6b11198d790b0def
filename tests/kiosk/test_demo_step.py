"""The kiosk demo step: a demo tablet at the provincial centre with a fresh, working enrolment code."""
from __future__ import annotations

import random

from sqlalchemy import func, select

from survey.models import Device, User
from survey.services.demo import DemoContext
from survey.services.demo import kiosk as step
from survey.services.kiosk import devices


def test_demo_kiosk_is_enrolable_and_idempotent(db_session, kiosk):
    point = kiosk["reg"]["point"]
    ctx = DemoContext(session=db_session, rng=random.Random(1))
    ctx.data["province_centre_code"] = point.code
    step.seed(ctx)
    first = ctx.data["kiosk_enrolment_code"]
    assert any(url == f"/kiosk/enrol?code={first}" for _label, url in ctx.urls)
    ctx2 = DemoContext(session=db_session)
    ctx2.data["province_centre_code"] = point.code
    step.seed(ctx2)  # running the demo again: same device, new code, the old code stops working
    assert db_session.scalar(select(func.count()).select_from(Device).where(Device.label == step.DEMO_LABEL)) == 1
    second = ctx2.data["kiosk_enrolment_code"]
    assert second != first
    device, _credential = devices.enrol(db_session, second)
    assert device.service_point_id == point.id
    officer = db_session.scalar(select(User).where(User.username == step.OFFICER))
    assert officer is not None and officer.role == "officer" and officer.service_point_id == point.id


def test_demo_step_copes_without_registry_data(db_session, kiosk):
    ctx = DemoContext(session=db_session)
    step.seed(ctx)  # no ctx.data from the registry step: falls back to a province centre in the database
    assert ctx.data.get("kiosk_device_id")
