"""Registry CSV import: good rows, idempotence, updates in place, row-level errors, cycles, dry run."""
from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import func, select

from survey.models import Agency, AuditLog, Procedure, Sector, ServicePoint
from survey.services.registry.imports import import_registry
from tests.registry._data import GOOD, HEADER


def _agency(session, code):
    return session.scalars(select(Agency).where(Agency.code == code)).one_or_none()


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def _errors(report):
    return [(e.line, e.column) for e in report.errors]


def test_good_rows_are_stored_with_their_relations(db_session, write_csv):
    report = import_registry(db_session, write_csv(GOOD))

    assert report.errors == []
    assert {k: dict(c) for k, c in report.counts.items()} == {
        "sector": {"created": 2}, "agency": {"created": 4}, "procedure": {"created": 2},
        "service_point": {"created": 2}}
    commune = _agency(db_session, "T-H1-X1")
    assert (commune.level, commune.parent.code, commune.parent.parent.code) == ("commune", "T-H1", "T")
    assert _agency(db_session, "T").parent is None
    proc = db_session.scalars(select(Procedure).where(Procedure.code == "1.900001")).one()
    assert (proc.sector.code, proc.name_en) == ("land", "Land use right change")
    centre = db_session.scalars(select(ServicePoint).where(ServicePoint.code == "C-H1")).one()
    assert centre.kind == "district_centre" and centre.agency.code == "T-H1"
    assert sorted(a.code for a in centre.agencies_served) == ["T-H1", "T-STNMT"]
    assert centre.address == "thị trấn Một, huyện Một"
    desk = db_session.scalars(select(ServicePoint).where(ServicePoint.code == "MC-X1")).one()
    assert [a.code for a in desk.agencies_served] == ["T-H1-X1"]  # empty list = the owning agency


def test_rows_may_refer_to_codes_defined_later_in_the_file(db_session, write_csv):
    lines = GOOD.splitlines()
    reversed_file = "\n".join([lines[0]] + lines[:0:-1]) + "\n"  # children before parents

    report = import_registry(db_session, write_csv(reversed_file))

    assert report.errors == []
    assert report.created == 10
    assert _agency(db_session, "T-H1-X1").parent.parent.code == "T"


def test_reimporting_the_same_file_changes_nothing(db_session, write_csv):
    path = write_csv(GOOD)
    import_registry(db_session, path)
    ids = dict(db_session.execute(select(Agency.code, Agency.id)).all())

    again = import_registry(db_session, path)

    assert again.errors == [] and again.created == again.updated == 0
    assert again.unchanged == 10
    assert dict(db_session.execute(select(Agency.code, Agency.id)).all()) == ids
    assert not db_session.dirty and not db_session.new


def test_changed_names_parents_and_served_agencies_update_in_place(db_session, write_csv):
    import_registry(db_session, write_csv(GOOD))
    before = _agency(db_session, "T-STNMT").id
    changed = (GOOD.replace("Sở Tài nguyên và Môi trường,", "Sở Nông nghiệp và Môi trường,")
               .replace("T-H1-X1,Ủy ban nhân dân xã Một,,commune,T-H1", "T-H1-X1,Ủy ban nhân dân xã Một,,commune,T")
               .replace("T-H1;T-STNMT", "T-H1"))

    report = import_registry(db_session, write_csv(changed))

    assert report.errors == []
    assert dict(report.counts["agency"]) == {"updated": 2, "unchanged": 2}
    assert dict(report.counts["service_point"]) == {"updated": 1, "unchanged": 1}
    dept = _agency(db_session, "T-STNMT")
    assert dept.id == before and dept.name_vi == "Sở Nông nghiệp và Môi trường"
    assert _agency(db_session, "T-H1-X1").parent.code == "T"
    centre = db_session.scalars(select(ServicePoint).where(ServicePoint.code == "C-H1")).one()
    assert [a.code for a in centre.agencies_served] == ["T-H1"]
    assert _count(db_session, Agency) == 4


GOOD_LINES = 11  # header + 10 rows; a bad row appended below is line 12

