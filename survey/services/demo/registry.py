"""Demo step 1: the Hà Tĩnh registry after 1 July 2025 (survey/demo_data/ha_tinh_registry.csv), its
2025 lineage (ha_tinh_lineage_2025.csv: old communes and districts → today's units, merged departments)
and the reform-plan targets. See survey/demo_data/README.md for sources and what is illustrative.

Puts into ctx.data (codes are stable; ids are those of this database; "today" = the day of seeding):
  province_agency_code            "HT" (Ủy ban nhân dân tỉnh Hà Tĩnh, the root)
  agency_codes, agency_ids        every demo agency code, current and retired (file order) / {code: id}
  department_codes, central_agency_codes   the units valid today
  commune_codes                   today's 69 commune-level units (xã, phường)
  district_codes (13), former_commune_codes  the retired district level and the old communes the
                                  earlier waves recorded (those with a one-stop desk in the file)
  sector_codes, sector_ids        the 11 sectors / {code: id}
  procedure_codes_by_sector       {sector code: [procedure codes]}
  procedure_ids                   {procedure code: id}
  service_point_codes, service_point_ids, service_points_by_kind {point_type: [codes]}
  service_point_agency_codes      {service point code: [codes of the agencies it serves]}
  province_centre_code            "PVHCC" (Trung tâm Phục vụ hành chính công tỉnh)
  district_centre_codes (retired), commune_desk_codes (today's commune centres)
  land_department_code / construction_department_code / investment_department_code
  sector_department_codes         {sector code: the provincial department handling it}
"""
from __future__ import annotations

import os
from collections import defaultdict
from datetime import date

from sqlalchemy import select

from survey.models import Agency, Procedure, Sector, ServicePoint, Target
from survey.models.registry import AgencyLevel, ServicePointKind, TargetScope
from survey.services.registry.imports import ImportReport, import_registry, read_rows
from survey.services.registry.lineage_import import import_lineage
from survey.services.registry.targets import set_target

DEMO_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "demo_data")
DEMO_REGISTRY = os.path.join(DEMO_DATA, "ha_tinh_registry.csv")
DEMO_LINEAGE = os.path.join(DEMO_DATA, "ha_tinh_lineage_2025.csv")
REORGANISED_ON = date(2025, 7, 1)       # two-level local government (NQ 1665/NQ-UBTVQH15 for Hà Tĩnh)
DEPARTMENTS_MERGED_ON = date(2025, 3, 1)  # the 2025 merger of provincial departments
COMMUNE_LEVELS = (AgencyLevel.COMMUNE, AgencyLevel.WARD, AgencyLevel.SPECIAL_ZONE)

# (year, scope, sector, value, label_vi, label_en); None labels = the scope's default wording.
DEMO_TARGETS = [
    (2025, TargetScope.TTHC, "", 90, None, None),
    *[(2025, TargetScope.TTHC_SECTOR, s, 85, None, None) for s in ("land", "construction", "investment")],
    (2025, TargetScope.SERVICE, "", 90, None, None),
    *[(2025, TargetScope.PUBLIC_SERVICE, s, 85, None, None) for s in ("health", "education")],
    (2030, TargetScope.TTHC, "", 95, None, None),
    *[(2030, TargetScope.TTHC_SECTOR, s, 90, None, None) for s in ("land", "construction", "investment")],
    (2030, TargetScope.SERVICE, "", 95, None, None),
    *[(2030, TargetScope.PUBLIC_SERVICE, s, 90, None, None) for s in ("health", "education")],
    (2021, TargetScope.PROVINCE, "", 91, "Chỉ tiêu hài lòng (SIPAS) của tỉnh Hà Tĩnh năm 2021",
     "Hà Tĩnh's own satisfaction (SIPAS) target for 2021"),
]

# Today's departments per sector (after the 2025 mergers: land with Agriculture and Environment,
# investment and business registration with Finance, transport with Construction, labour with Home Affairs).
SECTOR_DEPARTMENTS = {"land": "HT-SNNMT", "construction": "HT-SXD", "investment": "HT-STC",
                      "civil_status": "HT-STP", "justice": "HT-STP", "labour": "HT-SNV",
                      "transport": "HT-SXD", "business": "HT-STC", "health": "HT-SYT",
                      "education": "HT-SGDDT", "other": "HT-SNV"}


