"""Real browser: a citizen answers the SIPAS service-point questionnaire by link, start to thank-you."""
from __future__ import annotations

import time

import pytest

from tests.e2e.citizen_helpers import count_responses, new_invitation, responses_of

pytestmark = pytest.mark.e2e


def _answer_screen(page) -> int:
    """Answer every visible question the way a satisfied citizen would; returns how many were answered."""
    answered = 0
    for box in page.locator("fieldset.q:visible").all():
        radios = box.locator("input[type=radio]")
        if radios.count():
            preferred = box.locator("label.choice", has_text="Hài lòng")
            target = preferred.first if preferred.count() else box.locator("label.choice").first
            target.click()
            answered += 1
        elif box.locator("input[type=checkbox]").count():
            box.locator("label.choice").first.click()
            answered += 1
        elif box.locator("input[type=number]").count():
            box.locator("input[type=number]").fill("45")
            answered += 1
    for phone in page.locator("fieldset.q:visible input[type=tel]").all():  # shown by a "yes" above it
        phone.fill("0912 345 678")
        answered += 1
    return answered


def test_link_survey_from_welcome_to_thank_you(page, live_app, live_server):
    token, inv_id = new_invitation(live_app)
    page.goto(f"{live_server}/s/{token}")
    assert "phút" in page.content() and "ẩn danh" in page.content()
    page.get_by_role("link", name="Bắt đầu").click()

    # Back and next keep the answers (the draft lives on the server).
    _answer_screen(page)
    page.get_by_role("button", name="Tiếp tục →").click()
    page.get_by_role("button", name="← Quay lại").click()
    assert page.locator("input[type=radio]:checked").count() >= 1

    screens, started, checked_required = 0, time.monotonic(), False
    while "/done" not in page.url and screens < 40:
        assert page.locator(".progress").is_visible()
        if page.locator("#q-OVR1").count() and not checked_required:
            # The one required question: skipping it gets a clear message and the screen stays.
            page.get_by_role("button", name="Tiếp tục →").click()
            assert page.locator(".error-summary").is_visible()
            assert page.locator("#q-OVR1 .error-text").inner_text() == "Vui lòng trả lời câu hỏi này."
            checked_required = True
        _answer_screen(page)
        last = page.get_by_role("button", name="Gửi câu trả lời")
        (last if last.count() else page.get_by_role("button", name="Tiếp tục →")).click()
        page.wait_for_load_state()
        screens += 1
    assert checked_required
    assert page.url.endswith(f"/s/{token}/done")
    assert "Cảm ơn bạn đã trả lời khảo sát!" in page.content()
    stored = responses_of(live_app, invitation_id=inv_id)
    assert len(stored) == 1
    _uuid, mode, partial, probability, answers = stored[0]
    assert (mode, partial, probability) == ("link", False, True)
    assert {"ACC1", "PRO1", "CIV1", "RES1", "FBK1", "OVR1"} <= {a[0] for a in answers}
    print(f"service-point questionnaire: {screens} screens, {time.monotonic() - started:.1f} s for the robot")


def test_used_link_shows_the_used_page(page, live_app, live_server):
    token, inv_id = new_invitation(live_app, "kiosk-quick")
    page.goto(f"{live_server}/s/{token}/1")
    page.locator("label.face-choice", has_text="Rất hài lòng").first.click()
    page.get_by_role("button", name="Tiếp tục →").click()
    while "/done" not in page.url:
        last = page.get_by_role("button", name="Gửi câu trả lời")
        (last if last.count() else page.get_by_role("button", name="Tiếp tục →")).click()
        page.wait_for_load_state()
    assert count_responses(live_app, invitation_id=inv_id) == 1
    page.goto(f"{live_server}/s/{token}")
    assert page.get_by_role("heading", name="Lời mời này đã được trả lời").is_visible()
    page.go_back()
    page.goto(f"{live_server}/s/{token}/1")
    assert "đã được trả lời" in page.content()
    assert count_responses(live_app, invitation_id=inv_id) == 1
