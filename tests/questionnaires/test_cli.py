"""`hailong questionnaires validate|load|list|show` through the real CLI."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, QuestionnaireVersion
from tests.questionnaires.conftest import MINI, mutate


def _versions(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(QuestionnaireVersion))


@pytest.mark.parametrize("args", [["questionnaires"], ["questionnaires", "validate"], ["questionnaires", "load"],
                                  ["questionnaires", "list"], ["questionnaires", "show"]])
def test_every_command_has_help(runner, args):
    result = runner.invoke(args=args + ["--help"])
    assert result.exit_code == 0 and "Usage" in result.output
    assert len(result.output.splitlines()) > 3


def test_commands_are_on_the_hailong_group_too(runner):
    from survey.cli import cli

    result = runner.invoke(cli, ["questionnaires", "--help"])
    assert result.exit_code == 0 and "validate" in result.output and "show" in result.output


def test_validate_the_bank_by_default(runner):
    result = runner.invoke(args=["questionnaires", "validate"])
    assert result.exit_code == 0, result.output
    assert "Hợp lệ" in result.output


def test_validate_lists_every_error_and_exits_non_zero(runner, write):
    bad = write(mutate("items: [A1, A3]", "items: [A1, A2]", mutate("satisfied: [2]", "satisfied: [3]")), "bad.yaml")
    good = write(MINI.replace("instrument: mini", "instrument: mini-ok"), "good.yaml")
    result = runner.invoke(args=["questionnaires", "validate", good, bad])
    assert result.exit_code == 1
    assert "bad.yaml" in result.output and "scales.sat5.satisfied[0]" in result.output
    assert "index.elements.el.items[1]" in result.output and "2 lỗi" in result.output


def test_load_then_list_then_show(runner, db_session):
    result = runner.invoke(args=["questionnaires", "load"])
    assert result.exit_code == 0, result.output
    assert "10 phiên bản mới" in result.output
    assert _versions(db_session) == 10
    audit = db_session.scalars(select(AuditLog).where(AuditLog.action == "questionnaire.load")).all()
    assert len(audit) == 10 and {a.actor for a in audit} == {"cli"}

    listed = runner.invoke(args=["questionnaires", "list"])
    assert listed.exit_code == 0
    version = db_session.scalars(select(QuestionnaireVersion)).first()
    assert version.content_hash[:12] in listed.output
    row = next(line for line in listed.output.splitlines() if line.startswith("sipas2023-service "))
    assert "2023.2" in row and row.split()[-1] == "38"  # 2023.2: the call-back questions

    shown = runner.invoke(args=["questionnaires", "show", "kiosk-quick"])
    assert shown.exit_code == 0, shown.output
    assert "faces3" in shown.output and "Q1_REASON" in shown.output and "khi Q1 ∈ [1]" in shown.output
    assert "civil_servants: Q1" in shown.output

    again = runner.invoke(args=["questionnaires", "load"])
    assert again.exit_code == 0 and "0 phiên bản mới, 10 không đổi" in again.output


def test_show_a_specific_version_and_the_dossier_scoring(runner, db_session):
    runner.invoke(args=["questionnaires", "load"])
    result = runner.invoke(args=["questionnaires", "show", "dossier-eval", "--version", "2024.1"])
    assert result.exit_code == 0 and "≥16 Xuất sắc" in result.output
    missing = runner.invoke(args=["questionnaires", "show", "dossier-eval", "--version", "9.9"])
    assert missing.exit_code != 0 and "Chưa nạp" in missing.output


def test_list_with_nothing_loaded_says_what_to_run(runner):
    result = runner.invoke(args=["questionnaires", "list"])
    assert result.exit_code == 0 and "hailong questionnaires load" in result.output


def test_load_refuses_a_changed_version_and_writes_nothing(runner, db_session, write):
    path = write(MINI)
    assert runner.invoke(args=["questionnaires", "load", path]).exit_code == 0
    write(mutate("Câu một", "Câu một đã sửa"))
    other = write(MINI.replace("instrument: mini", "instrument: mini-two"), "two.yaml")
    result = runner.invoke(args=["questionnaires", "load", path, other])
    assert result.exit_code == 1
    assert "mini.yaml" in result.output and "đã được nạp với nội dung khác" in result.output
    assert "Không nạp tệp nào" in result.output
    assert _versions(db_session) == 1


def test_validate_checks_files_given_separately_against_each_other(runner, write):
    first, second = write(MINI, "a.yaml"), write(MINI, "b.yaml")
    result = runner.invoke(args=["questionnaires", "validate", first, second])
    assert result.exit_code == 1 and "đã có trong tệp a.yaml" in result.output
    assert "✓ " + first in result.output and "✗ " + second in result.output


def test_validate_a_missing_path_fails(runner, tmp_path):
    result = runner.invoke(args=["questionnaires", "validate", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "không tìm thấy" in result.output


def test_commands_on_a_database_without_the_schema_explain_what_to_run(tmp_path):
    from tests.conftest import make_test_app

    app = make_test_app("sqlite:///" + str(tmp_path / "empty.sqlite"))
    from survey.extensions import db

    with app.app_context():
        db.drop_all()
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["questionnaires", "list"])
    assert result.exit_code == 1 and "hailong db upgrade" in result.output
    with app.app_context():
        db.engine.dispose()
