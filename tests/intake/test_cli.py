"""`hailong apikey ...` and `hailong import dossiers FILE.csv`."""
from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from survey.models import ApiKey, AuditLog, Dossier, Invitation, SourceSystem
from survey.services.intake import apikeys
from survey.services.sampling import waves
from tests.sampling.factories import make_wave, record

COLUMNS = ["external_id", "agency", "procedure", "sector", "service_point", "channel", "received_at", "due_at",
           "completed_at", "outcome", "phone"]


def write_csv(path, rows, delimiter=","):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter=delimiter)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r.get(k, "") for k in COLUMNS})
    return str(path)


def test_apikey_create_prints_the_key_once_and_stores_only_its_hash(runner, db_session):
    result = runner.invoke(args=["apikey", "create", "--source", "motcua-ht", "--name", "Một cửa Hà Tĩnh",
                                 "--all-agencies", "--label", "Cổng tỉnh"])
    assert result.exit_code == 0, result.output
    key = result.output.split("lưu lại ngay): ")[1].split()[0]
    row = db_session.scalar(select(ApiKey))
    assert key not in row.key_hash and apikeys.authenticate(db_session, key).source_system.code == "motcua-ht"
    assert row.all_agencies and row.label == "Cổng tỉnh" and "Phạm vi: toàn tỉnh" in result.output
    listed = runner.invoke(args=["apikey", "list"])
    assert row.prefix in listed.output and "đang dùng" in listed.output and key not in listed.output
    assert "chưa dùng" in listed.output and "Cổng tỉnh; toàn tỉnh" in listed.output
    revoked = runner.invoke(args=["apikey", "revoke", row.prefix])
    assert revoked.exit_code == 0 and apikeys.authenticate(db_session, key) is None
    assert runner.invoke(args=["apikey", "revoke", "hlnope"]).exit_code != 0
    actions = db_session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["apikey.create", "apikey.revoke"]


def test_apikey_create_needs_a_scope_or_all_agencies_and_known_codes(runner, db_session, reg):
    for args in ([], ["--all-agencies", "--agency", "AG1"], ["--agency", "NOPE"]):
        result = runner.invoke(args=["apikey", "create", "--source", "motcua", *args])
        assert result.exit_code != 0 and "Khoá API" not in result.output, result.output
    assert "--all-agencies" in runner.invoke(args=["apikey", "create", "--source", "motcua"]).output
    assert "NOPE" in runner.invoke(args=["apikey", "create", "--source", "motcua", "--agency", "NOPE"]).output
    assert db_session.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_apikey_scope_options_combine_into_rows_and_scope_replaces_them(runner, db_session, reg):
    result = runner.invoke(args=["apikey", "create", "--source", "motcua", "--agency", "AG1", "--agency", "AG2",
                                 "--sector", "land"])
    assert result.exit_code == 0, result.output
    row = db_session.scalar(select(ApiKey))
    ids = {a.code: a.id for a in reg["agencies"].values()}
    assert not row.all_agencies
    assert sorted((s.agency_id, s.sector_id) for s in row.scopes) == sorted(
        [(ids["AG1"], reg["sectors"]["land"].id), (ids["AG2"], reg["sectors"]["land"].id)])
    assert "agency=AG1+sector=land | agency=AG2+sector=land" in runner.invoke(args=["apikey", "list"]).output
    changed = runner.invoke(args=["apikey", "scope", row.prefix, "--service-point", "SP2"])
    assert changed.exit_code == 0 and "service_point=SP2" in changed.output, changed.output
    db_session.expire_all()
    assert [(s.agency_id, s.service_point_id, s.sector_id) for s in row.scopes] == [
        (None, reg["points"]["SP2"].id, None)]
    assert runner.invoke(args=["apikey", "scope", row.prefix, "--all-agencies"]).exit_code == 0
    db_session.expire_all()
    assert row.all_agencies and row.scopes == []
    logged = db_session.scalars(select(AuditLog).where(AuditLog.action == "apikey.scope").order_by(AuditLog.id)).all()
    assert [e.details["after"] for e in logged] == [[{"service_point": "SP2"}], "all"]
    assert logged[0].details["before"] == [{"agency": "AG1", "sector": "land"}, {"agency": "AG2", "sector": "land"}]


def test_apikey_rotate_prints_a_new_key_and_the_old_one_stops_working(runner, db_session, reg):
    made = runner.invoke(args=["apikey", "create", "--source", "motcua", "--agency", "AG1", "--label", "Sở 1"])
    old_key = made.output.split("lưu lại ngay): ")[1].split()[0]
    old_prefix = old_key.split(".")[0]
    rotated = runner.invoke(args=["apikey", "rotate", old_prefix])
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.output.split("lưu lại ngay): ")[1].split()[0]
    assert apikeys.authenticate(db_session, old_key) is None
    new = apikeys.authenticate(db_session, new_key)
    assert new.label == "Sở 1" and [s.agency_id for s in new.scopes] == [reg["agencies"]["AG1"].id]
    again = runner.invoke(args=["apikey", "rotate", old_prefix])
    assert again.exit_code != 0 and "đã bị thu hồi" in again.output
    assert runner.invoke(args=["apikey", "rotate", "hlnope"]).exit_code != 0
    rotation = db_session.scalar(select(AuditLog).where(AuditLog.action == "apikey.rotate"))
    assert rotation.target_id == old_prefix and rotation.details["new_prefix"] == new_key.split(".")[0]


