"""Case rules: defaults for the bank, checks with Vietnamese errors, and the admin pages (audited)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, CaseRule, CaseRuleKind, Questionnaire
from survey.services.feedback import case_rules
from survey.services.feedback.case_rules import RuleError, RuleInput
from tests.feedback import case_helpers as h


@pytest.fixture
def sipas(db_session):
    """The SIPAS service questionnaire (with an overall item)."""
    return h.version(db_session).questionnaire_id


@pytest.fixture
def kiosk(db_session):
    """The kiosk quick rating (no overall item)."""
    return h.version(db_session, "kiosk-quick").questionnaire_id


@pytest.fixture
def admin(client, db_session):
    """A signed-in administrator."""
    user = h.staff(db_session, "admin1", role="admin")
    db_session.commit()  # a savepoint: a refused form's rollback keeps the test's rows
    h.login(client, user)
    return user


def _rules(session, questionnaire_id):
    return list(
        session.scalars(select(CaseRule).where(CaseRule.questionnaire_id == questionnaire_id).order_by(CaseRule.id))
    )


def test_defaults_are_overall_low_or_item_low_plus_complaint_and_only_once(db_session, sipas, kiosk):
    assert case_rules.seed_defaults(db_session) == 4
    got = [(r.kind, r.threshold, r.case_type, r.sla_days) for r in _rules(db_session, sipas)]
    assert got == [(CaseRuleKind.OVERALL_LOW, 2, "danh_gia_thap", 5), (CaseRuleKind.COMPLAINT, None, "khieu_nai", 10)]
    assert _rules(db_session, kiosk)[0].kind == CaseRuleKind.ITEM_LOW  # no overall item there
    assert case_rules.seed_defaults(db_session) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (RuleInput("overall_low", 0, "danh_gia_thap", 5), "Ngưỡng phải là một mức từ 1 đến 5"),
        (RuleInput("overall_low", 6, "danh_gia_thap", 5), "Ngưỡng phải là một mức từ 1 đến 5"),
        (RuleInput("overall_low", None, "danh_gia_thap", 5), "Ngưỡng"),
        (RuleInput("item_low", 2, "danh_gia_thap", 0), "Thời hạn xử lý phải từ 1"),
        (RuleInput("item_low", 2, "danh_gia_thap", None), "Thời hạn xử lý"),
        (RuleInput("item_low", 2, "Đánh giá thấp", 5), "Loại phản ánh phải là mã"),
        (RuleInput("nonsense", 2, "x", 5), "Loại quy tắc không hợp lệ"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(db_session, sipas, data, message):
    with pytest.raises(RuleError, match=message):
        case_rules.add_rule(db_session, "cli", sipas, data)
    assert _rules(db_session, sipas) == []


def test_overall_rule_needs_an_overall_item_and_no_twin(db_session, sipas, kiosk):
    with pytest.raises(RuleError, match="không có câu đánh giá chung"):
        case_rules.add_rule(db_session, "cli", kiosk, RuleInput("overall_low", 2, "danh_gia_thap", 5))
    case_rules.add_rule(db_session, "cli", sipas, RuleInput("overall_low", 2, "danh_gia_thap", 5))
    with pytest.raises(RuleError, match="đã có một quy tắc"):
        case_rules.add_rule(db_session, "cli", sipas, RuleInput("overall_low", 1, "danh_gia_thap", 3))


def test_a_complaint_rule_keeps_no_threshold(db_session, sipas):
    rule = case_rules.add_rule(db_session, "cli", sipas, RuleInput("complaint", 3, "khieu_nai", 10))
    assert rule.threshold is None


def test_admin_lists_adds_edits_and_deactivates_rules_audited(client, db_session, admin, sipas):
    page = client.get("/admin/case-rules/")
    assert page.status_code == 200 and "sipas2023-service" in page.get_data(as_text=True)
    answer = client.post(
        "/admin/case-rules/new",
        data={
            "questionnaire_id": sipas,
            "kind": "overall_low",
            "threshold": "2",
            "case_type": "danh_gia_thap",
            "sla_days": "5",
        },
    )
    assert answer.status_code == 302
    rule = _rules(db_session, sipas)[0]
    answer = client.post(
        f"/admin/case-rules/{rule.id}",
        data={"kind": "overall_low", "threshold": "1", "case_type": "danh_gia_thap", "sla_days": "7"},
    )
    assert answer.status_code == 302
    db_session.expire_all()
    assert (rule.threshold, rule.sla_days, rule.questionnaire_id) == (1, 7, sipas)
    assert client.post(f"/admin/case-rules/{rule.id}/active", data={"enable": "0"}).status_code == 302
    db_session.expire_all()
    assert rule.active is False
    actions = db_session.scalars(
        select(AuditLog.action).where(AuditLog.target_type == "case_rule").order_by(AuditLog.id)
    ).all()
    assert actions == ["case_rule.create", "case_rule.update", "case_rule.deactivate"]


def test_admin_form_shows_the_error_and_stores_nothing(client, db_session, admin, sipas):
    answer = client.post(
        "/admin/case-rules/new",
        data={
            "questionnaire_id": sipas,
            "kind": "overall_low",
            "threshold": "9",
            "case_type": "danh_gia_thap",
            "sla_days": "5",
        },
    )
    assert answer.status_code == 200 and "Ngưỡng phải là một mức từ 1 đến 5" in answer.get_data(as_text=True)
    assert _rules(db_session, sipas) == []


def test_admin_seeds_the_defaults_from_the_page(client, db_session, admin, sipas):
    assert client.post("/admin/case-rules/defaults").status_code == 302
    assert len(_rules(db_session, sipas)) == 2


def test_only_admins_reach_the_rules(client, db_session, sipas):
    h.login(client, h.staff(db_session, "analyst1", role="analyst"))
    assert client.get("/admin/case-rules/").status_code == 403


def test_admin_sets_a_users_mail_and_digest(client, db_session, admin):
    user = h.staff(db_session, "viewer9")
    db_session.commit()
    answer = client.post(f"/admin/users/{user.id}/mail", data={"email": "  a@tinh.gov.vn ", "case_digest": "y"})
    assert answer.status_code == 302
    db_session.expire_all()
    assert (user.email, user.case_digest) == ("a@tinh.gov.vn", True)
    client.post(f"/admin/users/{user.id}/mail", data={"email": "not-an-address", "case_digest": "y"})
    db_session.expire_all()
    assert user.email == "a@tinh.gov.vn"
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Địa chỉ e-mail không hợp lệ." in page and 'value="a@tinh.gov.vn"' in page
    assert db_session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "user.set_mail")) == 1


def test_a_digest_needs_an_address(db_session):
    from survey.services.accounts import users

    user = h.staff(db_session, "viewer8")
    with pytest.raises(users.UserError, match="Cần có địa chỉ e-mail"):
        users.set_mail(db_session, "cli", user, "", True)


def test_every_questionnaire_is_listed_even_without_rules(db_session, sipas, kiosk):
    listed = [q.id for q, _rules in case_rules.list_rules(db_session)]
    assert set(listed) == set(db_session.scalars(select(Questionnaire.id)))
