"""Intake refuses a record whose unit did not exist on its own day, naming the unit(s) to use (issue 19).

The registry: communes X1 and X2 merged into Y on 1 July 2025; Z split into Z1 and Z2 (no shares) the same
day; the district centre SP-HUYEN closed that day. Each record is checked on its own local day.
"""
from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import select

from survey.models import Agency, Dossier, ServicePoint
from survey.models.registry import AgencyLineage
from survey.services.intake import batch as intake
from survey.web.api.openapi import openapi_spec
from tests.sampling.factories import make_key, record

JULY = date(2025, 7, 1)


@pytest.fixture
def org(db_session, reg):
    """The reorganisation of 1 July 2025 on top of the sampling tests' small registry."""
    old = {c: Agency(code=c, name_vi=f"Xã {c}", level="commune", valid_to=JULY) for c in ("X1", "X2", "Z")}
    new = {c: Agency(code=c, name_vi=f"Xã {c}", level="commune", valid_from=JULY) for c in ("Y", "Z1", "Z2")}
    db_session.add_all([*old.values(), *new.values()])
    db_session.flush()
    db_session.add_all([AgencyLineage(kind="merge", predecessor_id=old[p].id, successor_id=new["Y"].id,
                                      effective_on=JULY) for p in ("X1", "X2")]
                       + [AgencyLineage(kind="split", predecessor_id=old["Z"].id, successor_id=new[s].id,
                                        effective_on=JULY) for s in ("Z1", "Z2")])
    point = ServicePoint(code="SP-HUYEN", name_vi="Trung tâm HCC huyện", kind="district_centre",
                         agency_id=old["X1"].id, valid_to=JULY)
    db_session.add(point)
    db_session.flush()
    return {**old, **new, "point": point}


@pytest.fixture
def key(db_session, org, source):
    """A whole-province key of the source 'motcua'."""
    return make_key(db_session, source)


def post(client, key, records):
    return client.post("/api/v1/dossiers", json={"dossiers": records}, headers={"Authorization": f"Bearer {key}"})


def stored(session) -> set[str]:
    return set(session.scalars(select(Dossier.external_id)))


def at(day: str, clock: str = "10:00:00") -> str:
    return f"{day}T{clock}+07:00"


def test_a_dossier_of_a_merged_commune_after_the_merger_is_refused_naming_the_successor(client, db_session, org, key):
    body = post(client, key, [record("HS-1", day="2025-07-02", agency="X1", service_point=None)]).get_json()
    result = body["results"][0]
    assert result["status"] == "rejected"
    [error] = result["errors"]
    assert (error["code"], error["field"], error["replacement_codes"]) == ("retired_unit", "agency", ["Y"])
    assert "Xã X1 (mã X1) đã sáp nhập vào Xã Y (Y) từ 01/07/2025; gửi hồ sơ với mã Y." == error["message"]
    assert stored(db_session) == set()


def test_dossiers_of_the_old_commune_completed_before_the_merger_stay_accepted(client, db_session, org, key):
    records = [record("HS-1", day="2025-06-30", agency="X1", service_point=None),
               # 23:30 in Hà Tĩnh is still 30 June there (16:30 UTC)
               record("HS-2", agency="X2", service_point=None, received_at=at("2025-06-30", "08:00:00"),
                      due_at=None, completed_at=at("2025-06-30", "23:30:00")),
               record("HS-3", day="2025-07-01", agency="Y", service_point=None)]
    body = post(client, key, records).get_json()
    assert [r["status"] for r in body["results"]] == ["stored"] * 3, body
    assert stored(db_session) == {"HS-1", "HS-2", "HS-3"}


def test_the_day_is_the_local_day_of_completion_not_the_utc_one(client, db_session, org, key):
    # 00:30 on 1 July in Hà Tĩnh is 17:30 on 30 June in UTC: the commune had already merged.
    rec = record("HS-1", agency="X1", service_point=None, received_at=at("2025-06-30", "08:00:00"), due_at=None,
                 completed_at=at("2025-07-01", "00:30:00"))
    result = post(client, key, [rec]).get_json()["results"][0]
    assert [e["code"] for e in result["errors"]] == ["retired_unit"]


