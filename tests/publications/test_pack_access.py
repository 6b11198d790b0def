"""Getting a pack: the admin page's link and route (admins and analysts, audit-logged; not agency viewers)
and `hailong wave pack`."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from survey.models import AuditLog
from survey.services.accounts.users import create_user
from tests.auth.conftest import PASSWORD, open_browser_session
from tests.publications.test_pack import MEMBERS, singleton_world


@pytest.fixture
def world(db_session):
    return singleton_world(db_session, code="W-PACK")


def test_an_analyst_downloads_the_pack_from_the_version_page_and_it_is_logged(client, db_session, world):
    analyst = create_user(db_session, "phan.tich.goi", PASSWORD, "analyst")
    open_browser_session(client, analyst, db_session)
    url = "/admin/waves/%d/publications/1" % world["wave"].id
    page = client.get(url).get_data(as_text=True)
    assert "Tải gói tái lập" in page and url + "/pack" in page
    got = client.get(url + "/pack")
    assert got.status_code == 200 and got.mimetype == "application/zip"
    assert "hailong-pack-W_PACK-v1.zip" in got.headers["Content-Disposition"]
    assert set(zipfile.ZipFile(io.BytesIO(got.data)).namelist()) == MEMBERS
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "publication.pack"))
    assert entry is not None and entry.actor == "phan.tich.goi" and entry.target_id == "W-PACK"
    assert client.get("/admin/waves/%d/publications/9/pack" % world["wave"].id).status_code == 404


def test_an_agency_viewer_gets_no_pack(client, db_session, world):
    viewer = create_user(db_session, "xem.goi", PASSWORD, "agency_viewer", agency_id=world["land"].id)
    open_browser_session(client, viewer, db_session)
    got = client.get("/admin/waves/%d/publications/1/pack" % world["wave"].id)
    assert got.status_code in (302, 403) and got.mimetype != "application/zip"
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "publication.pack")) is None


def test_the_cli_writes_the_pack_of_a_version(runner, db_session, world, tmp_path):
    assert "--out" in runner.invoke(args=["wave", "pack", "--help"]).output
    out = tmp_path / "p.zip"
    done = runner.invoke(args=["wave", "pack", "W-PACK", "--version", "1", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert set(zipfile.ZipFile(out).namelist()) == MEMBERS
    missing = runner.invoke(args=["wave", "pack", "W-PACK", "--version", "4", "--out", str(out)])
    assert missing.exit_code == 1 and "không có phiên bản" in missing.output
