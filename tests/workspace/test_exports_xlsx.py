"""The XLSX index table for reading: Vietnamese (or English) headers and status words, real percentages and
counts with number formats, dates as dates, a frozen header row and set column widths."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from survey.services.workspace import exports
from tests.workspace.conftest import sign_in

COLUMN = {c: chr(ord("A") + i) for i, c in enumerate(exports.INDEX_COLUMNS)}
VI_STATUS = {"Đạt mục tiêu", "Dưới mục tiêu", "Chưa phân định", "Quá ít câu trả lời"}


def _book(client, query=""):
    resp = client.get("/analyst/export/index.xlsx" + query)
    assert resp.status_code == 200
    return load_workbook(io.BytesIO(resp.data))


def _csv_rows(client) -> list[dict]:
    text = client.get("/analyst/export/index.csv?csv=intl").data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_headers_tables_and_statuses_are_vietnamese_by_default(client, world, analyst):
    sign_in(client, "phan.tich")
    wb = _book(client)
    sheet = wb["sector"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Bảng", "Mã", "Tên", "Cấp", "Chỉ số"] and "Đánh giá" in header and "status" not in header
    land = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "land")
    assert land[0].value == "Lĩnh vực" and land[12].value == "Dưới mục tiêu"  # the CSV says "below"
    assert {c.value for c in wb["agency"]["D"][1:]} == {"Sở, ban, ngành", "Cấp huyện", "Cấp xã"}
    statuses = {r[12].value for ws in wb if ws.title != "notes" for r in ws.iter_rows(min_row=2) if r[12].value}
    assert statuses and statuses <= VI_STATUS


def test_english_on_request_or_when_the_page_is_in_english(client, world, analyst):
    sign_in(client, "phan.tich")
    english = _book(client, "?lang=en")
    assert english["overall"]["A1"].value == "Table" and english["overall"]["E1"].value == "Index"
    land = next(r for r in english["sector"].iter_rows(min_row=2) if r[1].value == "land")
    assert land[0].value == "Sector" and land[12].value == "Below the target"
    agencies = [c.value for c in english["agency"]["C"][1:]]
    assert "Sở Xây dựng (en)" in agencies  # the registry's English names
    assert {c.value for c in english["agency"]["D"][1:]} == {"Department", "District", "Commune"}
    assert english["notes"]["A1"].value == "Survey wave"
    client.get("/lang/en")
    assert _book(client)["overall"]["A1"].value == "Table"  # the page's language
    assert _book(client, "?lang=vi")["overall"]["A1"].value == "Bảng"  # an explicit choice wins


def test_percentages_are_real_percentages_with_one_decimal_and_counts_have_grouping(client, world, analyst):
    sign_in(client, "phan.tich")
    wb = _book(client)
    published = {(r["table"], r["key"]): r for r in _csv_rows(client)}
    checked = 0
    for ws in wb:
        if ws.title == "notes":
            continue
        for row in ws.iter_rows(min_row=2):
            cells = {c: row[ord(COLUMN[c]) - ord("A")] for c in COLUMN}
            want = published[(ws.title, str(cells["key"].value))]
            for column in ("value", "ci_low", "ci_high", "target"):
                if want[column]:
                    assert cells[column].value == pytest.approx(float(want[column]) / 100, abs=1e-12)
                    assert cells[column].number_format == "0.0%"
                    checked += 1
            if want["se"]:
                assert cells["se"].number_format == "0.00%"
            assert cells["n"].value == int(want["n"]) and cells["n"].number_format == "#,##0"
            if cells["df"].value is not None:
                assert cells["df"].number_format == "#,##0"
            if cells["target_year"].value is not None:
                assert cells["target_year"].number_format == "0"  # a year has no thousands separator
    assert checked > 20


def test_header_row_is_frozen_with_a_filter_and_columns_have_widths(client, world, analyst):
    sign_in(client, "phan.tich")
    ws = _book(client)["agency"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    assert ws.auto_filter.ref == "A1:N%d" % ws.max_row
    assert ws.column_dimensions["C"].width == 48
    assert all(ws.column_dimensions[COLUMN[c]].width >= 11 for c in ("value", "ci_low", "n", "status"))


def test_dates_are_dates_in_day_month_year(client, world, analyst):
    sign_in(client, "phan.tich")
    notes = _book(client)["notes"]
    facts = {r[0].value: r[1] for r in notes.iter_rows() if r[0].value and len(r) > 1}
    start, end = facts["Từ ngày"], facts["Đến ngày"]
    assert start.is_date and start.value == datetime(2025, 7, 1) and start.number_format == "dd/mm/yyyy"
    assert end.value == datetime(2025, 9, 30) and end.number_format == "dd/mm/yyyy"
    assert facts["Số liệu"].value == "Công bố chính thức, phiên bản 1"
    assert facts["Ngày công bố"].is_date
    english = {r[0].value: r[1] for r in _book(client, "?lang=en")["notes"].iter_rows() if r[0].value and len(r) > 1}
    assert english["From"].value == datetime(2025, 7, 1) and english["From"].number_format == "d mmm yyyy"


def test_index_of_an_unpublished_wave_is_a_clear_404(client, db_session, analyst):
    from tests.workspace.conftest import build_world

    world = build_world(db_session, publish=False)
    sign_in(client, "phan.tich")
    resp = client.get("/analyst/export/index.xlsx?wave=%d" % world["wave"].id)
    assert resp.status_code == 404 and "chưa được công bố" in resp.get_data(as_text=True)