def test_a_batch_keeps_the_good_records_and_refuses_only_the_retired_ones(client, db_session, org, key):
    records = [record("HS-1", day="2025-07-03", agency="Y", service_point=None),
               record("HS-2", day="2025-07-03", agency="X2", service_point=None),
               record("HS-3", day="2025-07-03")]
    body = post(client, key, records).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "rejected", "stored"]
    assert body["results"][1]["errors"][0]["replacement_codes"] == ["Y"]
    assert stored(db_session) == {"HS-1", "HS-3"}


def test_a_split_commune_names_every_successor(client, db_session, org, key):
    result = post(client, key, [record("HS-1", day="2025-08-01", agency="Z", service_point=None)]).get_json()
    [error] = result["results"][0]["errors"]
    assert error["code"] == "retired_unit" and error["replacement_codes"] == ["Z1", "Z2"]
    assert "đã chia thành Xã Z1 (Z1), Xã Z2 (Z2)" in error["message"] and "mã Z1 hoặc Z2" in error["message"]


def test_a_new_commune_before_it_existed_is_refused_naming_the_units_of_that_day(client, db_session, org, key):
    result = post(client, key, [record("HS-1", day="2025-06-20", agency="Y", service_point=None)]).get_json()
    [error] = result["results"][0]["errors"]
    assert (error["code"], error["replacement_codes"]) == ("unit_not_yet_valid", ["X1", "X2"])
    assert "chỉ có hiệu lực từ 01/07/2025" in error["message"] and "20/06/2025" in error["message"]
    assert stored(db_session) == set()


def test_a_retired_unit_without_successor_is_refused_without_replacement(client, db_session, org, key):
    db_session.delete(db_session.scalar(select(AgencyLineage).where(AgencyLineage.predecessor_id == org["X1"].id)))
    db_session.flush()
    [error] = post(client, key, [record("HS-1", day="2025-07-02", agency="X1",
                                        service_point=None)]).get_json()["results"][0]["errors"]
    assert error["code"] == "retired_unit" and "replacement_codes" not in error
    assert "không có đơn vị kế thừa" in error["message"]


def test_a_closed_service_point_counts_on_the_day_the_dossier_was_received_there(client, db_session, org, key):
    # Received in June at the district centre and completed in July by the new commune: a true record.
    kept = record("HS-1", agency="Y", service_point="SP-HUYEN", received_at=at("2025-06-28"), due_at=None,
                  completed_at=at("2025-07-02"))
    late = record("HS-2", day="2025-07-02", agency="Y", service_point="SP-HUYEN")
    body = post(client, key, [kept, late]).get_json()
    assert [r["status"] for r in body["results"]] == ["stored", "rejected"]
    [error] = body["results"][1]["errors"]
    assert (error["code"], error["field"]) == ("retired_unit", "service_point")
    assert "đã đóng từ 01/07/2025" in error["message"]
    assert stored(db_session) == {"HS-1"}


def test_a_hospital_visit_of_a_retired_hospital_is_refused_on_its_unit_code(db_session, org, source):
    health = Agency(code="SO-YTE", name_vi="Sở Y tế", level="department")
    db_session.add(health)
    db_session.flush()
    from survey.models import Sector
    from survey.services.intake.events import validate_event

    db_session.add_all([Sector(code="health", name_vi="Y tế"),
                        Agency(code="BV-CU", name_vi="Bệnh viện cũ", level="health_facility", parent_id=health.id,
                               valid_to=JULY)])
    db_session.flush()
    visit = {"external_id": "BA-1", "kind": "hospital_visit", "unit_code": "BV-CU", "event_type": "inpatient",
             "started_at": at("2025-07-02"), "ended_at": at("2025-07-05")}
    result = intake.ingest(db_session, source, [visit, {**visit, "external_id": "BA-2",
                                                        "started_at": at("2025-06-02"),
                                                        "ended_at": at("2025-06-05")}], validator=validate_event)
    assert [r.status for r in result.results] == ["rejected", "stored"]
    assert [(e["code"], e["field"]) for e in result.results[0].errors] == [("retired_unit", "unit_code")]


def test_a_registry_without_dates_checks_nothing(db_session, reg, source):
    maps = intake.CodeMaps.load(db_session)
    assert maps.units is not None and not maps.units.dated
    result = intake.ingest(db_session, source, [record("HS-1", day="2025-07-02")], maps=maps)
    assert result.results[0].status == "stored"


