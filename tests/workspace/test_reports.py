"""The PDF report (Vietnamese, English on request) and the `hailong report` / `hailong export` commands."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader

from survey.services.workspace import publishing, reports
from tests.workspace.conftest import sign_in


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def test_report_has_every_section_lists_agencies_below_target_and_small_cells(db_session, world):
    pdf = reports.report(db_session, world["wave"], "vi", province="Thử", min_n=30)
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    for expected in ("BÁO CÁO", "Kính gửi: Ủy ban nhân dân tỉnh Thử", "1. Tóm tắt", "2. Phương pháp",
                     "Tỷ lệ trả lời", "Trọng số", "Sai số", "3. Kết quả theo yếu tố và tiêu chí",
                     "4. Kết quả theo lĩnh vực", "5. Xếp hạng cơ quan", "6. Cơ quan dưới mục tiêu",
                     "7. Ưu tiên cải thiện", "8. Xu hướng qua các kỳ", "Sở Tài nguyên và Môi trường"):
        assert expected in text, expected
    assert "Đất đai" in text.split("Lĩnh vực dưới mục tiêu riêng:")[1][:80]
    below = text.split("6. Cơ quan dưới mục tiêu")[1].split("7. Ưu tiên cải thiện")[0]
    assert "Sở Tài nguyên và Môi trường" in below
    assert "Chưa đủ câu trả lời để xếp hạng (dưới 30): Ủy ban nhân dân xã Cẩm Bình (n = 12)" in text


def test_english_report_on_request(db_session, world):
    text = _text(reports.report(db_session, world["wave"], "en", min_n=30))
    assert "1. Summary" in text and "2. Method" in text
    assert "Sở Tài nguyên và Môi trường (en)" in text  # English names of agencies when the registry has them
    assert re.search(r"\d+\.\d %", text)


def test_report_download_button_and_route(client, world, analyst):
    sign_in(client, "phan.tich")
    page = client.get("/analyst/").get_data(as_text=True)
    assert "/analyst/report.pdf?wave=%d" % world["wave"].id in page
    resp = client.get("/analyst/report.pdf?wave=%d" % world["wave"].id)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert "1. Tóm tắt" in _text(resp.data)


def test_report_of_a_wave_without_answers_still_renders(db_session, world):
    from datetime import date

    from survey.models import Wave

    empty = Wave(code="EMPTY", name="Đợt chưa có trả lời", period_start=date(2026, 1, 1),
                 period_end=date(2026, 3, 31), questionnaire_version_id=world["wave"].questionnaire_version_id,
                 seed="x", status="launched", design={})
    db_session.add(empty)
    db_session.flush()
    publishing.refresh_provisional(db_session, empty)  # what a page's background refresh does
    text = _text(reports.report(db_session, empty, "vi"))
    assert "Số liệu tạm thời" in text and "1. Tóm tắt" in text


def test_cli_report_writes_the_pdf_and_prints_the_time(runner, world, tmp_path):
    out = tmp_path / "bao-cao.pdf"
    result = runner.invoke(args=["report", "--wave", world["wave"].code, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert re.search(r"trong \d+\.\d giây", result.output)
    assert "1. Tóm tắt" in _text(out.read_bytes())


def test_cli_report_for_one_agency_and_in_english(runner, world, tmp_path):
    out = tmp_path / "en.pdf"
    result = runner.invoke(args=["report", "--wave", world["wave"].code, "--out", str(out), "--lang", "en",
                                 "--agency", "T-STNMT"])
    assert result.exit_code == 0, result.output
    text = _text(out.read_bytes())
    assert "Scope: Sở Tài nguyên và Môi trường (en)" in text and "Sở Xây dựng" not in text


def test_cli_report_errors_are_clear_and_write_nothing(runner, world, tmp_path):
    out = tmp_path / "x.pdf"
    bad = runner.invoke(args=["report", "--wave", "KHONG-CO", "--out", str(out)])
    assert bad.exit_code != 0 and "Không có đợt khảo sát mã 'KHONG-CO'" in bad.output
    assert world["wave"].code in bad.output
    nodir = runner.invoke(args=["report", "--wave", world["wave"].code, "--out", str(tmp_path / "no" / "x.pdf")])
    assert nodir.exit_code != 0 and "không tồn tại" in nodir.output
    assert not out.exists()


def test_cli_exports(runner, world, tmp_path, db_session):
    from survey.models import AuditLog

    for args, check in ((["index", "--out", str(tmp_path / "i.xlsx")], "dòng"),
                        (["microdata", "--out", str(tmp_path / "m.sav")], "người trả lời"),
                        (["microdata", "--out", str(tmp_path / "m.csv"), "--agency", "T-SXD"], "70 người trả lời"),
                        (["codebook", "--out", str(tmp_path / "c.md")], "biến")):
        result = runner.invoke(args=["export", args[0], "--wave", world["wave"].code, *args[1:]])
        assert result.exit_code == 0 and check in result.output, result.output
    assert db_session.query(AuditLog).filter(AuditLog.action.like("export.%"), AuditLog.actor == "cli").count() == 4
    wrong = runner.invoke(args=["export", "microdata", "--wave", world["wave"].code, "--out", str(tmp_path / "m.xls")])
    assert wrong.exit_code != 0 and ".csv, .xlsx, .sav" in wrong.output


def test_cli_help_texts(runner):
    for args in (["report", "--help"], ["export", "--help"], ["export", "index", "--help"],
                 ["export", "microdata", "--help"], ["export", "codebook", "--help"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0 and "Usage" in result.output


def test_cli_microdata_csv_takes_the_vietnamese_or_international_style_and_names_its_source(runner, world, tmp_path):
    import pyreadstat

    code = world["wave"].code
    for style, sep in (("vi", ";"), ("intl", ",")):
        out = tmp_path / f"m-{style}.csv"
        result = runner.invoke(args=["export", "microdata", "--wave", code, "--out", str(out), "--csv", style])
        assert result.exit_code == 0, result.output
        header = out.read_text(encoding="utf-8-sig").splitlines()[0]
        assert sep in header and ("," not in header if sep == ";" else ";" not in header)
    sav = tmp_path / "m.sav"
    assert runner.invoke(args=["export", "microdata", "--wave", code, "--out", str(sav)]).exit_code == 0
    _df, meta = pyreadstat.read_sav(str(sav), metadataonly=True)
    assert meta.notes and any(code in n or "công bố" in n.lower() or "tạm tính" in n for n in meta.notes)
