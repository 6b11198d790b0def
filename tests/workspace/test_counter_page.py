"""The counter ratings page (/analyst/counter): labelled walk-up ratings beside the sampled index, scoped to the
viewer's agencies, with a CSV of the aggregates; bad parameters get a Vietnamese error and change nothing."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog
from survey.services.accounts.users import create_user
from survey.services.kiosk.devices import create_device
from survey.services.workspace import counter_csv
from survey.services.workspace import counter_ratings as cr
from tests.workspace.conftest import PASSWORD, sign_in
from tests.workspace.test_counter_ratings import walkup

LABEL = "Đánh giá tại quầy — không phải mẫu xác suất, không tính vào chỉ số"
PERIOD = {"start": "2025-08-01", "end": "2025-08-07"}


def _number(cell: str):
    """A CSV cell as a number when it is one ("50,0" in the Vietnamese style, "50.0" in the international one)."""
    return float(cell.replace(",", ".")) if re.fullmatch(r"-?\d+(?:[.,]\d+)?", cell) else cell


def _text(resp) -> str:
    return re.sub(r"\s+", " ", resp.get_data(as_text=True))


@pytest.fixture
def rated(world, db_session, analyst):
    """Walk-ups at the province centre on two counters, one with an "other" reason text."""
    centre = world["centre"]
    one, _ = create_device(db_session, centre, "Quầy 1")
    two, _ = create_device(db_session, centre, "Quầy 2")
    walkup(db_session, centre, one, datetime(2025, 8, 2, 2), {"Q1": 1, "Q1_REASON": [4, 9]},
           {"Q1_REASON": "<script>alert(1)</script> chờ lâu quá"})  # fmt: skip
    walkup(db_session, centre, one, datetime(2025, 8, 2, 3), {"Q1": 3, "Q2": 2})
    walkup(db_session, centre, two, datetime(2025, 8, 3, 8), {"Q1": 2, "Q2": 1, "Q2_REASON": [1]})
    walkup(db_session, centre, two, datetime(2025, 8, 3, 9), {"Q1": 3})
    return {"one": one, "two": two, **world}


def test_the_page_shows_labelled_walkups_beside_the_sampled_index(client, rated):
    sign_in(client, "phan.tich")
    resp = client.get("/analyst/counter/%d" % rated["centre"].id, query_string=PERIOD)
    page = _text(resp)
    assert resp.status_code == 200
    assert page.count(LABEL) >= 6  # the banner and every table's caption
    assert 'data-testid="walkup-share"' in page and "50,0" in page and "2 trên 4 lượt đánh giá" in page
    assert "Chưa hài lòng: lượt đánh giá chọn ít nhất một mức" in page
    sampled = re.search(r'data-testid="sampled-index".*?</section>', page).group(0)
    assert "Khoảng tin cậy 95 %" in sampled and "Đợt thử W-2025Q3" in sampled and "không cộng gộp" in sampled
    assert "Phải chờ đợi lâu" in page and "Trả kết quả trễ hẹn" in page and "Quầy 2" in page
    assert "09:00–10:00" in page and "02/08/2025" in page  # 02:00 UTC is 09:00 in Hà Nội
    assert "&lt;script&gt;alert(1)&lt;/script&gt; chờ lâu quá" in page and "<script>alert" not in page
    assert 'role="img"' in page and "<title" in page  # the chart says what it shows
    assert '/ratings.csv?start=2025-08-01&amp;end=2025-08-07"' in page  # the CSV of the same period
    assert 'data-testid="other-period"' not in page  # the wave of July–September 2025 covers the period


def test_the_default_period_is_the_last_30_local_days(client, rated):
    sign_in(client, "phan.tich")
    page = _text(client.get("/analyst/counter/%d" % rated["centre"].id))
    today = cr.local_today()
    start = cr.parse_period(None, None, today).start
    assert 'name="start" value="%s"' % start.isoformat() in page and 'name="end" value="%s"' % today in page
    assert (today - start).days == 29 and 'data-testid="empty-state"' in page  # August 2025 is long gone
    assert 'data-testid="other-period"' in page  # the sampled index shown is of an earlier wave, and says so


def test_a_counter_narrows_the_page(client, rated):
    sign_in(client, "phan.tich")
    resp = client.get("/analyst/counter/%d" % rated["centre"].id, query_string={**PERIOD, "counter": rated["two"].id})
    page = _text(resp)
    assert resp.status_code == 200 and "— Quầy 2</h1>" in page and "1 trên 2 lượt đánh giá" in page


def test_a_point_without_walkups_shows_the_empty_state_and_its_index(client, rated):
    sign_in(client, "phan.tich")
    page = _text(client.get("/analyst/counter/%d" % rated["dcentre"].id, query_string=PERIOD))
    assert 'data-testid="empty-state"' in page and "Chưa có lượt đánh giá tại quầy nào" in page
    assert "Khoảng tin cậy 95 %" in page and "ratings.csv" not in page


@pytest.mark.parametrize("args,status,words", [
    ({"start": "2025-02-30"}, 400, "không hợp lệ"), ({"start": "2025-08-09", "end": "2025-08-01"}, 400, "trước"),
    ({"counter": "abc"}, 404, "Quầy (máy tính bảng) này không thuộc"), ({"counter": "99999999999"}, 404, "Quầy"),
])  # fmt: skip
def test_bad_parameters_get_a_vietnamese_error(client, rated, db_session, args, status, words):
    sign_in(client, "phan.tich")
    before = db_session.scalar(select(func.count()).select_from(AuditLog))
    for url in ("/analyst/counter/%d", "/analyst/counter/%d/ratings.csv"):
        resp = client.get(url % rated["centre"].id, query_string=args)
        assert resp.status_code == status and 'data-testid="error"' in resp.get_data(as_text=True)
        assert words in _text(resp)
    after = db_session.scalar(select(func.count()).select_from(AuditLog))
    assert after == before  # nothing downloaded, nothing logged


def test_a_counter_of_another_point_is_refused(client, rated, db_session):
    other, _ = create_device(db_session, rated["dcentre"], "Quầy huyện")
    sign_in(client, "phan.tich")
    resp = client.get("/analyst/counter/%d" % rated["centre"].id, query_string={"counter": other.id})
    assert resp.status_code == 404 and "không thuộc điểm phục vụ đã chọn" in _text(resp)


def test_unknown_points_are_404(client, rated):
    sign_in(client, "phan.tich")
    for url in ("/analyst/counter/999999", "/analyst/counter?point=999999", "/analyst/counter?point=x",
                "/analyst/counter/999999/ratings.csv"):  # fmt: skip
        resp = client.get(url)
        assert resp.status_code == 404 and "Không tìm thấy điểm phục vụ này" in _text(resp), url


def test_a_viewer_sees_only_the_points_of_his_agencies(client, rated, db_session):
    create_user(db_session, "xem.huyen", PASSWORD, "agency_viewer", agency_id=rated["district"].id)
    sign_in(client, "xem.huyen")
    picker = _text(client.get("/analyst/counter"))
    assert "Trung tâm HCC huyện Cẩm Xuyên" in picker and "Trung tâm Phục vụ HCC tỉnh Thử" not in picker
    for url in ("/analyst/counter/%d" % rated["centre"].id, "/analyst/counter/%d/ratings.csv" % rated["centre"].id,
                "/analyst/counter?point=%d" % rated["centre"].id):  # fmt: skip
        resp = client.get(url, query_string=None if "?" in url else PERIOD)
        assert resp.status_code == 404 and "Phải chờ đợi lâu" not in _text(resp) and "Quầy 1" not in _text(resp)
    assert client.get("/analyst/counter/%d" % rated["dcentre"].id).status_code == 200


def test_a_viewer_without_points_gets_an_empty_picker(client, rated, viewer):
    sign_in(client, "xem.tnmt")
    page = _text(client.get("/analyst/counter"))
    assert 'data-testid="no-points"' in page and "Trung tâm" not in page


def test_the_picker_opens_the_chosen_point_for_the_period(client, rated):
    sign_in(client, "phan.tich")
    resp = client.get("/analyst/counter", query_string={"point": rated["centre"].id, **PERIOD})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/analyst/counter/%d?start=2025-08-01&end=2025-08-07" % rated["centre"].id)
    page = _text(client.get("/analyst/counter"))
    assert LABEL in page and "Trung tâm Phục vụ HCC tỉnh Thử" in page and "Trung tâm HCC huyện Cẩm Xuyên" in page


def test_the_csv_holds_the_labelled_aggregates_and_no_comment(client, rated, db_session):
    sign_in(client, "phan.tich")
    resp = client.get("/analyst/counter/%d/ratings.csv" % rated["centre"].id, query_string=PERIOD)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "danh-gia-tai-quay-T-PVHCC-2025-08-01-2025-08-07.csv" in resp.headers["Content-Disposition"]
    body = resp.get_data(as_text=True).lstrip("\ufeff")
    sep = ";" if body.startswith("table;") else ","  # the Vietnamese Excel style or the international one
    rows = [[_number(cell) for cell in r] for r in csv.reader(io.StringIO(body), delimiter=sep)]
    assert rows[0] == counter_csv.CSV_COLUMNS and rows[1][2] == LABEL
    assert ["total", "all", "", 4, 2, 50, "", "", ""] in rows
    assert ["hour", 9, "09:00–10:00", 1, 1, 100, "", "", ""] in rows
    assert "chờ lâu quá" not in resp.get_data(as_text=True) and [r[1] for r in rows if r[0] == "counter"] == [
        "Quầy 1",
        "Quầy 2",
    ]
    entry = db_session.scalars(select(AuditLog).where(AuditLog.action == "export.counter_ratings")).one()
    assert entry.target_id == "T-PVHCC" and entry.details["start"] == "2025-08-01"


def test_staff_outside_the_analyst_roles_are_refused(client, rated, db_session):
    create_user(db_session, "can.bo", PASSWORD, "officer", service_point_id=rated["centre"].id)
    sign_in(client, "can.bo")
    assert client.get("/analyst/counter/%d" % rated["centre"].id).status_code == 403
    client.post("/auth/logout")
    assert client.get("/analyst/counter").status_code in (302, 401)


def test_in_english_the_questionnaires_labels_are_english(client, rated):
    sign_in(client, "phan.tich")
    client.get("/lang/en")
    page = _text(client.get("/analyst/counter/%d" % rated["centre"].id, query_string=PERIOD))
    assert "Long waiting time" in page and "Attitude of the official" in page and "Phải chờ đợi lâu" not in page
