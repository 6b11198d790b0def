"""Writing a microdata file (CSV, XLSX, .sav) chunk by chunk, in a request, a CLI command or a background job.

`export()` makes the plan (disclosure control over every row's quasi-identifiers), then writes the rows
CHUNK at a time to a path, reporting progress; the download view uses it for a small wave and submits an
`export.microdata` job (survey.services.common.jobs) for a large one, whose page shows the progress and
then the file; the CLI prints the same progress. Every file made is audited (`export.microdata`) once it
is complete, like any other download.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from survey.models import Job, User, Wave
from survey.services.common import audit, jobs
from survey.services.common.i18n import tr as _
from survey.services.common.txn import run_write
from survey.services.workspace import microdata_files, microdata_release
from survey.services.workspace.microdata import source_note

EXPORT_JOB = "export.microdata"
FORMATS = ("csv", "xlsx", "sav")
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Written:
    """A microdata file written: where, how many rows and columns."""

    path: str
    rows: int
    columns: int


def sav_label(wave: Wave, source: Any) -> str:
    """The .sav file label: the wave and the publication version (or "tạm tính", provisional)."""
    if source is not None and source.kind == "final":
        return "%s v%d" % (wave.code, source.version)
    return "%s tạm tính" % wave.code  # the .sav's labels are Vietnamese, like the file's variable labels


def _longest(out: microdata_release.Plan) -> tuple[dict, dict]:
    """({string column: its longest value as UTF-8}, {date column: a day, None when it has none}) of the
    whole file, from the protected quasi-identifiers (every string and date column is one, or fixed)."""
    strings: dict[str, bytes] = {"wave": out.wave_code.encode("utf-8")}
    dates: dict = {}
    levels = {rec["agency"] for rec in out.protected}  # a withheld agency has no level: an empty cell
    strings["agency_level"] = max((str(out.levels.get(a, "") if a else "").encode("utf-8") for a in levels),
                                  key=len, default=b"")
    for v in out.variables:
        if v.kind == "string" and v.name not in strings:
            values = {rec.get(v.name) for rec in out.protected}
            strings[v.name] = max((("" if x is None else str(x)).encode("utf-8") for x in values), key=len, default=b"")
        elif v.kind == "date":
            dates[v.name] = next((rec[v.name] for rec in out.protected if rec.get(v.name) is not None), None)
    return strings, dates


def export(session: Session, wave: Wave, fmt: str, path: str, *, visible: set[int] | None = None,
           version: int | None = None, style: str = "vi", progress: Progress | None = None,
           chunk: int = microdata_release.CHUNK) -> Written:
    """Write the wave's microdata as `fmt` (csv, xlsx, sav) to `path`, `chunk` respondents at a time;
    `progress(done, total, message)` while the quasi-identifiers are read and while rows are written."""
    if fmt not in FORMATS:
        raise ValueError(_("Định dạng vi dữ liệu không hợp lệ: dùng csv, xlsx hoặc sav."))
    say = progress or (lambda done, total, message: None)
    out = microdata_release.plan(session, wave, visible, version=version,
                                 progress=lambda d, t: say(d, 2 * t, _("Đang đọc các biến nhận diện")))
    total = out.n
    rows = out.rows(chunk, lambda d, t: say(t + d, 2 * t, _("Đã ghi %(done)d/%(total)d dòng", done=d, total=t)))
    names = [v.name for v in out.variables]
    if fmt == "csv":
        n = microdata_files.write_csv(path, names, rows, style)
    elif fmt == "xlsx":
        n = microdata_files.write_xlsx(path, out.variables, rows)
    else:
        strings, dates = _longest(out)
        n = microdata_files.write_sav(path, out.variables, rows, strings, dates, sav_label(wave, out.source),
                                      source_note(out.source))
    say(2 * total, 2 * total, _("Đã ghi %(done)d/%(total)d dòng", done=n, total=total))
    return Written(path, n, len(names))


def filename(wave: Wave, fmt: str) -> str:
    """The download's file name."""
    return "microdata-%s.%s" % (wave.code, fmt)


def submit_export(session: Session, user: Any, wave: Wave, fmt: str, *, visible: set[int] | None = None,
                  version: int | None = None, style: str = "vi", filters: dict | None = None) -> Job:
    """Queue the job writing this microdata file (flushes; launch it after the commit)."""
    if fmt not in FORMATS:
        raise jobs.JobError(_("Định dạng vi dữ liệu không hợp lệ: dùng csv, xlsx hoặc sav."))
    params = {"wave_id": wave.id, "format": fmt, "style": style, "version": version, "filters": filters or {},
              "visible": sorted(visible) if visible is not None else None}
    return jobs.submit(session, EXPORT_JOB, params, getattr(user, "id", None))


@jobs.task(EXPORT_JOB)
def run_export(session: Session, job: Job, progress: Any) -> dict:
    """The export job: the file written under another name with progress, renamed, then its audit entry."""
    p = job.params
    wave = session.get(Wave, p["wave_id"])
    if wave is None:
        raise jobs.JobError(_("Đợt khảo sát không còn tồn tại."))
    actor = session.get(User, job.created_by_id) if job.created_by_id else "job"
    visible = set(p["visible"]) if p.get("visible") is not None else None
    path = os.path.join(jobs.work_dir(job), filename(wave, p["format"]))
    done = export(session, wave, p["format"], path + ".part", visible=visible, version=p.get("version"),
                  style=p.get("style") or "vi", progress=progress)
    os.replace(path + ".part", path)  # the job page never offers half a file
    details = {"format": p["format"], "filters": p.get("filters") or {}, "rows": done.rows, "job": job.id}
    if p["format"] == "csv":
        details["csv"] = p.get("style") or "vi"
    code = wave.code
    try:
        run_write(lambda: audit.record(session, actor, "export.microdata", "wave", code, **details))
    except Exception:
        os.remove(path)
        raise
    return {"file": path, "wave": code, "rows": done.rows, "columns": done.columns}
