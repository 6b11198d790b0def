"""Exports: index tables and anonymised microdata (CSV, SPSS) with a codebook; no personal data anywhere;
CSV that a Vietnamese-locale Excel opens (";" and decimal ",") by default, "," and "." with ?csv=intl."""

from __future__ import annotations

import csv
import io

import pytest

from survey.services.workspace import exports
from tests.workspace.conftest import CELLS, sign_in

PERSONAL = ("Nguyễn Văn A", "0912345678")


def _csv(resp, delimiter=";") -> list[list[str]]:
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = resp.data.decode("utf-8")
    assert text.startswith("\ufeff")  # BOM: Excel shows Vietnamese correctly
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def _number(text: str, decimal=",") -> float:
    return float(text.replace(decimal, "."))


def test_microdata_columns_are_an_allowlist_without_identifiers(client, world, analyst):
    sign_in(client, "phan.tich")
    rows = _csv(client.get("/analyst/export/microdata.csv"))
    header = [h.lower() for h in rows[0]]
    assert not set(header) & exports.FORBIDDEN
    assert {"stratum", "psu", "fpc", "weight", "agency", "sector", "acc1", "ovr1", "partial"} <= set(header)
    assert [h for h in header if h.endswith("_at")] == ["submitted_at", "received_at"]  # days only, see below
    assert not {"cmt1", "uuid", "started_at"} & set(header)
    day = rows[1][header.index("received_at")]
    assert day == "01/08/2025"  # the day, as a Vietnamese Excel reads a date: no time of day is released
    assert len(rows) - 1 == sum(c[3] for c in CELLS)


def test_microdata_never_contains_free_text(client, world, analyst):
    sign_in(client, "phan.tich")
    for url in (
        "/analyst/export/microdata.csv",
        "/analyst/export/microdata.sav",
        "/analyst/export/codebook.csv",
        "/analyst/export/index.csv",
    ):
        body = client.get(url).data
        for text in PERSONAL:
            assert text.encode("utf-8") not in body, url


def test_final_weights_add_up_to_the_dossier_counts(client, world, analyst):
    sign_in(client, "phan.tich")
    rows = _csv(client.get("/analyst/export/microdata.csv"))
    w = rows[0].index("weight")
    assert sum(_number(r[w]) for r in rows[1:]) == pytest.approx(sum(c[2] for c in CELLS))


def test_csv_is_for_a_vietnamese_excel_by_default_and_international_on_request(client, world, analyst):
    sign_in(client, "phan.tich")
    vi = _csv(client.get("/analyst/export/index.csv"))
    intl = _csv(client.get("/analyst/export/index.csv?csv=intl"), delimiter=",")
    assert vi[0] == intl[0] == exports.INDEX_COLUMNS
    value = vi[0].index("value")
    overall_vi, overall_intl = vi[1][value], intl[1][value]
    assert "," in overall_vi and "." not in overall_vi and "." in overall_intl and "," not in overall_intl
    assert _number(overall_vi) == _number(overall_intl, ".")
    micro = _csv(client.get("/analyst/export/microdata.csv?csv=intl"), delimiter=",")
    assert micro[1][micro[0].index("received_at")] == "2025-08-01"
    weights = [r[micro[0].index("weight")] for r in micro[1:]]
    assert all("," not in w for w in weights) and any("." in w for w in weights)


def test_every_csv_download_has_one_content_type(client, world, analyst):
    sign_in(client, "phan.tich")
    for kind in ("index", "microdata", "codebook"):
        for option in ("", "?csv=vi", "?csv=intl"):
            resp = client.get("/analyst/export/%s.csv%s" % (kind, option))
            assert resp.status_code == 200 and resp.headers["Content-Type"] == "text/csv; charset=utf-8", kind


def test_an_unknown_csv_option_is_refused_in_vietnamese_and_nothing_is_exported(client, world, analyst, db_session):
    from survey.models import AuditLog

    sign_in(client, "phan.tich")
    resp = client.get("/analyst/export/microdata.csv?csv=excel")
    assert resp.status_code == 400 and "Tuỳ chọn csv không hợp lệ" in resp.get_data(as_text=True)
    assert b"weight" not in resp.data
    assert db_session.query(AuditLog).filter(AuditLog.action.like("export.%")).count() == 0


