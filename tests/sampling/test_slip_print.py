"""Printed slips in a real browser: one page per slip in A5, A6 and 80 mm, with the QR code readable size."""
from __future__ import annotations

import os
import re

import pytest

from survey.services.sampling import slips

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = pytest.mark.e2e

LONG_AGENCY = "Văn phòng Đăng ký đất đai tỉnh Hà Tĩnh – Chi nhánh Văn phòng Đăng ký đất đai huyện Cẩm Xuyên"


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium through Playwright (skipped when it is not installed, as in tests/e2e)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.mark.parametrize("fmt", list(slips.FORMATS))
def test_each_slip_prints_on_exactly_one_page(app, chromium, fmt):
    items = [{"url": f"https://hailong.hatinh.gov.vn/s/{'x' * 23}{i}", "agency": LONG_AGENCY,
              "service_point": "Trung tâm Phục vụ hành chính công tỉnh Hà Tĩnh", "wave": "Khảo sát quý II/2025",
              "expires": "30/06/2025"} for i in range(3)]
    with app.app_context():
        html = slips.render_slips(items, fmt)
    page = chromium.new_page()
    try:
        page.set_content(html)
        page.emulate_media(media="print")
        qr_mm = page.eval_on_selector(".qr svg", "e => e.getBoundingClientRect().width") * 25.4 / 96
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        page.close()
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 3
    assert qr_mm >= 35  # a 41-module code stays easy to scan for phone cameras at this size
