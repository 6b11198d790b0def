"""Bad lineage files are refused whole, each bad row named with its line, column and reason."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey.models.registry import Agency, AgencyLineage, AgencyVersion
from survey.services.registry.imports import import_registry
from survey.services.registry.lineage_import import import_lineage
from tests.registry._lineage_data import HEADER, MERGE, REGISTRY


@pytest.fixture
def province(db_session, write_csv):
    """The registry of the small province."""
    assert import_registry(db_session, write_csv(REGISTRY)).errors == []


def _state(db_session):
    """Everything a lineage import may touch, to show that a refused file touched nothing."""
    agencies = db_session.execute(select(Agency.code, Agency.valid_from, Agency.valid_to, Agency.active)
                                  .order_by(Agency.code)).all()
    versions = db_session.execute(select(AgencyVersion.agency_id, AgencyVersion.valid_from, AgencyVersion.valid_to)
                                  .order_by(AgencyVersion.id)).all()
    return agencies, versions, db_session.scalar(select(func.count()).select_from(AgencyLineage))


def _refused(db_session, write_csv, text):
    before = _state(db_session)
    report = import_lineage(db_session, write_csv(text), actor="cli")
    assert report.errors, "the file should have been refused"
    assert (report.created, report.updated, report.retired) == (0, 0, 0)
    assert _state(db_session) == before
    return report


def _where(report):
    return [(e.line, e.column) for e in report.errors]


def test_a_cycle_is_refused_with_its_path(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER + "merge,X1,N1,2025-07-01,,\nmerge,N1,X1,2025-07-01,,\n"
                      "merge,X2,N2,2025-07-01,,\n")

    assert _where(report) == [(2, "successor_code"), (3, "successor_code")]
    assert "Vòng lặp" in report.errors[0].message and "X1 → N1 → X1" in report.errors[0].message


def test_a_cycle_through_a_stored_step_is_refused(db_session, write_csv, province):
    assert import_lineage(db_session, write_csv(HEADER + "rename,S1,S2,2025-03-01,,\n")).errors == []

    report = _refused(db_session, write_csv, HEADER + "rename,S2,S1,2025-09-01,,\n")

    assert _where(report) == [(2, "successor_code")]
    assert "S1 → S2" in report.errors[0].message and "S2 → S1" in report.errors[0].message


def test_a_unit_merged_into_two_successors_without_shares_is_refused(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER + "merge,X1,N1,2025-07-01,,\nmerge,X1,N2,2025-07-01,,\n")

    assert _where(report) == [(2, "successor_code")]
    assert "N1, N2" in report.errors[0].message and "split" in report.errors[0].message


def test_a_merge_into_a_second_successor_in_a_later_file_is_refused(db_session, write_csv, province):
    assert import_lineage(db_session, write_csv(MERGE)).errors == []

    report = _refused(db_session, write_csv, HEADER + "merge,X1,N2,2025-07-01,,\n")

    assert _where(report) == [(2, "successor_code")]


def test_split_shares_must_sum_to_one(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER + "split,X3,N2,2025-07-01,0.6,\nsplit,X3,N3,2025-07-01,0.3,\n")

    assert _where(report) == [(2, "share")]
    assert "0.9" in report.errors[0].message


def test_split_shares_given_on_some_rows_only_are_refused(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER + "split,X3,N2,2025-07-01,1,\nsplit,X3,N3,2025-07-01,,\n")

    assert _where(report) == [(2, "share")]


@pytest.mark.parametrize("share", ["0", "1.5", "-0.2", "nhiều"])
def test_a_share_outside_zero_to_one_is_refused(db_session, write_csv, province, share):
    report = _refused(db_session, write_csv, HEADER + f"split,X3,N2,2025-07-01,{share},\n"
                      "split,X3,N3,2025-07-01,0.5,\n")

    assert (2, "share") in _where(report)


def test_a_share_on_a_merge_is_refused(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER + "merge,X1,N1,2025-07-01,0.5,\n")

    assert _where(report) == [(2, "share")]


def test_a_step_before_the_predecessor_began_is_refused(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER + "rename,N1,M1,2025-01-01,,\n")

    assert _where(report) == [(2, "effective_on")]
    assert "2025-07-01" in report.errors[0].message


def test_a_successor_that_begins_after_the_step_is_refused(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER + "merge,X1,N1,2025-06-01,,\n")

    assert _where(report) == [(2, "effective_on")]
    assert "N1" in report.errors[0].message and "2025-07-01" in report.errors[0].message


def test_a_chain_going_back_in_time_is_refused(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER + "merge,X1,M1,2025-07-01,,\nrename,M1,M2,2024-01-01,,\n")

    assert _where(report) == [(3, "effective_on")]
    assert "Ngược thời gian" in report.errors[0].message


def test_an_unknown_code_is_refused_with_its_column(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER + "merge,X1,N1,2025-07-01,,\nmerge,KHONG_CO,N1,2025-07-01,,\n"
                      "merge,X2,CUNG_KHONG,2025-07-01,,\n")

    assert _where(report) == [(3, "predecessor_code"), (4, "successor_code")]
    assert "KHONG_CO" in report.errors[0].message


def test_rows_bad_on_their_own_are_all_listed(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER + "gop,X1,N1,2025-07-01,,\nmerge,X3,N1,01/07/2025,,\n"
                      "merge,,N1,2025-07-01,,\nmerge,X2,X2,2025-07-01,,\n")

    assert _where(report) == [(2, "kind"), (3, "effective_on"), (4, "predecessor_code"), (5, "successor_code")]


def test_a_pair_given_twice_is_refused(db_session, write_csv, province):
    report = _refused(db_session, write_csv, MERGE + "merge,X1,N1,2025-07-01,,\n")

    assert _where(report) == [(4, "successor_code")]


def test_an_unknown_column_is_refused(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER.replace("note", "ghichu") + "merge,X1,N1,2025-07-01,,\n")

    assert _where(report) == [(1, "ghichu")]


def test_a_rename_onto_a_unit_that_also_absorbs_others_is_refused(db_session, write_csv, province):
    report = _refused(db_session, write_csv, HEADER + "rename,X1,N1,2025-07-01,,\nmerge,X2,N1,2025-07-01,,\n")

    assert _where(report) == [(2, "kind")]