BAD_ROWS = [
    ("agency,T-X,,,commune,T-H1,,,,,", "name_vi", "Thiếu giá trị bắt buộc"),
    ("agency,T-X,Xã lạ,,,T-H1,,,,,", "level", "Thiếu giá trị bắt buộc"),
    ("agency,T-X,Xã lạ,,quận,T-H1,,,,,", "level", "Cấp không hợp lệ \"quận\""),
    ("agency,T-X,Xã lạ,,commune,T-H9,,,,,", "parent_code", "Không tìm thấy cơ quan cha \"T-H9\""),
    ("agency,T X,Xã lạ,,commune,T-H1,,,,,", "code", "chỉ được gồm"),
    ("agency,,Xã lạ,,commune,T-H1,,,,,", "code", "Thiếu giá trị bắt buộc"),
    ("agency,T-X," + "Dài" * 90 + ",,commune,T-H1,,,,,", "name_vi", "Quá dài (tối đa 255 ký tự)"),
    ("procedure,1.900009,Thủ tục lạ,,,,mining,,,,", "sector_code", "Không tìm thấy lĩnh vực \"mining\""),
    ("procedure,1.900009,Thủ tục lạ,,,,,,,,", "sector_code", "Thiếu giá trị bắt buộc"),
    ("service_point,P-X,Điểm lạ,,,,,T-H9,commune_desk,,", "agency_code", "Không tìm thấy cơ quan \"T-H9\""),
    ("service_point,P-X,Điểm lạ,,,,,T-H1,kiosk,,", "point_type", "Loại điểm phục vụ không hợp lệ"),
    ("service_point,P-X,Điểm lạ,,,,,T-H1,district_centre,T-H1;T-ZZ,", "agencies_served",
     "Không tìm thấy cơ quan \"T-ZZ\""),
    ("province,T-X,Xã lạ,,,,,,,,", "kind", "Loại dòng không hợp lệ \"province\""),
    ("agency,T-X,Xã lạ,,commune,T-H1,,,,,,extra", "", "nhưng tiêu đề chỉ có 11 cột"),
]


@pytest.mark.parametrize("row,column,reason", BAD_ROWS, ids=[f"{c or 'width'}-{i}" for i, (_, c, _r) in
                                                          enumerate(BAD_ROWS)])
def test_a_bad_row_is_rejected_with_line_column_and_reason_and_good_rows_are_kept(
        db_session, write_csv, row, column, reason):
    report = import_registry(db_session, write_csv(GOOD + row + "\n"))

    assert _errors(report) == [(GOOD_LINES + 1, column)]
    assert reason in report.errors[0].message
    assert report.created == 10 and report.rejected_lines == [12]
    assert (_count(db_session, Agency), _count(db_session, Procedure), _count(db_session, ServicePoint)) == (4, 2, 2)
    assert _agency(db_session, "T-X") is None


def test_a_duplicate_code_rejects_both_rows_and_names_the_first(db_session, write_csv):
    text = GOOD + "agency,T-STNMT,Sở Xây dựng,,department,T,,,,,\n"

    report = import_registry(db_session, write_csv(text))

    # ... and the service point serving T-STNMT (line 10) cannot be stored either.
    assert _errors(report) == [(5, "code"), (10, "agencies_served"), (12, "code")]
    assert "trùng với dòng 5" in report.errors[2].message
    assert _agency(db_session, "T-STNMT") is None
    # The same code in another kind is not a duplicate: agency and sector codes are separate lists.
    assert import_registry(db_session, write_csv(GOOD + "agency,land,Ban đất,,department,T,,,,,\n")).ok


def test_rows_depending_on_a_rejected_row_are_rejected_with_its_line(db_session, write_csv):
    text = HEADER + (
        "agency,T,Tỉnh,,province,,,,,,\n"
        "agency,T-H,Huyện,,quận,T,,,,,\n"           # line 3: bad level
        "agency,T-H-X,Xã,,commune,T-H,,,,,\n"       # line 4: parent rejected
        "service_point,MC,Một cửa,,,,,T-H-X,commune_desk,,\n"  # line 5: agency rejected (via line 4)
        "sector,land,,,,,,,,,\n"                    # line 6: no name
        "procedure,1.9,Thủ tục,,,,land,,,,\n")      # line 7: sector rejected

    report = import_registry(db_session, write_csv(text))

    assert _errors(report) == [(3, "level"), (4, "parent_code"), (5, "agency_code"), (6, "name_vi"),
                               (7, "sector_code")]
    assert "bị từ chối ở dòng 3" in report.errors[1].message
    assert "bị từ chối ở dòng 4" in report.errors[2].message
    assert "bị từ chối ở dòng 6" in report.errors[4].message
    assert [a.code for a in db_session.scalars(select(Agency))] == ["T"]


def test_a_parent_cycle_in_the_file_is_rejected_and_its_descendants_too(db_session, write_csv):
    text = GOOD + ("agency,T-A,A,,district,T-B,,,,,\n"      # 12
                   "agency,T-B,B,,district,T-A,,,,,\n"      # 13
                   "agency,T-S,Tự trỏ,,district,T-S,,,,,\n"  # 14: its own parent
                   "agency,T-A-X,Con của A,,commune,T-A,,,,,\n")  # 15

    report = import_registry(db_session, write_csv(text))

    assert _errors(report) == [(12, "parent_code"), (13, "parent_code"), (14, "parent_code"),
                               (15, "parent_code")]
    assert "Vòng lặp cơ quan cha: T-A → T-B → T-A" in report.errors[0].message
    assert "T-S → T-S" in report.errors[2].message
    assert "bị từ chối ở dòng" in report.errors[3].message
    assert report.created == 10 and _count(db_session, Agency) == 4


