"""Publishing from the command line and from the admin page: clear errors, nothing half-stored, CSRF."""
from __future__ import annotations

import re

import pytest

from survey.services import publications
from survey.services.accounts.users import create_user
from tests.auth.conftest import PASSWORD, open_browser_session
from tests.publications.test_records import _late_dossiers
from tests.workspace.conftest import build_world


@pytest.fixture
def world(db_session):
    return build_world(db_session, publish=False)  # the tests publish it themselves


@pytest.mark.parametrize("command", ["publish", "restate", "publications", "diff"])
def test_every_publication_command_has_help(runner, command):
    result = runner.invoke(args=["wave", command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_the_cli_publishes_lists_restates_and_shows_the_diff(runner, db_session, world):
    code = world["wave"].code
    assert "phiên bản 1" in runner.invoke(args=["wave", "publish", code]).output
    again = runner.invoke(args=["wave", "publish", code])
    assert again.exit_code == 1 and "đã được công bố" in again.output
    refused = runner.invoke(args=["wave", "restate", code, "--reason", "kiểm tra"])
    assert refused.exit_code == 1 and "không thay đổi" in refused.output
    _late_dossiers(db_session, world)
    done = runner.invoke(args=["wave", "restate", code, "--reason", "hồ sơ muộn"])
    assert done.exit_code == 0 and "phiên bản 2" in done.output
    listing = runner.invoke(args=["wave", "publications", code]).output.splitlines()
    assert [line.split()[1] for line in listing] == ["v1", "v2"]
    diff = runner.invoke(args=["wave", "diff", code, "2"]).output
    view = publications.current(db_session, world["wave"].id)
    assert "hồ sơ muộn" in diff and len(re.findall(r"→", diff)) == 1 + len(view.diff["changes"]) + len(
        view.diff["statuses"])
    assert runner.invoke(args=["wave", "diff", code, "7"]).exit_code == 1


@pytest.fixture
def inline_jobs(app, tmp_path):
    """Publish jobs run in the request's thread (their rows live in the test's transaction)."""
    app.config.update(JOBS_INLINE=True, JOBS_DIR=str(tmp_path))
    yield app
    app.config.update(JOBS_INLINE=False, JOBS_DIR=None)


def test_the_admin_publishes_then_restates_only_with_a_reason(client, db_session, world, inline_jobs):
    admin = create_user(db_session, "quan.tri.cb", PASSWORD, "admin")
    open_browser_session(client, admin, db_session)
    wave = world["wave"]
    url = "/admin/waves/%d/publications" % wave.id
    assert "chưa có phiên bản công bố" in client.get(url).get_data(as_text=True)
    page = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "Đã công bố phiên bản 1" in page
    _late_dossiers(db_session, world)
    page = client.post(url, data={"reason": ""}, follow_redirects=True).get_data(as_text=True)
    assert "cần nêu lý do" in page and [v.version for v in publications.versions(db_session, wave.id)] == [1]
    page = client.post(url, data={"reason": "Nhập bổ sung hồ sơ muộn"}, follow_redirects=True).get_data(as_text=True)
    assert "Đã công bố phiên bản 2" in page
    shown = client.get(url + "/2").get_data(as_text=True)
    assert "Nhập bổ sung hồ sơ muộn" in shown and "Chênh lệch so với phiên bản trước" in shown
    assert "Đã có phiên bản mới hơn" in client.get(url + "/1").get_data(as_text=True)


def test_an_analyst_sees_the_versions_but_cannot_publish(client, db_session, world):
    analyst = create_user(db_session, "phan.tich.cb", PASSWORD, "analyst")
    open_browser_session(client, analyst, db_session)
    url = "/admin/waves/%d/publications" % world["wave"].id
    page = client.get(url)
    assert page.status_code == 200 and "/publications\" method" not in page.get_data(as_text=True)
    assert 'action="%s"' % url not in page.get_data(as_text=True)
    assert client.post(url).status_code == 403
    assert publications.current(db_session, world["wave"].id) is None


def test_the_publish_form_needs_its_csrf_token(client, db_session, world, csrf_enabled):
    admin = create_user(db_session, "quan.tri.csrf", PASSWORD, "admin")
    open_browser_session(client, admin, db_session)
    client.post("/admin/waves/%d/publications" % world["wave"].id)
    assert publications.current(db_session, world["wave"].id) is None
