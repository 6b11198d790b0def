"""Real browser: a citizen leaves a link survey at part 3 and opens the link again later, on another device."""
from __future__ import annotations

import os

import pytest

from tests.e2e.citizen_helpers import responses_of
from tests.e2e.test_respond_e2e import _answer_screen

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("KIOSK_SHOTS")


def _reopen(browser, url):
    """The same link opened in a fresh browser (a new tab after the phone restarted, another phone)."""
    context = browser.new_context(viewport={"width": 412, "height": 915}, locale="vi-VN")
    page = context.new_page()
    page.goto(url)
    return context, page


def _checked(page):
    return page.locator("input:checked").evaluate_all("els => els.map(e => e.name + '=' + e.value)")


def test_reopened_link_continues_from_the_part_left_with_the_answers_kept(page, browser, live_app, live_server):
    from tests.e2e.citizen_helpers import new_invitation

    token, inv_id = new_invitation(live_app)
    page.goto(f"{live_server}/s/{token}")
    assert page.locator("#resume").count() == 0
    page.get_by_role("link", name="Bắt đầu").click()
    chosen = []
    for _part in (1, 2):
        _answer_screen(page)
        chosen.append(_checked(page))
        page.get_by_role("button", name="Tiếp tục →").click()
        page.wait_for_load_state()
    assert page.locator(".progress-text").inner_text() == "Phần 3 / 13"
    page.context.close()                                   # the citizen walks away at part 3

    context, again = _reopen(browser, f"{live_server}/s/{token}")
    try:
        if SHOTS:
            again.screenshot(path=os.path.join(SHOTS, "respond-resume.png"), full_page=True)
        assert again.get_by_role("link", name="Bắt đầu").count() == 0
        again.get_by_role("link", name="Tiếp tục từ phần 3").click()
        again.wait_for_load_state()
        assert again.url.endswith(f"/s/{token}/3")
        assert again.locator(".progress-text").inner_text() == "Phần 3 / 13"
        for part in (2, 1):                                # the earlier parts' answers are all there
            again.get_by_role("button", name="← Quay lại").click()
            again.wait_for_load_state()
            assert again.locator(".progress-text").inner_text() == f"Phần {part} / 13"
            assert _checked(again) == chosen[part - 1] and chosen[part - 1]
        # Starting over instead: the first part opens empty, and the welcome offers only a start.
        again.goto(f"{live_server}/s/{token}")
        again.get_by_role("button", name="Làm lại từ đầu (xoá các câu trả lời trước)").click()
        again.wait_for_load_state()
        assert again.url.endswith(f"/s/{token}/1") and _checked(again) == []
        again.goto(f"{live_server}/s/{token}")
        assert again.get_by_role("link", name="Bắt đầu").is_visible() and again.locator("#resume").count() == 0
        assert responses_of(live_app, invitation_id=inv_id) == []
    finally:
        context.close()