def test_a_cycle_through_stored_agencies_is_rejected_and_leaves_them_unchanged(db_session, write_csv):
    import_registry(db_session, write_csv(GOOD))
    # T-H1-X1 is a child of T-H1; making T-H1 a child of T-H1-X1 would close a loop.
    text = HEADER + "agency,T-H1,Ủy ban nhân dân huyện Một,,district,T-H1-X1,,,,,\n"

    report = import_registry(db_session, write_csv(text))

    assert _errors(report) == [(2, "parent_code")]
    assert "T-H1 → T-H1-X1 → T-H1" in report.errors[0].message
    assert _agency(db_session, "T-H1").parent.code == "T"


def test_dry_run_reports_the_outcome_but_writes_nothing(db_session, write_csv):
    path = write_csv(GOOD + "agency,T-X,Xã lạ,,quận,T-H1,,,,,\n")

    report = import_registry(db_session, path, dry_run=True, actor="cli")

    assert report.dry_run and report.created == 10 and _errors(report) == [(12, "level")]
    for model in (Agency, Sector, Procedure, ServicePoint, AuditLog):
        assert _count(db_session, model) == 0
    assert import_registry(db_session, path).created == 10  # the session is still usable


def test_an_import_with_an_actor_is_audited(db_session, write_csv):
    import_registry(db_session, write_csv(GOOD + "agency,T-X,,,commune,T,,,,,\n", name="ds.csv"), actor="cli")

    entry = db_session.scalars(select(AuditLog)).one()
    assert (entry.actor, entry.action, entry.target_id) == ("cli", "registry.import", "ds.csv")
    assert entry.details["counts"]["agency"] == {"created": 4} and entry.details["rejected"] == 1


@pytest.mark.parametrize("content,column,reason", [
    ("kind,code,name_vi,parrent_code\nsector,land,Đất đai,\n", "parrent_code", "Cột không xác định"),
    ("code,name_vi\nland,Đất đai\n", "kind", "Thiếu cột bắt buộc"),
    ("kind,code,code,name_vi\nsector,land,land,Đất đai\n", "code", "Cột bị lặp lại"),
    ("# chỉ có chú thích\n\n", "", "Tệp rỗng"),
    ("kind,code,name_vi\nsector,land,Đất đai\n".encode("utf-16"), "", "không phải mã UTF-8"),
    (HEADER.encode() + "sector,land,Đà Lạt,,,,,,,,\n".replace("ạ", "a").encode("cp1258"), "", "không phải mã UTF-8"),
])
def test_file_level_problems_are_reported_and_nothing_is_imported(db_session, write_csv, content, column,
                                                                   reason):
    report = import_registry(db_session, write_csv(content))

    assert [e.column for e in report.errors] == [column]
    assert reason in report.errors[0].message
    assert report.created == 0 and _count(db_session, Sector) == 0


def test_excel_style_files_are_accepted_bom_semicolons_comments_and_crlf(db_session, write_csv):
    text = ("# Danh mục thử\r\n" + GOOD.replace(",", ";").replace("T-H1;T-STNMT", '"T-H1;T-STNMT"')
            .replace("\n", "\r\n")).replace('"thị trấn Một; huyện Một"', '"thị trấn Một, huyện Một"')
    text += "agency;T-X;;;commune;T;;;;;\r\n"

    report = import_registry(db_session, write_csv(b"\xef\xbb\xbf" + text.encode("utf-8")))

    assert report.created == 10
    assert _errors(report) == [(13, "name_vi")]  # line numbers count the comment line
    centre = db_session.scalars(select(ServicePoint).where(ServicePoint.code == "C-H1")).one()
    assert sorted(a.code for a in centre.agencies_served) == ["T-H1", "T-STNMT"]


def test_decomposed_vietnamese_and_stray_spaces_are_normalised(db_session, write_csv):
    nfd = unicodedata.normalize("NFD", "Sở Tài nguyên và Môi trường")
    assert nfd != "Sở Tài nguyên và Môi trường"
    import_registry(db_session, write_csv(GOOD))

    report = import_registry(db_session, write_csv(GOOD.replace("Sở Tài nguyên và Môi trường,",
                                                                f"  {nfd.replace(' ', '  ')} ,")))

    assert report.unchanged == 10  # the same text, only encoded differently
    assert _agency(db_session, "T-STNMT").name_vi == "Sở Tài nguyên và Môi trường"
