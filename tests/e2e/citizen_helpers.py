"""Helpers shared by the citizen e2e tests: data made in the live app's database, a kiosk enrolled in the browser."""
from __future__ import annotations

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response
from tests.respond import factories as f


def new_invitation(live_app, instrument: str = "sipas2023-service") -> tuple[str, int]:
    """A fresh invitation (own registry and wave) on the loaded bank's instrument; (token, invitation id)."""
    from survey.services.questionnaires.bank import get_version

    with live_app.app_context():
        version = get_version(db.session, instrument)
        reg = f.add_registry(db.session)
        wave = f.add_wave(db.session, version, reg)
        inv, token = f.add_invitation(db.session, wave, reg)
        db.session.commit()
        inv_id = inv.id
        db.session.remove()
    return token, inv_id


def new_enrolment_code(live_app) -> tuple[str, int]:
    """A device at a fresh service point with a one-time code; (code, device id)."""
    from survey.services.kiosk.devices import create_device

    with live_app.app_context():
        reg = f.add_registry(db.session)
        device, code = create_device(db.session, reg["point"], "Kiosk e2e")
        db.session.commit()
        device_id = device.id
        db.session.remove()
    return code, device_id


def enrol_in_browser(page, live_app, live_server) -> int:
    """Enrol the page's browser as a kiosk through the real form; returns the device id."""
    code, device_id = new_enrolment_code(live_app)
    page.goto(f"{live_server}/kiosk/enrol?code={code}")
    page.get_by_role("button", name="Đăng ký máy").click()
    page.wait_for_url(f"{live_server}/kiosk/", timeout=10_000)
    page.locator("#start").wait_for()
    return device_id


def responses_of(live_app, **where) -> list[Response]:
    """Stored responses matching column=value filters (detached copies with their answers)."""
    with live_app.app_context():
        query = select(Response)
        for column, value in where.items():
            query = query.where(getattr(Response, column) == value)
        rows = db.session.scalars(query.order_by(Response.id)).all()
        out = [(r.uuid, r.mode, r.partial, r.probability_sample,
                sorted((a.item_code, a.value_int, a.value_text) for a in r.answers)) for r in rows]
        db.session.remove()
    return out


def count_responses(live_app, **where) -> int:
    """How many responses match."""
    with live_app.app_context():
        query = select(func.count()).select_from(Response)
        for column, value in where.items():
            query = query.where(getattr(Response, column) == value)
        n = db.session.scalar(query)
        db.session.remove()
    return n