COLUMNS = ["external_id", "agency", "procedure", "service_point", "channel", "received_at", "completed_at", "outcome"]


def test_the_csv_import_applies_the_same_rule_row_by_row(runner, db_session, org, source, tmp_path):
    path, errors = tmp_path / "dossiers.csv", tmp_path / "errors.csv"
    rows = [record("HS-1", day="2025-06-30", agency="X1", service_point=""),
            record("HS-2", day="2025-07-02", agency="X1", service_point=""),
            record("HS-3", day="2025-07-02", agency="Y", service_point="")]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(args=["import", "dossiers", str(path), "--source", "motcua", "--errors", str(errors),
                                 "--quiet"])
    assert result.exit_code == 1, result.output
    assert "dòng 3 (HS-2): retired_unit" in result.output and "gửi hồ sơ với mã Y" in result.output
    with open(errors, encoding="utf-8-sig") as fh:
        assert [(r["line"], r["codes"]) for r in csv.DictReader(fh)] == [("3", "retired_unit")]
    assert stored(db_session) == {"HS-1", "HS-3"}


def test_the_api_description_lists_the_validity_reason_codes():
    reason = openapi_spec()["components"]["schemas"]["Reason"]
    assert {"retired_unit", "unit_not_yet_valid"} <= set(reason["properties"]["code"]["enum"])
    assert "replacement_codes" in reason["properties"] and "successor" in reason["description"]


def _step(session, kind: str, old: Agency, new: Agency, on: date) -> None:
    session.add(AgencyLineage(kind=kind, predecessor_id=old.id, successor_id=new.id, effective_on=on))
    session.flush()


def test_a_renamed_unit_is_named_as_renamed(client, db_session, org, key):
    old = Agency(code="P-OLD", name_vi="Phường Cũ", level="ward", valid_to=JULY)
    new = Agency(code="P-NEW", name_vi="Phường Mới", level="ward", valid_from=JULY)
    db_session.add_all([old, new])
    db_session.flush()
    _step(db_session, "rename", old, new, JULY)
    [error] = post(client, key, [record("HS-1", day="2025-07-02", agency="P-OLD",
                                        service_point=None)]).get_json()["results"][0]["errors"]
    assert error["message"] == "Phường Cũ (mã P-OLD) đã đổi tên thành Phường Mới (P-NEW) từ 01/07/2025; gửi hồ sơ " \
                               "với mã P-NEW."


def test_after_two_reorganisations_the_unit_of_the_records_day_is_named(client, db_session, org, key):
    later = date(2026, 1, 1)
    org["Y"].valid_to = later
    q = Agency(code="Q", name_vi="Xã Q", level="commune", valid_from=later)
    db_session.add(q)
    db_session.flush()
    _step(db_session, "merge", org["Y"], q, later)
    records = [record("HS-1", day="2025-09-01", agency="X1", service_point=None),
               record("HS-2", day="2026-01-05", agency="X1", service_point=None)]
    results = post(client, key, records).get_json()["results"]
    assert [r["errors"][0]["replacement_codes"] for r in results] == [["Y"], ["Q"]]
    assert "qua các lần sắp xếp, hồ sơ của đơn vị này nay thuộc Xã Q (Q)" in results[1]["errors"][0]["message"]
    assert "đã sáp nhập vào Xã Y (Y)" in results[0]["errors"][0]["message"]


def test_a_service_point_not_yet_open_on_the_day_of_reception_is_refused(client, db_session, org, key):
    db_session.add(ServicePoint(code="SP-XA-Y", name_vi="Bộ phận một cửa xã Y", kind="commune_desk",
                                agency_id=org["Y"].id, valid_from=JULY))
    db_session.flush()
    late = record("HS-1", agency="Y", service_point="SP-XA-Y", received_at=at("2025-06-30"), due_at=None,
                  completed_at=at("2025-07-02"))
    [error] = post(client, key, [late]).get_json()["results"][0]["errors"]
    assert (error["code"], error["field"]) == ("unit_not_yet_valid", "service_point")
    assert "chỉ hoạt động từ 01/07/2025" in error["message"]
    ok = record("HS-2", day="2025-07-02", agency="Y", service_point="SP-XA-Y")
    assert post(client, key, [ok]).get_json()["results"][0]["status"] == "stored"
