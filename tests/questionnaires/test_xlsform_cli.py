"""`hailong questionnaires export-xlsform|import-xlsform` through the real CLI, on both databases."""
from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from survey.models import AuditLog, QuestionnaireVersion
from survey.services.questionnaires.fileformat import content_hash
from tests.questionnaires.test_xlsform import authored, shipped


@pytest.mark.parametrize("command", ["import-xlsform", "export-xlsform"])
def test_both_commands_have_help(runner, command):
    result = runner.invoke(args=["questionnaires", command, "--help"])
    assert result.exit_code == 0 and "XLSForm" in result.output and "Usage" in result.output


def test_export_a_bank_file_then_import_it_loads_the_same_hash(runner, db_session, tmp_path):
    out = tmp_path / "kiosk.xlsx"
    result = runner.invoke(args=["questionnaires", "export-xlsform", "kiosk-quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    digest = content_hash(shipped("kiosk-quick.yaml"))
    assert digest[:12] in result.output and out.stat().st_size > 1000

    yaml_out = tmp_path / "kiosk.yaml"
    result = runner.invoke(args=["questionnaires", "import-xlsform", str(out), "--yaml", str(yaml_out)])
    assert result.exit_code == 0, result.output
    assert "đã nạp (loaded)" in result.output and digest[:12] in result.output
    version = db_session.scalars(select(QuestionnaireVersion)).one()
    assert version.content_hash == digest and version.source_file == "kiosk.xlsx"
    assert content_hash(yaml.safe_load(yaml_out.read_text(encoding="utf-8"))) == digest
    audit = db_session.scalars(select(AuditLog).where(AuditLog.action == "questionnaire.load")).one()
    assert audit.actor == "cli"

    again = runner.invoke(args=["questionnaires", "import-xlsform", str(out)])
    assert again.exit_code == 0 and "không đổi (unchanged)" in again.output


def test_export_reads_a_loaded_version_from_the_database(runner, db_session, tmp_path):
    assert runner.invoke(args=["questionnaires", "load"]).exit_code == 0
    out = tmp_path / "d.xlsx"
    result = runner.invoke(args=["questionnaires", "export-xlsform", "dossier-eval", "--version", "2024.1",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    missing = runner.invoke(args=["questionnaires", "export-xlsform", "nope", "--out", str(out)])
    assert missing.exit_code != 0 and "Không có bộ câu hỏi nope" in missing.output


def test_check_only_loads_nothing(runner, db_session, tmp_path):
    path = tmp_path / "mini.xlsx"
    path.write_bytes(authored(["select_one yn", "A1", "Có dùng?", "Used?"]))
    result = runner.invoke(args=["questionnaires", "import-xlsform", str(path), "--check"])
    assert result.exit_code == 0 and "Hợp lệ (valid): mini-xls 1" in result.output
    assert db_session.scalars(select(QuestionnaireVersion)).first() is None


def test_an_unsupported_feature_fails_with_the_row_and_loads_nothing(runner, db_session, tmp_path):
    path = tmp_path / "repeat.xlsx"
    path.write_bytes(authored(["select_one yn", "A1", "Có dùng?", "Used?"], ["begin repeat", "r", "Lặp", "Repeat"]))
    result = runner.invoke(args=["questionnaires", "import-xlsform", str(path)])
    assert result.exit_code == 1
    assert "repeat.xlsx: trang survey, dòng 4: nhóm lặp (begin repeat) không được hỗ trợ" in result.output
    assert "Không nạp gì" in result.output
    assert db_session.scalars(select(QuestionnaireVersion)).first() is None
