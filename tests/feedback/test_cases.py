"""Opening cases from responses (the scan) and a case's steps, on the real schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, CaseRuleKind, CaseStatus, ContactRequest, FeedbackCase, FeedbackCursor
from survey.services.feedback import case_actions, case_rules, cases
from survey.services.feedback.case_actions import CaseError
from survey.services.feedback.case_rules import RuleInput
from tests.feedback import case_helpers as h


@pytest.fixture
def world(db_session):
    """The small province with the bank's default rules on its questionnaires."""
    w = h.make_world(db_session)
    h.version(db_session, "kiosk-quick")
    case_rules.seed_defaults(db_session)
    return w


def _cases(session):
    return list(session.scalars(select(FeedbackCase).order_by(FeedbackCase.id)))


def test_a_low_overall_rating_opens_one_case_for_the_dossiers_unit(db_session, world):
    low = h.dossier_response(db_session, world, overall=1)
    h.dossier_response(db_session, world, overall=4)
    result = cases.scan(db_session)
    assert result.read == 2 and len(result.opened) == 1
    case = _cases(db_session)[0]
    assert (case.response_id, case.agency_id) == (low.id, world["land"].id)  # the dossier's unit, not the centre
    assert case.case_type == "danh_gia_thap" and case.rule_kind == CaseRuleKind.OVERALL_LOW
    assert case.status == CaseStatus.NEW
    assert case.due_at - case.opened_at == timedelta(days=5)
    assert [e.action for e in case.events] == ["opened"]
    assert db_session.get(FeedbackCursor, "cases").last_response_id == result.cursor


def test_scanning_twice_opens_nothing_new(db_session, world):
    h.dossier_response(db_session, world, overall=2)
    assert len(cases.scan(db_session).opened) == 1
    again = cases.scan(db_session)
    assert again.read == 0 and again.opened == []
    db_session.get(FeedbackCursor, "cases").last_response_id = 0  # even from the start: one case per type
    assert cases.scan(db_session).opened == []
    assert len(_cases(db_session)) == 1


def test_scan_reads_in_batches_and_only_what_came_after_the_cursor(db_session, world):
    for _ in range(5):
        h.dossier_response(db_session, world, overall=1)
    result = cases.scan(db_session, batch=2)
    assert result.read == 5 and len(result.opened) == 5
    h.dossier_response(db_session, world, overall=1)
    assert cases.scan(db_session, batch=2).read == 1


def test_a_walk_up_answer_goes_to_its_service_points_unit(db_session, world):
    h.walkup_response(db_session, world, {"Q1": 1, "Q2": 3})
    h.walkup_response(db_session, world, {"Q1": 3, "Q2": 2})
    opened = cases.scan(db_session).opened
    assert len(opened) == 1 and opened[0].agency_id == world["province"].id
    assert opened[0].rule_kind == CaseRuleKind.ITEM_LOW


def test_a_complaint_theme_opens_a_complaint_case_beside_the_low_rating(db_session, world):
    theme = h.complaint_theme(db_session)
    r = h.dossier_response(db_session, world, overall=1, comment="can boi duong moi xong")
    h.tag(db_session, r, theme)
    opened = cases.scan(db_session).opened
    assert sorted(c.case_type for c in opened) == ["danh_gia_thap", "khieu_nai"]
    complaint = next(c for c in opened if c.case_type == "khieu_nai")
    assert complaint.comment_id is not None and complaint.due_at - complaint.opened_at == timedelta(days=10)


def test_the_scan_waits_for_comments_to_be_tagged(db_session, world):
    h.complaint_theme(db_session, keyword="boi duong")
    h.dossier_response(db_session, world, overall=5, comment="phai boi duong moi duoc")
    opened = cases.scan(db_session).opened  # the themes module tags it first, so the complaint is seen
    assert [c.case_type for c in opened] == ["khieu_nai"]


def test_an_inactive_rule_opens_nothing(db_session, world):
    for rule in case_rules.active_rules(db_session)[world["sipas"].questionnaire_id]:
        case_rules.set_active(db_session, "cli", rule, False)
    h.dossier_response(db_session, world, overall=1)
    assert cases.scan(db_session).opened == []


def test_item_rule_threshold(db_session, world):
    case_rules.add_rule(
        db_session, "cli", world["sipas"].questionnaire_id, RuleInput("item_low", 2, "tieu_chi_thap", 7)
    )
    h.dossier_response(db_session, world, overall=4, items={"ACC1": 3, "PRO2": 2})
    h.dossier_response(db_session, world, overall=4, items={"ACC1": 3, "PRO2": 3})
    opened = cases.scan(db_session).opened
    assert [c.case_type for c in opened] == ["tieu_chi_thap"]


@pytest.fixture
def case(db_session, world):
    """A new low-rating case whose respondent left a call-back phone."""
    h.dossier_response(db_session, world, overall=1, phone="0912345678")
    return cases.scan(db_session).opened[0]


