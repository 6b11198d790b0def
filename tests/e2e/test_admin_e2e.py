"""Real browser, admin pages: the audit log filtered by action, and the searchable agency and service point
pickers used with the keyboard only (the page fixture fails on any Content-Security-Policy violation)."""
from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "hailong-demo-2025"


def _sign_in_as_admin(page, base: str, next_path: str) -> None:
    page.goto(f"{base}/auth/login?next={next_path}")
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def _until(page, script: str, timeout: float = 5.0):
    """Poll a page expression from Python (wait_for_function would compile it in the page, which the CSP refuses)."""
    deadline = time.monotonic() + timeout
    value = page.evaluate(script)
    while not value and time.monotonic() < deadline:
        time.sleep(0.05)
        value = page.evaluate(script)
    return value


def test_the_audit_log_filtered_by_action_shows_only_that_action_in_words(page, live_server):
    _sign_in_as_admin(page, live_server, "/admin/audit/")
    assert page.url.endswith("/admin/audit/")
    page.get_by_label("Thao tác").select_option("auth.login")
    page.get_by_role("button", name="Lọc").click()
    page.wait_for_load_state()
    assert "action=auth.login" in page.url
    rows = page.locator("table.audit-table tbody tr")
    assert rows.count() >= 1
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.action)")) == {"auth.login"}
    first = rows.first.inner_text()
    assert "Đăng nhập thành công" in first and "admin" in first and "Tên đăng nhập admin" in first
    assert "Địa chỉ IP" in rows.first.locator("dl.audit-details").text_content()  # a column phones hide
    # One date format on the page: dd/mm/yyyy, never ISO.
    assert _until(page, "/\\d{2}\\/\\d{2}\\/\\d{4} \\d{2}:\\d{2}/.test(document.querySelector('tbody td').textContent)")
    assert not page.evaluate("/\\d{4}-\\d{2}-\\d{2}/.test(document.querySelector('tbody').textContent)")
    # The family option shows every sign-in action; the selection survives the reload.
    assert page.get_by_label("Thao tác").input_value() == "auth.login"


def test_the_agency_picker_is_searchable_and_chosen_with_the_keyboard(page, live_server):
    _sign_in_as_admin(page, live_server, "/admin/users/new")
    box = page.get_by_role("combobox", name="Cơ quan (bắt buộc với cán bộ cơ quan)")
    assert box.get_attribute("aria-expanded") == "false"
    assert page.locator("select#agency_id").is_hidden()  # the select stays in the form, hidden
    box.focus()
    # No accents: still finds "xã Cẩm Xuyên" (today's commune; the retired district is not offered).
    page.keyboard.type("xa cam xuyen")
    assert box.get_attribute("aria-expanded") == "true"
    shown = page.locator("#agency_id-list [role=option]:not([hidden])")
    assert shown.count() == 1 and "Cẩm Xuyên" in shown.first.inner_text()
    assert "1" in page.locator(".picker-status").first.inner_text()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")  # wraps round a one-option list
    assert box.get_attribute("aria-activedescendant") == shown.first.get_attribute("id")
    page.keyboard.press("Enter")  # chooses; does not submit the form
    assert page.url.endswith("/admin/users/new")
    assert box.get_attribute("aria-expanded") == "false"
    assert "Cẩm Xuyên" in box.input_value()
    chosen = page.evaluate("(() => { const s = document.querySelector('select#agency_id');"
                           " return s.options[s.selectedIndex].text; })()")
    assert chosen == "Ủy ban nhân dân xã Cẩm Xuyên"

    # Escape restores the choice after a search that found nothing.
    box.focus()
    page.keyboard.type("khong co co quan nay")
    assert page.locator("#agency_id-list [role=option]:not([hidden])").count() == 0
    assert "Không tìm thấy" in page.locator(".picker-status").first.inner_text()
    page.keyboard.press("Escape")
    assert box.input_value() == "Ủy ban nhân dân xã Cẩm Xuyên"

    # The rest of the form by keyboard too; the account is created with the agency picked.
    page.get_by_label("Tên đăng nhập").fill("canbo-camxuyen")
    page.get_by_label("Vai trò").select_option("agency_viewer")
    page.get_by_label("Mật khẩu ban đầu").fill("mot-mat-khau-rat-dai-2025")
    page.get_by_label("Nhập lại mật khẩu").fill("mot-mat-khau-rat-dai-2025")
    page.get_by_role("button", name="Tạo tài khoản").click()
    page.wait_for_load_state()
    assert "/admin/users/" in page.url and not page.url.endswith("/new")
    assert "Cẩm Xuyên" in page.get_by_role("combobox", name="Cơ quan (bắt buộc với cán bộ cơ quan)").input_value()


def test_the_service_point_picker_opens_with_the_arrow_key_and_takes_a_pointer(page, live_server):
    _sign_in_as_admin(page, live_server, "/admin/devices")
    box = page.get_by_role("combobox", name="Điểm phục vụ đặt máy")
    box.focus()
    page.keyboard.press("ArrowDown")  # opens the whole list, the current choice active
    assert box.get_attribute("aria-expanded") == "true"
    assert page.locator("#service_point_id-list [role=option]:not([hidden])").count() >= 20
    page.keyboard.type("tu phap")
    target = page.locator("#service_point_id-list [role=option]:not([hidden])", has_text="Sở Tư pháp").first
    target.click()  # a pointer chooses too
    assert "Sở Tư pháp" in box.input_value()
    value = page.evaluate("document.querySelector('select#service_point_id').value")
    assert value and value.isdigit()


@pytest.fixture
def tablet(browser):
    """A touch-screen page (a tablet held upright), failing on any Content-Security-Policy violation."""
    context = browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN", has_touch=True,
                                  is_mobile=True)
    pg = context.new_page()
    blocked: list[str] = []
    pg.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield pg
    context.close()
    assert blocked == [], blocked


def test_the_picker_is_used_by_touch_alone(tablet, live_server):
    page = tablet
    _sign_in_as_admin(page, live_server, "/admin/devices")
    box = page.get_by_role("combobox", name="Điểm phục vụ đặt máy")
    assert box.get_attribute("aria-required") == "true"  # the select's `required`, said by the text box
    box.tap()  # a tap opens the whole list
    assert box.get_attribute("aria-expanded") == "true"
    option = page.locator("#service_point_id-list [role=option]:not([hidden])", has_text="Sở Xây dựng").first
    option.scroll_into_view_if_needed()
    height = option.bounding_box()["height"]
    option.tap()
    assert box.get_attribute("aria-expanded") == "false" and "Sở Xây dựng" in box.input_value()
    assert height >= 44  # a finger-sized target
    chosen = page.evaluate("(() => { const s = document.querySelector('select#service_point_id');"
                           " return s.options[s.selectedIndex].text; })()")
    assert "Sở Xây dựng" in chosen
    page.get_by_label("Tên máy").fill("Kiosk quầy Xây dựng")
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng ký và lấy mã").tap()
    assert "Sở Xây dựng" in page.locator("main").inner_text()  # registered at the point picked
