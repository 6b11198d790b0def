"""The Hà Tĩnh demo registry after 1 July 2025 and the registry demo step (idempotent, targets, lineage,
handles for later steps)."""
from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import date

from sqlalchemy import func, select

from survey.models import Agency, AuditLog, Procedure, Sector, ServicePoint, Target
from survey.models.registry import AgencyLineage, service_point_agencies
from survey.services.demo import DemoContext
from survey.services.demo import registry as step
from survey.services.registry.imports import import_registry
from survey.services.registry.targets import set_target

DISTRICT_UNITS = {
    "Ủy ban nhân dân thành phố Hà Tĩnh", "Ủy ban nhân dân thị xã Hồng Lĩnh", "Ủy ban nhân dân thị xã Kỳ Anh",
    "Ủy ban nhân dân huyện Hương Sơn", "Ủy ban nhân dân huyện Đức Thọ", "Ủy ban nhân dân huyện Vũ Quang",
    "Ủy ban nhân dân huyện Nghi Xuân", "Ủy ban nhân dân huyện Can Lộc", "Ủy ban nhân dân huyện Hương Khê",
    "Ủy ban nhân dân huyện Thạch Hà", "Ủy ban nhân dân huyện Cẩm Xuyên", "Ủy ban nhân dân huyện Kỳ Anh",
    "Ủy ban nhân dân huyện Lộc Hà",
}
# Departments since the 2025 mergers (1 March 2025) and the ones they absorbed (retired that day).
DEPARTMENTS = {"Sở Nông nghiệp và Môi trường", "Sở Xây dựng", "Sở Tư pháp", "Sở Y tế", "Sở Giáo dục và Đào tạo",
               "Sở Công Thương", "Sở Văn hóa, Thể thao và Du lịch", "Sở Nội vụ", "Sở Tài chính",
               "Sở Khoa học và Công nghệ", "Ban Quản lý Khu kinh tế tỉnh"}
RETIRED_DEPARTMENTS = {"Sở Tài nguyên và Môi trường", "Sở Kế hoạch và Đầu tư",
                       "Sở Lao động – Thương binh và Xã hội", "Sở Giao thông vận tải",
                       "Sở Nông nghiệp và Phát triển nông thôn", "Sở Thông tin và Truyền thông"}
REORG = date(2025, 7, 1)
# NQ 1665/NQ-UBTVQH15: 69 commune-level units (60 xã, 9 phường); a few with their CV 1027/CTK-CSCL codes.
NEW_UNITS = {"18073": "Ủy ban nhân dân phường Thành Sen", "18100": "Ủy ban nhân dân phường Trần Phú",
             "18196": "Ủy ban nhân dân xã Sơn Kim 1", "18823": "Ủy ban nhân dân phường Vũng Áng",
             "18394": "Ủy ban nhân dân xã Cổ Đạm", "18568": "Ủy ban nhân dân xã Lộc Hà"}
SECTORS = {"land", "construction", "investment", "civil_status", "justice", "labour", "transport", "business",
           "health", "education", "other"}


def _agencies(session, level):
    return session.scalars(select(Agency).where(Agency.level == level)).all()


def test_the_demo_registry_imports_without_errors(db_session):
    report = import_registry(db_session, step.DEMO_REGISTRY)

    assert report.errors == []
    assert report.updated == report.unchanged == 0 and report.created == report.rows

    root = db_session.scalars(select(Agency).where(Agency.level == "province")).one()
    assert root.name_vi == "Ủy ban nhân dân tỉnh Hà Tĩnh" and root.parent is None
    districts = _agencies(db_session, "district")
    assert {a.name_vi for a in districts} == DISTRICT_UNITS
    assert all(a.parent is root for a in districts)
    assert {a.valid_to for a in districts} == {REORG, date(2025, 1, 1)}  # Lộc Hà joined Thạch Hà on 1 Jan 2025
    departments = _agencies(db_session, "department")
    assert {a.name_vi for a in departments if a.valid_to is None} >= DEPARTMENTS
    assert {a.name_vi for a in departments if a.valid_to == date(2025, 3, 1)} == RETIRED_DEPARTMENTS
    assert all(a.parent is root for a in departments)
    assert {"Công an tỉnh Hà Tĩnh", "Bảo hiểm xã hội tỉnh Hà Tĩnh", "Cục Thuế tỉnh Hà Tĩnh"} <= {
        a.name_vi for a in _agencies(db_session, "central")}
    units = _agencies(db_session, "commune") + _agencies(db_session, "ward")
    today = [a for a in units if a.valid_to is None]
    assert len(today) == 69 and Counter(a.level for a in today) == {"commune": 60, "ward": 9}
    assert all(a.valid_from == REORG and a.parent is root for a in today)
    assert len({a.official_code for a in today}) == 69 and all(len(a.official_code) == 5 for a in today)
    assert {a.official_code: a.name_vi for a in today if a.official_code in NEW_UNITS} == NEW_UNITS
    old = [a for a in units if a.valid_to is not None]
    assert len(old) == 209 and all(a.valid_to == REORG and a.parent.level == "district" for a in old)
    assert "18448" not in {a.official_code for a in old}  # Bình Lộc: in the mapping, not in the resolution


