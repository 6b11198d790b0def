"""The reproducibility pack as a background job (`publication.pack`): progress, the file, the audit entry,
a clear failure, no second build while one runs, and a real thread on a committed database."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey.models import AuditLog, Job, JobState, Wave
from survey.models.publication import PublicationKind
from survey.services import publications
from survey.services.common import jobs
from survey.services.publications import pack_views
from tests.publications.test_pack import MEMBERS, singleton_world


@pytest.fixture
def inline_jobs(app, tmp_path):
    """Jobs run in the calling thread (their rows live in the test's transaction), files under tmp_path."""
    app.config.update(JOBS_INLINE=True, JOBS_DIR=str(tmp_path))
    yield app
    app.config.update(JOBS_INLINE=False, JOBS_DIR=None)


def _audits(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "publication.pack"))


def test_the_job_reports_each_step_then_leaves_the_zip_and_one_audit_entry(db_session, inline_jobs):
    world = singleton_world(db_session, code="W-JOB")
    view = publications.current(db_session, world["wave"].id)
    job, new = pack_views.submit_pack(db_session, "test", world["wave"], view)
    assert new
    seen = []
    result = pack_views.run_pack(db_session, job, lambda done, total, message="": seen.append((done, total, message)))
    assert [d for d, _t, _m in seen] == list(range(pack_views.STEPS))  # the ZIP written: the finished job
    assert {t for _d, t, _m in seen} == {pack_views.STEPS} and "Đã tạo published.csv" in [m for *_x, m in seen]
    assert Path(result["file"]).name == "hailong-pack-W_JOB-v1.zip" and not Path(result["file"] + ".part").exists()
    assert set(zipfile.ZipFile(result["file"]).namelist()) == MEMBERS
    assert result["bytes"] == Path(result["file"]).stat().st_size and result["respondents"] == view.table.respondents
    assert _audits(db_session) == 1


def test_a_version_that_does_not_exist_fails_the_job_with_a_clear_message_and_no_file(db_session, inline_jobs):
    world = singleton_world(db_session, code="W-JOB")
    job_id = jobs.submit(db_session, pack_views.PACK_JOB, {"wave_id": world["wave"].id, "version": 7}).id
    job = jobs.run(job_id)
    assert job.state == JobState.FAILED and job.message == "Không có phiên bản công bố 7."
    assert job.file_path is None and _audits(db_session) == 0
    assert [p for p in Path(inline_jobs.config["JOBS_DIR"]).rglob("*") if p.is_file()] == []


def test_a_second_click_while_the_pack_is_built_returns_the_same_job(db_session, inline_jobs):
    world = singleton_world(db_session, code="W-JOB")
    view = publications.current(db_session, world["wave"].id)
    first, new = pack_views.submit_pack(db_session, None, world["wave"], view)
    assert new and pack_views.submit_pack(db_session, None, world["wave"], view) == (first, False)
    first.state = JobState.RUNNING
    db_session.flush()
    assert pack_views.submit_pack(db_session, None, world["wave"], view) == (first, False)  # not launched again
    first.state = JobState.DONE
    db_session.flush()
    again, new = pack_views.submit_pack(db_session, None, world["wave"], view)
    assert new and again.id != first.id  # a new pack once the last one is done


def test_a_version_that_is_not_final_gets_no_pack_job(db_session, inline_jobs):
    world = singleton_world(db_session, code="W-JOB")
    final = publications.current(db_session, world["wave"].id)
    provisional = dataclasses.replace(final, kind=PublicationKind.PROVISIONAL)
    for view in (None, provisional):
        with pytest.raises(jobs.JobError, match="Chỉ phiên bản công bố chính thức"):
            pack_views.submit_pack(db_session, None, world["wave"], view)
    assert db_session.scalar(select(func.count()).select_from(Job)) == 0


def test_the_pack_is_built_in_a_real_background_thread_on_a_committed_database(tmp_path):
    """The request's thread queues it and returns; the job's own thread and session write the ZIP and audit it."""
    from survey.extensions import db
    from survey.services.common.txn import run_write
    from tests.conftest import make_test_app

    app = make_test_app("sqlite:///" + str(tmp_path / "pack.sqlite"), JOBS_DIR=str(tmp_path / "files"))
    with app.app_context():
        world = singleton_world(db.session, code="W-THREAD")
        db.session.commit()
        wave_id = world["wave"].id
        view = publications.current(db.session, wave_id)
        job_id = run_write(
            lambda: pack_views.submit_pack(db.session, "test", db.session.get(Wave, wave_id), view)[0].id
        )
        thread = jobs.launch(app, job_id)
        assert thread is not None
        thread.join(120)
        assert not thread.is_alive()
        db.session.rollback()  # a new snapshot: the thread committed on its own connection
        job = db.session.get(Job, job_id)
        assert job.state == JobState.DONE, job.message
        assert job.done == job.total == pack_views.STEPS and job.result["version"] == 1
        with open(job.file_path, "rb") as fh:
            assert set(zipfile.ZipFile(io.BytesIO(fh.read())).namelist()) == MEMBERS
        assert _audits(db.session) == 1
        db.session.remove()
        db.engine.dispose()
