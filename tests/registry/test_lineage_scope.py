"""A viewer of the unit a department merged into reads that department's earlier wave, and only that."""
from __future__ import annotations

import pytest

from survey.models.registry import Agency
from survey.services.accounts.users import create_user
from survey.services.registry.lineage_import import import_lineage
from tests.workspace.conftest import PASSWORD, build_world, sign_in

HEADER = "kind,predecessor_code,successor_code,effective_on\n"


@pytest.fixture
def merged(db_session, write_csv):
    """The workspace's small province (a closed Q3 2025 wave); the land department merged on 1 Oct 2025."""
    world = build_world(db_session)
    successor = Agency(code="T-SNNMT", name_vi="Sở Nông nghiệp và Môi trường", level="department",
                       parent_id=world["province"].id, valid_from=None)
    other = Agency(code="T-SKHCN", name_vi="Sở Khoa học và Công nghệ", level="department",
                   parent_id=world["province"].id)
    db_session.add_all([successor, other])
    db_session.flush()
    assert import_lineage(db_session, write_csv(HEADER + "merge,T-STNMT,T-SNNMT,2025-10-01\n")).errors == []
    create_user(db_session, "xem.snnmt", PASSWORD, "agency_viewer", agency_id=successor.id)
    create_user(db_session, "xem.skhcn", PASSWORD, "agency_viewer", agency_id=other.id)
    return world


def _microdata_agencies(client) -> tuple[set[str], int]:
    lines = client.get("/analyst/export/microdata.csv?csv=intl").get_data(as_text=True).strip().splitlines()
    column = lines[0].lstrip("\ufeff").split(",").index("agency")
    return {line.split(",")[column] for line in lines[1:]}, len(lines) - 1


def test_the_successors_viewer_reads_the_merged_departments_wave(client, merged):
    sign_in(client, "xem.snnmt")

    assert client.get("/analyst/agencies/%d" % merged["land"].id).status_code == 200
    assert _microdata_agencies(client) == ({"T-STNMT"}, 90)
    assert client.get("/analyst/agencies/%d" % merged["build"].id).status_code == 404


def test_another_units_viewer_does_not(client, merged):
    sign_in(client, "xem.skhcn")

    assert client.get("/analyst/agencies/%d" % merged["land"].id).status_code == 404
    assert _microdata_agencies(client)[1] == 0
