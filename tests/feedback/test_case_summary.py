"""The monthly summary per unit: counts, on-time share, median days, overdue open; page and CSV, scoped."""

from __future__ import annotations

from datetime import datetime

import pytest

from survey.models import CaseRuleKind, CaseStatus, FeedbackCase
from survey.services.feedback import case_summary
from tests.feedback import case_helpers as h


@pytest.fixture
def world(db_session):
    """The small province."""
    return h.make_world(db_session)


def _case(session, world, agency, opened, due, closed=None, status=CaseStatus.NEW):
    response = h.dossier_response(session, world, overall=1, agency=agency)
    case = FeedbackCase(
        response_id=response.id,
        agency_id=agency.id,
        rule_kind=CaseRuleKind.OVERALL_LOW,
        case_type="danh_gia_thap",
        status=status,
        opened_at=opened,
        due_at=due,
        closed_at=closed,
    )
    session.add(case)
    session.flush()
    return case


@pytest.fixture
def november(db_session, world):
    """Cases of November 2026 (UTC times; the province is UTC+7)."""
    land, build = world["land"], world["build"]
    d = datetime
    # land: resolved on time in 2 days; resolved late in 6 days; closed not actionable in 4 days; open and overdue
    _case(db_session, world, land, d(2026, 11, 2), d(2026, 11, 7), d(2026, 11, 4), CaseStatus.RESOLVED)
    _case(db_session, world, land, d(2026, 11, 10), d(2026, 11, 15), d(2026, 11, 16), CaseStatus.RESOLVED)
    _case(db_session, world, land, d(2026, 11, 12), d(2026, 11, 17), d(2026, 11, 16), CaseStatus.NOT_ACTIONABLE)
    _case(db_session, world, land, d(2026, 11, 20), d(2026, 11, 25))
    # build: opened in October, still open past due through November; opened on 30 Nov 18:00 UTC = 1 Dec local
    _case(db_session, world, build, d(2026, 10, 20), d(2026, 10, 25))
    _case(db_session, world, build, d(2026, 11, 30, 18), d(2026, 12, 5))
    return world


def test_the_months_figures_per_unit(db_session, november):
    rows = case_summary.summary(db_session, 2026, 11, now=datetime(2026, 12, 20))
    by_code = {r.agency.code: r for r in rows}
    land = by_code["C-STNMT"]
    assert (land.opened, land.resolved, land.resolved_on_time, land.overdue_open) == (4, 2, 1, 1)
    assert land.median_days == pytest.approx(4.0)  # of 2, 6 and 4 days
    build = by_code["C-SXD"]
    assert (build.opened, build.resolved, build.overdue_open, build.median_days) == (0, 0, 1, None)
    assert case_summary.total(rows)["opened"] == 4


def test_a_case_opened_late_on_the_last_utc_day_is_the_next_local_month(db_session, november):
    rows = case_summary.summary(db_session, 2026, 12, now=datetime(2026, 12, 20))
    build = next(r for r in rows if r.agency.code == "C-SXD")
    assert build.opened == 1


def test_the_summary_is_scoped_to_the_viewers_units(db_session, november):
    rows = case_summary.summary(db_session, 2026, 11, visible={november["build"].id}, now=datetime(2026, 12, 20))
    assert [r.agency.code for r in rows] == ["C-SXD"]


def test_bad_months_are_refused_and_empty_is_this_month():
    assert case_summary.parse_month("2026-13") is None and case_summary.parse_month("abc") is None
    assert case_summary.parse_month("1999-01") is None
    assert case_summary.parse_month("", today=datetime(2026, 5, 3).date()) == (2026, 5)


def test_page_and_csv(client, db_session, november):
    viewer = h.staff(db_session, "land-viewer", agency=november["land"])
    h.login(client, viewer)
    html = client.get("/analyst/cases/summary?month=2026-11").get_data(as_text=True)
    assert "Sở Tài nguyên và Môi trường" in html and "Sở Xây dựng" not in html
    csv = client.get("/analyst/cases/summary.csv?month=2026-11")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("thang,ma_don_vi,don_vi,mo_moi")
    assert lines[1] == "2026-11,C-STNMT,Sở Tài nguyên và Môi trường,4,2,1,4.0,1"
    assert client.get("/analyst/cases/summary?month=2026-99").status_code == 404
