"""Admin pages on odd input: a page number past any SQL OFFSET, wave periods and audit dates at the calendar's edge."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from survey.models import Wave
from survey.services.common import audit as audit_log
from survey.services.sampling import waves
from tests.sampling.factories import login, make_admin, make_wave

HCM = "Asia/Ho_Chi_Minh"
HUGE_PAGES = [str(10**20), str(2**60), str(2**63 - 1)]  # each times 25 or 50 is past any 64-bit OFFSET


@pytest.fixture
def admin(client, db_session):
    """A signed-in administrator."""
    user = make_admin(db_session)
    login(client, user)
    return user


def _wave_form(version, start: str, end: str, code: str = "EDGE") -> dict:
    return {"code": code, "name": "Kỳ biên", "period_start": start, "period_end": end, "version_id": version.id,
            "scheme": "agency_sector", "rule": "target", "margin_pct": "10", "response_pct": "50",
            "min_responses": "10", "new_stratum_pct": "100"}


@pytest.mark.parametrize("url", ["/admin/audit/", "/admin/users/", "/admin/waves/"])
@pytest.mark.parametrize("page", HUGE_PAGES)
def test_a_page_number_past_the_end_shows_the_last_page(client, admin, db_session, version, url, page):
    make_wave(db_session, version, code="ONLY-WAVE")
    audit_log.record(db_session, admin, "wave.create", "wave", "ONLY-WAVE")
    resp = client.get(f"{url}?page={page}")
    assert resp.status_code == 200
    assert ("ONLY-WAVE" if "audit" in url or "waves" in url else admin.username) in resp.get_data(as_text=True)


def test_the_audit_log_clamps_to_its_last_page(client, admin, db_session):
    for i in range(60):  # 50 a page: two pages
        audit_log.record(db_session, admin, "user.create", "user", f"T{i}")
    page = client.get(f"/admin/audit/?page={10**20}").get_data(as_text=True)
    assert "Trang 2 / 2" in page and "T9" in page and "T59" not in page


@pytest.mark.parametrize("start, end, fixed", [
    ("0001-01-01", "0001-03-31", ("2000-01-01", "2000-03-31")),  # whole months: the quarter before is in year 0
    ("0001-01-05", "0001-03-31", ("2000-01-05", "2000-03-31")),  # as many days before 0001-01-05
    ("0001-02-01", "0001-02-28", ("2000-02-01", "2000-02-29")),  # the month before February of year 1
    ("9999-12-01", "9999-12-31", ("2100-12-01", "2100-12-31")),  # the day after the period's end
    ("1900-01-01", "2100-12-31", ("2000-01-01", "2100-12-31")),  # its previous period would start in 1699
    ("1999-12-01", "2000-01-31", ("2000-01-01", "2000-01-31")),
    ("2100-12-01", "2101-01-31", ("2100-12-01", "2100-12-31")),
])
def test_the_wave_form_takes_periods_of_2000_to_2100_only(client, admin, db_session, version, start, end, fixed):
    resp = client.post("/admin/waves/new", data=_wave_form(version, start, end))
    assert resp.status_code == 200
    assert "Ngày phải nằm trong khoảng 01/01/2000 – 31/12/2100." in resp.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Wave)) == 0
    assert client.post("/admin/waves/new", data=_wave_form(version, *fixed)).status_code == 302  # the edges are in


@pytest.mark.parametrize("start, end", [(date(1, 1, 1), date(1, 3, 31)), (date(9999, 12, 1), date(9999, 12, 31)),
                                        (date(1900, 1, 1), date(2100, 12, 31))])
def test_the_service_refuses_periods_outside_the_supported_years(db_session, version, start, end):
    with pytest.raises(waves.WaveError, match="period_out_of_range"):
        make_wave(db_session, version, start=start, end=end)
    assert "01/01/2000" in waves.error_message("period_out_of_range")


@pytest.mark.parametrize("zone, query, shown", [
    (HCM, "from=0001-01-01", True),  # its local midnight is in year 0 in UTC
    (HCM, "to=0001-01-01", False),
    (HCM, "from=0001-01-01&to=9999-12-31", True),
    ("America/New_York", "to=9999-12-31", True),  # west of UTC the day after 9999-12-31 ends in year 10000
])
def test_audit_date_filters_at_the_edge_of_the_calendar(client, admin, db_session, monkeypatch, zone, query, shown):
    monkeypatch.setitem(client.application.config, "BABEL_DEFAULT_TIMEZONE", zone)
    audit_log.record(db_session, admin, "user.create", "user", "EDGE-TARGET")
    resp = client.get(f"/admin/audit/?{query}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert ("EDGE-TARGET" in page) is shown
    assert ("Không có mục nhật ký nào" in page) is not shown
    for part in query.split("&"):  # the typed dates stay in the filter form
        assert f'value="{part.split("=")[1]}"' in page