def test_the_demo_service_points_sectors_and_procedures(db_session):
    import_registry(db_session, step.DEMO_REGISTRY)

    points = db_session.scalars(select(ServicePoint)).all()
    kinds = Counter(p.kind for p in points)
    assert kinds["province_centre"] == 1 and kinds["district_centre"] == 13
    assert all(p.valid_to is not None for p in points if p.kind == "district_centre")  # retired with the districts
    desks = [p for p in points if p.kind == "commune_desk" and p.valid_to is None]
    assert len(desks) == 69 and {p.agency.valid_from for p in desks} == {REORG}  # every unit's own centre
    assert all(p.name_vi.startswith("Trung tâm Phục vụ hành chính công ") for p in desks)
    centre = next(p for p in points if p.kind == "province_centre")
    assert centre.name_vi == "Trung tâm Phục vụ hành chính công tỉnh Hà Tĩnh"
    assert {"Sở Nông nghiệp và Môi trường", "Sở Xây dựng", "Sở Tài chính"} <= {
        a.name_vi for a in centre.agencies_served}
    counters = [p for p in points if p.kind == "agency_counter" and p.valid_to is None]
    assert {p.agency.name_vi for p in counters} >= {"Sở Nông nghiệp và Môi trường", "Sở Xây dựng"}
    assert len([p for p in counters if p.code.startswith("DTN-")]) == 3  # the reception points
    assert all(p.agency.level in ("commune", "ward") for p in points if p.kind == "commune_desk")
    assert all(p.agency.level == "district" for p in points if p.kind == "district_centre")

    assert {s.code for s in db_session.scalars(select(Sector))} == SECTORS
    per_sector = Counter(db_session.scalars(select(Sector.code).join(Procedure, Procedure.sector_id == Sector.id)))
    assert min(per_sector.values()) >= 15, per_sector
    names = [p.name_vi for p in db_session.scalars(select(Procedure))]
    assert len(names) == len(set(names))
    assert "Đăng ký khai sinh" in names and "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ" in names


def test_the_demo_texts_are_nfc_vietnamese(db_session):
    import_registry(db_session, step.DEMO_REGISTRY)

    texts = [a.name_vi for a in db_session.scalars(select(Agency))]
    texts += [p.name_vi for p in db_session.scalars(select(Procedure))]
    texts += [p.name_vi + p.address for p in db_session.scalars(select(ServicePoint))]
    assert all(t == unicodedata.normalize("NFC", t) for t in texts)
    # Accidental ASCII transliteration ("Ha Tinh", "huyen") would show up here.
    assert not [t for t in texts if "Ha Tinh" in t or "huyen " in t or "Uy ban" in t]


def _snapshot(session):
    rows = {}
    for model in (Agency, Sector, Procedure, ServicePoint, Target):
        rows[model.__tablename__] = sorted(
            tuple(getattr(obj, c.key) for c in model.__table__.columns) for obj in session.scalars(select(model)))
    rows["served"] = sorted(session.execute(select(service_point_agencies)).all())
    rows["audit"] = session.scalar(select(func.count()).select_from(AuditLog))
    return rows


def test_running_the_demo_step_twice_changes_nothing(db_session):
    first = DemoContext(session=db_session)
    step.seed(first)
    db_session.flush()
    before = _snapshot(db_session)

    second = DemoContext(session=db_session)
    step.seed(second)
    db_session.flush()

    assert _snapshot(db_session) == before
    assert second.data == first.data
    assert len(before["agency"]) == len(first.data["agency_codes"])


def test_the_demo_step_seeds_the_reform_plan_targets(db_session):
    step.seed(DemoContext(session=db_session))

    targets = {(t.year, t.scope, t.sector_code): t.value for t in db_session.scalars(select(Target))}
    assert targets == {
        (2025, "tthc", ""): 90, (2025, "service", ""): 90,
        (2025, "tthc_sector", "land"): 85, (2025, "tthc_sector", "construction"): 85,
        (2025, "tthc_sector", "investment"): 85,
        (2025, "public_service", "health"): 85, (2025, "public_service", "education"): 85,
        (2030, "tthc", ""): 95, (2030, "service", ""): 95,
        (2030, "tthc_sector", "land"): 90, (2030, "tthc_sector", "construction"): 90,
        (2030, "tthc_sector", "investment"): 90,
        (2030, "public_service", "health"): 90, (2030, "public_service", "education"): 90,
        (2021, "province", ""): 91,
    }
    land = db_session.scalars(select(Target).where(Target.sector_code == "land", Target.year == 2025)).one()
    assert land.label_vi == "Hài lòng về giải quyết TTHC lĩnh vực Đất đai"


