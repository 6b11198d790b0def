"""`hailong wave ...`: the whole lifecycle from the command line."""
from __future__ import annotations

import csv
import uuid

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, DossierContact, Invitation, Response, Wave
from survey.services.intake import batch as intake
from survey.services.sampling import invitations
from tests.sampling.factories import record

WAVE_COMMANDS = ["list", "create", "show", "stratum", "launch", "close", "audit", "rates", "slips", "sms-csv",
                 "expire", "purge-contacts", "anonymise"]


@pytest.mark.parametrize("command", WAVE_COMMANDS)
def test_every_wave_command_has_help(runner, command):
    result = runner.invoke(args=["wave", command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


@pytest.fixture
def dossiers(db_session, reg, source):
    """Dossiers in Q1 (previous period) and Q2 2025, a third with phones."""
    prev = [record(f"P{i}", day=f"2025-02-{1 + i % 28:02d}") for i in range(300)]
    cur = [record(f"C{i}", day=f"2025-05-{1 + i % 28:02d}", **({"phone": f"09{i:08d}"} if i % 3 == 0 else {}))
           for i in range(200)]
    intake.ingest(db_session, source, prev + cur)


def _create(runner, *extra):
    return runner.invoke(args=["wave", "create", "Q2", "--name", "Quý II/2025", "--start", "2025-04-01",
                               "--end", "2025-06-30", "--seed", "cli-seed", *extra])


def test_create_shows_the_planned_sample_and_show_repeats_it(runner, db_session, dossiers, version):
    result = _create(runner, "--margin", "0.1", "--response-rate", "0.5", "--min", "10")
    assert result.exit_code == 0, result.output
    # N_prev = 300 → n = 300/(1+300·0.01) = 75 → 150 invitations → π = 0.5
    assert "Cơ quan AG1 × Lĩnh vực land" in result.output and "0.5000" in result.output
    assert "Tổng" in result.output and "150" in result.output
    shown = runner.invoke(args=["wave", "show", "Q2"])
    assert "Hạt giống: cli-seed" in shown.output and "e = 0.1" in shown.output
    assert runner.invoke(args=["wave", "list"]).output.startswith("Q2")


def test_create_refuses_bad_input_with_a_vietnamese_message(runner, db_session, dossiers, version):
    assert _create(runner).exit_code == 0
    again = _create(runner)
    assert again.exit_code != 0 and "Mã đợt khảo sát này đã có" in again.output
    missing = runner.invoke(args=["wave", "create", "X", "--name", "x", "--start", "2025-04-01", "--end", "2025-06-30",
                                  "--instrument", "khong-co"])
    assert missing.exit_code != 0 and "Chưa nạp bảng hỏi" in missing.output
    backwards = runner.invoke(args=["wave", "create", "Y", "--name", "y", "--start", "2025-06-01",
                                    "--end", "2025-05-01"])
    assert "Ngày kết thúc phải sau" in backwards.output
    assert runner.invoke(args=["wave", "show", "NOPE"]).exit_code != 0


def test_stratum_override_launch_with_slips_audit_rates_close_purge_anonymise(runner, db_session, dossiers, version,
                                                                            tmp_path):
    assert _create(runner, "--pi", "0.5").exit_code == 0
    set_pi = runner.invoke(args=["wave", "stratum", "Q2", "AG1|land", "--pi", "0.25"])
    assert set_pi.exit_code == 0 and "0.2500" in set_pi.output
    out = tmp_path / "phat"
    launched = runner.invoke(args=["wave", "launch", "Q2", "--yes", "--out", str(out), "--format", "80mm"])
    assert launched.exit_code == 0, launched.output
    n = db_session.scalar(select(func.count()).select_from(Invitation))
    assert f"{n} thư mời mới" in launched.output and 30 < n < 70
    with open(out / "links.csv", encoding="utf-8-sig") as fh:
        links = list(csv.DictReader(fh))
    assert len(links) == n and invitations.find_by_token(db_session, links[0]["link"].rsplit("/", 1)[1]) is not None
    assert (out / "phieu-moi-SP1-80mm.html").exists()
    audited = runner.invoke(args=["wave", "audit", "Q2"])
    assert audited.exit_code == 0 and "khớp hoàn toàn" in audited.output
    inv = db_session.scalar(select(Invitation))
    db_session.add(Response(uuid=str(uuid.uuid4()), invitation_id=inv.id, questionnaire_version_id=version.id,
                            mode="link"))
    db_session.flush()
    rates = runner.invoke(args=["wave", "rates", "Q2", "--by", "outcome"])
    assert "Giải quyết (chấp thuận)" in rates.output and f"{100 / n:.1f}%" in rates.output
    assert runner.invoke(args=["wave", "anonymise", "Q2", "--yes"]).exit_code != 0   # not closed yet
    assert runner.invoke(args=["wave", "close", "Q2"]).exit_code == 0
    purge = runner.invoke(args=["wave", "purge-contacts", "Q2", "--yes"])
    assert "Đã xoá 67 số điện thoại" in purge.output
    assert db_session.scalar(select(func.count()).select_from(DossierContact)) == 0
    anon = runner.invoke(args=["wave", "anonymise", "Q2", "--yes"])
    assert anon.exit_code == 0 and f"{n} thư mời" in anon.output
    after = runner.invoke(args=["wave", "audit", "Q2"])
    assert after.exit_code == 0 and "hạt giống đã bị xoá" in after.output and "SAI LỆCH" not in after.output
    actions = db_session.scalars(select(AuditLog.action).where(AuditLog.target_id == "Q2").order_by(AuditLog.id)).all()
    assert actions == ["wave.create", "wave.stratum", "wave.launch", "wave.audit", "wave.close", "publication.publish",
                       "wave.purge_contacts", "wave.anonymise", "wave.audit"]


def test_audit_exits_1_on_a_discrepancy(runner, db_session, dossiers, version):
    _create(runner, "--pi", "0.5")
    runner.invoke(args=["wave", "launch", "Q2", "--yes"])
    db_session.scalar(select(Invitation)).pi = 0.7
    db_session.flush()
    result = runner.invoke(args=["wave", "audit", "Q2"])
    assert result.exit_code == 1 and "SAI LỆCH wrong_pi" in result.output


def test_slips_and_sms_csv_issue_tokens_only_for_undelivered_invitations(runner, db_session, dossiers, version,
                                                                         tmp_path):
    _create(runner, "--pi", "0.5")
    assert runner.invoke(args=["wave", "slips", "Q2", "--out", str(tmp_path / "x")]).exit_code != 0  # draft
    runner.invoke(args=["wave", "launch", "Q2", "--yes"])
    n = db_session.scalar(select(func.count()).select_from(Invitation))
    with_phone = db_session.scalar(select(func.count()).select_from(Invitation)
                                   .join(DossierContact, DossierContact.dossier_id == Invitation.dossier_id))
    sms = runner.invoke(args=["wave", "sms-csv", "Q2", "--out", str(tmp_path / "sms.csv")])
    assert sms.exit_code == 0 and f"Đã ghi {with_phone} tin nhắn" in sms.output
    slips = runner.invoke(args=["wave", "slips", "Q2", "--out", str(tmp_path / "phieu"), "--limit", "5"])
    assert "5 phiếu in" in slips.output
    rest = runner.invoke(args=["wave", "slips", "Q2", "--out", str(tmp_path / "phieu2")])
    assert f"{n - with_phone - 5} phiếu in" in rest.output
    none_left = runner.invoke(args=["wave", "slips", "Q2", "--out", str(tmp_path / "phieu3")])
    assert "Không còn thư mời nào chưa phát" in none_left.output
    reissued = runner.invoke(args=["wave", "slips", "Q2", "--out", str(tmp_path / "phieu4"), "--reissue",
                                   "--service-point", "SP1"])
    assert f"{n} phiếu in" in reissued.output
    assert db_session.scalar(select(func.count()).where(Invitation.channel == "sms")) == with_phone


def test_expire_marks_overdue_invitations(runner, db_session, dossiers, version):
    _create(runner, "--pi", "0.5")
    runner.invoke(args=["wave", "launch", "Q2", "--yes"])
    from datetime import datetime
    db_session.scalar(select(Invitation)).expires_at = datetime(2000, 1, 1)
    db_session.flush()
    assert "1 thư mời đã hết hạn" in runner.invoke(args=["wave", "expire"]).output
    assert db_session.scalar(select(Wave.status)) == "launched"


def _actions(db_session) -> list[str]:
    return db_session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()


def test_a_launch_whose_audit_row_is_refused_stores_nothing_and_writes_no_slips(runner, db_session, dossiers, version,
                                                                               tmp_path):
    from tests.foundation.test_txn import refuse_inserts

    assert _create(runner, "--pi", "0.5").exit_code == 0
    refuse_inserts(db_session, "audit_log", "NEW.action = 'wave.launch'")
    out = tmp_path / "phat"
    result = runner.invoke(args=["wave", "launch", "Q2", "--yes", "--out", str(out)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert "Lỗi cơ sở dữ liệu, không ghi gì" in result.output and "refused by a test trigger" in result.output
    # The launch had flushed its invitations before the audit insert failed: none of it is left.
    assert db_session.scalar(select(Wave.status)) == "draft"
    assert db_session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert _actions(db_session) == ["wave.create"]
    assert not out.exists() and list(tmp_path.iterdir()) == []  # no slips with tokens that were never stored


def test_slips_appear_in_the_folder_only_with_the_tokens_committed(runner, db_session, dossiers, version, tmp_path):
    _create(runner, "--pi", "0.5")
    runner.invoke(args=["wave", "launch", "Q2", "--yes"])
    out = tmp_path / "phieu"
    result = runner.invoke(args=["wave", "slips", "Q2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    db_session.rollback()  # keeps only what the command committed
    with open(out / "links.csv", encoding="utf-8-sig") as fh:
        links = list(csv.DictReader(fh))
    assert links and all(invitations.find_by_token(db_session, row["link"].rsplit("/", 1)[1]) for row in links)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["phieu"]  # no staging folder left beside it
