"""Background jobs' pages: progress (HTML and JSON, polled by the page) and the finished file."""
from __future__ import annotations

import os

from flask import Blueprint, abort, jsonify, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from survey.extensions import db
from survey.models.publication import Job, JobState
from survey.services.common import jobs

bp = Blueprint("jobs", __name__)
STATE_LABELS = {JobState.QUEUED: _l("Đang chờ"), JobState.RUNNING: _l("Đang chạy"), JobState.DONE: _l("Đã xong"),
                JobState.FAILED: _l("Không thành công")}


def _job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or not jobs.visible_to(job, current_user):
        abort(404)  # another user's job is not even acknowledged
    return job


def _published(r: dict) -> tuple[str, str, str]:
    """A finished publish job: the version's page and what was done, in words."""
    if r.get("expired") is not None:
        summary = _("Đã đóng đợt và công bố số liệu (phiên bản 1); %(expired)d thư mời chưa trả lời đã hết "
                    "hiệu lực.", expired=r["expired"])
    else:
        summary = _("Đã công bố phiên bản %(version)d.", version=r["version"])
    link = url_for("admin.publications_show", wave_id=r["wave_id"], version=r["version"])
    return link, str(_l("Xem phiên bản đã công bố")), summary


# Jobs whose result is a page rather than a file: (address, its words, a sentence saying what was done).
OUTCOMES = {"publication.publish": _published}


def _outcome(job: Job) -> tuple[str | None, str, str]:
    """(address, words, summary) of the page a finished job's result is, or (None, "", "")."""
    if job.state != JobState.DONE or job.kind not in OUTCOMES or not job.result:
        return None, "", ""
    return OUTCOMES[job.kind](job.result)


def _state(job: Job) -> dict:
    ready = job.state == JobState.DONE and bool(job.file_path) and os.path.exists(job.file_path)
    link, words, summary = _outcome(job)
    return {"id": job.id, "kind": job.kind, "state": str(job.state), "label": str(STATE_LABELS[job.state]),
            "done": job.done, "total": job.total, "message": job.message,
            "percent": round(100.0 * job.done / job.total, 1) if job.total else None,
            "download": url_for("jobs.download", job_id=job.id) if ready else None,
            "link": link, "link_label": words, "summary": summary,
            "finished": job.state in (JobState.DONE, JobState.FAILED)}


@bp.route("/<int:job_id>")
@login_required
def show(job_id: int):
    """The job's progress bar, then its download link or its error."""
    job = _job(job_id)
    return render_template("jobs/show.html", job=job, state=_state(job))


@bp.route("/<int:job_id>.json")
@login_required
def state(job_id: int):
    """The job's progress as JSON (polled by the page)."""
    resp = jsonify(_state(_job(job_id)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/<int:job_id>/download")
@login_required
def download(job_id: int):
    """The finished job's file."""
    job = _job(job_id)
    if job.state != JobState.DONE or not job.file_path or not os.path.exists(job.file_path):
        abort(404)
    resp = send_file(job.file_path, as_attachment=True, download_name=os.path.basename(job.file_path))
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
