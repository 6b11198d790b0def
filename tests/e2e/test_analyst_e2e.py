"""Real browser: sign in, read the dashboard, drill down, download the PDF and an export; an agency viewer
cannot reach another agency's numbers by any URL. Screenshots go to $HAILONG_SCREENSHOTS when it is set."""
from __future__ import annotations

import os
import time

import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "hailong-demo-2025"
SHOTS = os.environ.get("HAILONG_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
        page.wait_for_load_state("networkidle")
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


@pytest.fixture
def desktop(browser):
    """A 1280-wide browser page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()


def _sign_in(page, base: str, username: str, next_path: str = "/analyst/") -> None:
    page.goto(f"{base}/auth/login?next={next_path}")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def test_analyst_reads_the_dashboard_drills_down_and_downloads(desktop, live_server, tmp_path):
    page = desktop
    page.goto(f"{live_server}/analyst/")
    assert "/auth/login" in page.url  # signed out: sent to the sign-in page
    _shot(page, "01-login")
    _sign_in(page, live_server, "analyst")
    assert page.url.endswith("/analyst/")
    headline = page.get_by_test_id("headline-value").inner_text()
    assert "%" in headline and "," in headline  # Vietnamese decimal comma
    assert page.get_by_text("Dưới mục tiêu").first.is_visible()
    chart = page.locator("img.chart").first
    chart.scroll_into_view_if_needed()
    # Polled from Python: wait_for_function compiles its predicate inside the page, which the CSP (no eval) refuses.
    handle = chart.element_handle()
    deadline = time.monotonic() + 10
    while not handle.evaluate("img => img.complete && img.naturalWidth > 0") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert handle.evaluate("img => img.naturalWidth > 0")
    _shot(page, "02-dashboard-1280")

    page.get_by_role("link", name="Xếp hạng cơ quan").first.click()
    page.wait_for_load_state()
    assert page.locator("table tbody tr").count() >= 10
    page.get_by_role("link", name="Chỉ số (%)").click()  # sort by index
    page.wait_for_load_state()
    assert "sort=value" in page.url
    _shot(page, "03-ranking-1280")

    page.locator("table tbody tr td a", has_text="xã").first.click()  # the demo is after 1 July 2025
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Theo điểm phục vụ").is_visible()
    _shot(page, "04-agency-1280")
    page.locator("section:has(h2:text('Theo điểm phục vụ')) table tbody a").first.click()
    page.wait_for_load_state()
    assert "/points/" in page.url and page.get_by_text("ACC1").is_visible()
    _shot(page, "05-point-items-1280")

    page.get_by_role("link", name="Tổng quan").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Báo cáo PDF", exact=True).click()
    pdf = tmp_path / "report.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF") and info.value.suggested_filename.endswith(".pdf")
    with page.expect_download() as info:
        page.get_by_role("link", name="Bảng chỉ số (XLSX)").click()
    xlsx = tmp_path / "index.xlsx"
    info.value.save_as(xlsx)
    from openpyxl import load_workbook

    assert "agency" in load_workbook(xlsx).sheetnames


def test_dashboard_on_a_phone(page, live_server):
    _sign_in(page, live_server, "analyst")
    assert page.get_by_test_id("headline-value").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 412 + 1  # nothing forces sideways scrolling of the whole page
    _shot(page, "06-dashboard-phone")
    page.goto(f"{live_server}/analyst/agencies")
    _shot(page, "07-ranking-phone")


def test_filters_change_the_dashboard(desktop, live_server):
    page = desktop
    _sign_in(page, live_server, "analyst")
    before = page.get_by_test_id("headline-value").inner_text()
    page.get_by_label("Lĩnh vực").select_option("land")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_load_state()
    assert "sector=land" in page.url
    assert page.get_by_test_id("headline-value").inner_text() != before
    assert page.get_by_text("lĩnh vực Đất đai").first.is_visible()
    _shot(page, "08-dashboard-land-1280")


def test_agency_viewer_cannot_reach_another_agency(desktop, live_server, live_app):
    from survey.extensions import db
    from survey.models import Agency, ServicePoint

    with live_app.app_context():
        other = db.session.query(Agency).filter_by(code="HT-SXD").one().id
        own = db.session.query(Agency).filter_by(code="HT-SNNMT").one().id
        centre = db.session.query(ServicePoint).filter_by(code="PVHCC").one().id
    page = desktop
    _sign_in(page, live_server, "viewer")
    text = page.locator("main").inner_text()
    assert "Sở Xây dựng" not in text and "Bạn đang xem số liệu của cơ quan mình" in text
    _shot(page, "09-viewer-dashboard-1280")
    for path in (f"/analyst/agencies/{other}", f"/analyst/agencies/{other}/points/{centre}",
                 f"/analyst/charts/elements.png?agency={other}"):
        response = page.goto(live_server + path)
        assert response.status == 404, path
    response = page.goto(f"{live_server}/analyst/agencies/{own}")
    assert response.status == 200 and "Sở Nông nghiệp và Môi trường" in page.locator("h1").inner_text()
    page.goto(f"{live_server}/analyst/agencies?level=department")
    assert "Sở Xây dựng" not in page.locator("main").inner_text()
    csv_text = page.evaluate("fetch('/analyst/export/microdata.csv').then(r => r.text())")
    assert "HT-SXD" not in csv_text and "HT-SNNMT" in csv_text