def test_the_demo_step_keeps_a_target_an_admin_changed(db_session):
    step.seed(DemoContext(session=db_session))
    set_target(db_session, 2025, "tthc", 92, actor="cli")

    step.seed(DemoContext(session=db_session))

    assert db_session.scalars(select(Target.value).where(Target.year == 2025, Target.scope == "tthc")).one() == 92


def test_the_demo_handles_point_at_the_stored_rows(db_session):
    ctx = DemoContext(session=db_session)
    step.seed(ctx)
    data = ctx.data

    def agency(code):
        return db_session.get(Agency, data["agency_ids"][code])

    assert agency(data["province_agency_code"]).level == "province"
    assert agency(data["land_department_code"]).name_vi == "Sở Nông nghiệp và Môi trường"
    assert agency(data["construction_department_code"]).name_vi == "Sở Xây dựng"
    assert agency(data["investment_department_code"]).name_vi == "Sở Tài chính"
    assert len(data["district_codes"]) == 13 and all(agency(c).level == "district" for c in data["district_codes"])
    assert len(data["commune_codes"]) == 69
    assert all(agency(c).level in ("commune", "ward") and agency(c).valid_to is None for c in data["commune_codes"])
    assert all(agency(c).valid_to == REORG for c in data["former_commune_codes"])
    assert all(agency(c).valid_to is None for c in data["sector_department_codes"].values())
    assert set(data["sector_codes"]) == SECTORS == set(data["sector_department_codes"])
    assert all(agency(c).level == "department" for c in data["sector_department_codes"].values())
    centre = db_session.get(ServicePoint, data["service_point_ids"][data["province_centre_code"]])
    assert centre.kind == "province_centre"
    assert sorted(a.code for a in centre.agencies_served) == sorted(
        data["service_point_agency_codes"][data["province_centre_code"]])
    for sector, codes in data["procedure_codes_by_sector"].items():
        assert {db_session.get(Procedure, data["procedure_ids"][c]).sector.code for c in codes} == {sector}
    assert len(data["district_centre_codes"]) == 13 and len(data["commune_desk_codes"]) == 69
    assert set(data["service_points_by_kind"]["commune_desk"]) == set(data["commune_desk_codes"])
    assert any("Danh mục demo Hà Tĩnh" in note for note in ctx.notes)


def test_the_demo_lineage_follows_the_resolution(db_session):
    from survey.services.registry.lineage import restatement

    ctx = DemoContext(session=db_session)
    step.seed(ctx)
    code = dict(db_session.execute(select(Agency.id, Agency.code)).all())
    ids = {c: i for i, c in code.items()}
    kinds = Counter(db_session.scalars(select(AgencyLineage.kind)))
    assert kinds["merge"] > 200 and kinds["split"] > 70 and sum(kinds.values()) == 293
    mapping = {code[k]: [(code[t], s) for t, s in v] for k, v in restatement(db_session, date(2026, 1, 1)).items()}
    # clause 59: eight wards whole and part of Đại Nài → phường Thành Sen; the rest of Đại Nài → Hà Huy Tập
    assert mapping["HT-TPHT-NAMHA"] == mapping["HT-TPHT-BACHA"] == [("HT-P-THANHSEN", 1.0)]
    assert sorted(mapping["HT-TPHT-DAINAI"]) == [("HT-P-HAHUYTAP", None), ("HT-P-THANHSEN", None)]
    # clauses 62-64: Kỳ Lợi's area to Vũng Áng, its people to Sông Trí and Hoành Sơn: a split without shares
    assert {t for t, _ in mapping["HT-TXKA-KYLOI"]} == {"HT-P-VUNGANG", "HT-P-SONGTRI", "HT-P-HOANHSON"}
    # the merged departments, and a chain: Lộc Hà → Thạch Hà (1 Jan 2025) → the communes (1 Jul 2025)
    assert mapping["HT-STNMT"] == mapping["HT-SNN"] == [("HT-SNNMT", 1.0)]
    assert mapping["HT-SKHDT"] == [("HT-STC", 1.0)] and mapping["HT-STC"] == [("HT-STC", 1.0)]
    assert mapping["HT-LH"] == mapping["HT-TH"] and all(s is None for _, s in mapping["HT-TH"])
    assert "HT-X-LOCHA" in {t for t, _ in mapping["HT-LH"]}
    assert mapping["HT-HS-SONKIM1"] == [("HT-X-SONKIM1", 1.0)]  # not rearranged: carried over whole
    assert all(mapping[c] for c in code.values() if c.startswith("HT-") and c != "HT")  # nothing left stranded
    assert ids["HT-X-SONKIM1"] in {i for i, c in code.items() if c in ctx.data["commune_codes"]}