def test_acknowledge_then_resolve_records_each_step_and_deletes_the_phone(db_session, world, case):
    user = h.staff(db_session, "landuser", agency=world["land"])
    case_actions.acknowledge(db_session, user, case)
    assert case.status == CaseStatus.ACKNOWLEDGED and case.acknowledged_at is not None
    assert case_actions.reveal_phone(db_session, user, case) == "0912345678"
    assert (
        db_session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "case.phone_view")) == 1
    )
    case_actions.resolve(db_session, user, case, "  Đã gọi lại và hướng dẫn bổ sung.  ")
    assert case.status == CaseStatus.RESOLVED and case.reply == "Đã gọi lại và hướng dẫn bổ sung."
    assert [e.action for e in case.events] == ["opened", "acknowledged", "resolved"]
    assert case.events[1].user_id == user.id
    assert db_session.scalar(select(func.count()).select_from(ContactRequest)) == 0
    assert case_actions.contact_phone(db_session, case) is None


@pytest.mark.parametrize("step", ["acknowledge", "resolve", "not_actionable", "reassign"])
def test_nothing_changes_a_closed_case(db_session, world, case, step):
    case_actions.not_actionable(db_session, "u", case, "Không đủ thông tin để liên hệ.")
    before = (case.status, case.agency_id, len(case.events))
    call = {
        "acknowledge": lambda: case_actions.acknowledge(db_session, "u", case),
        "resolve": lambda: case_actions.resolve(db_session, "u", case, "trả lời"),
        "not_actionable": lambda: case_actions.not_actionable(db_session, "u", case, "lý do"),
        "reassign": lambda: case_actions.reassign(db_session, "u", case, world["build"].id, "chuyển"),
    }[step]
    with pytest.raises(CaseError, match="đã đóng"):
        call()
    assert (case.status, case.agency_id, len(case.events)) == before


def test_refused_steps_say_why(db_session, world, case):
    case_actions.acknowledge(db_session, "u", case)
    with pytest.raises(CaseError, match="đã được tiếp nhận"):
        case_actions.acknowledge(db_session, "u", case)
    with pytest.raises(CaseError, match="lý do"):
        case_actions.not_actionable(db_session, "u", case, "   ")
    with pytest.raises(CaseError, match="trả lời"):
        case_actions.resolve(db_session, "u", case, "")
    with pytest.raises(CaseError, match="Không tìm thấy đơn vị"):
        case_actions.reassign(db_session, "u", case, 999999, "chuyển")
    with pytest.raises(CaseError, match="lý do chuyển"):
        case_actions.reassign(db_session, "u", case, world["build"].id, "")
    assert case.status == CaseStatus.ACKNOWLEDGED and case.agency_id == world["land"].id


def test_reassigning_hands_the_case_to_the_new_unit_as_new(db_session, world, case):
    case_actions.acknowledge(db_session, "u", case)
    case_actions.reassign(db_session, "u", case, world["build"].id, "Thuộc thẩm quyền Sở Xây dựng.")
    assert case.agency_id == world["build"].id and case.status == CaseStatus.NEW
    event = case.events[-1]
    assert (event.action, event.from_agency_id, event.to_agency_id) == (
        "reassigned",
        world["land"].id,
        world["build"].id,
    )


def test_purge_contacts_removes_phones_of_long_closed_cases_only(db_session, world, case):
    other = h.dossier_response(db_session, world, overall=5, phone="0988888888")  # no case: kept
    case_actions.resolve(db_session, "u", case, "xong")
    db_session.add(ContactRequest(response_id=case.response_id, phone="0911111111"))  # left behind somehow
    db_session.flush()
    assert case_actions.purge_contacts(db_session, 30) == 0  # closed today: not yet 30 days
    assert case_actions.purge_contacts(db_session, 30, now=case.closed_at + timedelta(days=31)) == 1
    assert db_session.scalars(select(ContactRequest.response_id)).all() == [other.id]


def test_one_scan_tags_as_many_comments_as_its_batches_need(db_session, world):
    h.complaint_theme(db_session, keyword="boi duong")
    for _ in range(7):  # more than one tagging round of batch × 4 comments
        h.dossier_response(db_session, world, overall=5, comment="phai boi duong moi duoc")
    result = cases.scan(db_session, batch=1)
    assert len(result.opened) == 7 and not result.held_back


def test_an_anonymised_invitation_still_routes_to_the_dossiers_unit(db_session, world):
    from survey.models import Invitation

    response = h.dossier_response(db_session, world, overall=1, agency=world["build"])
    db_session.get(Invitation, response.invitation_id).dossier_id = None  # `wave anonymise` unlinks the dossier
    db_session.flush()
    assert cases.scan(db_session).opened[0].agency_id == world["build"].id
