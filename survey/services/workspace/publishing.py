"""Publishing a wave: compute its table and frame once, freeze them with their inputs, store a version.

Closing a wave publishes version 1 (`close_and_publish`); `restate` makes a new version with a
reason and a diff when late dossiers, a corrected registry or a method change move its numbers; a
running wave gets provisional versions, refreshed in the background at most every
PROVISIONAL_MINUTES (default 10) when a page asks. Nothing here changes a stored version.

Pages never publish inside their POST: computing a large wave takes a minute, so the admin pages
`submit_publish` a background job (`publication.publish`) and show its progress page; the job runs
closing and publishing in one unit of work, as `close_and_publish` always did.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from datetime import timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.extensions import db
from survey.models import (
    Agency,
    Job,
    JobState,
    PublicationKind,
    QuestionnaireVersion,
    Sector,
    ServicePoint,
    Target,
    User,
    Wave,
)
from survey.models._base import utcnow
from survey.models.fieldwork import WaveStatus
from survey.services import publications, results
from survey.services.common import jobs
from survey.services.common.i18n import tr
from survey.services.common.txn import run_write
from survey.services.publications import PublicationError
from survey.services.sampling import operations as sampling_ops
from survey.services.sampling.waves import WaveError, error_message
from survey.services.workspace import public_services, wavedata

ATTEMPTS = 3
publications.frozen.register(wavedata.WaveFrame, wavedata.WaveExtras)  # the frame a publication freezes


def _plain(value: Any) -> Any:
    """JSON-safe copy (PostgreSQL's JSON refuses NaN: undefined numbers become null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value):
        return _plain(dataclasses.asdict(value))
    return value if value is None or isinstance(value, (bool, int, str)) else str(value)


def _inputs(session: Session, wave: Wave, table: Any, frame: Any) -> dict:
    """What the numbers were computed from, as of now: weighting, calibration, registry, questionnaire, targets."""
    version = session.get(QuestionnaireVersion, wave.questionnaire_version_id)
    collapse = getattr(frame.data.strata, "collapse", None)
    return _plain({
        "wave": {"code": wave.code, "period": [wave.period_start.isoformat(), wave.period_end.isoformat()],
                 "status": str(wave.status), "design": wave.design or {}},
        "weighting": {"strata": [dataclasses.asdict(s) for s in table.strata],
                      "collapsed_strata": collapse.n_collapsed if collapse is not None else 0,
                      "collapse": dataclasses.asdict(collapse) if collapse is not None else None},
        "calibration": {"cells": "agency|sector", "totals": collapse.totals if collapse is not None else None},
        "registry": {
            "agencies": [list(r) for r in session.execute(select(
                Agency.id, Agency.code, Agency.name_vi, Agency.name_en, Agency.parent_id, Agency.level)
                .order_by(Agency.id))],
            "sectors": [list(r) for r in session.execute(select(Sector.id, Sector.code, Sector.name_vi, Sector.name_en)
                                                         .order_by(Sector.id))],
            "service_points": [list(r) for r in session.execute(select(
                ServicePoint.id, ServicePoint.code, ServicePoint.name_vi, ServicePoint.agency_id)
                .order_by(ServicePoint.id))]},
        "questionnaire": {"version_id": version.id, "content_hash": version.content_hash,
                          "content_sha256": hashlib.sha256(json.dumps(version.content, sort_keys=True,
                                                                      ensure_ascii=False).encode()).hexdigest()},
        "targets": [[t.year, str(t.scope), t.sector_code, t.value, t.label_vi]
                    for t in session.scalars(select(Target).order_by(Target.id))],
        "settings": table.settings, "respondents": table.respondents, "walkup_excluded": table.walkup_excluded,
        "notes": list(table.notes),
        # health / education waves: per level and area tables and the MoH rates (public_services)
        public_services.INPUTS_KEY: public_services.store_key(session, wave, table, frame)})


def compute(session: Session, wave: Wave) -> tuple[Any, Any, dict]:
    """The wave's index table, frame and inputs, read consistently (retried if answers arrived in between)."""
    for _attempt in range(ATTEMPTS):
        frame = wavedata.load_live(session, wave)
        table = results.wave_index_table(session, wave.id)
        if table.respondents == frame.n:  # the two reads saw the same respondents
            return table, frame, _inputs(session, wave, table, frame)
    raise PublicationError(tr("Đợt %(code)s đang nhận câu trả lời liên tục: chưa lấy được số liệu nhất quán, "
                              "hãy thử lại.", code=wave.code))


def publish(session: Session, actor: Any, wave: Wave, *, reason: str = "") -> Any:
    """Publish the wave's first final version, or restate it when one exists (then `reason` is required)."""
    if wave.status == WaveStatus.DRAFT:
        raise PublicationError(tr("Đợt %(code)s chưa triển khai: chưa có gì để công bố.", code=wave.code))
    table, frame, inputs = compute(session, wave)
    return publications.store(session, actor, wave, table, frame, inputs, kind=PublicationKind.FINAL,
                              reason=reason)


def restate(session: Session, actor: Any, wave: Wave, reason: str) -> Any:
    """A new final version with a reason and a diff (refused when nothing was published or nothing changed)."""
    if publications.current(session, wave.id) is None or publications.current(session, wave.id).provisional:
        raise PublicationError(tr("Đợt %(code)s chưa được công bố: hãy công bố trước khi công bố lại.", code=wave.code))
    if not (reason or "").strip():
        raise PublicationError(tr("Công bố lại cần nêu lý do (ví dụ: nhập bổ sung hồ sơ muộn, sửa danh mục)."))
    return publish(session, actor, wave, reason=reason)


def close_and_publish(session: Session, actor: Any, wave: Wave) -> int:
    """Close a running wave and publish its version 1 in the same unit of work; returns expired invitations."""
    expired = sampling_ops.close(session, actor, wave)
    publish(session, actor, wave)
    return expired


def refresh_provisional(session: Session, wave: Wave) -> Any:
    """A new provisional version of a running wave (older provisional ones are pruned)."""
    if wave.status != WaveStatus.LAUNCHED:
        raise PublicationError(tr("Chỉ đợt đang thu mới có số liệu tạm tính."))
    table, frame, inputs = compute(session, wave)
    return publications.store(session, "system", wave, table, frame, inputs, kind=PublicationKind.PROVISIONAL)


def provisional_minutes() -> float:
    """How old a provisional version may get before a page asks for a fresh one (PROVISIONAL_MINUTES)."""
    return float(current_app.config.get("PROVISIONAL_MINUTES", 10)) if has_app_context() else 10.0


@jobs.task("publication.provisional")
def _provisional_task(session: Session, job: Any, progress: Any) -> dict:
    """Background: a fresh provisional version of a running wave."""
    progress(0, 1, "Đang tính số liệu tạm tính")
    def unit():
        wave = session.get(Wave, job.params["wave_id"])
        return refresh_provisional(session, wave).version if wave.status == WaveStatus.LAUNCHED else None
    return {"version": run_write(unit)}


def needs_refresh(session: Session, wave: Wave) -> bool:
    """Whether a running wave's provisional version is missing or older than PROVISIONAL_MINUTES."""
    if wave.status != WaveStatus.LAUNCHED:
        return False
    view = publications.current(session, wave.id)
    if view is None or not view.provisional:
        return view is None
    return utcnow() - view.published_at > timedelta(minutes=provisional_minutes())


def schedule_refresh(wave: Wave, user_id: int | None = None) -> int | None:
    """Start a background refresh of a running wave's provisional version when it is due and none is
    under way for that wave; returns the job id, or None when nothing was started."""
    if not needs_refresh(db.session, wave):
        return None
    wave_id = wave.id

    def unit() -> int | None:
        busy = db.session.scalars(select(Job).where(
            Job.kind == "publication.provisional", Job.state.in_((JobState.QUEUED, JobState.RUNNING)),
            Job.created_at > utcnow() - timedelta(hours=1))).all()  # an older one died with its process
        if any((job.params or {}).get("wave_id") == wave_id for job in busy):
            return None
        return jobs.submit(db.session, "publication.provisional", {"wave_id": wave_id}, user_id).id
    job_id = run_write(unit)
    if job_id is not None:
        jobs.launch(current_app._get_current_object(), job_id)
    return job_id


PUBLISH_JOB = "publication.publish"


def busy_publish(session: Session, wave: Wave) -> Job | None:
    """A publish job of this wave still queued or running (begun in the last hour), or None."""
    found = session.scalars(select(Job).where(
        Job.kind == PUBLISH_JOB, Job.state.in_((JobState.QUEUED, JobState.RUNNING)),
        Job.created_at > utcnow() - timedelta(hours=1)).order_by(Job.id.desc()))  # an older one died with its process
    return next((job for job in found if (job.params or {}).get("wave_id") == wave.id), None)


def submit_publish(session: Session, user: Any, wave: Wave, *, reason: str = "", close: bool = False
                   ) -> tuple[Job, bool]:
    """(job, queued now) that closes (`close`) and publishes the wave, or restates it with `reason` when a final
    version exists (flushes; launch it after the commit). A job of this wave under way is returned instead
    (a second click starts no second computation). Raises PublicationError for a request that cannot run."""
    running = busy_publish(session, wave)
    if running is not None:
        return running, False
    if close and wave.status != WaveStatus.LAUNCHED:
        raise PublicationError(error_message("not_launched"))
    if wave.status == WaveStatus.DRAFT:
        raise PublicationError(tr("Đợt %(code)s chưa triển khai: chưa có gì để công bố.", code=wave.code))
    done = publications.current(session, wave.id)
    restating = done is not None and not done.provisional
    if restating and not (reason or "").strip():
        raise PublicationError(tr("Công bố lại cần nêu lý do (ví dụ: nhập bổ sung hồ sơ muộn, sửa danh mục)."))
    params = {"wave_id": wave.id, "close": bool(close), "reason": (reason or "").strip() if restating else ""}
    return jobs.submit(session, PUBLISH_JOB, params, getattr(user, "id", None)), True


@jobs.task(PUBLISH_JOB)
def run_publish(session: Session, job: Job, progress: Any) -> dict:
    """The publish job: close (when asked) and publish or restate in one unit; the result names the version."""
    params = dict(job.params)
    actor = session.get(User, job.created_by_id) if job.created_by_id else "job"
    progress(0, 1, tr("Đang đọc câu trả lời và tính bảng chỉ số"))

    def unit() -> dict:
        wave = session.get(Wave, params["wave_id"])
        if wave is None:
            raise jobs.JobError(tr("Đợt khảo sát không còn tồn tại."))
        expired = None
        if params.get("close"):
            try:
                expired = close_and_publish(session, actor, wave)
            except WaveError as exc:  # the wave changed since the click (closed from the CLI meanwhile)
                raise jobs.JobError(error_message(str(exc))) from exc
        elif params.get("reason"):
            restate(session, actor, wave, params["reason"])
        else:
            publish(session, actor, wave)
        view = publications.current(session, wave.id)
        return {"wave_id": wave.id, "wave": wave.code, "version": view.version, "expired": expired,
                "respondents": view.table.respondents}

    return run_write(unit)
