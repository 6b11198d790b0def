"""Real browser: a low overall rating becomes a case for the dossier's unit, whose officer acknowledges it,
replies and resolves it; the case's history shows every step. Screenshots go to $HAILONG_SCREENSHOTS when set."""

from __future__ import annotations

import os
import uuid

import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "mat-khau-don-vi-2025"
SHOTS = os.environ.get("HAILONG_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


def _low_rating_case(live_app) -> tuple[int, str]:
    """A response with overall = 1 stored through the respond service, the scan run; (case id, unit user)."""
    from survey.extensions import db
    from survey.services.accounts.users import create_user
    from survey.services.feedback import case_rules, cases
    from survey.services.questionnaires.bank import get_version
    from survey.services.respond.responses import store_response
    from tests.respond import factories as f

    with live_app.app_context():
        version = get_version(db.session, "sipas2023-service")
        reg = f.add_registry(db.session)
        wave = f.add_wave(db.session, version, reg)
        invitation, _token = f.add_invitation(db.session, wave, reg, external_id="HS-E2E-" + uuid.uuid4().hex[:6])
        username = "donvi-" + uuid.uuid4().hex[:6]
        create_user(db.session, username, PASSWORD, "agency_viewer", agency_id=reg["agency"].id)
        store_response(db.session, version, str(uuid.uuid4()), {"OVR1": 1}, {}, mode="link", invitation=invitation)
        case_rules.seed_defaults(db.session)
        opened = cases.scan(db.session).opened
        case_id = next(c.id for c in opened if c.agency_id == reg["agency"].id)
        db.session.commit()
        db.session.remove()
    return case_id, username


def test_a_low_rating_is_acknowledged_answered_and_resolved_by_its_unit(page, live_app, live_server):
    case_id, username = _low_rating_case(live_app)
    page.goto(f"{live_server}/auth/login?next=/analyst/cases/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    assert page.url.endswith("/analyst/cases/")
    rows = page.get_by_test_id("cases").locator("tbody tr")
    assert rows.count() == 1  # only this unit's case
    _shot(page, "cases-01-list")
    page.get_by_role("link", name=f"#{case_id}").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("case-status").inner_text().startswith("Mới")
    assert "Rất không hài lòng" in page.content()
    assert "HS-E2E-" not in page.content()  # never the dossier's code
    _shot(page, "cases-02-new")

    page.get_by_role("button", name="Tiếp nhận").click()
    page.wait_for_load_state()
    assert "Đã tiếp nhận phản ánh." in page.content()
    assert page.get_by_test_id("case-status").inner_text().startswith("Đã tiếp nhận")

    page.get_by_role("button", name="Trả lời và đóng").click()  # empty: refused, nothing changes
    page.wait_for_load_state()
    assert "Hãy nhập nội dung trả lời" in page.content()
    assert page.get_by_test_id("case-status").inner_text().startswith("Đã tiếp nhận")

    page.get_by_label("Nội dung").fill("Đơn vị đã rà soát, hướng dẫn lại và xin lỗi Ông/Bà.")
    page.get_by_role("button", name="Trả lời và đóng").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("case-status").inner_text().startswith("Đã giải quyết")
    _shot(page, "cases-03-resolved")
    history = page.get_by_test_id("case-history").inner_text()
    for step in ("Mở phản ánh", "Đơn vị tiếp nhận", "Trả lời, giải quyết", "Đơn vị đã rà soát", username):
        assert step in history
    assert page.get_by_role("button", name="Tiếp nhận").count() == 0  # a closed case offers no steps
