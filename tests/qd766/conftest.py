"""QĐ 766 tests: the sampling tests' registry (AG1, AG2; SP1, SP2) and source 'motcua', dossiers stored
through the real intake, and helpers to send ratings and events."""

from __future__ import annotations

import pytest

from survey.services.intake import batch as intake
from tests.sampling.conftest import reg, source, version  # noqa: F401  (fixtures, re-exported)
from tests.sampling.factories import make_key, record
from tests.workspace.conftest import analyst, viewer, world  # noqa: F401  (fixtures, re-exported)


@pytest.fixture
def key(db_session, reg, source):  # noqa: F811  (the fixtures above)
    """A whole-province API key of the source 'motcua'."""
    return make_key(db_session, source)


def add_dossiers(session, src, records: list[dict]) -> None:
    """Store dossiers through the dossier intake (no wave is launched, so nobody is invited)."""
    result = intake.ingest(session, src, records)
    assert result.count("stored") + result.count("unchanged") == len(records), [r.errors for r in result.results]


@pytest.fixture
def dossiers(db_session, reg, source):  # noqa: F811
    """HS-1 … HS-4 of AG1 and HS-5 of AG2, settled in May 2025 (HS-4 after its due date)."""
    add_dossiers(
        db_session,
        source,
        [
            record("HS-1"),
            record("HS-2"),
            record("HS-3"),
            record("HS-4", due_at="2025-05-10T09:00:00+07:00"),
            record("HS-5", agency="AG2", service_point="SP2"),
        ],
    )


def rating(ext: str, dossier: str = "HS-1", **over) -> dict:
    """A valid rating record."""
    rec = {"external_id": ext, "dossier": dossier, "rated_at": "2025-05-11T09:00:00+07:00", "level": "satisfied"}
    rec.update(over)
    return {k: v for k, v in rec.items() if v is not None}


def event(ext: str, dossier: str = "HS-1", kind: str = "petition", **over) -> dict:
    """A valid dossier-event record."""
    rec = {"external_id": ext, "dossier": dossier, "kind": kind, "at": "2025-05-12T09:00:00+07:00"}
    rec.update(over)
    return {k: v for k, v in rec.items() if v is not None}
