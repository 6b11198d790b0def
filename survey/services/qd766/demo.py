"""Plausible per-dossier ratings and dossier events for the demo province, so its 766-style score sits near
99 % as in leading provinces, beside a sampled index in the 80s (the gap the dashboard shows).

What a provincial one-stop system reports: a timing verdict for each dossier whose stored due date passed
(most were paused or extended lawfully, so the system calls them on time; about 1 in 200 stays overdue,
nearly always with an apology letter), a petition for about 1 in 400 dossiers, and a rating from about 40 %
of citizens (almost all "satisfied"). Ids are derived from the dossier's, so running it again changes nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Dossier, SourceSystem
from survey.models._base import utcnow
from survey.services.qd766 import ingest
from survey.services.qd766.records import Kind

OVERDUE = 0.005  # of dossiers past their stored due date: the rest were paused or extended (reported on time)
APOLOGY = 0.9
PETITION = 0.0025
RATED = 0.4
LEVELS = (("satisfied", 0.985), ("normal", 0.011), ("not_satisfied", 0.004))
CHUNK = 2000


def _iso(moment: datetime, now: datetime) -> str:
    return min(moment, now).isoformat() + "+00:00"  # naive UTC in the database; never in the future


def records_for(seed: str, dossier: tuple, now: datetime) -> tuple[list[dict], list[dict]]:
    """The demo events and ratings of one dossier (external id, completed at, due at): the same every time
    for the same seed and dossier, whatever else is in the database."""
    ext, completed, due = dossier
    rng = random.Random(f"{seed}:{ext}")
    events, ratings = [], []
    if due is not None and completed > due:
        late = rng.random() < OVERDUE
        events.append(
            {
                "external_id": f"demo-t-{ext}",
                "dossier": ext,
                "kind": "overdue" if late else "on_time",
                "at": _iso(completed, now),
            }
        )
        if late and rng.random() < APOLOGY:
            events.append(
                {
                    "external_id": f"demo-a-{ext}",
                    "dossier": ext,
                    "kind": "apology_letter",
                    "at": _iso(due, now),
                    "note": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
                }
            )
    if rng.random() < PETITION:
        events.append(
            {
                "external_id": f"demo-p-{ext}",
                "dossier": ext,
                "kind": "petition",
                "at": _iso(completed + timedelta(days=2), now),
            }
        )
    if rng.random() < RATED:
        level = rng.choices([lv for lv, _w in LEVELS], [w for _lv, w in LEVELS])[0]
        ratings.append(
            {
                "external_id": f"demo-r-{ext}",
                "dossier": ext,
                "level": level,
                "rated_at": _iso(completed + timedelta(hours=rng.randrange(1, 72)), now),
            }
        )
    return events, ratings


def seed(session: Session, seed: str = "demo-766", now: datetime | None = None) -> dict[str, int]:
    """Ratings and events for every dossier of every source system (idempotent); flushes, never commits.
    Returns how many of each were stored."""
    now = now or utcnow()
    stored = {"events": 0, "ratings": 0}
    for source in session.scalars(select(SourceSystem).order_by(SourceSystem.id)):
        rows = session.execute(
            select(Dossier.external_id, Dossier.completed_at, Dossier.due_at)
            .where(Dossier.source_system_id == source.id)
            .order_by(Dossier.id)
        ).all()
        for i in range(0, len(rows), CHUNK):
            events, ratings = [], []
            for row in rows[i : i + CHUNK]:
                e, r = records_for(f"{seed}:{source.code}", tuple(row), now)
                events += e
                ratings += r
            stored["events"] += ingest.ingest(session, source, Kind.EVENT, events, now=now).count("stored")
            stored["ratings"] += ingest.ingest(session, source, Kind.RATING, ratings, now=now).count("stored")
    return stored
