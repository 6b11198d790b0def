"""Which publications the public may see: one cheap query over the publication table, no thawing.

Only final versions are public unless the province sets PUBLIC_SHOW_PROVISIONAL: then a wave without a
final version shows its newest provisional one, labelled as such.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Publication, PublicationKind, Wave


@dataclass(frozen=True)
class Entry:
    """One stored version, as listed: enough to pick it, link to it and tag its cache entry."""

    id: int
    wave_id: int
    wave_code: str
    wave_name: str
    wave_name_en: str
    period_start: date
    period_end: date
    kind: str
    version: int
    published_at: datetime
    content_hash: str

    @property
    def provisional(self) -> bool:
        """A provisional version of a running wave."""
        return self.kind == PublicationKind.PROVISIONAL.value


def catalogue(session: Session) -> list[Entry]:
    """Every stored version: newest wave first, then final before provisional, newest version first."""
    rows = session.execute(
        select(Publication.id, Publication.wave_id, Wave.code, Wave.name, Wave.design, Wave.period_start,
               Wave.period_end, Publication.kind, Publication.version, Publication.published_at,
               Publication.content_hash)
        .join(Wave, Wave.id == Publication.wave_id)
        .order_by(Wave.period_end.desc(), Wave.id.desc(), Publication.kind, Publication.version.desc())).all()
    return [Entry(r[0], r[1], r[2], r[3], str((r[4] or {}).get("name_en") or r[3]), r[5], r[6],
                  PublicationKind(r[7]).value, r[8], r[9], r[10]) for r in rows]


def _shown(entries: list[Entry], show_provisional: bool) -> dict[str, Entry]:
    """{wave code: the version shown by default}: its latest final one, else (when allowed) its latest provisional."""
    out: dict[str, Entry] = {}
    for e in entries:  # final versions come before provisional ones of the same wave, newest first
        if e.wave_code not in out and (not e.provisional or show_provisional):
            out[e.wave_code] = e
    return out


def waves(entries: list[Entry], show_provisional: bool) -> list[Entry]:
    """The version shown by default of every wave the public may see, newest wave first."""
    return list(_shown(entries, show_provisional).values())


def choose(entries: list[Entry], show_provisional: bool, wave: str | None = None,
           version: int | None = None) -> Entry | None:
    """The version to show: the newest wave's by default, a wave's by code, a final version by number."""
    shown = _shown(entries, show_provisional)
    if not wave:
        return next(iter(shown.values()), None)
    if version is None:
        return shown.get(wave)
    return next((e for e in entries if e.wave_code == wave and not e.provisional and e.version == version), None)


def versions_of(entries: list[Entry], wave_code: str) -> list[Entry]:
    """The final versions of a wave, newest first (the "older versions" list)."""
    return [e for e in entries if e.wave_code == wave_code and not e.provisional]
