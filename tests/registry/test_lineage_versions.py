"""Agency versions through the registry CSV, and scopes that follow the lineage (viewers, retired units' users)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from survey.models import AuditLog, User
from survey.models.registry import Agency
from survey.models.user import Role
from survey.services.accounts.reassign import reassign
from survey.services.accounts.users import UserError
from survey.services.registry import versions
from survey.services.registry.hierarchy import visible_agency_ids
from survey.services.registry.imports import import_registry
from survey.services.registry.lineage_import import import_lineage
from survey.services.registry.retired import retired_users
from tests.registry._lineage_data import MERGE, REGISTRY, SPLIT

LATER = date(2026, 6, 1)
NEW_NAME = "agency,X1,Ủy ban nhân dân xã Một Mới,commune,H1,,2025-01-01,"
OLD_ROW = "agency,X1,Ủy ban nhân dân xã Một,commune,H1,,,"


@pytest.fixture
def province(db_session, write_csv):
    """The registry of the small province; returns {code: id}."""
    assert import_registry(db_session, write_csv(REGISTRY)).errors == []
    return dict(db_session.execute(select(Agency.code, Agency.id)).all())


def _agency(db_session, code):
    return db_session.scalars(select(Agency).where(Agency.code == code)).one()


def test_a_new_agency_gets_one_open_version_with_its_codes(db_session, province):
    found = versions.versions_of(db_session, province["N1"])

    assert [(v.valid_from, v.valid_to, v.official_code, v.name_vi) for v in found] == [
        (date(2025, 7, 1), None, "18001", "Ủy ban nhân dân xã Mới Một")]
    assert _agency(db_session, "N1").official_code == "18001"


def test_a_changed_name_closes_the_version_and_opens_a_new_one(db_session, write_csv, province):
    report = import_registry(db_session, write_csv(REGISTRY.replace(OLD_ROW, NEW_NAME)))

    assert report.errors == [] and report.counts["agency"]["updated"] == 1
    found = versions.versions_of(db_session, province["X1"])
    assert [(v.valid_from, v.valid_to, v.name_vi) for v in found] == [
        (None, date(2025, 1, 1), "Ủy ban nhân dân xã Một"), (date(2025, 1, 1), None, "Ủy ban nhân dân xã Một Mới")]
    assert versions.version_on(db_session, province["X1"], date(2024, 12, 31)).name_vi == "Ủy ban nhân dân xã Một"
    assert _agency(db_session, "X1").name_vi == "Ủy ban nhân dân xã Một Mới"
    assert _agency(db_session, "X1").valid_from is None  # the unit itself existed since ever


def test_reimporting_the_edited_file_changes_nothing(db_session, write_csv, province):
    path = write_csv(REGISTRY.replace(OLD_ROW, NEW_NAME))
    import_registry(db_session, path)

    again = import_registry(db_session, path)

    assert again.errors == [] and again.updated == 0
    assert len(versions.versions_of(db_session, province["X1"])) == 2


def test_a_new_parent_without_a_date_takes_effect_today(db_session, write_csv, province):
    row = "agency,X2,Ủy ban nhân dân xã Hai,commune,{},,,"
    moved = REGISTRY.replace(row.format("H1"), row.format("P"))

    assert import_registry(db_session, write_csv(moved)).errors == []

    old, new = versions.versions_of(db_session, province["X2"])
    assert (old.parent_id, old.valid_to) == (province["H1"], date.today())
    assert (new.parent_id, new.valid_from) == (province["P"], date.today())
    assert _agency(db_session, "X2").parent.code == "P"


def test_an_edit_dated_before_the_current_version_is_refused_and_changes_nothing(db_session, write_csv, province):
    import_registry(db_session, write_csv(REGISTRY.replace(OLD_ROW, NEW_NAME)))

    report = import_registry(db_session, write_csv(REGISTRY.replace(
        OLD_ROW, "agency,X1,Ủy ban nhân dân xã Một Khác,commune,H1,,2024-06-01,")))

    assert [(e.line, e.column) for e in report.errors] == [(4, "valid_from")]
    assert "2025-01-01" in report.errors[0].message
    assert _agency(db_session, "X1").name_vi == "Ủy ban nhân dân xã Một Mới"
    assert len(versions.versions_of(db_session, province["X1"])) == 2


def test_a_bad_date_in_the_registry_is_refused_with_its_column(db_session, write_csv):
    report = import_registry(db_session, write_csv(
        "kind,code,name_vi,level,valid_from,valid_to\nagency,A,Cơ quan A,province,1/7/2025,\n"
        "agency,B,Cơ quan B,province,2025-07-01,2025-01-01\n"))

    assert [(e.line, e.column) for e in report.errors] == [(2, "valid_from"), (3, "valid_to")]


def test_a_file_without_the_new_columns_leaves_codes_and_dates_alone(db_session, write_csv, province):
    import_lineage(db_session, write_csv(MERGE))
    plain = "kind,code,name_vi,level,parent_code\nagency,N1,Ủy ban nhân dân xã Mới Một,commune,P\n"

    report = import_registry(db_session, write_csv(plain))

    assert report.errors == [] and report.updated == 0
    n1 = _agency(db_session, "N1")
    assert (n1.official_code, n1.valid_from) == ("18001", date(2025, 7, 1))


def _viewer(db_session, agency_id, name="canbo"):
    user = User(username=name, password_hash="x", role=Role.AGENCY_VIEWER, agency_id=agency_id)
    db_session.add(user)
    db_session.flush()
    return user


def test_a_viewer_of_a_merged_unit_sees_its_predecessors(db_session, write_csv, province):
    import_lineage(db_session, write_csv(MERGE))

    visible = visible_agency_ids(db_session, _viewer(db_session, province["N1"]))

    assert visible == {province["N1"], province["X1"], province["X2"]}


def test_a_viewer_of_a_split_successor_sees_the_split_unit(db_session, write_csv, province):
    import_lineage(db_session, write_csv(SPLIT))

    assert province["X3"] in visible_agency_ids(db_session, _viewer(db_session, province["N3"]))
    assert province["X3"] not in visible_agency_ids(db_session, _viewer(db_session, province["N1"], "khac"))


def test_a_retired_units_users_are_listed_with_the_successor_suggested(db_session, write_csv, province):
    user = _viewer(db_session, province["X3"])
    _viewer(db_session, province["N1"], "conlai")
    import_lineage(db_session, write_csv(SPLIT))

    listed = retired_users(db_session)

    assert [(r.user.username, r.agency.code) for r in listed] == [("canbo", "X3")]
    assert [(a.code, share) for a, share in listed[0].successors] == [("N2", 0.6), ("N3", 0.4)]
    assert listed[0].suggested.code == "N2"
    assert user.agency_id == province["X3"]


def test_reassigning_moves_the_user_and_is_audited(db_session, write_csv, province):
    user = _viewer(db_session, province["X1"])
    import_lineage(db_session, write_csv(MERGE))

    reassign(db_session, "cli", user, province["N1"])

    assert user.agency_id == province["N1"] and retired_users(db_session) == []
    entry = db_session.scalars(select(AuditLog).where(AuditLog.action == "user.reassign")).one()
    assert (entry.details["before"], entry.details["after"]) == (province["X1"], province["N1"])


def test_reassigning_to_a_retired_unit_is_refused(db_session, write_csv, province):
    user = _viewer(db_session, province["X1"])
    import_lineage(db_session, write_csv(MERGE))

    with pytest.raises(UserError):
        reassign(db_session, "cli", user, province["X2"])
    with pytest.raises(UserError):
        reassign(db_session, "cli", user, province["N1"], on=date(2025, 1, 1))  # N1 did not exist yet
    assert user.agency_id == province["X1"]


def test_a_planned_merge_keeps_the_unit_active_until_its_day(db_session, write_csv, province):
    day = (date.today() + timedelta(days=30)).isoformat()
    report = import_lineage(db_session, write_csv(f"kind,predecessor_code,successor_code,effective_on\n"
                                                  f"merge,M2,M3,{day}\n"))

    assert report.errors == [] and report.retired == 0
    assert _agency(db_session, "M2").active and _agency(db_session, "M2").valid_to.isoformat() == day


def test_a_parent_created_in_the_same_file_is_the_new_versions_parent(db_session, write_csv, province):
    text = REGISTRY.replace(OLD_ROW, "agency,X1,Ủy ban nhân dân xã Một,commune,NEWP,,2025-07-01,") + \
        "agency,NEWP,Ủy ban nhân dân tỉnh Mới,province,,,2025-07-01,\n"

    assert import_registry(db_session, write_csv(text)).errors == []

    old, new = versions.versions_of(db_session, province["X1"])
    assert (old.parent_id, old.valid_to, new.valid_from) == (province["H1"], date(2025, 7, 1), date(2025, 7, 1))
    assert new.parent_id == _agency(db_session, "NEWP").id == _agency(db_session, "X1").parent_id


def test_an_edit_on_the_day_the_version_began_corrects_it(db_session, write_csv, province):
    first = REGISTRY.replace(OLD_ROW, NEW_NAME)
    import_registry(db_session, write_csv(first))

    import_registry(db_session, write_csv(first.replace("xã Một Mới", "xã Một Mới (sửa)")))

    found = versions.versions_of(db_session, province["X1"])
    assert [(v.valid_from, v.name_vi) for v in found] == [
        (None, "Ủy ban nhân dân xã Một"), (date(2025, 1, 1), "Ủy ban nhân dân xã Một Mới (sửa)")]


def test_the_names_of_a_past_day_are_those_of_its_versions(db_session, write_csv, province):
    import_registry(db_session, write_csv(REGISTRY.replace(OLD_ROW, NEW_NAME)))

    before, after = versions.versions_on(db_session, date(2024, 6, 1)), versions.versions_on(db_session, LATER)

    assert before[province["X1"]].name_vi == "Ủy ban nhân dân xã Một"
    assert after[province["X1"]].name_vi == "Ủy ban nhân dân xã Một Mới"
    assert province["N1"] not in before  # it began on 1 July 2025
