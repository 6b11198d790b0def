"""Real browser: the public scoreboard at phone width (360 px, no sideways scrolling), by keyboard to an
agency, in English, and the widget framed by another page while the scoreboard itself refuses framing."""
from __future__ import annotations

import pytest

from tests.e2e.test_analyst_e2e import _shot

pytestmark = pytest.mark.e2e
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def phone(browser):
    """A 360 × 740 phone, Vietnamese."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    pg = context.new_page()
    blocked: list[str] = []
    pg.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield pg
    context.close()
    assert blocked == [], blocked


def test_scoreboard_fits_a_360px_phone_and_reads_in_order(phone, live_server):
    phone.goto(live_server + "/cong-khai")
    assert phone.locator("h1").count() == 1
    assert "Chỉ số hài lòng" in phone.locator("h1").inner_text()
    headings = phone.locator("h2").all_inner_texts()
    assert {"Toàn tỉnh", "Theo lĩnh vực", "Theo cơ quan", "Cách đọc các con số"} <= set(headings)
    assert phone.locator("table caption").count() >= 2
    assert phone.evaluate(NO_SIDEWAYS), phone.evaluate("document.documentElement.scrollWidth")
    assert phone.get_by_text("chưa đủ số liệu").count() >= 1  # the demo has agencies with too few answers
    _shot(phone, "30-public-phone")
    phone.goto(live_server + "/cong-khai?sort=name&page=2")
    assert phone.evaluate(NO_SIDEWAYS)
    first_agency = phone.locator("#co-quan tbody th a").first
    first_agency.click()
    phone.wait_for_load_state()  # the new page laid out, not the old one mid-navigation
    assert "/cong-khai/co-quan/" in phone.url
    assert phone.evaluate(NO_SIDEWAYS), phone.evaluate("document.documentElement.scrollWidth")
    assert phone.locator("#widget-snippet").input_value().startswith("<iframe src=")
    _shot(phone, "31-public-agency-phone")


def test_keyboard_reaches_an_agency_and_opens_it(phone, live_server):
    phone.goto(live_server + "/cong-khai")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(80):
        phone.keyboard.press("Tab")
        href = phone.evaluate("document.activeElement.getAttribute('href') || ''")
        if href.startswith("/cong-khai/co-quan/"):
            break
    else:
        pytest.fail("no agency link reached by Tab")
    name = phone.evaluate("document.activeElement.textContent").strip()
    outline = phone.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/cong-khai/co-quan/**")
    assert phone.locator("h1").inner_text().strip() == name


def test_english_scoreboard(phone, live_server):
    phone.goto(live_server + "/cong-khai")
    phone.get_by_role("link", name="English").click()
    phone.wait_for_load_state()
    assert phone.evaluate("document.documentElement.lang") == "en"
    assert "Tiếng Việt" in phone.locator(".lang-switch").inner_text()
    assert phone.evaluate(NO_SIDEWAYS)
    phone.goto(live_server + "/cong-khai/du-lieu.json")
    assert '"schema":"hailong.public-scoreboard"' in phone.content()


def test_widget_can_be_framed_by_another_page_and_the_scoreboard_cannot(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    pg = context.new_page()
    refused: list[str] = []
    pg.on("console", lambda msg: refused.append(msg.text) if "frame-ancestors" in msg.text else None)
    try:
        pg.goto(live_server + "/cong-khai")
        code = pg.locator("#co-quan tbody th a").first.get_attribute("href").rsplit("/", 1)[1].split("?")[0]
        pg.set_content('<iframe id="w" src="%s/cong-khai/widget/%s" width="320" height="220"></iframe>'
                       '<iframe id="p" src="%s/cong-khai" width="320" height="220"></iframe>'
                       % (live_server, code, live_server))
        widget = pg.frame_locator("#w")
        widget.locator("h1").wait_for()
        assert widget.locator(".widget-value").inner_text().strip()
        assert widget.locator("script").count() == 0
        pg.wait_for_timeout(500)
        # one refusal, the scoreboard's (the widget's frame rendered above): frame-ancestors 'none'
        assert len(refused) == 1 and "frame-ancestors 'none'" in refused[0], refused
        _shot(pg, "32-public-widget-framed")
    finally:
        context.close()
