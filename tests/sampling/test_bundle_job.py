"""The admin's bundle as a background job: a lost download is fetched again, re-keying only when asked."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from survey.models import Invitation, Job, JobState, Wave
from survey.services.common import jobs
from survey.services.intake import batch as intake
from survey.services.sampling import bundle, waves
from survey.services.sampling import invitations as inv_service
from tests.sampling.factories import login, make_admin, make_wave, record


@pytest.fixture
def inline_jobs(app, tmp_path):
    """Jobs run in the request (their rows live in the test's transaction), files under tmp_path."""
    app.config.update(JOBS_INLINE=True, JOBS_DIR=str(tmp_path))
    yield app
    app.config.update(JOBS_INLINE=False, JOBS_DIR=None)


@pytest.fixture
def wave(client, db_session, reg, source, version, inline_jobs):
    """A launched wave of four invitations (π = 1) nobody holds yet, and a signed-in admin."""
    intake.ingest(db_session, source, [record(f"D{i}", phone="0912345678") for i in range(4)])
    launched = make_wave(db_session, version, fixed_pi=1.0)
    assert len(waves.launch(db_session, launched)) == 4  # not delivered: nobody holds a slip yet
    db_session.commit()  # a savepoint: what a refused unit rolls back is its own writes only
    login(client, make_admin(db_session))
    return launched


def _bundle(client, wave, **form) -> dict:
    resp = client.post(f"/admin/waves/{wave.id}/bundle", data={"format": "a6", **form})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return client.get(resp.headers["Location"] + ".json").get_json()


def _download(client, url: str) -> bytes:
    got = client.get(url)
    body = got.data
    got.close()
    assert got.status_code == 200
    return body


def _tokens(body: bytes) -> list[str]:
    return re.findall(r"/s/([\w-]{20,})", zipfile.ZipFile(io.BytesIO(body)).read("links.csv").decode("utf-8-sig"))


def _hashes(db_session) -> dict[int, str]:
    db_session.expire_all()
    return dict(db_session.execute(select(Invitation.id, Invitation.token_hash)).all())


def test_a_lost_download_is_fetched_again_from_the_job_page_without_re_keying(client, db_session, wave):
    state = _bundle(client, wave)
    assert state["state"] == "done" and state["total"] == 4 and state["percent"] == 100.0
    first = _download(client, state["download"])
    stored = _hashes(db_session)
    again = _download(client, state["download"])  # the browser lost the first one
    assert again == first and _hashes(db_session) == stored
    assert all(inv_service.find_by_token(db_session, t) for t in _tokens(first))
    slip = zipfile.ZipFile(io.BytesIO(first)).read("phieu-moi-SP1-a6.html").decode()
    assert all(inv_service.display_code(inv_service.short_code(t)) in slip for t in _tokens(first))
    assert "Không quét được? Mở trang 127.0.0.1:5000 và nhập mã" in slip
    page = client.get(f"/admin/waves/{wave.id}/bundles").get_data(as_text=True)
    assert f'href="/jobs/{state["id"]}"' in page and "Đã xong" in page
    refused = client.post(f"/admin/waves/{wave.id}/bundle", data={"format": "a6"}, follow_redirects=True)
    assert "Không còn thư mời nào chưa phát" in refused.get_data(as_text=True) and _hashes(db_session) == stored
    assert db_session.scalar(select(Job.id).order_by(Job.id.desc())) == state["id"]  # no second job queued


def test_re_keying_handed_out_invitations_takes_the_explicit_reissue_choice(client, db_session, wave):
    old = _tokens(_download(client, _bundle(client, wave)["download"]))
    state = _bundle(client, wave, reissue="y")
    new = _tokens(_download(client, state["download"]))
    assert len(new) == 4 and not set(new) & set(old)
    assert not any(inv_service.find_by_token(db_session, t) for t in old)
    assert all(inv_service.find_by_token(db_session, t) for t in new)


def test_the_job_page_shows_progress_and_the_download(client, wave):
    state = _bundle(client, wave)
    page = client.get(f"/jobs/{state['id']}").get_data(as_text=True)
    assert "Đã xong" in page and "Tải tệp kết quả" in page and state["download"] in page
    assert state["message"] == ""  # a finished job keeps no progress message; its counts say it all


def test_an_invitation_that_changes_while_the_zip_is_written_stops_the_re_key(db_session, wave, inline_jobs):
    stored = _hashes(db_session)
    job = bundle.submit_bundle(db_session, None, wave, "a6")
    victim = db_session.scalars(select(Invitation).order_by(Invitation.id)).first()

    def progress(done, total, message=""):  # the citizen of one slip opens it meanwhile (reissue: another bundle)
        if done:
            victim.status = "opened"
    with pytest.raises(jobs.JobError, match="đã thay đổi trong lúc tạo gói"):
        bundle.run_bundle(db_session, job, progress)
    assert _hashes(db_session) == stored
    assert [p.name for p in Path(inline_jobs.config["JOBS_DIR"]).rglob("*") if p.is_file()] == []


def test_a_wave_that_is_not_running_gets_no_bundle_job(db_session, reg, version):
    draft = make_wave(db_session, version)
    with pytest.raises(jobs.JobError, match="Chỉ phát thư mời được khi đợt đang chạy"):
        bundle.submit_bundle(db_session, None, draft, "a6")
    assert db_session.scalar(select(Job).where(Job.state == JobState.QUEUED)) is None


def test_the_bundle_runs_in_a_real_background_thread_on_a_committed_database(tmp_path):
    """The request's thread queues it and returns; the job's own thread and session write the ZIP and re-key."""
    from survey.extensions import db
    from survey.services.common.txn import run_write
    from tests.conftest import make_test_app
    from tests.sampling import factories

    app = make_test_app("sqlite:///" + str(tmp_path / "bundle.sqlite"), JOBS_DIR=str(tmp_path / "files"))
    with app.app_context():
        factories.make_registry(db.session)
        version, source = factories.make_version(db.session), factories.make_source(db.session)
        intake.ingest(db.session, source, [record(f"T{i}") for i in range(3)])
        launched = make_wave(db.session, version, fixed_pi=1.0)
        waves.launch(db.session, launched)
        admin = make_admin(db.session)
        db.session.commit()
        job_id = run_write(lambda: bundle.submit_bundle(db.session, admin, db.session.get(Wave, launched.id),
                                                        "80mm").id)
        thread = jobs.launch(app, job_id)
        assert thread is not None
        thread.join(30)
        db.session.rollback()  # a new snapshot: the thread committed on its own connection
        job = db.session.get(Job, job_id)
        assert job.state == JobState.DONE and job.result["invitations"] == 3 and job.done == job.total == 3
        with open(job.file_path, "rb") as fh:
            tokens = _tokens(fh.read())
        assert len(tokens) == 3 and all(inv_service.find_by_token(db.session, t) for t in tokens)
        assert db.session.scalar(select(Invitation.id).where(Invitation.delivered_at.is_(None))) is None
        db.session.remove()
        db.engine.dispose()
