"""Getting a pack: the admin page's button starts a background job (admins and analysts, audit-logged once;
not agency viewers), the job page then holds the ZIP for a lost download, and `hailong wave pack`."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, Job
from survey.services import publications
from survey.services.accounts.users import create_user
from tests.auth.conftest import PASSWORD, open_browser_session
from tests.publications.test_pack import MEMBERS, singleton_world


@pytest.fixture
def inline_jobs(app, tmp_path):
    """Jobs run in the request (their rows live in the test's transaction), files under tmp_path."""
    app.config.update(JOBS_INLINE=True, JOBS_DIR=str(tmp_path))
    yield app
    app.config.update(JOBS_INLINE=False, JOBS_DIR=None)


@pytest.fixture
def world(db_session):
    return singleton_world(db_session, code="W-PACK")


def _audits(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "publication.pack"))


def _download(client, url: str) -> bytes:
    got = client.get(url)
    body, status, mimetype, disposition = got.data, got.status_code, got.mimetype, got.headers["Content-Disposition"]
    got.close()
    assert status == 200 and mimetype == "application/zip" and "hailong-pack-W_PACK-v1.zip" in disposition
    return body


def test_an_analyst_gets_the_pack_through_a_job_and_fetches_a_lost_download_again(
    client, db_session, world, inline_jobs
):
    analyst = create_user(db_session, "phan.tich.goi", PASSWORD, "analyst")
    open_browser_session(client, analyst, db_session)
    url = "/admin/waves/%d/publications/1" % world["wave"].id
    page = client.get(url).get_data(as_text=True)
    assert "Tải gói tái lập" in page and 'action="%s/pack"' % url in page and 'method="post"' in page
    started = client.post(url + "/pack")
    assert started.status_code == 303 and started.headers["Location"].startswith("/jobs/")
    state = client.get(started.headers["Location"] + ".json").get_json()
    assert state["state"] == "done" and state["percent"] == 100.0 and state["kind"] == "publication.pack"
    first = _download(client, state["download"])
    assert set(zipfile.ZipFile(io.BytesIO(first)).namelist()) == MEMBERS
    entry = db_session.scalar(select(AuditLog).where(AuditLog.action == "publication.pack"))
    assert entry.actor == "phan.tich.goi" and entry.target_id == "W-PACK" and entry.details["version"] == 1
    assert entry.details["bytes"] == len(first)
    again = _download(client, state["download"])  # the browser lost the first one: same file, no rebuild
    assert again == first and _audits(db_session) == 1
    listed = client.get(url).get_data(as_text=True)
    assert 'href="/jobs/%d"' % state["id"] in listed and "Đã xong" in listed
    assert client.post("/admin/waves/%d/publications/9/pack" % world["wave"].id).status_code == 404
    assert client.get(url + "/pack").status_code == 405  # a GET builds nothing: the button posts
    versions = client.get("/admin/waves/%d/publications" % world["wave"].id).get_data(as_text=True)
    assert 'action="%s/pack"' % url in versions  # the list of versions posts to the same job


def test_the_job_page_shows_the_finished_pack(client, db_session, world, inline_jobs):
    admin = create_user(db_session, "qtv.goi", PASSWORD, "admin")
    open_browser_session(client, admin, db_session)
    started = client.post("/admin/waves/%d/publications/1/pack" % world["wave"].id)
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    job = db_session.get(Job, int(started.headers["Location"].rsplit("/", 1)[1]))
    assert "Đã xong" in page and "Tải tệp kết quả" in page and "/jobs/%d/download" % job.id in page
    respondents = publications.current(db_session, world["wave"].id).table.respondents
    assert job.done == job.total and job.result["respondents"] == respondents


def test_an_agency_viewer_gets_no_pack_and_starts_no_job(client, db_session, world, inline_jobs):
    viewer = create_user(db_session, "xem.goi", PASSWORD, "agency_viewer", agency_id=world["land"].id)
    open_browser_session(client, viewer, db_session)
    got = client.post("/admin/waves/%d/publications/1/pack" % world["wave"].id)
    assert got.status_code in (302, 403) and got.mimetype != "application/zip"
    assert _audits(db_session) == 0 and db_session.scalar(select(func.count()).select_from(Job)) == 0


def test_the_cli_writes_the_pack_of_a_version(runner, db_session, world, tmp_path):
    assert "--out" in runner.invoke(args=["wave", "pack", "--help"]).output
    out = tmp_path / "p.zip"
    done = runner.invoke(args=["wave", "pack", "W-PACK", "--version", "1", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert set(zipfile.ZipFile(out).namelist()) == MEMBERS
    assert _audits(db_session) == 1 and db_session.scalar(select(func.count()).select_from(Job)) == 0  # no job
    missing = runner.invoke(args=["wave", "pack", "W-PACK", "--version", "4", "--out", str(out)])
    assert missing.exit_code == 1 and "không có phiên bản" in missing.output
