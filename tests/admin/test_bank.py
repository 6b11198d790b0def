"""The questionnaire bank page: list, preview, XLSForm download, uploads (YAML, XLSForm) with errors, admin only."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from survey.models import AuditLog, QuestionnaireVersion
from survey.services.questionnaires.bank import load_bank
from survey.services.questionnaires.fileformat import content_hash
from survey.services.questionnaires.xlsform import import_xlsx
from tests.admin.conftest import english
from tests.questionnaires.conftest import MINI, mutate
from tests.questionnaires.test_xlsform import authored, shipped
from tests.sampling import factories


@pytest.fixture
def loaded(db_session):
    """The shipped bank, loaded."""
    return {r.instrument: r for r in load_bank(db_session)}


def _upload(client, data: bytes, name: str):
    return client.post("/admin/bank/", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_the_page_is_for_admins_only(client, db_session):
    assert client.get("/admin/bank/").status_code == 302  # to the sign-in page
    factories.login(client, factories.make_admin(db_session, role="analyst"))
    assert client.get("/admin/bank/").status_code == 403
    assert _upload(client, MINI.encode(), "mini.yaml").status_code == 403


def test_the_admin_home_links_to_the_bank(client, admin):
    assert 'href="/admin/bank/"' in client.get("/admin/").get_data(as_text=True)


def test_the_list_shows_every_instrument_and_version(client, admin, loaded):
    page = client.get("/admin/bank/").get_data(as_text=True)
    for instrument, result in loaded.items():
        assert f'data-instrument="{instrument}" data-version="{result.version}"' in page
        assert result.content_hash[:12] in page
        assert f"/admin/bank/versions/{result.version_id}" in page
    assert "Khảo sát sự hài lòng về sự phục vụ của cơ quan hành chính nhà nước (phương pháp 2017–2021)" in page


def test_the_preview_renders_every_question_read_only(client, admin, loaded):
    page = client.get(f"/admin/bank/versions/{loaded['kiosk-quick'].version_id}").get_data(as_text=True)
    content = shipped("kiosk-quick.yaml")
    for section in content["sections"]:
        assert f'data-section="{section["id"]}"' in page
        for q in section["questions"]:
            assert f'id="q-{q["code"]}"' in page
    assert page.count("<fieldset disabled") == len(content["sections"])
    assert "face-svg" in page and "Chỉ hiện khi câu Q1 được trả lời 1" in page
    assert "Sự phục vụ của công chức" in page  # the index tree
    assert "<form" not in page.split('class="bank-preview"')[1]  # nothing to submit


def test_the_preview_in_english_and_the_version_mapping(client, admin, loaded):
    english(client)
    page = client.get(f"/admin/bank/versions/{loaded['sipas2017-service'].version_id}").get_data(as_text=True)
    assert "(2017–2021 method)" in page
    assert "sipas2023-service" in page and ">TC1<" in page and ">ACC2<" in page
    target = client.get(f"/admin/bank/versions/{loaded['sipas2023-service'].version_id}").get_data(as_text=True)
    assert f"/admin/bank/versions/{loaded['sipas2017-service'].version_id}" in target  # mapped onto it


def test_the_xlsform_download_imports_back_to_the_same_hash(client, admin, loaded):
    response = client.get(f"/admin/bank/versions/{loaded['dossier-eval'].version_id}/xlsform")
    assert response.status_code == 200 and "dossier-eval-2024.1.xlsx" in response.headers["Content-Disposition"]
    content, errors = import_xlsx(response.data, "d.xlsx")
    assert errors == [] and content_hash(content) == loaded["dossier-eval"].content_hash


def test_upload_a_yaml_loads_it_and_audits(client, admin, db_session):
    response = _upload(client, MINI.encode(), "mini.yaml")
    assert response.status_code == 302
    version = db_session.scalars(select(QuestionnaireVersion)).one()
    assert response.headers["Location"].endswith(f"/admin/bank/versions/{version.id}")
    assert version.source_file == "mini.yaml"
    entry = db_session.scalars(select(AuditLog).where(AuditLog.action == "questionnaire.load")).one()
    assert entry.user_id == admin.id and entry.details["instrument"] == "mini"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã nạp mini phiên bản 1." in page
    again = client.get(response.headers["Location"])
    assert again.status_code == 200


def test_upload_an_invalid_yaml_lists_its_errors_and_loads_nothing(client, admin, db_session):
    bad = mutate("satisfied: [2]", "satisfied: [3]")
    response = _upload(client, bad.encode(), "bad.yaml")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="bank-errors"' in page and "Tệp có 1 lỗi, chưa nạp gì:" in page
    assert "bad.yaml (dòng" in page and "scales.sat5.satisfied[0]" in page
    assert db_session.scalars(select(QuestionnaireVersion)).first() is None
    assert db_session.scalars(select(AuditLog).where(AuditLog.action == "questionnaire.load")).first() is None


def test_upload_an_xlsform_and_one_with_an_unsupported_feature(client, admin, db_session):
    response = _upload(client, authored(["select_one yn", "A1", "Có dùng?", "Used?"]), "mini.xlsx")
    assert response.status_code == 302
    assert db_session.scalars(select(QuestionnaireVersion)).one().source_file == "mini.xlsx"
    data = authored(["select_one yn", "A1", "Có dùng?", "Used?"], ["calculate", "c", "", ""])
    response = _upload(client, data, "calc.xlsx")
    assert response.status_code == 422
    assert "calc.xlsx: trang survey, dòng 4: trường tính toán (calculate) không được hỗ trợ" in response.get_data(
        as_text=True)


def test_a_changed_version_is_refused_with_the_reason(client, admin, db_session):
    assert _upload(client, MINI.encode(), "mini.yaml").status_code == 302
    response = _upload(client, mutate("Câu một", "Câu một đã sửa").encode(), "mini.yaml")
    assert response.status_code == 422 and "đã được nạp với nội dung khác" in response.get_data(as_text=True)
    assert len(db_session.scalars(select(QuestionnaireVersion)).all()) == 1


def test_other_file_kinds_and_no_file_are_refused(client, admin):
    response = _upload(client, b"a,b\n", "form.csv")
    assert response.status_code == 400 and "Chỉ nhận tệp .yaml, .yml hoặc .xlsx" in response.get_data(as_text=True)
    response = client.post("/admin/bank/", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Hãy chọn một tệp." in response.get_data(as_text=True)


def test_an_unknown_version_is_404(client, admin):
    assert client.get("/admin/bank/versions/999999").status_code == 404


def test_an_upload_without_the_csrf_token_is_refused(app, client, admin, db_session):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = _upload(client, MINI.encode(), "mini.yaml")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert db_session.scalars(select(QuestionnaireVersion)).first() is None


def test_in_english_errors_also_carry_the_english_message(client, admin):
    english(client)
    response = _upload(client, mutate("satisfied: [2]", "satisfied: [3]").encode(), "bad.yaml")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "(satisfied code not in the scale)" in page


def test_the_preview_of_a_scored_instrument_shows_its_bands(client, admin, loaded):
    page = client.get(f"/admin/bank/versions/{loaded['dossier-eval'].version_id}").get_data(as_text=True)
    assert "Tổng điểm của: D1, D2" in page and "từ 16 điểm: Xuất sắc" in page
