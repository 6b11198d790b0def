"""One formatting helper: numbers, percentages, dates and names in Vietnamese and English, on pages too."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from flask import g
from sqlalchemy import select

from survey.models import ServicePoint
from survey.services.common import formats
from tests.admin.conftest import english
from tests.sampling.factories import make_wave


@pytest.mark.parametrize(("locale", "count", "share", "day", "moment"), [
    ("vi", "10.188", "48,8\u00a0%", "03/12/2026", "03/12/2026 14:05"),
    ("en", "10,188", "48.8%", "3 Dec 2026", "3 Dec 2026, 14:05"),
])
def test_numbers_percentages_and_dates_follow_the_language(locale, count, share, day, moment):
    assert formats.num(10188, locale=locale) == count
    assert formats.pct(0.488, locale=locale) == share
    assert formats.day(date(2026, 12, 3), locale=locale) == day
    assert formats.when(datetime(2026, 12, 3, 7, 5), locale=locale) == moment  # stored UTC, shown UTC+7


def test_decimals_minus_signs_and_missing_values():
    assert formats.num(85.44, 1, "vi") == "85,4" and formats.num(85.44, 1, "en") == "85.4"
    assert formats.num(-3.25, 2, "vi") == "\u22123,25"
    assert formats.points(85.44, locale="vi") == "85,4\u00a0%"
    assert formats.pct(1, 0, "en") == "100%"
    assert [formats.num(None), formats.pct(float("nan")), formats.day(None), formats.when(None)] == ["—"] * 4


def test_spreadsheet_cells_get_a_number_format_not_a_formatted_string():
    assert formats.excel_format("pct") == "0.0%" and formats.excel_format("num") == "#,##0"
    assert formats.excel_format("day", "vi") == "dd/mm/yyyy" and formats.excel_format("day", "en") == "d mmm yyyy"


def test_a_moment_late_in_the_utc_day_is_the_next_local_day():
    late = datetime(2026, 12, 2, 18, 30)  # 01:30 on 3 December in Hà Nội
    assert formats.day(late, "vi") == "03/12/2026"
    assert formats.when(late, "vi", seconds=True) == "03/12/2026 01:30:00"
    assert formats.period("2025-04-01", date(2025, 6, 30), "en") == "1 Apr 2025 – 30 Jun 2025"


def test_the_language_comes_from_the_request_when_not_given(app, db_session):
    with app.test_request_context("/?lang=en"):
        assert formats.locale_code() == "en" and formats.num(1234.5, 1) == "1,234.5"
    g.pop("_flask_babel", None)  # db_session's app context outlives the request: its cached locale too
    with app.test_request_context("/"):
        assert formats.locale_code() == "vi" and formats.num(1234.5, 1) == "1.234,5"
    assert formats.locale_code("en_GB") == "en" and formats.locale_code("fr") == "vi"


def test_names_are_english_in_english_when_the_row_has_one(db_session, reg, version):
    agency = reg["agencies"]["AG1"]
    agency.name_en = "Agency One"
    assert formats.named(agency, "en") == "Agency One" and formats.named(agency, "vi") == "Cơ quan AG1"
    assert formats.named(reg["agencies"]["AG2"], "en") == "Cơ quan AG2"  # no English name: the Vietnamese
    wave = make_wave(db_session, version, name_en="Second quarter")
    assert formats.named(wave, "en") == "Second quarter" and formats.named(wave, "vi") == "Đợt thử"
    assert formats.named(None) == ""


def test_the_wave_list_writes_dates_and_rates_in_the_page_language(client, admin, db_session, version):
    make_wave(db_session, version, code="Q2", name_en="Q2 survey")
    vi = client.get("/admin/waves/").get_data(as_text=True)
    assert "01/04/2025 – 30/06/2025" in vi and "Đợt thử" in vi and "2025-04-01" not in vi
    english(client)
    en = client.get("/admin/waves/").get_data(as_text=True)
    assert "1 Apr 2025 – 30 Jun 2025" in en and "Q2 survey" in en and "Đợt thử" not in en


def test_the_wave_page_groups_thousands_and_writes_percentages_in_the_page_language(client, admin, db_session,
                                                                                   dossiers):
    wave = make_wave(db_session, dossiers, code="Q2", fixed_pi=0.125)
    for stratum in wave.strata:
        stratum.population_prev = 12345
    db_session.flush()
    vi = client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    assert "12,5&nbsp;%" in vi and "12.345" in vi
    english(client)
    en = client.get(f"/admin/waves/{wave.id}").get_data(as_text=True)
    assert "12.5%" in en and "12,345" in en and "12,5&nbsp;%" not in en


def test_admin_pages_never_print_iso_timestamps(client, admin, db_session, reg):
    from survey.services.kiosk import operations as kiosk_ops

    point = db_session.scalar(select(ServicePoint).where(ServicePoint.code == "SP1"))
    device, _code = kiosk_ops.register_device(db_session, admin, point, "Kiosk 1")
    device.last_seen_at = admin.last_login_at = datetime(2026, 12, 3, 7, 5)
    db_session.flush()
    for url in ("/admin/devices", "/admin/users/", f"/admin/users/{admin.id}", "/admin/audit/"):
        resp = client.get(url)
        body = resp.get_data(as_text=True).split("<main", 1)[1]
        assert resp.status_code == 200 and re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", body), url
        assert not re.search(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}", body), url
