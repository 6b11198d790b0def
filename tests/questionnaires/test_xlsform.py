"""XLSForm export and import: every shipped instrument round-trips to the same content hash; errors say where."""
from __future__ import annotations

import glob
import io
import os

import pytest
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert

from survey.paths import QUESTIONNAIRE_DIR
from survey.services.questionnaires.fileformat import content_hash, parse_file
from survey.services.questionnaires.xlsform import export_xlsx, import_xlsx, pyxform_errors

SHIPPED = sorted(glob.glob(os.path.join(QUESTIONNAIRE_DIR, "*.yaml")))
VI, EN = "label::Vietnamese (vi)", "label::English (en)"


def shipped(name: str) -> dict:
    """A shipped instrument's content."""
    content, errors = parse_file(os.path.join(QUESTIONNAIRE_DIR, name))
    assert not errors
    return content


def sheet_rows(data: bytes, sheet: str) -> list[dict]:
    """A sheet of a workbook as dicts (header row → keys), blank cells left out."""
    rows = list(load_workbook(io.BytesIO(data), read_only=True)[sheet].iter_rows(values_only=True))
    return [{h: v for h, v in zip(rows[0], row) if v is not None} for row in rows[1:]]


def workbook(**sheets: list[list]) -> bytes:
    """An .xlsx with the given sheets, each a list of rows (the first one the header)."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SETTINGS = [["form_title", "form_id", "version"], ["Khảo sát thử", "mini-xls", "1"]]
META = [["key", "value"], ["title_en", '"Trial survey"']]
CHOICES = [["list_name", "name", VI, EN], ["yn", "1", "Có", "Yes"], ["yn", "2", "Không", "No"]]


def authored(*questions: list, choices=CHOICES) -> bytes:
    """A hand-authored XLSForm: one group 'g' holding these survey rows (type, name, vi, en, relevant)."""
    survey = [["type", "name", VI, EN, "relevant"], ["begin group", "g", "Nhóm", "Group"], *questions, ["end group"]]
    return workbook(survey=survey, choices=choices, settings=SETTINGS, hailong=META)


@pytest.mark.parametrize("path", SHIPPED, ids=os.path.basename)
def test_every_shipped_instrument_round_trips_to_the_same_hash(path):
    content, errors = parse_file(path)
    assert not errors
    data = export_xlsx(content)
    assert pyxform_errors(data) == []
    back, errors = import_xlsx(data, "round.xlsx")
    assert errors == []
    assert content_hash(back) == content_hash(content)


def test_the_shipped_bank_is_all_covered():
    assert len(SHIPPED) >= 5


def test_export_maps_groups_choices_relevant_and_both_languages():
    data = export_xlsx(shipped("kiosk-quick.yaml"))
    survey = sheet_rows(data, "survey")
    assert [r["type"] for r in survey if "group" in r["type"]] == ["begin group", "end group"] * 4
    reason = next(r for r in survey if r.get("name") == "Q1_REASON")
    assert reason["type"] == "select_multiple Q1_REASON"
    assert reason["relevant"] == "selected(${Q1}, '1')"
    assert reason[EN].startswith("Please tell us why")
    other = next(r for r in survey if r.get("name") == "Q1_REASON_OTHER")
    assert other["type"] == "text" and other["relevant"] == "selected(${Q1_REASON}, '9')"
    assert other["constraint"] == "string-length(.) <= 500"
    faces = [r for r in sheet_rows(data, "choices") if r["list_name"] == "faces3"]
    assert [(r["name"], r["face"], r[VI]) for r in faces][0] == ("3", "very_happy", "Rất hài lòng")
    index = sheet_rows(data, "index")
    assert {"part": "services", "element": "results", VI: "Kết quả giải quyết thủ tục hành chính",
            EN: "Results", "items": "Q2"} in index


def test_pyxform_reads_the_export_as_a_form_with_translations():
    xform = convert(io.BytesIO(export_xlsx(shipped("sipas2023-service.yaml"))), warnings=[]).xform
    assert 'lang="Vietnamese (vi)"' in xform and 'lang="English (en)"' in xform
    assert 'id="sipas2023-service"' in xform and "field-list" in xform


def test_a_changed_content_gives_a_different_hash():
    content = shipped("kiosk-quick.yaml")
    data = export_xlsx(content)
    book = load_workbook(io.BytesIO(data))
    sheet = book["survey"]
    for row in sheet.iter_rows(min_row=2):
        if row[1].value == "Q2":
            row[2].value = "Câu hỏi đã sửa"
    out = io.BytesIO()
    book.save(out)
    back, errors = import_xlsx(out.getvalue(), "edited.xlsx")
    assert errors == [] and back["sections"][2]["questions"][0]["text"]["vi"] == "Câu hỏi đã sửa"
    assert content_hash(back) != content_hash(content)


def test_documented_difference_the_other_box_label_is_not_kept():
    """docs/xlsform.md: the `_OTHER` row's label is rewritten from the option; edits to it are not imported."""
    content = shipped("kiosk-quick.yaml")
    book = load_workbook(io.BytesIO(export_xlsx(content)))
    for row in book["survey"].iter_rows(min_row=2):
        if row[1].value == "Q1_REASON_OTHER":
            row[2].value = "Ghi rõ lý do khác"
    out = io.BytesIO()
    book.save(out)
    back, errors = import_xlsx(out.getvalue(), "other.xlsx")
    assert errors == [] and content_hash(back) == content_hash(content)


