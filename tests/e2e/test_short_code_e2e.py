"""Real browser, phone-sized: a citizen who cannot scan the QR types the slip's code on the home page."""
from __future__ import annotations

import pytest

from survey.extensions import db
from survey.models import Invitation
from survey.services.sampling import invitations as inv_service
from tests.e2e.citizen_helpers import new_invitation

pytestmark = pytest.mark.e2e


def _slip(live_app) -> tuple[str, str]:
    """A fresh invitation handed out on a slip: (token, code as printed, ABCD-EFGH)."""
    _token, inv_id = new_invitation(live_app)
    with live_app.app_context():
        (issued,) = inv_service.rekey(db.session, [db.session.get(Invitation, inv_id)])
        db.session.commit()
        db.session.remove()
    return issued.token, inv_service.display_code(issued.code)


def test_typing_the_code_on_a_phone_opens_the_survey(page, live_app, live_server):
    token, code = _slip(live_app)
    page.goto(f"{live_server}/")
    box = page.get_by_role("textbox", name="Mã trên phiếu")
    box.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 412  # no sideways scrolling on the phone
    assert box.bounding_box()["y"] + box.bounding_box()["height"] < 915  # the box is on the first screen
    assert float(box.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 16  # phones don't zoom in
    assert box.get_attribute("autocapitalize") == "characters"
    # Typed as a person reads it off paper: lower case, a space instead of the dash; Enter on the keyboard.
    box.type(code.lower().replace("-", " "))
    box.press("Enter")
    page.wait_for_url(f"{live_server}/s/{token}", timeout=10_000)
    assert page.get_by_role("link", name="Bắt đầu").is_visible()


def test_a_mistyped_code_says_so_next_to_the_box_and_keeps_what_was_typed(page, live_app, live_server):
    _token, code = _slip(live_app)
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    page.goto(f"{live_server}/")
    box = page.get_by_role("textbox", name="Mã trên phiếu")
    box.fill(wrong)
    page.get_by_role("button", name="Mở phiếu khảo sát").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert "Vui lòng kiểm tra lại từng ký tự" in alert.inner_text() and alert.is_visible()
    box = page.get_by_role("textbox", name="Mã trên phiếu")
    assert box.get_attribute("aria-invalid") == "true" and box.input_value() == wrong
    assert "code-error" in box.get_attribute("aria-describedby")
    box.fill("abc")
    box.press("Enter")
    page.wait_for_load_state()
    assert "Mã gồm 8 chữ và số" in page.get_by_role("alert").inner_text()