def seed(ctx) -> None:
    """Import the demo registry (idempotent), add missing targets, publish handles in ctx.data."""
    report = import_registry(ctx.session, DEMO_REGISTRY)
    if report.errors:  # the bundled file is ours: an error here is a bug, not user input
        raise RuntimeError("Demo registry has errors:\n" + "\n".join(map(str, report.errors)))
    lineage = import_lineage(ctx.session, DEMO_LINEAGE)
    if lineage.errors:
        raise RuntimeError("Demo lineage has errors:\n" + "\n".join(map(str, lineage.errors)))
    for year, scope, sector, value, label_vi, label_en in DEMO_TARGETS:
        exists = ctx.session.scalars(select(Target.id).where(
            Target.year == year, Target.scope == scope, Target.sector_code == sector)).first()
        if exists is None:  # never overwrite a target someone has changed since
            set_target(ctx.session, year, scope, value, sector, label_vi=label_vi, label_en=label_en)
    ctx.data.update(demo_handles(ctx.session))
    ctx.notes.append(
        f"Danh mục demo Hà Tĩnh: {len(ctx.data['agency_codes'])} cơ quan, {len(ctx.data['sector_codes'])} "
        f"lĩnh vực, {len(ctx.data['procedure_ids'])} thủ tục, {len(ctx.data['service_point_codes'])} điểm phục vụ; "
        f"{len(ctx.data['commune_codes'])} xã, phường từ 1/7/2025 (phả hệ: {os.path.basename(DEMO_LINEAGE)}).")


def valid_on(row, on: date) -> bool:
    """Whether a registry file row (its valid_from/valid_to columns) is valid on `on` (valid_to exclusive)."""
    start, end = row["valid_from"], row["valid_to"]
    return (not start or date.fromisoformat(start) <= on) and (not end or date.fromisoformat(end) > on)


def demo_handles(session, today: date | None = None) -> dict:
    """Codes (from the demo file) and ids (from the database) that later demo steps build on."""
    today = today or date.today()
    rows = read_rows(DEMO_REGISTRY, ImportReport(source=DEMO_REGISTRY)) or []
    by_kind: dict[str, list] = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(row)
    agency_ids = dict(session.execute(select(Agency.code, Agency.id)).all())
    point_ids = dict(session.execute(select(ServicePoint.code, ServicePoint.id)).all())
    sector_ids = dict(session.execute(select(Sector.code, Sector.id)).all())
    procedure_ids = dict(session.execute(select(Procedure.code, Procedure.id)).all())
    agencies = [r["code"] for r in by_kind["agency"]]
    points = [r["code"] for r in by_kind["service_point"]]
    levels: dict[str, list] = defaultdict(list)       # units valid today, by level
    for r in by_kind["agency"]:
        if valid_on(r, today) or r["level"] == AgencyLevel.DISTRICT:
            levels[r["level"]].append(r["code"])
    kinds: dict[str, list] = defaultdict(list)
    for r in by_kind["service_point"]:
        if valid_on(r, today) or r["point_type"] == ServicePointKind.DISTRICT_CENTRE:
            kinds[r["point_type"]].append(r["code"])
    desks = {r["agency_code"] for r in by_kind["service_point"] if r["point_type"] == ServicePointKind.COMMUNE_DESK}
    former = [r["code"] for r in by_kind["agency"] if r["level"] in COMMUNE_LEVELS and not valid_on(r, today)
              and r["code"] in desks]
    procedures: dict[str, list] = defaultdict(list)
    for r in by_kind["procedure"]:
        procedures[r["sector_code"]].append(r["code"])
    return {
        "province_agency_code": levels[AgencyLevel.PROVINCE][0],
        "agency_codes": agencies,
        "agency_ids": {c: agency_ids[c] for c in agencies},
        "department_codes": levels[AgencyLevel.DEPARTMENT],
        "central_agency_codes": levels[AgencyLevel.CENTRAL],
        "district_codes": levels[AgencyLevel.DISTRICT],
        "commune_codes": [c for level in COMMUNE_LEVELS for c in levels[level]],
        "former_commune_codes": former,
        "sector_codes": [r["code"] for r in by_kind["sector"]],
        "sector_ids": {r["code"]: sector_ids[r["code"]] for r in by_kind["sector"]},
        "procedure_codes_by_sector": dict(procedures),
        "procedure_ids": {r["code"]: procedure_ids[r["code"]] for r in by_kind["procedure"]},
        "service_point_codes": points,
        "service_point_ids": {c: point_ids[c] for c in points},
        "service_points_by_kind": dict(kinds),
        "service_point_agency_codes": {
            r["code"]: [c for c in r["agencies_served"].split(";") if c] or [r["agency_code"]]
            for r in by_kind["service_point"]},
        "province_centre_code": kinds[ServicePointKind.PROVINCE_CENTRE][0],
        "district_centre_codes": kinds[ServicePointKind.DISTRICT_CENTRE],
        "commune_desk_codes": kinds[ServicePointKind.COMMUNE_DESK],
        "land_department_code": SECTOR_DEPARTMENTS["land"],
        "construction_department_code": SECTOR_DEPARTMENTS["construction"],
        "investment_department_code": SECTOR_DEPARTMENTS["investment"],
        "sector_department_codes": dict(SECTOR_DEPARTMENTS),
    }
