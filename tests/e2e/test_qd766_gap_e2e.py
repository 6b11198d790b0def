"""Real browser: the demo province's dashboard leads with the gap between its QĐ 766 score (near 99 %) and the
sampled index, on a phone-sized screen, with the per-agency table reachable by scrolling."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "hailong-demo-2025"


@pytest.fixture(scope="module")
def rated(live_app):
    """The demo's ratings and events (what the demo step seeds), committed to the live database."""
    from survey.extensions import db
    from survey.services.qd766 import demo

    with live_app.app_context():
        demo.seed(db.session)
        db.session.commit()


def test_the_demo_dashboard_shows_the_gap_headline_and_table(page, live_server, rated):
    page.goto(f"{live_server}/auth/login?next=/analyst/")
    page.get_by_label("Tên đăng nhập").fill("analyst")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    section = page.get_by_test_id("qd766-gap")
    assert section.get_by_role("heading", name="Khoảng cách giữa điểm QĐ 766 và chỉ số khảo sát").is_visible()
    gap = page.get_by_test_id("qd766-gap-value").inner_text()
    assert re.match(r"\+\d+,\d", gap), gap
    score = float(re.search(r"Điểm QĐ 766: (\d+,\d) %", section.inner_text())[1].replace(",", "."))
    assert 98.0 <= score <= 100.0
    table = page.get_by_test_id("qd766-table")
    table.scroll_into_view_if_needed()
    assert table.locator("tbody tr").count() > 5
    assert table.get_by_text("Cao hơn KTC").first.is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 412 + 1  # the wide table scrolls inside its wrapper, not the page
