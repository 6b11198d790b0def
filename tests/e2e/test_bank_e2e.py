"""Real browser, the questionnaire bank page: the list, a version previewed as the citizen sees it, and an
upload whose errors are shown on the page (CSRF on, the page fixture fails on any CSP violation)."""
from __future__ import annotations

import pytest

from tests.e2e.test_admin_e2e import _sign_in_as_admin
from tests.questionnaires.conftest import MINI, mutate
from tests.questionnaires.test_xlsform import authored

pytestmark = pytest.mark.e2e


def test_the_bank_lists_versions_and_previews_one_read_only(page, live_server):
    _sign_in_as_admin(page, live_server, "/admin/")
    page.get_by_role("link", name="Ngân hàng câu hỏi").click()
    page.wait_for_load_state()
    assert page.url.endswith("/admin/bank/")
    rows = page.locator("table.bank-table tbody tr")
    assert rows.count() >= 5
    instruments = set(rows.evaluate_all("rs => rs.map(r => r.dataset.instrument)"))
    assert {"sipas2023-service", "kiosk-quick", "dossier-eval"} <= instruments

    page.locator('tr[data-instrument="kiosk-quick"]').get_by_role("link", name="Xem trước").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Xem trước như người dân thấy").is_visible()
    screens = page.locator(".bank-screen")
    assert screens.count() == 4
    first = screens.first
    assert first.get_by_text("Ông/Bà đánh giá thế nào về thái độ").is_visible()
    faces = first.locator("input[name=q_Q1]")
    assert faces.count() == 3 and faces.first.is_disabled()  # read-only: nothing can be chosen
    assert first.locator("svg.face-svg").first.is_visible()
    assert page.get_by_text("Chỉ hiện khi câu Q1 được trả lời 1").is_visible()
    assert page.get_by_role("heading", name="Cây chỉ số").is_visible()


def test_an_upload_with_an_error_shows_it_on_the_page_then_a_good_one_loads(page, live_server, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(mutate("satisfied: [2]", "satisfied: [3]", MINI.replace("instrument: mini", "instrument: e2e-bank")),
                   encoding="utf-8")
    _sign_in_as_admin(page, live_server, "/admin/bank/")
    page.get_by_label("Tệp bộ câu hỏi (.yaml hoặc .xlsx XLSForm)").set_input_files(str(bad))
    page.get_by_role("button", name="Kiểm tra và nạp").click()
    page.wait_for_load_state()
    summary = page.locator("#bank-errors")
    assert summary.is_visible()
    text = summary.inner_text()
    assert "Tệp có 1 lỗi, chưa nạp gì:" in text and "bad.yaml" in text and "scales.sat5.satisfied[0]" in text
    assert page.locator('tr[data-instrument="e2e-bank"]').count() == 0

    workbook = tmp_path / "xls-e2e.xlsx"
    workbook.write_bytes(authored(["select_one yn", "A1", "Có dùng dịch vụ không?", "Did you use it?"]))
    page.get_by_label("Tệp bộ câu hỏi (.yaml hoặc .xlsx XLSForm)").set_input_files(str(workbook))
    page.get_by_role("button", name="Kiểm tra và nạp").click()
    page.wait_for_load_state()
    assert "/admin/bank/versions/" in page.url
    assert page.get_by_text("Đã nạp mini-xls phiên bản 1.").is_visible()
    assert page.get_by_text("Có dùng dịch vụ không?").is_visible()