@pytest.mark.parametrize("command", [["apikey"], ["apikey", "create"], ["apikey", "list"], ["apikey", "scope"],
                                     ["apikey", "rotate"], ["apikey", "revoke"], ["import", "dossiers"]])
def test_every_command_has_help(runner, command):
    result = runner.invoke(args=[*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_the_scope_options_are_explained_in_the_help(runner):
    for command in ("create", "scope"):
        output = runner.invoke(args=["apikey", command, "--help"]).output
        assert all(option in output for option in ("--agency", "--service-point", "--sector", "--all-agencies"))
        assert "cấp dưới" in output


def test_import_stores_good_rows_and_reports_bad_rows_by_line(runner, db_session, reg, source, tmp_path):
    rows = [record("A"), record("B", agency="NOPE"), record("C", completed_at="hôm qua"), record("D")]
    path = write_csv(tmp_path / "hs.csv", rows)
    errors = tmp_path / "loi.csv"
    result = runner.invoke(args=["import", "dossiers", path, "--source", "motcua", "--errors", str(errors)])
    assert result.exit_code == 1  # some rows were rejected
    assert "Đã lưu 2, trùng không đổi 0, từ chối 2" in result.output
    assert "dòng 3 (B): unknown_agency" in result.output and "dòng 4 (C): bad_date" in result.output
    with open(errors, encoding="utf-8-sig") as fh:
        report = list(csv.DictReader(fh))
    assert [(r["line"], r["external_id"], r["codes"]) for r in report] == [("3", "B", "unknown_agency"),
                                                                           ("4", "C", "bad_date")]
    assert sorted(db_session.scalars(select(Dossier.external_id))) == ["A", "D"]
    again = runner.invoke(args=["import", "dossiers", path, "--source", "motcua"])
    assert "Đã lưu 0, trùng không đổi 2, từ chối 2" in again.output
    assert db_session.scalar(select(func.count()).select_from(Dossier)) == 2
    assert db_session.scalar(select(AuditLog.details).where(AuditLog.action == "dossiers.import"))["stored"] == 2


def test_import_reads_semicolon_files_in_bulk(runner, db_session, reg, source, tmp_path):
    rows = [record(f"HS{i:05d}", day=f"2025-05-{1 + i % 28:02d}") for i in range(4500)]
    path = write_csv(tmp_path / "hs.csv", rows, delimiter=";")
    result = runner.invoke(args=["import", "dossiers", path, "--source", "motcua"])
    assert result.exit_code == 0, result.output
    assert "Đang nhập hồ sơ" in result.output and "Đã lưu 4500" in result.output
    assert db_session.scalar(select(func.count()).select_from(Dossier)) == 4500


def test_import_refuses_an_unknown_source_and_a_file_without_the_columns(runner, db_session, reg, source, tmp_path):
    db_session.commit()  # the fixtures stay: a refused command rolls back only its own work
    path = write_csv(tmp_path / "hs.csv", [record("A")])
    result = runner.invoke(args=["import", "dossiers", path, "--source", "khong-co"])
    assert result.exit_code != 0 and "apikey create --source khong-co" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("ma,ten\n1,2\n", encoding="utf-8")
    result = runner.invoke(args=["import", "dossiers", str(bad), "--source", "motcua"])
    assert result.exit_code != 0 and "Tệp thiếu cột" in result.output
    assert db_session.scalar(select(func.count()).select_from(SourceSystem)) == 1


def test_import_into_a_launched_wave_writes_slips_and_sms_for_the_invited(runner, db_session, reg, source, version,
                                                                            tmp_path):
    waves.launch(db_session, make_wave(db_session, version, fixed_pi=1.0))
    path = write_csv(tmp_path / "hs.csv", [record("A", phone="0912345678"), record("B")])
    out = tmp_path / "phat"
    result = runner.invoke(args=["import", "dossiers", path, "--source", "motcua", "--out", str(out), "--format", "a5"])
    assert result.exit_code == 0, result.output
    assert "2 hồ sơ được chọn mẫu" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["links.csv", "phieu-moi-SP1-a5.html", "sms.csv"]
    with open(out / "sms.csv", encoding="utf-8-sig") as fh:
        (sms,) = list(csv.DictReader(fh))
    assert sms["phone"] == "0912345678" and sms["link"] in sms["message"] and "Moi Ong/Ba" in sms["message_ascii"]
    html = (out / "phieu-moi-SP1-a5.html").read_text(encoding="utf-8")
    assert html.count('<section class="slip"') == 2 and "size: 148mm 210mm" in html
    assert db_session.scalar(select(func.count()).where(Invitation.delivered_at.is_not(None))) == 2


def test_an_import_whose_audit_row_is_refused_stores_no_dossier_and_writes_no_slip(runner, db_session, reg, source,
                                                                                 version, tmp_path):
    from tests.foundation.test_txn import refuse_inserts

    waves.launch(db_session, make_wave(db_session, version, fixed_pi=1.0))
    refuse_inserts(db_session, "audit_log", "NEW.action = 'dossiers.import'")
    path = write_csv(tmp_path / "hs.csv", [record("A", phone="0912345678"), record("B")])
    out = tmp_path / "phat"
    result = runner.invoke(args=["import", "dossiers", path, "--source", "motcua", "--out", str(out)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert "Lỗi cơ sở dữ liệu, không ghi gì" in result.output
    # Every chunk had been stored (flushed) and its invitations issued before the audit insert failed.
    assert db_session.scalar(select(func.count()).select_from(Dossier)) == 0
    assert db_session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hs.csv"]  # no slips holding tokens nobody stored
