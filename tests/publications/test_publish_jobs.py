"""Publishing from the admin pages is a background job (`publication.publish`): the POST answers with the
job's progress page at once, the job stores the version, and the finished page links to it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey.models import Job, JobState, Wave
from survey.models.fieldwork import WaveStatus
from survey.services import publications
from survey.services.accounts.users import create_user
from survey.services.common import jobs
from survey.services.publications import PublicationError
from survey.services.workspace import publishing
from tests.auth.conftest import PASSWORD, open_browser_session
from tests.workspace.conftest import build_world


@pytest.fixture
def world(db_session):
    return build_world(db_session, code="W-PJOB", publish=False)


@pytest.fixture
def inline_jobs(app, tmp_path):
    """Jobs run in the request's thread (their rows live in the test's transaction)."""
    app.config.update(JOBS_INLINE=True, JOBS_DIR=str(tmp_path))
    yield app
    app.config.update(JOBS_INLINE=False, JOBS_DIR=None)


@pytest.fixture
def admin_client(client, db_session):
    admin = create_user(db_session, "quan.tri.job", PASSWORD, "admin")
    open_browser_session(client, admin, db_session)
    return client


def _jobs(session) -> int:
    return session.scalar(select(func.count()).select_from(Job).where(Job.kind == publishing.PUBLISH_JOB))


def test_the_publish_post_answers_with_the_job_page_and_the_job_stores_version_1(
        admin_client, db_session, world, inline_jobs):
    wave = world["wave"]
    got = admin_client.post("/admin/waves/%d/publications" % wave.id)
    assert got.status_code == 303 and "/jobs/" in got.headers["Location"]
    job = db_session.scalar(select(Job).where(Job.kind == publishing.PUBLISH_JOB))
    assert job.state == JobState.DONE and job.result["version"] == 1
    assert publications.current(db_session, wave.id).version == 1
    page = admin_client.get(got.headers["Location"]).get_data(as_text=True)
    assert "Đã công bố phiên bản 1." in page
    assert 'href="/admin/waves/%d/publications/1"' % wave.id in page
    state = admin_client.get("/jobs/%d.json" % job.id).get_json()
    assert state["finished"] and state["link"].endswith("/publications/1") and state["download"] is None


def test_closing_a_running_wave_from_its_page_closes_and_publishes_in_the_job(
        admin_client, db_session, world, inline_jobs):
    wave = world["wave"]
    wave.status, wave.closed_at = WaveStatus.LAUNCHED, None
    db_session.flush()
    got = admin_client.post("/admin/waves/%d/close" % wave.id, data={})
    assert got.status_code == 303 and "/jobs/" in got.headers["Location"]
    assert db_session.get(Wave, wave.id).status == WaveStatus.CLOSED
    assert publications.current(db_session, wave.id).version == 1
    page = admin_client.get(got.headers["Location"]).get_data(as_text=True)
    assert "Đã đóng đợt và công bố số liệu (phiên bản 1)" in page


def test_a_restatement_without_a_reason_is_refused_before_any_job(admin_client, db_session, world, inline_jobs):
    wave = world["wave"]
    admin_client.post("/admin/waves/%d/publications" % wave.id)
    page = admin_client.post("/admin/waves/%d/publications" % wave.id, data={"reason": " "},
                             follow_redirects=True).get_data(as_text=True)
    assert "cần nêu lý do" in page and _jobs(db_session) == 1
    assert [v.version for v in publications.versions(db_session, wave.id)] == [1]


def test_a_second_click_while_the_job_waits_gets_the_same_job(db_session, world):
    wave = world["wave"]
    first, new = publishing.submit_publish(db_session, "test", wave)
    again, new_again = publishing.submit_publish(db_session, "test", wave)
    assert new and not new_again and again.id == first.id and _jobs(db_session) == 1


def test_a_job_whose_publication_is_refused_fails_with_the_reason_and_stores_nothing(db_session, world, inline_jobs):
    wave = world["wave"]
    publishing.publish(db_session, "test", wave)
    job, _new = publishing.submit_publish(db_session, "test", wave, reason="Kiểm tra lại")
    db_session.flush()
    done = jobs.run(job.id)
    assert done.state == JobState.FAILED and "không thay đổi" in done.message
    assert [v.version for v in publications.versions(db_session, wave.id)] == [1]


def test_closing_a_draft_wave_is_refused_in_words(db_session, world):
    wave = world["wave"]
    wave.status = WaveStatus.DRAFT
    with pytest.raises(PublicationError, match="chưa được khởi động"):
        publishing.submit_publish(db_session, "test", wave, close=True)
