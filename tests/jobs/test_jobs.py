"""Background jobs: a task runs off the request, reports progress, ends done (with its file) or failed."""
from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import AuditLog, Job, JobState
from survey.services.accounts.users import create_user
from survey.services.common import audit, jobs
from survey.services.common.txn import run_write
from tests.auth.conftest import PASSWORD, open_browser_session
from tests.conftest import make_test_app

GATE = threading.Event()


@jobs.task("test.write-file")
def _write_file(session, job, progress):
    """Writes params["n"] lines, reporting progress per line."""
    path = os.path.join(jobs.work_dir(job), "out.txt")
    with open(path, "w") as fh:
        for i in range(job.params["n"]):
            fh.write("line %d\n" % i)
            progress(i + 1, job.params["n"], "dòng %d" % (i + 1))
    return {"file": path, "lines": job.params["n"]}


@jobs.task("test.fail-after-write")
def _fail_after_write(session, job, progress):
    """Stores an audit row in its own unit, then fails in a second unit that also wrote one."""
    run_write(lambda: audit.record(db.session, "cli", "test.first", "job", str(job.id)))

    def second():
        audit.record(db.session, "cli", "test.second", "job", str(job.id))
        raise ValueError("Dữ liệu không hợp lệ ở bản ghi 7")
    run_write(second)


@jobs.task("test.wait")
def _wait(session, job, progress):
    """Reports 1 of 3, then waits for the test to let it finish."""
    progress(1, 3, "bước 1")
    progress.flush()
    assert GATE.wait(20)
    return {}


@pytest.fixture
def inline(app, tmp_path):
    app.config.update(JOBS_INLINE=True, JOBS_DIR=str(tmp_path))
    yield app
    app.config.update(JOBS_INLINE=False, JOBS_DIR=None)


def test_an_unknown_kind_is_refused_and_nothing_is_queued(db_session):
    with pytest.raises(jobs.JobError, match="Không có loại tác vụ nền"):
        jobs.submit(db_session, "no-such-kind", {})
    assert db_session.scalar(select(Job).where(Job.kind == "no-such-kind")) is None


def test_a_finished_job_records_its_result_and_offers_its_file_to_its_creator_only(inline, db_session, client):
    owner = create_user(db_session, "job-owner", PASSWORD, "analyst")
    other = create_user(db_session, "job-other", PASSWORD, "analyst")
    job = jobs.submit(db_session, "test.write-file", {"n": 5}, owner.id)
    jobs.launch(inline, job.id)
    db_session.refresh(job)
    assert (job.state, job.done, job.total, job.result) == (JobState.DONE, 5, 5, {"lines": 5})
    open_browser_session(client, owner, db_session)
    page = client.get("/jobs/%d" % job.id)
    assert page.status_code == 200 and "Đã xong" in page.get_data(as_text=True)
    state = client.get("/jobs/%d.json" % job.id).get_json()
    assert state["finished"] and state["percent"] == 100.0 and state["download"]
    got = client.get(state["download"])
    assert got.status_code == 200 and got.data.decode().splitlines() == ["line %d" % i for i in range(5)]
    got.close()
    open_browser_session(client, other, db_session)
    assert client.get("/jobs/%d.json" % job.id).status_code == 404
    assert client.get("/jobs/%d/download" % job.id).status_code == 404


def test_a_failed_job_says_why_and_keeps_only_the_units_that_committed(inline, db_session):
    job = jobs.submit(db_session, "test.fail-after-write", {})
    jobs.launch(inline, job.id)
    db_session.refresh(job)
    assert job.state == JobState.FAILED and job.message == "Dữ liệu không hợp lệ ở bản ghi 7"
    actions = db_session.scalars(select(AuditLog.action).where(AuditLog.target_id == str(job.id))).all()
    assert actions == ["test.first"]


def test_a_job_runs_once(inline, db_session):
    job = jobs.submit(db_session, "test.write-file", {"n": 1})
    jobs.launch(inline, job.id)
    with pytest.raises(jobs.JobError, match="không ở trạng thái chờ chạy"):
        jobs.run(job.id)


def test_a_launched_job_runs_in_the_background_and_its_progress_is_readable_meanwhile(tmp_path):
    """A real thread on a real committed database: the request returns at once, another session sees progress."""
    app = make_test_app("sqlite:///" + str(tmp_path / "jobs.sqlite"), JOBS_DIR=str(tmp_path / "files"))
    GATE.clear()
    with app.app_context():
        job_id = run_write(lambda: jobs.submit(db.session, "test.wait", {}).id)
        thread = jobs.launch(app, job_id)
        try:
            deadline = time.monotonic() + 20
            seen = None
            while time.monotonic() < deadline:
                db.session.rollback()  # a new snapshot: the thread commits on its own connection
                seen = db.session.get(Job, job_id)
                if seen.done == 1:
                    break
                time.sleep(0.05)
            assert (seen.state, seen.done, seen.total, seen.message) == (JobState.RUNNING, 1, 3, "bước 1")
        finally:
            GATE.set()
            thread.join(20)
        db.session.rollback()
        assert db.session.get(Job, job_id).state == JobState.DONE
        db.session.remove()
        db.engine.dispose()
