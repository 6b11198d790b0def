"""The public pages: anonymous, final publications only (unless enabled), small cells without numbers, English."""
from __future__ import annotations

import re

from survey.services import publications
from survey.services.common.formats import num
from survey.web.public import views


def _row(html: str, name: str) -> str:
    """The table row whose header cell names `name`."""
    rows = [r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if name in r]
    assert rows, name
    return rows[0]


def test_anonymous_reader_sees_the_published_province_sectors_and_agencies(client, world, db_session):
    resp = client.get("/cong-khai")
    assert resp.status_code == 200
    assert "Set-Cookie" not in resp.headers  # nothing written to a session: cacheable by anyone
    html = resp.get_data(as_text=True)
    table = publications.current(db_session, world["wave"].id).table
    overall = table.overall.est
    assert "<h1>" in html and "<caption>" in html and 'scope="col"' in html
    assert num(overall.value, 1, "vi") in html and num(overall.ci_low, 1, "vi") in html
    assert "Đất đai" in html and "Sở Xây dựng" in html
    land = table.agencies[world["land"].id]
    row = _row(html, "Sở Tài nguyên và Môi trường")
    assert num(land.est.value, 1, "vi") in row
    assert land.status == "below" and "Chưa đạt mục tiêu" in row and "status-below" in row
    assert "phiên bản 1" in html and "Cách đọc các con số" in html


def test_small_cells_say_not_enough_data_and_show_no_number(client, world, db_session):
    cell = publications.current(db_session, world["wave"].id).table.agencies[world["commune"].id]
    assert cell.flags  # the commune has 12 answers: below MIN_CELL_ANSWERS
    est = cell.est
    for url in ("/cong-khai", "/cong-khai/co-quan/T-HCX"):
        row = _row(client.get(url).get_data(as_text=True), "Ủy ban nhân dân xã Cẩm Bình")
        assert "chưa đủ số liệu" in row
        for value in (est.value, est.ci_low, est.ci_high):
            assert num(value, 1, "vi") not in row
        assert ">%d<" % est.n not in row and "Hạng" not in row
    page = client.get("/cong-khai/co-quan/T-XCB").get_data(as_text=True)
    assert "chưa đủ số liệu" in page and num(est.value, 1, "vi") + "&nbsp;%" not in page
    widget = client.get("/cong-khai/widget/T-XCB").get_data(as_text=True)
    assert "chưa đủ số liệu" in widget and "KTC" not in widget


def test_provisional_numbers_are_hidden_by_default(client, running, db_session):
    view = publications.current(db_session, running["wave"].id)
    assert view.provisional
    html = client.get("/cong-khai").get_data(as_text=True)
    assert "W-2025Q3" in client.get("/cong-khai/du-lieu.json").get_data(as_text=True)
    assert "tạm tính" not in html and "Đợt thử W-2025Q4" not in html
    assert num(view.table.overall.est.value, 1, "vi") not in html
    assert client.get("/cong-khai?wave=W-2025Q4").status_code == 404
    assert client.get("/cong-khai/du-lieu.json?wave=W-2025Q4").status_code == 404


def test_provisional_numbers_are_shown_labelled_when_the_province_enables_them(client, running, db_session,
                                                                                show_provisional):
    view = publications.current(db_session, running["wave"].id)
    html = client.get("/cong-khai").get_data(as_text=True)
    assert "Số liệu tạm tính lúc" in html and "Đợt thử W-2025Q4" in html
    assert num(view.table.overall.est.value, 1, "vi") in html
    data = client.get("/cong-khai/du-lieu.json").get_json()
    assert data["publication"]["kind"] == "provisional" and data["publication"]["wave_code"] == "W-2025Q4"
    final = client.get("/cong-khai?wave=W-2025Q3").get_data(as_text=True)  # the closed wave stays final
    assert "phiên bản 1" in final and "Số liệu tạm tính lúc" not in final


def test_agency_page_lists_its_sectors_points_subordinates_and_the_widget_snippet(client, world, db_session):
    resp = client.get("/cong-khai/co-quan/T-HCX")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    table = publications.current(db_session, world["wave"].id).table
    own = table.agency_sectors[(world["district"].id, "land")]
    assert "Ủy ban nhân dân huyện Cẩm Xuyên — Đất đai" in html and num(own.est.value, 1, "vi") in html
    assert "Trung tâm HCC huyện Cẩm Xuyên" in html  # its service point
    assert "Cơ quan trực thuộc" in html and "Ủy ban nhân dân xã Cẩm Bình" in html
    assert '&lt;iframe src="http://' in html  # the snippet to copy, as text
    assert "/cong-khai/widget/T-HCX" in html
    assert "Sở Xây dựng" not in html  # another agency's numbers are not on this page
    assert client.get("/cong-khai/co-quan/NO-SUCH").status_code == 404


def test_agencies_sort_by_column_and_page(client, world, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    codes = lambda html: re.findall(r'<th scope="row" class="name"><a href="/cong-khai/co-quan/([^"?]+)', html)  # noqa: E731
    first = client.get("/cong-khai?sort=name").get_data(as_text=True)
    assert codes(first) == ["T-STNMT", "T-SXD"]  # by name, accents folded ("Sở T…" < "Sở X…" < "Ủy ban…")
    assert 'aria-sort="ascending"' in first and 'rel="next"' in first
    second = client.get("/cong-khai?sort=name&page=2").get_data(as_text=True)
    assert codes(second) == ["T-HCX", "T-XCB"] and 'rel="prev"' in second
    ranked = client.get("/cong-khai?sort=index&desc=1&page=2").get_data(as_text=True)
    assert codes(ranked)[-1] == "T-XCB"  # the small cell is last whichever the order
    best = client.get("/cong-khai?sort=index&desc=1").get_data(as_text=True)
    assert codes(best)[0] == "T-HCX"  # the district is the best-rated agency


def test_english_page_uses_english_names_and_language(client, world):
    html = client.get("/cong-khai?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sở Xây dựng (en)" in html and "Ủy ban nhân dân huyện Cẩm Xuyên (en)" in html
    assert ">construction<" in html  # the sector's English name
    assert "Tiếng Việt" in html  # the switch back
    client.get("/lang/en")  # the language switch remembers the choice in the session
    agency = client.get("/cong-khai/co-quan/T-SXD").get_data(as_text=True)
    assert '<html lang="en">' in agency and "Sở Xây dựng (en)" in agency
    assert "lang=en" in agency  # the widget snippet keeps the language


def test_no_publication_yet_says_so(client, db_session):
    resp = client.get("/cong-khai")
    assert resp.status_code == 200 and "Chưa có số liệu công bố" in resp.get_data(as_text=True)
    assert client.get("/cong-khai/du-lieu.json").status_code == 404