def test_a_hand_authored_form_imports_relevant_in_both_spellings():
    data = authored(["start", "start"], ["select_one yn", "A1", "Có dùng?", "Used?"],
                    ["select_one yn", "A2", "Lần nữa?", "Again?", "${A1} = '1'"],
                    ["integer", "A3", "Bao nhiêu lần?", "How many times?", "selected(${A1}, '1') or ${A2} = 2"])
    content, errors = import_xlsx(data, "authored.xlsx")
    assert [str(e) for e in errors] == ["authored.xlsx: trang survey, dòng 6: relevant chỉ được dựa vào một câu hỏi"]
    data = authored(["select_one yn", "A1", "Có dùng?", "Used?"],
                    ["select_one yn", "A2", "Lần nữa?", "Again?", "${A1} = '1'"])
    content, errors = import_xlsx(data, "authored.xlsx")
    assert errors == []
    assert content["title"] == {"vi": "Khảo sát thử", "en": "Trial survey"}
    assert content["sections"][0]["questions"][1]["show_if"] == {"item": "A1", "in": [1]}
    assert content["sections"][0]["questions"][1]["options"][1] == {"code": 2, "label": {"vi": "Không", "en": "No"}}


@pytest.mark.parametrize(("row", "message"), [
    (["begin repeat", "r", "Lặp", "Repeat"], "nhóm lặp (begin repeat) không được hỗ trợ"),
    (["calculate", "c", "", ""], "trường tính toán (calculate) không được hỗ trợ"),
    (["geopoint", "gps", "Vị trí", "Location"], "loại câu hỏi 'geopoint' không được hỗ trợ"),
    (["select_one yn or_other", "A9", "Có?", "Yes?"], "loại câu hỏi 'select_one yn or_other' không được hỗ trợ"),
    (["begin group", "inner", "Trong", "Inner"], "nhóm lồng trong nhóm không được hỗ trợ"),
    (["text", "A8", "Ghi", "Write", "string-length(${A1}) > 3"], "biểu thức relevant"),
])
def test_unsupported_features_are_refused_with_sheet_and_row(row, message):
    data = authored(["select_one yn", "A1", "Có dùng?", "Used?"], row)
    content, errors = import_xlsx(data, "bad.xlsx")
    assert content is None
    assert any(e.path == "trang survey, dòng 4" and message in e.message for e in errors), [str(e) for e in errors]


def test_a_question_outside_any_group_is_refused():
    survey = [["type", "name", VI, EN], ["text", "A1", "Góp ý", "Comments"]]
    _, errors = import_xlsx(workbook(survey=survey, settings=SETTINGS, hailong=META), "flat.xlsx")
    assert [(e.path, e.message) for e in errors] == [
        ("trang survey, dòng 2", "câu hỏi phải nằm trong một nhóm (begin group … end group)")]


def test_a_missing_english_label_is_reported_at_its_row():
    data = authored(["select_one yn", "A1", "Có dùng?", "Used?"], ["text", "A2", "Góp ý", None])
    _, errors = import_xlsx(data, "noen.xlsx")
    assert [(e.path, e.message) for e in errors] == [
        ("trang survey, dòng 4 (sections[0].questions[1].text.en)", "thiếu trường bắt buộc")]


def test_a_non_integer_choice_name_is_refused():
    choices = [*CHOICES, ["yn", "maybe", "Có thể", "Maybe"]]
    _, errors = import_xlsx(authored(["select_one yn", "A1", "Có?", "Yes?"], choices=choices), "c.xlsx")
    assert [(e.path, e.message) for e in errors] == [("trang choices, dòng 4", "mã lựa chọn 'maybe' phải là số nguyên")]


def test_a_file_that_is_not_a_workbook_is_refused():
    _, errors = import_xlsx(b"instrument: mini\n", "mini.xlsx")
    assert len(errors) == 1 and "cần một tệp Excel .xlsx" in errors[0].message
