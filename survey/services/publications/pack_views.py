"""Finding a version to pack and handing its pack out (audit-logged): shared by the admin page and the CLI."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from survey.models import Wave
from survey.services import publications
from survey.services.common import audit
from survey.services.publications import PublicationError, pack


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
    wave = session.get(Wave, view.wave_id)
    audit.record(session, actor, "publication.pack", "wave", wave.code, version=view.version,
                 respondents=data.n, bytes=len(body))
    return body, pack.filename(data)
