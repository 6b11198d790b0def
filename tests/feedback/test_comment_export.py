"""CSV and XLSX of the inbox: filtered, redacted, no ids or raw text, formulas neutralised, audited, scoped."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from survey.models import AuditLog, Response
from survey.services.feedback import comment_export, inbox, themes
from tests.feedback.inbox_helpers import add_comment, make_world, sign_in, users


@pytest.fixture
def world(db_session):
    """The inbox world with its three users."""
    w = make_world(db_session)
    w.update(users(db_session, w))
    return w


def _csv(body: bytes, sep: str = ";") -> list[list[str]]:
    assert body.startswith("\ufeff".encode())  # Excel opens the Vietnamese text correctly
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=sep))


def _xlsx(body: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(body))["Góp ý"]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_the_csv_has_vietnamese_headers_and_the_filtered_redacted_rows(client, db_session, world):
    themes.create_theme(db_session, "test", themes.ThemeInput("thu_tuc", "Thủ tục, giấy tờ", keywords="thủ tục"))
    add_comment(db_session, world, "Thủ tục đất đai rườm rà, gọi 0912 345 678", overall=2, day=date(2026, 3, 1))
    add_comment(db_session, world, "Cán bộ vui vẻ", overall=5)
    add_comment(db_session, world, "Thủ tục nhanh", agency="build", probability=False, overall=None)
    themes.tag_untagged(db_session)
    sign_in(client, "i.analyst")
    resp = client.get("/analyst/inbox.csv?q=thu+tuc")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"] and resp.headers["Cache-Control"] == "private, no-store"
    rows = _csv(resp.data)
    assert rows[0] == [
        "Ngày",
        "Đợt khảo sát",
        "Cơ quan",
        "Điểm phục vụ",
        "Đánh giá chung (1–5)",
        "Nguồn",
        "Chủ đề",
        "Góp ý",
    ]
    assert rows[1] == [
        "01/03/2026",
        "Đợt I-Q1",
        "Sở Tài nguyên và Môi trường",
        "Trung tâm Phục vụ HCC tỉnh",
        "2",
        "Mẫu xác suất",
        "Thủ tục, giấy tờ",
        "Thủ tục đất đai rườm rà, gọi [số điện thoại]",
    ]
    assert rows[2][2:6] == ["Sở Xây dựng", "Trung tâm Phục vụ HCC tỉnh", "", "Tự đánh giá tại quầy (không thuộc mẫu)"]
    assert len(rows) == 3
    intl = _csv(client.get("/analyst/inbox.csv?q=thu+tuc&csv=intl").data, ",")
    assert intl[1][0] == "2026-03-01" and intl[1][1:] == rows[1][1:]


def test_no_ids_raw_text_or_time_of_day_leave_in_the_file(client, db_session, world):
    comment = add_comment(db_session, world, "Gọi 0912 345 678, CCCD 001095001234")
    response = db_session.get(Response, comment.response_id)
    local_time = response.submitted_at + timedelta(hours=7)
    sign_in(client, "i.admin")
    for fmt in ("csv", "xlsx"):
        body = client.get("/analyst/inbox.%s" % fmt).data
        rows = _csv(body) if fmt == "csv" else _xlsx(body)
        assert rows[0] == comment_export.COLUMNS and all(len(r) == len(comment_export.COLUMNS) for r in rows)
        text = " ".join(" ".join(str(c) for c in r if c is not None) for r in rows)
        assert "0912" not in text and "001095001234" not in text  # only the redacted text
        assert response.uuid not in text
        assert local_time.strftime("%H:%M") not in text and response.submitted_at.strftime("%H:%M") not in text
        assert "[số điện thoại]" in text and "[số giấy tờ]" in text


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://x","bấm")', "+1+1", "-2+3", "@SUM(A1)", "\tthụt lề", "\rdòng"])
def test_cells_that_would_start_a_formula_get_an_apostrophe(client, db_session, world, typed):
    add_comment(db_session, world, typed)
    sign_in(client, "i.analyst")
    rows = _csv(client.get("/analyst/inbox.csv").data)
    assert rows[1][-1] == "'" + typed
    cells = _xlsx(client.get("/analyst/inbox.xlsx").data)
    assert cells[1][-1].startswith("'") and cells[1][-1][1:].strip() == typed.strip()


def test_the_xlsx_holds_the_same_rows_and_its_filters(client, db_session, world):
    add_comment(db_session, world, "một", overall=1)
    add_comment(db_session, world, "hai", overall=5)
    sign_in(client, "i.analyst")
    resp = client.get("/analyst/inbox.xlsx?rating=low")
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    rows = _xlsx(resp.data)
    assert rows[0][0] == "Ngày" and [r[-1] for r in rows[1:]] == ["một"]
    sheet = load_workbook(io.BytesIO(resp.data))["Góp ý"]
    assert sheet["A2"].is_date and sheet["A2"].number_format == "dd/mm/yyyy"  # a real date, shown the Vietnamese way
    notes = [list(r) for r in load_workbook(io.BytesIO(resp.data))["Bộ lọc"].iter_rows(values_only=True)]
    assert ["rating", "low"] in notes


def test_a_viewer_exports_only_their_agencies(client, db_session, world):
    add_comment(db_session, world, "của sở tài nguyên")
    add_comment(db_session, world, "của sở xây dựng", agency="build")
    sign_in(client, "i.viewer")
    for fmt in ("csv", "xlsx"):
        body = client.get("/analyst/inbox.%s" % fmt).data
        rows = _csv(body) if fmt == "csv" else _xlsx(body)
        assert [r[-1] for r in rows[1:]] == ["của sở tài nguyên"]
        assert not any("Sở Xây dựng" in str(c) for r in rows for c in r)


def test_an_export_with_bad_filters_is_a_400_in_words(client, db_session, world):
    sign_in(client, "i.analyst")
    resp = client.get("/analyst/inbox.csv?date_from=hôm-qua&theme=khong_co&csv=tab")
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    assert "không phải là một ngày" in text and "Không có chủ đề mã “khong_co”." in text
    assert "Tuỳ chọn csv không hợp lệ" in text
    assert client.get("/analyst/inbox.pdf").status_code == 404
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "export.comments")) is None


def test_every_export_is_audited_with_its_filters(client, db_session, world):
    add_comment(db_session, world, "một")
    sign_in(client, "i.analyst")
    client.get("/analyst/inbox.xlsx?q=mot&rating=high")
    client.get("/analyst/inbox.csv?csv=intl")
    entries = list(
        db_session.scalars(select(AuditLog).where(AuditLog.action == "export.comments").order_by(AuditLog.id))
    )
    assert [e.actor for e in entries] == ["i.analyst", "i.analyst"]
    assert entries[0].details == {"format": "xlsx", "filters": {"q": "mot", "rating": "high"}}
    assert entries[1].details == {"format": "csv", "filters": {}, "csv": "intl"}


def test_rows_are_read_in_batches_without_losing_or_repeating_any(db_session, world, monkeypatch):
    monkeypatch.setattr(comment_export, "BATCH", 3)
    for k in range(8):  # two to a day, batches of three: a batch ends in the middle of a day
        add_comment(db_session, world, "góp ý %d" % k, day=date(2026, 1, 1 + k // 2))
    rows = list(comment_export.rows(db_session, inbox.Filters(), None))
    assert [r[-1] for r in rows] == ["góp ý %d" % k for k in reversed(range(8))]
