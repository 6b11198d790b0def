"""The case pages: scope by agency subtree, filters, each step as a form, refused steps change nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, CaseStatus, ContactRequest
from survey.services.feedback import case_actions, case_rules, cases
from tests.feedback import case_helpers as h


@pytest.fixture
def world(db_session):
    """The small province with default rules."""
    w = h.make_world(db_session)
    case_rules.seed_defaults(db_session)
    return w


@pytest.fixture
def land_case(db_session, world):
    """A new case of the land department, from a dossier with a code, with a comment and a call-back phone."""
    h.dossier_response(
        db_session,
        world,
        overall=1,
        external_id="HS-SECRET-77",
        comment="Phải chờ lâu, cán bộ hướng dẫn chưa rõ.",
        phone="0912345678",
    )
    case = cases.scan(db_session).opened[0]
    db_session.commit()  # a savepoint (see viewer)
    return case


@pytest.fixture
def viewer(client, db_session, world):
    """A signed-in agency viewer of the land department."""
    user = h.staff(db_session, "land-viewer", agency=world["land"])
    db_session.commit()  # a savepoint: a refused step's rollback must not take the test's rows with it
    h.login(client, user)
    return user


def test_the_unit_sees_its_case_without_the_dossier_code_or_the_phone(client, viewer, land_case):
    page = client.get(f"/analyst/cases/{land_case.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Phải chờ lâu, cán bộ hướng dẫn chưa rõ." in html
    assert "Rất không hài lòng" in html  # the overall rating in words
    assert "HS-SECRET-77" not in html and "0912345678" not in html
    assert "Xem số điện thoại" in html


def test_another_units_case_is_a_404_and_absent_from_the_list(client, db_session, world, viewer):
    h.dossier_response(db_session, world, overall=1, agency=world["build"])
    other = cases.scan(db_session).opened[0]
    assert client.get(f"/analyst/cases/{other.id}").status_code == 404
    assert client.post(f"/analyst/cases/{other.id}/acknowledge").status_code == 404
    assert f"#{other.id}" not in client.get("/analyst/cases/").get_data(as_text=True)


def test_a_unit_above_sees_the_cases_of_units_below(client, db_session, world, viewer):
    h.dossier_response(db_session, world, overall=1, agency=world["sub"])
    below = cases.scan(db_session).opened[0]
    assert client.get(f"/analyst/cases/{below.id}").status_code == 200


def test_list_filters_and_overdue_badge(client, db_session, world, viewer, land_case):
    h.dossier_response(db_session, world, overall=2)
    second = cases.scan(db_session).opened[0]
    case_actions.acknowledge(db_session, viewer, second)
    land_case.due_at = land_case.opened_at.replace(year=2020)
    db_session.flush()
    html = client.get("/analyst/cases/").get_data(as_text=True)
    assert f"#{land_case.id}" in html and f"#{second.id}" in html and "Quá hạn" in html
    html = client.get("/analyst/cases/?status=acknowledged").get_data(as_text=True)
    assert f"#{second.id}" in html and f"#{land_case.id}<" not in html
    html = client.get("/analyst/cases/?overdue=1").get_data(as_text=True)
    assert f"#{land_case.id}" in html and f"#{second.id}<" not in html
    html = client.get("/analyst/cases/?sort=opened&desc=1&page=99").get_data(as_text=True)
    assert html.index(f"#{second.id}<") < html.index(f"#{land_case.id}<")


def test_acknowledge_reply_and_resolve_through_the_forms(client, db_session, viewer, land_case):
    assert client.post(f"/analyst/cases/{land_case.id}/acknowledge").status_code == 302
    answer = client.post(f"/analyst/cases/{land_case.id}/resolve", data={"text": "Đã hướng dẫn lại qua điện thoại."})
    assert answer.status_code == 302
    db_session.expire_all()
    assert land_case.status == CaseStatus.RESOLVED and land_case.reply == "Đã hướng dẫn lại qua điện thoại."
    html = client.get(f"/analyst/cases/{land_case.id}").get_data(as_text=True)
    for step in ("Mở phản ánh", "Đơn vị tiếp nhận", "Trả lời, giải quyết"):
        assert step in html
    assert "Tiếp nhận</button>" not in html  # no steps left on a closed case
    assert db_session.scalar(select(func.count()).select_from(ContactRequest)) == 0


def test_acknowledging_twice_is_refused_and_changes_nothing(client, db_session, viewer, land_case):
    client.post(f"/analyst/cases/{land_case.id}/acknowledge")
    answer = client.post(f"/analyst/cases/{land_case.id}/acknowledge")
    assert answer.status_code == 422 and "đã được tiếp nhận rồi" in answer.get_data(as_text=True)
    db_session.expire_all()
    assert [e.action for e in land_case.events] == ["opened", "acknowledged"]


def test_reply_on_a_closed_case_is_refused(client, db_session, viewer, land_case):
    client.post(f"/analyst/cases/{land_case.id}/not-actionable", data={"text": "Không đủ thông tin."})
    answer = client.post(f"/analyst/cases/{land_case.id}/resolve", data={"text": "Trả lời muộn"})
    assert answer.status_code == 422 and "đã đóng" in answer.get_data(as_text=True)
    db_session.expire_all()
    assert land_case.status == CaseStatus.NOT_ACTIONABLE and land_case.reply == ""


def test_not_actionable_needs_a_reason(client, db_session, viewer, land_case):
    answer = client.post(f"/analyst/cases/{land_case.id}/not-actionable", data={"text": "  "})
    assert answer.status_code == 422 and "lý do" in answer.get_data(as_text=True)
    db_session.expire_all()
    assert land_case.status == CaseStatus.NEW


def test_reassign_to_an_unknown_unit_is_refused_and_to_a_known_one_moves_it(
    client, db_session, world, viewer, land_case
):
    answer = client.post(f"/analyst/cases/{land_case.id}/reassign", data={"agency_id": "999999", "text": "chuyển"})
    assert answer.status_code == 422 and "Không tìm thấy đơn vị" in answer.get_data(as_text=True)
    answer = client.post(
        f"/analyst/cases/{land_case.id}/reassign",
        data={"agency_id": str(world["build"].id), "text": "Thuộc Sở Xây dựng"},
    )
    assert answer.status_code == 302
    db_session.expire_all()
    assert land_case.agency_id == world["build"].id
    assert client.get(f"/analyst/cases/{land_case.id}").status_code == 404  # no longer this unit's


def test_seeing_the_phone_is_audited_each_time(client, db_session, viewer, land_case):
    for _ in range(2):
        answer = client.post(f"/analyst/cases/{land_case.id}/phone")
        assert answer.status_code == 200 and "0912345678" in answer.get_data(as_text=True)
        assert answer.headers["Cache-Control"] == "no-store"
    assert (
        db_session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "case.phone_view")) == 2
    )


@pytest.mark.usefixtures("csrf_enabled")
def test_steps_need_the_csrf_token(client, db_session, viewer, land_case):
    assert client.post(f"/analyst/cases/{land_case.id}/acknowledge").status_code == 400
    page = client.get(f"/analyst/cases/{land_case.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/analyst/cases/{land_case.id}/acknowledge", data={"csrf_token": token}).status_code == 302
    db_session.expire_all()
    assert land_case.status == CaseStatus.ACKNOWLEDGED


def test_an_officer_cannot_open_case_pages(client, db_session, world, land_case):
    officer = h.staff(db_session, "officer1", role="officer")
    h.login(client, officer)
    assert client.get("/analyst/cases/").status_code == 403


def test_english_page(client, viewer, land_case):
    with client.session_transaction() as s:
        s["lang"] = "en"
    assert client.get(f"/analyst/cases/{land_case.id}").status_code == 200


def test_the_list_is_paged(client, db_session, world, viewer):
    for _ in range(27):
        h.dossier_response(db_session, world, overall=1)
    cases.scan(db_session)
    first = client.get("/analyst/cases/").get_data(as_text=True)
    second = client.get("/analyst/cases/?page=2").get_data(as_text=True)
    assert len(re.findall(r'href="/analyst/cases/\d+"', first)) == 25
    assert "Trang 2 / 2" in second and len(re.findall(r'href="/analyst/cases/\d+"', second)) == 2


def test_a_walk_up_case_shows_the_faces_in_words_to_the_service_points_unit(client, db_session, world):
    h.version(db_session, "kiosk-quick")
    case_rules.seed_defaults(db_session)
    h.walkup_response(db_session, world, {"Q1": 1, "Q2": 3})
    case = cases.scan(db_session).opened[0]
    h.login(client, h.staff(db_session, "centre-viewer", agency=world["province"]))
    html = client.get(f"/analyst/cases/{case.id}").get_data(as_text=True)
    assert "Chưa hài lòng" in html and "Rất hài lòng" in html and "đánh giá tự do tại kiosk" in html


def test_reassigning_without_choosing_a_unit_is_refused(client, db_session, viewer, land_case):
    page = client.get(f"/analyst/cases/{land_case.id}").get_data(as_text=True)
    assert '<option selected value="">— chọn đơn vị —</option>' in page
    answer = client.post(f"/analyst/cases/{land_case.id}/reassign", data={"agency_id": "", "text": "chuyển"})
    assert answer.status_code == 422 and "Không tìm thấy đơn vị" in answer.get_data(as_text=True)


def test_case_types_read_as_words_and_a_provinces_own_type_as_its_code_with_spaces():
    from survey.services.feedback.case_rules import type_label

    assert type_label("danh_gia_thap") == "Đánh giá thấp" and type_label("khieu_nai") == "Khiếu nại"
    assert type_label("tre_hen_tra_ket_qua") == "tre hen tra ket qua"


def test_the_scheduled_pass_reads_as_system_in_english():
    from survey.services.common import audit
    from survey.services.feedback.cases import SYSTEM

    assert audit.actor_label(SYSTEM) == "hệ thống" and audit.actor_label("demo") == "dữ liệu mẫu"
