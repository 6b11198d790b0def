"""The admin's bundle of a wave's slips, sms.csv and links.csv, as a background job (`wave.bundle`).

Tokens exist in clear only while they are issued, so a bundle whose download is lost used to mean
re-keying every slip again. Here the job draws the tokens in memory, writes the ZIP to the job's
folder, and only then re-keys, in one unit with its audit row; the ZIP stays on the job's page
(/jobs/<id>), so a lost download is fetched again from there, never re-keyed. A new bundle re-keys
invitations already handed out only when the admin asks for it (`reissue`).
"""
from __future__ import annotations

import os
import tempfile
import zipfile
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Invitation, Job, User, Wave
from survey.models._base import utcnow
from survey.models.fieldwork import WaveStatus
from survey.services.common import audit, jobs
from survey.services.common.i18n import tr as _
from survey.services.common.txn import refused, run_write
from survey.services.sampling import invitations as inv_service
from survey.services.sampling import slips
from survey.services.sampling.invitations import Issued

BUNDLE_JOB = "wave.bundle"


def submit_bundle(session: Session, user: Any, wave: Wave, fmt: str, reissue: bool = False) -> Job:
    """Queue the bundle of a launched wave (flushes; launch it after the commit). Raises JobError."""
    if wave.status != WaveStatus.LAUNCHED:
        raise jobs.JobError(_("Chỉ phát thư mời được khi đợt đang chạy."))
    if fmt not in slips.FORMATS:
        raise jobs.JobError(_("Khổ giấy không hợp lệ: %(fmt)s (a5, a6, 80mm).", fmt=fmt))
    if not slips.pending_delivery(session, wave, reissue=reissue, limit=1):
        raise jobs.JobError(_("Không còn thư mời nào chưa phát."))
    return jobs.submit(session, BUNDLE_JOB, {"wave_id": wave.id, "format": fmt, "reissue": bool(reissue)},
                       getattr(user, "id", None))


def recent_bundles(session: Session, wave: Wave, limit: int = 10) -> list[Job]:
    """The wave's latest bundle jobs, newest first (their files stay downloadable from the job page)."""
    found = session.scalars(select(Job).where(Job.kind == BUNDLE_JOB).order_by(Job.id.desc()).limit(200))
    return [job for job in found if (job.params or {}).get("wave_id") == wave.id][:limit]


@jobs.task(BUNDLE_JOB)
def run_bundle(session: Session, job: Job, progress: Any) -> dict:
    """The bundle job: tokens drawn in memory, the ZIP written, then the re-key and its audit row in one unit.

    The ZIP is complete on disk before any token changes, and the re-key is refused (the file removed) when
    an invitation changed meanwhile (opened, or handed out by another bundle), so no ZIP ever holds a dead link.
    """
    wave_id, fmt, reissue = job.params["wave_id"], job.params["format"], bool(job.params.get("reissue"))
    actor = session.get(User, job.created_by_id) if job.created_by_id else "job"
    wave = session.get(Wave, wave_id)
    invitations = slips.pending_delivery(session, wave, reissue=reissue) if wave else []
    if not invitations:
        raise jobs.JobError(_("Không còn thư mời nào chưa phát."))
    total, wave_code = len(invitations), wave.code
    progress(0, total, _("Đang tạo mã cho %(n)d thư mời", n=total))
    now = utcnow()
    expires = now + timedelta(days=inv_service.ttl_days())
    issued = [Issued(inv.id, inv.dossier_id, token)
              for inv, token in zip(invitations, inv_service.fresh_tokens(session, total), strict=True)]
    before = {inv.id: (inv.status, inv.delivered_at, inv.token_hash) for inv in invitations}
    path = os.path.join(jobs.work_dir(job), f"thu-moi-{slips.safe_name(wave_code)}-{fmt}.zip")
    _write_zip(session, path, issued, fmt, expires, progress)

    def unit() -> bool:
        ids = [i.invitation_id for i in issued]
        rows = {inv.id: inv for k in range(0, total, 500) for inv in session.execute(
            select(Invitation).where(Invitation.id.in_(ids[k:k + 500])).with_for_update()
            .execution_options(populate_existing=True)).scalars()}  # what is stored now, not what was read
        if len(rows) != total or any((rows[i].status, rows[i].delivered_at, rows[i].token_hash) != before[i]
                                     for i in before):
            return refused(False)
        inv_service.rekey(session, [rows[i] for i in ids], now=now, tokens=[i.token for i in issued])
        audit.record(session, actor, BUNDLE_JOB, "wave", wave_code, invitations=total, reissue=reissue, format=fmt)
        return True

    try:
        stored = run_write(unit)
    except Exception:  # e.g. a code another issuer took meanwhile: nothing re-keyed, no file left behind
        os.remove(path)
        raise
    if not stored:
        os.remove(path)
        raise jobs.JobError(_("Một số thư mời đã thay đổi trong lúc tạo gói; không có mã nào bị thay. Hãy tạo lại."))
    return {"file": path, "invitations": total, "wave": wave_code, "format": fmt}


def _write_zip(session: Session, path: str, issued: list[Issued], fmt: str, expires: datetime, progress: Any) -> None:
    """The bundle's files into a ZIP at `path` (written under another name, then renamed: never half a ZIP)."""
    items = slips.build_items(session, issued, new_expiry=expires)
    total, done = len(items), 0
    partial = path + ".part"
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(item["service_point_code"] or "khong-co-diem", []).append(item)
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf, \
            tempfile.TemporaryDirectory(dir=os.path.dirname(path)) as tmp:
        for code, group in groups.items():
            zf.writestr(f"phieu-moi-{slips.safe_name(code)}-{fmt}.html", slips.render_slips(group, fmt))
            done += len(group)
            progress(done, total, _("Đã in %(done)d/%(total)d phiếu", done=done, total=total))
        slips.write_bundle(tmp, items, fmt, slips=False)  # sms.csv and links.csv, as the CLI writes them
        for name in ("sms.csv", "links.csv"):
            zf.write(os.path.join(tmp, name), name)
    os.replace(partial, path)
