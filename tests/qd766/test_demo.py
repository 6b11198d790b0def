"""Demo ratings and events: a 766-style score near 99 % for the demo province, the same on every run."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from survey.models import DossierEvent, DossierRating
from survey.services.qd766 import demo
from survey.services.qd766 import score as qd
from tests.qd766.conftest import add_dossiers
from tests.sampling.factories import record


def test_demo_ratings_and_events_give_a_score_near_99_and_a_rerun_changes_nothing(db_session, reg, source):
    # 1,200 dossiers, a third of them past their stored due date (as the demo's synthetic dossiers are).
    add_dossiers(
        db_session,
        source,
        [
            record(
                f"HS-{i:04d}",
                day=f"2025-05-{1 + i % 28:02d}",
                due_at=f"2025-05-{1 + i % 28:02d}T09:00:00+07:00" if i % 3 == 0 else None,
            )
            for i in range(1200)
        ],
    )
    now = datetime(2025, 7, 1)
    first = demo.seed(db_session, now=now)
    s = qd.by_agency(db_session, date(2025, 5, 1), date(2025, 5, 31))
    total = qd.overall(s)
    assert total.dossiers == 1200
    assert 98.0 <= total.value <= 99.9, total
    assert 0.3 <= total.rated / total.dossiers <= 0.5
    assert total.overdue >= 1 and total.apologised <= total.overdue
    counts = (
        db_session.scalar(select(func.count()).select_from(DossierEvent)),
        db_session.scalar(select(func.count()).select_from(DossierRating)),
    )
    assert counts == (first["events"], first["ratings"])
    assert demo.seed(db_session, now=now) == {"events": 0, "ratings": 0}
    assert qd.overall(qd.by_agency(db_session, date(2025, 5, 1), date(2025, 5, 31))) == total
