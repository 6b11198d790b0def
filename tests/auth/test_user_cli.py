"""`hailong user ...` commands."""
from __future__ import annotations

from survey.models import AuditLog, User
from survey.services.accounts.users import get_by_username, verify_password
from tests.auth.conftest import PASSWORD


def test_user_create_from_stdin_is_audited(runner, db_session):
    result = runner.invoke(args=["user", "create", "cli.analyst", "--role", "analyst", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = get_by_username(db_session, "cli.analyst")
    assert verify_password(user, PASSWORD)
    entry = db_session.query(AuditLog).filter_by(action="user.create").one()
    assert entry.actor == "cli"


def test_user_create_prompts_twice(runner, db_session):
    result = runner.invoke(args=["user", "create", "prompted", "--role", "admin"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert get_by_username(db_session, "prompted").role == "admin"


def test_user_create_refuses_a_short_password_and_writes_nothing(runner, db_session):
    result = runner.invoke(args=["user", "create", "weak", "--role", "analyst", "--password-stdin"], input="abc\n")
    assert result.exit_code != 0 and "ít nhất" in result.output
    assert db_session.query(User).filter_by(username="weak").count() == 0


def test_set_role_disable_and_list(runner, db_session, agencies):
    runner.invoke(args=["user", "create", "chuyen", "--role", "analyst", "--password-stdin"], input=PASSWORD)
    result = runner.invoke(args=["user", "set-role", "chuyen", "--role", "agency_viewer", "--agency", "T-SXD"])
    assert result.exit_code == 0, result.output
    assert get_by_username(db_session, "chuyen").agency_id == agencies["build"].id
    assert runner.invoke(args=["user", "disable", "chuyen"]).exit_code == 0
    assert get_by_username(db_session, "chuyen").active is False
    listing = runner.invoke(args=["user", "list"]).output
    assert "chuyen" in listing and "đã khoá" in listing
    actions = {e.action for e in db_session.query(AuditLog)}
    assert {"user.create", "user.set_role", "user.disable"} <= actions


def test_unknown_agency_code_is_a_clear_error(runner, db_session):
    runner.invoke(args=["user", "create", "dung", "--role", "analyst", "--password-stdin"], input=PASSWORD)
    result = runner.invoke(args=["user", "set-role", "dung", "--role", "agency_viewer", "--agency", "KHONG"])
    assert result.exit_code != 0 and "Không tìm thấy cơ quan" in result.output


def test_every_user_command_has_help(runner):
    for sub in ("create", "set-role", "disable", "enable", "password", "list"):
        result = runner.invoke(args=["user", sub, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_an_account_whose_audit_row_is_refused_is_not_created(runner, db_session):
    from tests.foundation.test_txn import refuse_inserts

    refuse_inserts(db_session, "audit_log", "NEW.action = 'user.create'")
    result = runner.invoke(args=["user", "create", "khong.vet", "--role", "analyst", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert "Lỗi cơ sở dữ liệu, không ghi gì" in result.output
    assert get_by_username(db_session, "khong.vet") is None  # it had been flushed before the audit insert failed


def test_a_refused_change_keeps_the_account_as_it_was(runner, db_session, agencies):
    assert runner.invoke(args=["user", "create", "giu", "--role", "analyst", "--password-stdin"],
                         input=PASSWORD).exit_code == 0
    result = runner.invoke(args=["user", "set-role", "giu", "--role", "officer"])  # an officer needs a service point
    assert result.exit_code == 1 and "điểm phục vụ" in result.output
    assert get_by_username(db_session, "giu").role == "analyst"
    assert db_session.query(AuditLog).filter_by(action="user.set_role").count() == 0


def test_password_for_an_unknown_account_is_refused_before_asking(runner, db_session):
    result = runner.invoke(args=["user", "password", "khong-co"], input="")
    assert result.exit_code == 1 and "Không có tài khoản 'khong-co'" in result.output
    assert "Mật khẩu" not in result.output