def test_the_downloads_panel_documents_the_csv_option(client, world, analyst):
    sign_in(client, "phan.tich")
    page = client.get("/analyst/").get_data(as_text=True)
    assert "csv=intl" in page and "dấu chấm phẩy (;)" in page
    assert "lang=en" in page and "Bảng chỉ số (XLSX, tiếng Anh)" in page


def test_row_numbers_do_not_follow_submission_order(client, world, analyst):
    sign_in(client, "phan.tich")
    first = _csv(client.get("/analyst/export/microdata.csv"))
    second = _csv(client.get("/analyst/export/microdata.csv"))
    agency = first[0].index("agency")
    assert [r[0] for r in first[1:]] == [str(i) for i in range(1, len(first))]
    assert [r[agency] for r in first[1:]] != [r[agency] for r in second[1:]]  # shuffled anew each time


def test_sav_has_variable_and_value_labels(client, world, analyst, tmp_path):
    import pyreadstat

    sign_in(client, "phan.tich")
    path = tmp_path / "m.sav"
    path.write_bytes(client.get("/analyst/export/microdata.sav").data)
    df, meta = pyreadstat.read_sav(str(path))
    assert len(df) == sum(c[3] for c in CELLS)
    assert meta.column_names_to_labels["ACC1"].startswith("Biển hiệu")
    assert meta.variable_value_labels["ACC1"][5.0] == "Rất hài lòng"
    assert set(df["agency"]) == {"T-STNMT", "T-SXD", "T-HCX", "T-XCB"}
    assert df["weight"].sum() == pytest.approx(sum(c[2] for c in CELLS))


@pytest.mark.parametrize(
    "fmt, marker", [("csv", "variable;label;type;measure"), ("md", "| Biến |"), ("html", "<table>")]
)
def test_codebook_formats(client, world, analyst, fmt, marker):
    sign_in(client, "phan.tich")
    body = client.get(f"/analyst/export/codebook.{fmt}").data.decode("utf-8")
    assert marker in body and "ACC1" in body and "Rất hài lòng" in body
    assert "văn bản tự do" in body  # the free-text rule is written down


def test_index_tables_csv_and_xlsx(client, world, analyst):
    from openpyxl import load_workbook

    sign_in(client, "phan.tich")
    rows = _csv(client.get("/analyst/export/index.csv"))
    assert rows[0] == exports.INDEX_COLUMNS
    tables = {r[0] for r in rows[1:]}
    assert {"overall", "element", "item", "sector", "agency", "service_point"} <= tables
    land = next(r for r in rows if r[0] == "sector" and r[1] == "land")
    assert land[rows[0].index("status")] == "below" and float(land[rows[0].index("target")]) == 85
    wb = load_workbook(io.BytesIO(client.get("/analyst/export/index.xlsx").data))
    assert {"overall", "agency", "notes"} <= set(wb.sheetnames)
    assert wb["agency"].max_row == 1 + 4
    assert wb["agency"]["A1"].value == "Bảng" and wb["agency"]["A2"].value == "Cơ quan"


def test_unknown_export_is_404_and_exports_are_audited(client, world, analyst, db_session):
    from survey.models import AuditLog

    sign_in(client, "phan.tich")
    assert client.get("/analyst/export/microdata.dta").status_code == 404  # (.xlsx is a microdata format)
    assert client.get("/analyst/export/secrets.csv").status_code == 404
    client.get("/analyst/export/microdata.csv")
    entry = db_session.query(AuditLog).filter_by(action="export.microdata").one()
    assert entry.actor == "phan.tich" and entry.target_id == world["wave"].code


def test_empty_wave_exports_headers_only(db_session, world):
    from datetime import date

    from survey.models import Wave

    empty = Wave(
        code="EMPTY",
        name="Trống",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 3, 31),
        questionnaire_version_id=world["wave"].questionnaire_version_id,
        seed="x",
        status="closed",
        design={},
    )
    db_session.add(empty)
    db_session.flush()
    variables, rows = exports.microdata(db_session, empty)
    assert rows == [] and variables[0].name == "row"
    assert exports.to_csv([v.name for v in variables], rows).count(b"\r\n") == 1
    assert exports.to_csv([v.name for v in variables], rows).decode("utf-8-sig").startswith("row;wave;")
