"""`hailong qd766 import FILE.csv` (all or nothing, an error per bad line) and `hailong qd766 score --period`."""

from __future__ import annotations

from sqlalchemy import func, select

from survey.models import AuditLog, DossierEvent, DossierRating


def write_csv(tmp_path, text: str, name: str = "in.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


RATINGS = (
    "external_id,dossier,rated_at,level,score\n"
    "R-1,HS-1,2025-05-11T09:00:00+07:00,satisfied,\n"
    "R-2,HS-2,2025-05-11T09:00:00+07:00,,3\n"
    "R-3,HS-3,2025-05-11,not_satisfied,12\n"
)


def test_a_good_ratings_file_is_stored_and_audited(runner, db_session, dossiers, tmp_path):
    result = runner.invoke(args=["qd766", "import", write_csv(tmp_path, RATINGS), "--source", "motcua"])
    assert result.exit_code == 0, result.output
    assert "Đã lưu 3 đánh giá, trùng không đổi 0." in result.output
    assert sorted(db_session.execute(select(DossierRating.external_id, DossierRating.level, DossierRating.score))) == [
        ("R-1", "satisfied", None),
        ("R-2", None, 3),
        ("R-3", "not_satisfied", 12),
    ]
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "qd766.import"))
    assert entry.details["stored"] == 3 and entry.details["kind"] == "rating"


def test_importing_the_same_file_again_changes_nothing(runner, db_session, dossiers, tmp_path):
    path = write_csv(tmp_path, RATINGS)
    runner.invoke(args=["qd766", "import", path, "--source", "motcua"])
    again = runner.invoke(args=["qd766", "import", path, "--source", "motcua"])
    assert again.exit_code == 0 and "Đã lưu 0 đánh giá, trùng không đổi 3." in again.output
    assert count(db_session, DossierRating) == 3


def test_one_bad_line_writes_nothing_and_every_bad_line_is_named(runner, db_session, dossiers, tmp_path):
    text = RATINGS + "R-4,HS-404,2025-05-11,satisfied,\nR-5,HS-1,hôm qua,satisfied,\nR-6,HS-1,2025-05-11,,30\n"
    result = runner.invoke(args=["qd766", "import", write_csv(tmp_path, text), "--source", "motcua"])
    assert result.exit_code == 1
    assert "dòng 5 (R-4): unknown_dossier: Không có hồ sơ mã HS-404" in result.output
    assert "dòng 6 (R-5): bad_date:" in result.output
    assert "dòng 7 (R-6): bad_score: Điểm đánh giá phải là số nguyên từ 0 đến 18" in result.output
    assert "Tệp có 3 dòng lỗi trên 6 dòng; không lưu dòng nào." in result.output
    assert count(db_session, DossierRating) == 0
    assert count(db_session, AuditLog) == 0


def test_an_events_file_is_recognised_by_its_header_semicolons_too(runner, db_session, dossiers, tmp_path):
    text = (
        "external_id;dossier;kind;at;note\n"
        "E-1;HS-4;overdue;2025-05-10T18:00:00+07:00;\n"
        "E-2;HS-4;apology_letter;2025-05-11;Thư xin lỗi\n"
    )
    result = runner.invoke(args=["qd766", "import", write_csv(tmp_path, text), "--source", "motcua"])
    assert result.exit_code == 0, result.output
    assert "Đã lưu 2 sự kiện" in result.output
    assert db_session.scalar(select(DossierEvent.note).where(DossierEvent.external_id == "E-2")) == "Thư xin lỗi"


def test_a_file_of_neither_kind_or_of_an_unknown_source_is_refused_clearly(runner, db_session, dossiers, tmp_path):
    neither = runner.invoke(args=["qd766", "import", write_csv(tmp_path, "a,b\n1,2\n"), "--source", "motcua"])
    assert neither.exit_code == 1 and "Không nhận ra loại tệp từ dòng tiêu đề" in neither.output
    unknown = runner.invoke(args=["qd766", "import", write_csv(tmp_path, RATINGS), "--source", "nope"])
    assert unknown.exit_code == 1 and "Chưa có hệ thống nguồn 'nope'" in unknown.output
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("external_id,dossier,rated_at,level\nR-1,HS-1,2025-05-11,hài\n".encode("cp1258"))
    bad_bytes = runner.invoke(args=["qd766", "import", str(latin1), "--source", "motcua"])
    assert bad_bytes.exit_code == 1 and "không phải UTF-8" in bad_bytes.output
    assert count(db_session, DossierRating) == 0


def test_help_is_in_vietnamese(runner):
    assert "Nhập đánh giá của từng hồ sơ" in runner.invoke(args=["qd766", "import", "--help"]).output
    assert "Điểm hài lòng kiểu QĐ 766" in runner.invoke(args=["qd766", "score", "--help"]).output


def test_score_prints_each_agency_and_the_total(runner, db_session, dossiers, tmp_path):
    runner.invoke(args=["qd766", "import", write_csv(tmp_path, RATINGS), "--source", "motcua"])
    result = runner.invoke(args=["qd766", "score", "--period", "2025-Q2"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines()[2:]}
    # AG1: HS-1..HS-4; HS-4 overdue, HS-2 scored 3 (weak band), HS-3 not satisfied: 1 of 4 favourable.
    assert lines["AG1"][1:] == ["4", "1", "0", "0", "3", "2", "25,0", "4,5"]
    assert lines["AG2"][1:] == ["1", "0", "0", "0", "0", "0", "100,0", "18,0"]
    assert lines["Tổng"][1:] == ["5", "1", "0", "0", "3", "2", "40,0", "7,2"]


def test_score_of_a_period_without_dossiers_and_a_bad_period(runner, db_session, dossiers):
    empty = runner.invoke(args=["qd766", "score", "--period", "2024"])
    assert empty.exit_code == 0 and empty.output.splitlines()[-1].split()[1:] == ["0"] * 6 + ["—", "—"]
    bad = runner.invoke(args=["qd766", "score", "--period", "quý 3"])
    assert bad.exit_code == 2 and "Kỳ không hợp lệ: quý 3" in bad.output
