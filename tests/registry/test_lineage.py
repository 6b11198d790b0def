"""Lineage: merges, splits with and without shares, renames and chains, and where a unit's dossiers go."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog
from survey.models.registry import Agency, AgencyLineage, ServicePoint
from survey.services.registry import lineage
from survey.services.registry.imports import import_registry
from survey.services.registry.lineage_import import import_lineage
from tests.registry._lineage_data import HEADER, MERGE, REGISTRY, RENAME, SPLIT, SPLIT_NO_SHARES

JULY = date(2025, 7, 1)
LATER = date(2026, 6, 1)


@pytest.fixture
def province(db_session, write_csv):
    """The registry of the small province; returns {code: id}."""
    report = import_registry(db_session, write_csv(REGISTRY))
    assert report.errors == []
    return dict(db_session.execute(select(Agency.code, Agency.id)).all())


def _load(db_session, write_csv, text, **kwargs):
    report = import_lineage(db_session, write_csv(text), **kwargs)
    assert report.errors == [], [str(e) for e in report.errors]
    return report


def _agency(db_session, code):
    return db_session.scalars(select(Agency).where(Agency.code == code)).one()


def test_a_merge_ends_the_predecessors_and_maps_them_whole_to_the_successor(db_session, write_csv, province):
    report = _load(db_session, write_csv, MERGE, actor="cli")

    assert (report.created, report.retired) == (2, 2)
    x1, n1 = _agency(db_session, "X1"), _agency(db_session, "N1")
    assert (x1.valid_to, x1.active) == (JULY, False)
    assert n1.valid_from == JULY and n1.active
    assert lineage.successors(db_session, province["X1"], LATER) == [(province["N1"], 1.0)]
    assert lineage.successors(db_session, province["X1"], date(2025, 6, 30)) == [(province["X1"], 1.0)]
    assert lineage.predecessors(db_session, province["N1"]) == {province["X1"], province["X2"]}
    assert province["X1"] not in lineage.valid_ids(db_session, LATER)
    assert province["N1"] in lineage.valid_ids(db_session, LATER)
    assert province["N1"] not in lineage.valid_ids(db_session, date(2025, 6, 30))
    assert db_session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "registry.lineage_import")) == 1


def test_a_split_with_shares_apportions_the_predecessor(db_session, write_csv, province):
    _load(db_session, write_csv, SPLIT)

    assert lineage.successors(db_session, province["X3"], LATER) == [(province["N2"], 0.6), (province["N3"], 0.4)]
    assert lineage.comparable(lineage.successors(db_session, province["X3"], LATER))
    assert lineage.predecessors(db_session, province["N3"]) == {province["X3"]}


def test_a_split_without_shares_maps_with_unknown_shares(db_session, write_csv, province):
    _load(db_session, write_csv, SPLIT_NO_SHARES)

    mapping = lineage.successors(db_session, province["X3"], LATER)
    assert mapping == [(province["N2"], None), (province["N3"], None)]
    assert not lineage.comparable(mapping)


def test_a_rename_carries_the_history_to_the_new_name(db_session, write_csv, province):
    _load(db_session, write_csv, RENAME)

    assert lineage.successors(db_session, province["S1"], LATER) == [(province["S2"], 1.0)]
    assert _agency(db_session, "S2").valid_from == date(2025, 3, 1)
    assert lineage.restatement(db_session, LATER)[province["S1"]] == [(province["S2"], 1.0)]


def test_a_chain_of_two_reorganisations_multiplies_the_shares(db_session, write_csv, province):
    _load(db_session, write_csv, SPLIT)
    _load(db_session, write_csv, HEADER + "split,N2,M2,2026-01-01,0.5,\nsplit,N2,M3,2026-01-01,0.5,\n"
          "merge,N3,M1,2026-01-01,,\n")

    assert lineage.successors(db_session, province["X3"], LATER) == [
        (province["M2"], 0.3), (province["M3"], 0.3), (province["M1"], 0.4)]
    # Between the two steps the first one's units carry the history.
    assert lineage.successors(db_session, province["X3"], date(2025, 9, 1)) == [
        (province["N2"], 0.6), (province["N3"], 0.4)]
    assert lineage.predecessors(db_session, province["M1"]) == {province["N3"], province["X3"]}
    n2 = _agency(db_session, "N2")
    assert (n2.valid_from, n2.valid_to) == (JULY, date(2026, 1, 1))
    assert _agency(db_session, "M1").valid_from is None  # it existed before and absorbs N3: its start stays


def test_two_paths_to_one_unit_add_their_shares(db_session, write_csv, province):
    _load(db_session, write_csv, SPLIT)
    _load(db_session, write_csv, HEADER + "merge,N2,M1,2026-01-01,,\nmerge,N3,M1,2026-01-01,,\n")

    assert lineage.successors(db_session, province["X3"], LATER) == [(province["M1"], 1.0)]


def test_restatement_maps_every_unit_ever_to_todays_units(db_session, write_csv, province):
    _load(db_session, write_csv, MERGE)
    _load(db_session, write_csv, SPLIT_NO_SHARES)

    restated = lineage.restatement(db_session, LATER)

    assert set(restated) == set(province.values())
    assert restated[province["X2"]] == [(province["N1"], 1.0)]
    assert restated[province["N1"]] == [(province["N1"], 1.0)]
    assert restated[province["X3"]] == [(province["N2"], None), (province["N3"], None)]


def test_a_unit_ended_without_a_successor_maps_to_nothing(db_session, write_csv, province):
    district = "agency,H1,Ủy ban nhân dân huyện Một,district,P,,,"
    import_registry(db_session, write_csv(REGISTRY.replace(district, district + "2025-07-01")))

    assert lineage.successors(db_session, province["H1"], LATER) == []
    assert _agency(db_session, "H1").active is False


def test_reimporting_a_lineage_file_changes_nothing(db_session, write_csv, province):
    path = write_csv(MERGE)
    import_lineage(db_session, path, actor="cli")
    before = db_session.execute(select(AgencyLineage.id, AgencyLineage.effective_on)).all()

    again = import_lineage(db_session, path, actor="cli")

    assert (again.created, again.updated, again.unchanged, again.retired, again.errors) == (0, 0, 2, 0, [])
    assert db_session.execute(select(AgencyLineage.id, AgencyLineage.effective_on)).all() == before
    assert db_session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "registry.lineage_import")) == 1


def test_a_dry_run_reports_the_outcome_and_stores_nothing(db_session, write_csv, province):
    report = import_lineage(db_session, write_csv(MERGE), dry_run=True)

    assert (report.created, report.retired, report.errors) == (2, 2, [])
    assert db_session.scalar(select(func.count()).select_from(AgencyLineage)) == 0
    assert _agency(db_session, "X1").valid_to is None


def test_the_cli_imports_a_lineage_file_and_prints_the_counts(runner, province, write_csv):
    result = runner.invoke(args=["import", "lineage", write_csv(MERGE)])

    assert result.exit_code == 0, result.output
    assert "Thêm mới 2" in result.output and "2 cơ quan ngừng hoạt động" in result.output


def test_the_cli_refuses_a_bad_file_with_its_lines_and_exit_code_1(runner, province, write_csv, db_session):
    result = runner.invoke(args=["import", "lineage", write_csv(HEADER + "merge,X1,NOPE,2025-07-01,,\n")])

    assert result.exit_code == 1
    assert "dòng 2, cột successor_code" in result.output and "NOPE" in result.output
    assert db_session.scalar(select(func.count()).select_from(AgencyLineage)) == 0


def test_the_cli_help_documents_the_columns(runner):
    result = runner.invoke(args=["import", "lineage", "--help"])

    assert result.exit_code == 0
    assert "predecessor_code" in result.output and "effective_on" in result.output


def test_service_points_are_open_over_their_own_period(db_session, write_csv, province):
    report = import_registry(db_session, write_csv(
        "kind,code,name_vi,agency_code,point_type,valid_from,valid_to\n"
        "service_point,OLD,Bộ phận một cửa huyện,H1,district_centre,,2025-07-01\n"
        "service_point,NEW,Trung tâm phục vụ hành chính công xã,N1,commune_desk,2025-07-01,\n"))
    assert report.errors == []
    ids = dict(db_session.execute(select(ServicePoint.code, ServicePoint.id)).all())

    assert lineage.valid_service_point_ids(db_session, date(2025, 6, 30)) == {ids["OLD"]}
    assert lineage.valid_service_point_ids(db_session, JULY) == {ids["NEW"]}


def test_units_valid_during_a_period_include_those_that_ended_or_began_in_it(db_session, write_csv, province):
    _load(db_session, write_csv, MERGE)

    first_half = lineage.valid_during(db_session, date(2025, 1, 1), JULY)
    whole_year = lineage.valid_during(db_session, date(2025, 1, 1), date(2026, 1, 1))

    assert province["X1"] in first_half and province["N1"] not in first_half
    assert {province["X1"], province["N1"]} <= whole_year
    assert province["X1"] not in lineage.valid_during(db_session, JULY, date(2026, 1, 1))
