"""Background jobs: long work (exports, publications, slip bundles) off the request, with progress.

A feature registers a task once (`@task("kind")`); a view or command submits a Job row inside its
unit of work and, once that is committed, `launch`es it: a daemon thread of the same process runs
the task in its own application context and session, records progress on the row (so any gunicorn
worker's progress page reads it), then the result and the file to download, or the failure.

The task runs outside any unit of work: it reads freely and puts each of its own writes in a
`run_write` unit, so a failure leaves no half-written state and progress commits never carry a
task's pending rows. Progress is written at most once a second; a call made while the thread holds
the writers' lock (inside one of the task's own units) is kept and written at the next chance.

`JOBS_INLINE` (config) runs the task in the calling thread instead: the same code path, for tests
whose rows live in one uncommitted transaction a thread cannot see, and for the CLI, which waits.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from survey.extensions import db
from survey.models._base import utcnow
from survey.models.publication import Job, JobState
from survey.services.common.txn import holds_writer_lock, run_write

log = logging.getLogger(__name__)
TaskFn = Callable[[Session, Job, Callable[..., None]], dict | None]
_TASKS: dict[str, TaskFn] = {}
PROGRESS_EVERY = 1.0  # seconds between progress writes


class JobError(ValueError):
    """A job request that cannot run (message in Vietnamese, for the user)."""


def task(kind: str) -> Callable[[TaskFn], TaskFn]:
    """Register `fn(session, job, progress) -> result dict` as the task run for jobs of `kind`."""
    def register(fn: TaskFn) -> TaskFn:
        _TASKS[kind] = fn
        return fn
    return register


def submit(session: Session, kind: str, params: dict[str, Any] | None = None, user_id: int | None = None) -> Job:
    """Queue a job of a registered kind (flushes; launch it after the commit)."""
    if kind not in _TASKS:
        raise JobError("Không có loại tác vụ nền '%s'" % kind)
    job = Job(kind=kind, params=dict(params or {}), created_by_id=user_id, state=JobState.QUEUED)
    session.add(job)
    session.flush()
    return job


def launch(app: Flask, job_id: int) -> threading.Thread | None:
    """Run the job in a background thread (or inline with JOBS_INLINE); returns the thread."""
    if app.config.get("JOBS_INLINE"):
        run(job_id)
        return None
    thread = threading.Thread(target=_run_in_app, args=(app, job_id), name="job-%d" % job_id, daemon=True)
    thread.start()
    return thread


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run(job_id)
        finally:
            db.session.remove()


class _Progress:
    """The progress callback handed to a task: throttled writes of (done, total, message) to the job row."""

    def __init__(self, job_id: int) -> None:
        self.job_id, self.last, self.pending = job_id, 0.0, None

    def __call__(self, done: int, total: int, message: str = "") -> None:
        self.pending = (int(done), int(total), str(message)[:500])
        if time.monotonic() - self.last >= PROGRESS_EVERY:
            self.flush()

    def flush(self) -> None:
        """Write the latest progress now, unless this thread is inside a unit of work."""
        if self.pending is None or holds_writer_lock():
            return
        done, total, message = self.pending
        self.pending, self.last = None, time.monotonic()

        def unit() -> None:
            job = db.session.get(Job, self.job_id)
            job.done, job.total, job.message = done, total, message
        run_write(unit)


def run(job_id: int) -> Job:
    """Run a queued job to its end in this thread; returns it done or failed (never raises for the task)."""
    def start() -> Job | None:
        job = db.session.get(Job, job_id)
        if job is None or job.state != JobState.QUEUED:
            return None
        job.state, job.started_at = JobState.RUNNING, utcnow()
        return job
    if run_write(start) is None:
        raise JobError("Tác vụ %s không ở trạng thái chờ chạy" % job_id)
    progress = _Progress(job_id)
    try:
        result = _TASKS[db.session.get(Job, job_id).kind](db.session, db.session.get(Job, job_id), progress) or {}
    except Exception as exc:  # the task's own units rolled back; the job says why
        db.session.rollback()
        log.exception("job %s failed", job_id)
        message = str(exc) if isinstance(exc, ValueError) else "Lỗi hệ thống: %s" % type(exc).__name__
        return run_write(lambda: _finish(job_id, JobState.FAILED, {}, message))
    progress.pending = None
    return run_write(lambda: _finish(job_id, JobState.DONE, result, ""))


def _finish(job_id: int, state: JobState, result: dict, message: str) -> Job:
    job = db.session.get(Job, job_id)
    job.state, job.finished_at, job.message = state, utcnow(), message
    job.file_path = result.pop("file", None) if isinstance(result, dict) else None
    job.result = result
    if state == JobState.DONE and job.total:
        job.done = job.total
    return job


def work_dir(job: Job) -> str:
    """A directory for the job's output files (under the instance folder), created."""
    base = current_app.config.get("JOBS_DIR") if has_app_context() else None
    path = os.path.join(base or os.path.join(current_app.instance_path, "jobs"), str(job.id))
    os.makedirs(path, exist_ok=True)
    return path


def visible_to(job: Job, user: Any) -> bool:
    """Whether `user` may see the job: its creator, or an admin."""
    return bool(user and getattr(user, "is_authenticated", False)
                and (job.created_by_id == user.id or getattr(user, "role", None) == "admin"))
