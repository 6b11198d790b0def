"""The registry's history pages: the agency list and timeline, the lineage upload, retired units' users."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, User
from survey.models.registry import Agency, AgencyLineage
from survey.models.user import Role
from survey.services.registry.imports import import_registry
from survey.services.registry.lineage_import import import_lineage
from tests.registry._lineage_data import HEADER, MERGE, REGISTRY, SPLIT
from tests.sampling import factories


@pytest.fixture
def province(db_session, write_csv):
    """The registry of the small province; returns {code: id}."""
    assert import_registry(db_session, write_csv(REGISTRY)).errors == []
    return dict(db_session.execute(select(Agency.code, Agency.id)).all())


@pytest.fixture
def admin(client, db_session):
    """A signed-in administrator."""
    user = factories.make_admin(db_session)
    factories.login(client, user)
    return user


def _upload(client, text, **extra):
    return client.post("/admin/registry/lineage", data={"file": (io.BytesIO(text.encode()), "lineage.csv"), **extra},
                       content_type="multipart/form-data")


def test_the_timeline_shows_what_a_unit_came_from_and_became(client, db_session, write_csv, province, admin):
    import_lineage(db_session, write_csv(SPLIT))
    import_lineage(db_session, write_csv(HEADER + "merge,N2,M1,2026-01-01,,NQ thử\nmerge,X1,N2,2025-07-01,,\n"))

    page = client.get(f"/admin/registry/agencies/{province['N2']}").get_data(as_text=True)

    events = page[page.index("data-timeline"):page.index("</ol>")]
    order = [events.index(s) for s in ('data-event="came_from"', 'data-event="version"', 'data-event="became"')]
    assert order == sorted(order)
    assert 'data-unit="X3"' in events and "60,0 %" in events and 'data-unit="X1"' in events
    assert 'data-unit="M1"' in events and "NQ thử" in events
    assert "01/07/2025" in events and "01/01/2026" in events
    assert "18002" in page  # the official code


def test_the_timeline_of_a_split_unit_says_it_is_not_comparable_without_shares(client, db_session, write_csv,
                                                                                province, admin):
    import_lineage(db_session, write_csv(SPLIT.replace("0.6", "").replace("0.4", "")))

    page = client.get(f"/admin/registry/agencies/{province['X3']}").get_data(as_text=True)

    assert "không so sánh được" in page and 'data-event="became"' in page


def test_an_analyst_may_read_the_timeline_but_not_upload(client, db_session, province):
    analyst = factories.make_admin(db_session, role="analyst")
    factories.login(client, analyst)

    assert client.get(f"/admin/registry/agencies/{province['X1']}").status_code == 200
    assert client.get("/admin/registry/agencies?q=xã").status_code == 200
    assert _upload(client, MERGE).status_code == 403


def test_the_agency_list_hides_ended_units_unless_asked(client, db_session, write_csv, province, admin):
    import_lineage(db_session, write_csv(MERGE))

    current = client.get("/admin/registry/agencies").get_data(as_text=True)
    everything = client.get("/admin/registry/agencies?ended=1").get_data(as_text=True)

    assert 'data-agency="X1"' not in current and 'data-agency="N1"' in current
    assert 'data-agency="X1"' in everything


def test_uploading_a_good_file_stores_it_and_audits(client, db_session, province, admin):
    response = _upload(client, MERGE)

    assert response.status_code == 302
    assert db_session.scalar(select(func.count()).select_from(AgencyLineage)) == 2
    assert db_session.scalar(select(AuditLog.actor).where(AuditLog.action == "registry.lineage_import")) == "u-admin"


def test_uploading_a_bad_file_lists_its_rows_and_stores_nothing(client, db_session, province, admin):
    response = _upload(client, MERGE + "merge,X1,N2,2025-07-01,,\nmerge,KHONG,N1,2025-07-01,,\n")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-line="2"' in page and 'data-line="5"' in page and "KHONG" in page
    assert db_session.scalar(select(func.count()).select_from(AgencyLineage)) == 0


def test_a_dry_run_upload_reports_and_stores_nothing(client, db_session, province, admin):
    response = _upload(client, MERGE, dry_run="y")

    assert response.status_code == 200 and "Chạy thử" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(AgencyLineage)) == 0


def test_retired_units_users_are_listed_and_reassigned(client, db_session, write_csv, province, admin):
    viewer = User(username="canbo-x1", password_hash="x", role=Role.AGENCY_VIEWER, agency_id=province["X1"])
    db_session.add(viewer)
    db_session.flush()
    import_lineage(db_session, write_csv(MERGE))

    page = client.get("/admin/registry/retired-users").get_data(as_text=True)
    assert 'data-user="canbo-x1"' in page
    assert f'<option selected value="{province["N1"]}">' in page  # the successor is suggested

    response = client.post(f"/admin/registry/retired-users/{viewer.id}",
                           data={f"u{viewer.id}-agency_id": province["N1"]})

    assert response.status_code == 302
    assert viewer.agency_id == province["N1"]
    assert db_session.scalar(select(AuditLog.actor).where(AuditLog.action == "user.reassign")) == "u-admin"
    assert 'data-user="canbo-x1"' not in client.get("/admin/registry/retired-users").get_data(as_text=True)


def test_reassigning_to_an_ended_unit_is_refused(client, db_session, write_csv, province, admin):
    viewer = User(username="canbo-x1", password_hash="x", role=Role.AGENCY_VIEWER, agency_id=province["X1"])
    db_session.add(viewer)
    db_session.flush()
    import_lineage(db_session, write_csv(MERGE))

    response = client.post(f"/admin/registry/retired-users/{viewer.id}",
                           data={f"u{viewer.id}-agency_id": province["X2"]})

    assert response.status_code == 302 and viewer.agency_id == province["X1"]
    assert db_session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "user.reassign")) == 0


def test_reassigning_with_csrf_on_uses_the_rows_own_token(client, db_session, write_csv, province, admin,
                                                          csrf_enabled):
    import re

    viewer = User(username="canbo-x1", password_hash="x", role=Role.AGENCY_VIEWER, agency_id=province["X1"])
    db_session.add(viewer)
    db_session.flush()
    import_lineage(db_session, write_csv(MERGE))
    page = client.get("/admin/registry/retired-users").get_data(as_text=True)
    token = re.search(rf'name="u{viewer.id}-csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    url = f"/admin/registry/retired-users/{viewer.id}"
    refused = client.post(url, data={f"u{viewer.id}-agency_id": province["N1"]})
    assert refused.status_code == 400 and viewer.agency_id == province["X1"]  # no token: nothing moves

    client.post(f"/admin/registry/retired-users/{viewer.id}",
                data={f"u{viewer.id}-agency_id": province["N1"], f"u{viewer.id}-csrf_token": token})
    assert viewer.agency_id == province["N1"]


def test_a_file_that_is_not_utf8_is_refused_on_the_page(client, db_session, province, admin):
    response = client.post("/admin/registry/lineage", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(MERGE.encode() + b"merge,X3,N2,2025-07-01,,caf\xe9\n"), "l.csv")})

    assert response.status_code == 422 and "UTF-8" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(AgencyLineage)) == 0


def test_the_agency_search_ignores_case_and_diacritics(client, db_session, province, admin):
    page = client.get("/admin/registry/agencies?q=PHUONG BA").get_data(as_text=True)

    assert 'data-agency="N3"' in page and 'data-agency="N1"' not in page
    assert 'data-agency="N2"' in client.get("/admin/registry/agencies?q=18002").get_data(as_text=True)
