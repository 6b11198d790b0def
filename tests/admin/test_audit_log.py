"""The audit log in words: every action named, details labelled and formatted, filters, paging."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from survey.models import AuditLog
from survey.services.common import audit
from tests.admin.conftest import english


def _entry(session, action, at=None, actor="cli", **details):
    entry = audit.record(session, actor, action, "wave", "Q2", **details)
    if at is not None:
        entry.at = at
        session.flush()
    return entry


def test_every_action_the_code_records_has_words(app):
    import pathlib

    call = re.compile(r"record\(\s*[^,()]+,\s*[^,()]+(?:\([^()]*\))?[^,()]*,\s*[\"']([a-z_]+\.[a-z_]+)[\"']")
    recorded = set()
    for path in pathlib.Path(app.root_path).rglob("*.py"):
        recorded |= set(call.findall(path.read_text(encoding="utf-8")))
    assert {"wave.close", "user.create", "device.enrolled", "kiosk.handoff_flagged"} <= recorded  # the scan works
    # Recorded through a variable: sign-in throttling, hand-outs, downloads.
    recorded |= {"auth.login_throttled", "wave.bundle", "wave.slips", "wave.sms_csv", "export.report",
                 "export.index", "export.microdata", "export.codebook", "kiosk.slip_printed", "kiosk.call_answered"}
    # Publications and jobs are being written as this lands: their family's name stands in until their own words.
    pending = {a for a in recorded if a.startswith(("publication.", "job."))}
    assert recorded - set(audit.ACTIONS) - pending == set()
    assert all(audit.action_label(a) != a for a in pending)


def test_an_action_unknown_to_the_table_shows_its_family_and_code():
    assert audit.action_label("wave.close") == "Đã đóng đợt"
    assert audit.action_label("wave.teleport") == "Đợt khảo sát (wave.teleport)"
    assert audit.action_label("made.up") == "made.up"


def test_actors_and_targets_read_as_words():
    assert audit.actor_label("cli") == "dòng lệnh" and audit.actor_label("device:7") == "máy 7"
    assert audit.actor_label("lan") == "lan"
    assert audit.target_label("api_key", "hl_ab12") == "Khoá API hl_ab12"
    assert audit.target_label("something", "") == "something"


def test_details_are_labelled_and_their_values_formatted(app):
    names = audit.Names(agencies={3: "Sở Tư pháp"}, service_points={}, users={9: "lan"})
    rows = dict(audit.details_in_words({
        "before": ["analyst", None, None], "after": ["agency_viewer", 3, None], "sessions_revoked": 1200,
        "seed_erased": True, "pi": 0.125, "officer_id": 9, "reasons": {"address": 3},
        "design": {"scheme": "agency_sector", "rule": "target", "margin": 0.05, "min_responses": 30},
        "changes": {"margin": [0.05, 0.1], "period": [["2025-04-01", "2025-06-30"], ["2025-07-01", "2025-09-30"]]},
    }, names))
    assert rows["Trước"] == "Vai trò: Cán bộ phân tích (toàn tỉnh)"
    assert rows["Sau"] == "Vai trò: Cán bộ cơ quan (chỉ xem cơ quan mình); Cơ quan: Sở Tư pháp"
    assert rows["Số phiên đã kết thúc"] == "1.200" and rows["Đã xoá hạt giống"] == "có"
    assert rows["π"] == "12,5\u00a0%" and rows["Cán bộ chuyển"] == "lan" and rows["Giới hạn"] == "address: 3"
    assert rows["Thiết kế"] == ("Phân tầng: Cơ quan × lĩnh vực; Cách tính cỡ mẫu: Theo công thức SIPAS; "
                                "Sai số e: 5,0\u00a0%; Số phiếu tối thiểu mỗi tầng: 30")
    assert rows["Thay đổi"] == ("Sai số e: 5,0\u00a0% → 10,0\u00a0%; "
                                "Kỳ khảo sát: 01/04/2025 – 30/06/2025 → 01/07/2025 – 30/09/2025")
    assert audit.details_in_words({"agency_id": 99}, names) == [("Cơ quan", "#99")]  # a deleted row: its id


def test_the_page_shows_entries_in_words_with_numbers_in_the_page_language(client, admin, db_session):
    _entry(db_session, "wave.launch", invitations=12345)
    vi = client.get("/admin/audit/").get_data(as_text=True).split("<tbody>")[1]
    assert "Đã khởi động đợt" in vi and "Đợt Q2" in vi and "dòng lệnh" in vi and "12.345" in vi
    english(client)
    en = client.get("/admin/audit/").get_data(as_text=True).split("<tbody>")[1]
    assert "12,345" in en and "12.345" not in en


def test_the_filter_by_family_actor_and_dates_narrows_the_list(client, admin, db_session):
    _entry(db_session, "wave.close", at=datetime(2025, 5, 1, 3), expired=1)
    _entry(db_session, "wave.launch", at=datetime(2025, 6, 1, 3), actor="lan", invitations=2)
    _entry(db_session, "user.create", at=datetime(2025, 6, 2, 3), username="thu")

    def actions(query):
        page = client.get("/admin/audit/?" + query).get_data(as_text=True)
        rows = page.split("<tbody>")[1] if "<tbody>" in page else ""
        return sorted(set(re.findall(r'data-action="([a-z._]+)"', rows)))

    assert actions("action=wave.") == ["wave.close", "wave.launch"]
    assert actions("action=wave.close") == ["wave.close"]
    assert actions("actor=lan") == ["wave.launch"]
    assert actions("from=2025-06-01&to=2025-06-01") == ["wave.launch"]
    assert actions("action=user.&from=2025-06-03") == []
    page = client.get("/admin/audit/?action=wave.").get_data(as_text=True)
    assert 'value="wave." selected' in page and "Đợt khảo sát: mọi thao tác" in page
    assert '<option value="lan">' in page  # actors offered as suggestions


def test_the_filter_offers_every_known_action_grouped_and_logged_unknown_ones(client, admin, db_session):
    _entry(db_session, "publication.publish")
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert '<optgroup label="Tài khoản cán bộ">' in page and '<option value="user.disable" >Đã khoá tài khoản' in page
    assert '<option value="publication.publish" >Công bố (publication.publish)' in page


def test_the_log_is_paginated_and_counted(client, admin, db_session):
    for i in range(120):
        audit.record(db_session, "cli", "wave.audit", "wave", str(i), ok=True)
    first = client.get("/admin/audit/?action=wave.audit").get_data(as_text=True)
    third = client.get("/admin/audit/?action=wave.audit&page=3").get_data(as_text=True)
    assert "Trang 1 / 3" in first and "Trang 3 / 3" in third and "120 mục nhật ký" in first
    assert third.split("<tbody>")[1].count("<tr ") == 20
    assert db_session.scalar(select(AuditLog).where(AuditLog.target_id == "119")) is not None


def test_details_are_escaped(client, admin, db_session):
    _entry(db_session, "wave.close", note="<img src=x onerror=alert(1)>")
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x" in page
