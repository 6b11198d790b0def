"""The publication store: write a version, read the current one, list versions, thaw a frame.

Versions are numbered per wave and kind from 1. A final version is the public record: it is never
changed or deleted (the database refuses both, migration 0006); a correction is a new version
that supersedes it, with a reason and a diff. Provisional versions describe a running wave; only
the newest few are kept.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, defer

from analysis.wave import WaveTable
from survey.models import Publication, PublicationKind, Wave
from survey.services.common import audit
from survey.services.common.i18n import tr
from survey.services.publications import frozen
from survey.services.publications.diff import table_diff

# Which methodology (docs/methodology.md) and weighting chain produced a publication: bump it when
# a change of method would change published numbers, so every version says how it was made.
METHOD_VERSION = "2026.12b §5-§7, §12, §14"  # b: trim keeps calibration; indicator df
KEEP_PROVISIONAL = 3
# Pages read a version's table, never its frame: the frame blob (tens of MB for a large wave) is loaded only
# by frame(), so listing versions or showing a page costs the JSON, not the microdata.
LIGHT = defer(Publication.frame)


class PublicationError(ValueError):
    """A publication request that cannot be honoured (message in Vietnamese, for the user)."""


@dataclass(frozen=True)
class PublishedView:
    """One stored version as the pages read it (the table thawed; the frame on request)."""

    id: int
    wave_id: int
    kind: PublicationKind
    version: int
    published_at: datetime
    actor: str
    reason: str
    method_version: str
    code_version: str
    content_hash: str
    table: WaveTable
    inputs: dict
    diff: dict
    latest_version: int
    supersedes_id: int | None = None

    @property
    def newer_exists(self) -> bool:
        """Whether a later version of the same kind exists (this one has been restated)."""
        return self.latest_version > self.version

    @property
    def provisional(self) -> bool:
        """A provisional publication of a running wave."""
        return self.kind == PublicationKind.PROVISIONAL

    @property
    def collapsed_strata(self) -> int:
        """How many strata were collapsed with a neighbour for this version (singleton rule)."""
        return int((self.inputs.get("weighting") or {}).get("collapsed_strata", 0))


def code_version() -> str:
    """The code that computed a publication: `git describe` of the checkout, else the package version."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=root, capture_output=True,
                             text=True, timeout=5, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return "git " + out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import PackageNotFoundError, version
    try:
        return "hailong " + version("hailong")
    except PackageNotFoundError:
        return "unknown"


def _latest(session: Session, wave_id: int, kind: PublicationKind) -> Publication | None:
    return session.scalar(select(Publication).options(LIGHT).where(Publication.wave_id == wave_id,
                                                                   Publication.kind == kind)
                          .order_by(Publication.version.desc()).limit(1))


def store(session: Session, actor: Any, wave: Wave, table: WaveTable, frame: Any, inputs: dict, *,
          kind: PublicationKind = PublicationKind.FINAL, reason: str = "") -> Publication:
    """Store a new version of the wave's publication (flushes); a final one after the first needs a reason."""
    previous = _latest(session, wave.id, kind)
    reason = (reason or "").strip()
    if kind == PublicationKind.FINAL and previous is not None and not reason:
        raise PublicationError(tr("Công bố lại cần nêu lý do (ví dụ: nhập bổ sung hồ sơ muộn, sửa danh mục)."))
    if len(reason) > 2000:
        raise PublicationError(tr("Lý do công bố lại quá dài (tối đa 2.000 ký tự)."))
    results = frozen.table_json(table)
    blob, digest = frozen.freeze_frame(frame)
    content = frozen.content_hash(results, digest)
    if kind == PublicationKind.FINAL and previous is not None and previous.content_hash == content:
        raise PublicationError(tr("Số liệu không thay đổi so với phiên bản %(version)d: không tạo phiên bản mới.",
                                  version=previous.version))
    before = frozen.thaw_table(previous.results) if previous is not None and kind == PublicationKind.FINAL else None
    pub = Publication(
        wave_id=wave.id, kind=kind, version=(previous.version if previous else 0) + 1,
        published_by_id=getattr(actor, "id", None), actor=getattr(actor, "username", None) or str(actor),
        reason=reason,
        supersedes_id=previous.id if previous is not None and kind == PublicationKind.FINAL else None,
        method_version=METHOD_VERSION, code_version=code_version(), results=results, inputs=inputs,
        diff=table_diff(before, table) if before is not None else {}, frame=blob, content_hash=content)
    session.add(pub)
    session.flush()
    if kind == PublicationKind.FINAL:
        audit.record(session, actor, "publication.restate" if previous else "publication.publish", "wave",
                     wave.code, version=pub.version, reason=reason or None, respondents=table.respondents,
                     moved=len(pub.diff.get("changes", ())) if pub.diff else 0)
    else:
        _prune_provisional(session, wave.id, pub.version)
    return pub


def _prune_provisional(session: Session, wave_id: int, newest: int) -> None:
    """Keep the newest few provisional versions of a running wave (the trigger allows deleting these)."""
    session.execute(delete(Publication).where(
        Publication.wave_id == wave_id, Publication.kind == PublicationKind.PROVISIONAL,
        Publication.version <= newest - KEEP_PROVISIONAL))


def _view(session: Session, pub: Publication) -> PublishedView:
    latest = session.scalar(select(func.max(Publication.version)).where(
        Publication.wave_id == pub.wave_id, Publication.kind == pub.kind))
    return PublishedView(pub.id, pub.wave_id, pub.kind, pub.version, pub.published_at, pub.actor, pub.reason,
                         pub.method_version, pub.code_version, pub.content_hash, frozen.thaw_table(pub.results),
                         pub.inputs or {}, pub.diff or {}, int(latest or pub.version), pub.supersedes_id)


def current(session: Session, wave_id: int) -> PublishedView | None:
    """The latest final version; for a wave with none yet, its latest provisional one; else None."""
    pub = _latest(session, wave_id, PublicationKind.FINAL) or _latest(session, wave_id, PublicationKind.PROVISIONAL)
    return _view(session, pub) if pub is not None else None


def versions(session: Session, wave_id: int) -> list[PublishedView]:
    """Every stored version of the wave (final ones first, oldest first within a kind)."""
    pubs = session.scalars(select(Publication).options(LIGHT).where(Publication.wave_id == wave_id)
                           .order_by(Publication.kind, Publication.version)).all()
    return [_view(session, p) for p in pubs]


def get(session: Session, publication_id: int) -> PublishedView | None:
    """One version by id."""
    pub = session.get(Publication, publication_id, options=[LIGHT])
    return _view(session, pub) if pub is not None else None


_FRAMES: dict = {}
_FRAMES_SIZE = 8


def frame(session: Session, view: PublishedView) -> Any:
    """The frozen frame of a version (memoised per process: a stored version never changes)."""
    bind = session.get_bind()
    key = (getattr(bind, "engine", bind).url.render_as_string(), view.id, view.content_hash)
    if key not in _FRAMES:
        blob = session.scalar(select(Publication.frame).where(Publication.id == view.id))
        if len(_FRAMES) >= _FRAMES_SIZE:
            _FRAMES.pop(next(iter(_FRAMES)))
        _FRAMES[key] = frozen.thaw_frame(blob)
    return _FRAMES[key]


def reset_caches() -> None:
    """Forget memoised frames (tests roll back rows, so ids are reused)."""
    _FRAMES.clear()
