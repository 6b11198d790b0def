"""Real browser: an analyst picks a service point and reads its walk-up ratings, labelled as outside the index,
beside the sampled index; the chart is an image with a text alternative and the page works at 360 px.
Screenshots go to $HAILONG_SCREENSHOTS when it is set."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "hailong-demo-2025"
SHOTS = os.environ.get("HAILONG_SCREENSHOTS")
LABEL = "Đánh giá tại quầy — không phải mẫu xác suất, không tính vào chỉ số"


def _shot(page, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


@pytest.fixture(scope="module")
def rated_point(live_app):
    """Walk-ups of the last days on a counter of the demo's provincial centre (its name is returned)."""
    from survey.extensions import db
    from survey.models import Device, ServicePoint
    from survey.models._base import utcnow
    from survey.services.kiosk.devices import create_device
    from survey.services.kiosk.handoff import walkup_version
    from survey.services.respond.responses import store_response

    with live_app.app_context():
        point = db.session.get(ServicePoint, db.session.get(Device, live_app.config["E2E_DEMO"]["kiosk_device_id"])
                               .service_point_id)  # fmt: skip
        device, _code = create_device(db.session, point, "Quầy e2e")
        version = walkup_version(db.session)
        now = utcnow()
        for k in range(40):
            answers = {"Q1": 1, "Q1_REASON": [4]} if k % 4 == 0 else {"Q1": 3, "Q2": 2 if k % 3 else 1}
            response, _ = store_response(db.session, version, str(uuid.uuid4()), answers, {}, mode="kiosk_walkup",
                                         device_id=device.id, service_point_id=point.id)  # fmt: skip
            response.submitted_at = now - timedelta(days=k % 10, hours=k % 7)
        db.session.commit()
        return point.name_vi


def test_analyst_picks_a_point_and_reads_its_labelled_walkups(browser, live_server, rated_point):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{live_server}/auth/login?next=/analyst/counter")
    page.get_by_label("Tên đăng nhập").fill("analyst")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    assert page.url.endswith("/analyst/counter") and page.get_by_test_id("walkup-label").inner_text() == LABEL
    page.get_by_label("Điểm phục vụ", exact=True).select_option(label=rated_point)
    page.get_by_role("button", name="Xem").click()
    page.wait_for_load_state()
    assert "/analyst/counter/" in page.url
    assert "chưa hài lòng" in page.get_by_test_id("walkup-share").inner_text()
    assert "Khoảng tin cậy 95 %" in page.get_by_test_id("sampled-index").inner_text()
    chart = page.get_by_role("img", name="Tỷ lệ chưa hài lòng theo ngày · " + LABEL)
    assert chart.is_visible()
    assert page.get_by_role("table", name="Theo ngày · " + LABEL).is_visible()
    assert "Phải chờ đợi lâu" in page.get_by_test_id("table-reasons").inner_text()
    _shot(page, "counter-1280")
    page.set_viewport_size({"width": 360, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 362, width  # no sideways scrolling of the page itself (wide tables scroll in their box)
    _shot(page, "counter-360")
    page.get_by_label("Quầy (máy tính bảng)").select_option(label="Quầy e2e")
    page.get_by_role("button", name="Xem", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submitting from the keyboard keeps the period and narrows to the counter
    assert "counter=" in page.url and "start=" in page.url
    assert page.get_by_role("heading", level=1).inner_text().endswith("— Quầy e2e")
    context.close()
    assert blocked == [], blocked
