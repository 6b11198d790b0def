"""`hailong import registry` and `hailong targets`: output, exit codes, commits, audit."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey.cli import cli
from survey.models import Agency, AuditLog, Sector, Target
from tests.registry._data import GOOD


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_import_prints_a_summary_and_exits_0(runner, db_session, write_csv):
    result = runner.invoke(cli, ["import", "registry", write_csv(GOOD, name="tinh.csv")])

    assert result.exit_code == 0, result.output
    assert "Danh mục từ tinh.csv: 10 dòng dữ liệu" in result.output
    assert "Cơ quan                  4         0          0" in result.output
    assert result.stderr == ""
    assert _count(db_session, Agency) == 4
    audit = db_session.scalars(select(AuditLog)).one()
    assert (audit.actor, audit.action) == ("cli", "registry.import")

    again = runner.invoke(cli, ["import", "registry", write_csv(GOOD, name="tinh.csv")])
    assert again.exit_code == 0
    assert "Cơ quan                  0         0          4" in again.output


def test_bad_rows_exit_1_each_error_is_printed_and_good_rows_are_committed(runner, db_session, write_csv):
    text = GOOD + "agency,T-X,Xã lạ,,quận,T,,,,,\nprocedure,1.99,Thủ tục,,,,mining,,,,\n"

    result = runner.invoke(cli, ["import", "registry", write_csv(text)])

    assert result.exit_code == 1
    assert "Bị từ chối: 2 dòng (2 lỗi)" in result.stderr
    assert 'dòng 12, cột level: Cấp không hợp lệ "quận"' in result.stderr
    assert 'dòng 13, cột sector_code: Không tìm thấy lĩnh vực "mining"' in result.stderr
    assert "Các dòng hợp lệ đã được lưu" in result.stdout
    db_session.rollback()  # only what the command committed survives
    assert _count(db_session, Agency) == 4 and _count(db_session, Sector) == 2


def test_dry_run_prints_the_outcome_and_commits_nothing(runner, db_session, write_csv):
    result = runner.invoke(cli, ["import", "registry", "--dry-run", write_csv(GOOD)])

    assert result.exit_code == 0, result.output
    assert "Cơ quan                  4         0          0" in result.output
    assert "Chạy thử (--dry-run): không ghi gì" in result.output
    db_session.rollback()
    assert _count(db_session, Agency) == 0 and _count(db_session, AuditLog) == 0

    bad = runner.invoke(cli, ["import", "registry", "--dry-run", write_csv(GOOD + "sector,x,,,,,,,,,\n")])
    assert bad.exit_code == 1 and "dòng 12, cột name_vi" in bad.stderr


def test_a_broken_file_exits_1_with_the_reason(runner, db_session, write_csv):
    result = runner.invoke(cli, ["import", "registry", write_csv("kind;code;ten\nsector;land;Đất\n")])

    assert result.exit_code == 1
    assert "dòng 1, cột ten: Cột không xác định" in result.stderr


def test_a_missing_file_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, ["import", "registry", str(tmp_path / "khong-co.csv")])

    assert result.exit_code == 2 and "does not exist" in result.output


def test_import_help_documents_the_csv_format(runner):
    result = runner.invoke(cli, ["import", "registry", "--help"])

    assert result.exit_code == 0
    for word in ("kind", "agency | sector | procedure | service_point", "parent_code", "agencies_served",
                 "point_type", "--dry-run", "ha_tinh_registry.csv"):
        assert word in result.output


def test_targets_set_list_and_delete(runner, db_session, write_csv):
    runner.invoke(cli, ["import", "registry", write_csv(GOOD)])

    empty = runner.invoke(cli, ["targets", "list"])
    assert "Chưa có chỉ tiêu nào" in empty.output

    first = runner.invoke(cli, ["targets", "set", "2025", "tthc_sector", "85,5%", "--sector", "land"])
    assert first.exit_code == 0, first.output
    assert "Đã thêm: 2025 tthc_sector (land) = 85.5%" in first.output
    second = runner.invoke(cli, ["targets", "set", "2025", "tthc_sector", "87", "--sector", "land"])
    assert "Đã cập nhật" in second.output
    same = runner.invoke(cli, ["targets", "set", "2025", "tthc_sector", "87", "--sector", "land"])
    assert "Không đổi" in same.output
    runner.invoke(cli, ["targets", "set", "2030", "tthc", "95"])

    listing = runner.invoke(cli, ["targets", "list", "--year", "2025"])
    assert "2025  tthc_sector     land                87%  Hài lòng về giải quyết TTHC lĩnh vực Đất đai" \
        in listing.output
    assert "2030" not in listing.output

    db_session.rollback()
    target = db_session.scalars(select(Target).where(Target.year == 2025)).one()
    assert (target.scope, target.sector_code, target.value) == ("tthc_sector", "land", 87)
    changes = db_session.scalars(select(AuditLog).where(AuditLog.action == "target.set")
                                 .order_by(AuditLog.id)).all()
    assert [(a.actor, a.details["old"], a.details["new"]) for a in changes] == [
        ("cli", None, 85.5), ("cli", 85.5, 87), ("cli", None, 95)]

    gone = runner.invoke(cli, ["targets", "delete", "2030", "tthc"])
    assert gone.exit_code == 0 and _count(db_session, Target) == 1
    assert runner.invoke(cli, ["targets", "delete", "2030", "tthc"]).exit_code == 1


@pytest.mark.parametrize("args,reason", [
    (["2025", "tthc", "101"], "không quá 100"),
    (["2025", "tthc", "0"], "lớn hơn 0"),
    (["2025", "tthc", "chín mươi"], "không phải là một số phần trăm"),
    (["2025", "sipas", "90"], 'Phạm vi không hợp lệ "sipas"'),
    (["2025", "tthc_sector", "85"], "cần mã lĩnh vực"),
    (["2025", "tthc_sector", "85", "--sector", "mining"], 'Không tìm thấy lĩnh vực "mining"'),
    (["2025", "tthc", "90", "--sector", "land"], "không gắn với lĩnh vực"),
    (["1900", "tthc", "90"], "Năm không hợp lệ"),
])
def test_targets_set_rejects_bad_input_and_stores_nothing(runner, db_session, write_csv, args, reason):
    runner.invoke(cli, ["import", "registry", write_csv(GOOD)])

    result = runner.invoke(cli, ["targets", "set", *args])

    assert result.exit_code in (1, 2)
    assert reason in result.output
    assert _count(db_session, Target) == 0


def test_targets_help(runner):
    result = runner.invoke(cli, ["targets", "set", "--help"])

    assert result.exit_code == 0
    assert "tthc_sector" in result.output and "public_service" in result.output and "--sector" in result.output


def test_what_the_command_commits_stays_inside_the_test_transaction(runner, db_session, write_csv, app):
    from survey.extensions import db

    result = runner.invoke(cli, ["import", "registry", write_csv(GOOD)])

    assert result.exit_code == 0 and _count(db_session, Agency) == 4
    with db.engine.connect() as outside:  # another connection sees only what is really committed
        assert outside.scalar(select(func.count()).select_from(Agency)) == 0
