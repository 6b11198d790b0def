"""Finding a version to pack and handing its pack out (audit-logged): shared by the admin page and the CLI.

The admin page builds the pack as a background job (`publication.pack`, survey.services.common.jobs):
the job thaws the frame, writes each member with a progress bar on /jobs/<id>, writes the ZIP to the
job's folder and then records who took it, in one unit. The file stays on the job's page, so a lost
download is fetched again from there (no rebuild, no second audit entry). The CLI stays synchronous
(`download`).
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Job, JobState, User, Wave
from survey.services import publications
from survey.services.common import audit, jobs
from survey.services.common.i18n import tr as _
from survey.services.common.txn import run_write
from survey.services.publications import PublicationError, pack, pack_files

PACK_JOB = "publication.pack"
STEPS = len(pack_files.BUILDERS) + 2  # the frame thawed, each member made, the ZIP written


def find(session: Session, wave: Wave, version: int | None = None) -> Any:
    """The final version `version` of the wave (None: its latest final version), or None."""
    finals = [v for v in publications.versions(session, wave.id) if not v.provisional]
    if version is None:
        return finals[-1] if finals else None
    return next((v for v in finals if v.version == version), None)


def download(session: Session, actor: Any, view: Any) -> tuple[bytes, str]:
    """(ZIP bytes, file name) of a version's pack; records who took it (flushes)."""
    try:
        data = pack.pack_data(session, view)
    except pack.PackError as exc:
        raise PublicationError(str(exc)) from exc
    body = pack.build(data)
    _audit(session, actor, session.get(Wave, view.wave_id), view, data.n, len(body))
    return body, pack.filename(data)


def _audit(session: Session, actor: Any, wave: Wave, view: Any, respondents: int, size: int) -> None:
    audit.record(
        session, actor, "publication.pack", "wave", wave.code, version=view.version, respondents=respondents, bytes=size
    )


def recent_packs(session: Session, wave: Wave, version: int, user: Any = None, limit: int = 5) -> list[Job]:
    """The latest pack jobs of this version, newest first (of `user` when given); their ZIPs stay on the job page."""
    found = session.scalars(select(Job).where(Job.kind == PACK_JOB).order_by(Job.id.desc()).limit(200))
    return [
        job
        for job in found
        if (job.params or {}).get("wave_id") == wave.id
        and (job.params or {}).get("version") == version
        and (user is None or job.created_by_id == getattr(user, "id", None))
    ][:limit]


def submit_pack(session: Session, user: Any, wave: Wave, view: Any) -> tuple[Job, bool]:
    """(job, queued now) for the pack of a final version: a new job (flushes; launch it after the commit), or
    the user's pack job of that version still queued or running (a second click starts no second build, and
    is not launched again). Raises JobError."""
    if view is None or view.provisional:
        raise jobs.JobError(_("Chỉ phiên bản công bố chính thức mới có gói tái lập."))
    if not view.table.respondents:
        raise jobs.JobError(_("Phiên bản này không có người trả lời: không có gói tái lập."))
    for job in recent_packs(session, wave, view.version, user):
        if job.state in (JobState.QUEUED, JobState.RUNNING):
            return job, False
    params = {"wave_id": wave.id, "version": view.version}
    return jobs.submit(session, PACK_JOB, params, getattr(user, "id", None)), True


@jobs.task(PACK_JOB)
def run_pack(session: Session, job: Job, progress: Any) -> dict:
    """The pack job: the frame thawed, each member made (progress), the ZIP written, then the audit entry.

    The ZIP is written under another name and renamed, so the job page never offers half a file; the audit
    row is stored only once the file is complete (and the file removed if that unit fails)."""
    wave_id, version = job.params["wave_id"], int(job.params["version"])
    actor = session.get(User, job.created_by_id) if job.created_by_id else "job"
    wave = session.get(Wave, wave_id)
    view = find(session, wave, version) if wave is not None else None
    if view is None:
        raise jobs.JobError(_("Không có phiên bản công bố %(version)d.", version=version))
    progress(0, STEPS, _("Đang đọc khung dữ liệu đã đóng băng của phiên bản %(version)d", version=version))
    try:
        data = pack.pack_data(session, view)
    except pack.PackError as exc:
        raise jobs.JobError(str(exc)) from exc
    done = [1]

    def step(name: str) -> None:
        done[0] += 1
        progress(done[0], STEPS, _("Đã tạo %(name)s", name=name))

    progress(1, STEPS, _("Đang tạo các tệp của gói"))
    body = pack.build(data, step)
    path = os.path.join(jobs.work_dir(job), pack.filename(data))
    with open(path + ".part", "wb") as fh:
        fh.write(body)
    os.replace(path + ".part", path)
    wave_code, respondents = wave.code, data.n
    try:
        run_write(lambda: _audit(session, actor, session.get(Wave, wave_id), view, respondents, len(body)))
    except Exception:
        os.remove(path)
        raise
    return {"file": path, "wave": wave_code, "version": version, "respondents": respondents, "bytes": len(body)}
