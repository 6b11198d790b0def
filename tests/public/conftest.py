"""Fixtures of the public scoreboard: tests/workspace's small province with its closed, published wave."""
from __future__ import annotations

from datetime import date

import pytest

from survey.services import scoreboard
from tests.workspace.conftest import build_world


@pytest.fixture(autouse=True)
def _fresh_boards():
    """Boards are memoised by publication id and hash; rolled-back tests reuse ids."""
    scoreboard.reset_caches()
    yield
    scoreboard.reset_caches()


@pytest.fixture
def world(db_session):
    """The small province with one closed wave published as closing publishes it."""
    return build_world(db_session)


@pytest.fixture
def running(world, db_session):
    """A later wave still running, with a provisional publication only (and a much better score)."""
    from survey.services.workspace import publishing

    later = build_world(db_session, period=(date(2025, 10, 1), date(2025, 12, 31)), code="W-2025Q4", seed=11,
                        shift=0.3, publish=False)
    wave = later["wave"]
    wave.status, wave.closed_at = "launched", None
    db_session.flush()
    publishing.refresh_provisional(db_session, wave)
    return later


@pytest.fixture
def show_provisional(app):
    """The province enables provisional numbers on the public pages (PUBLIC_SHOW_PROVISIONAL)."""
    app.config["PUBLIC_SHOW_PROVISIONAL"] = True
    yield
    app.config["PUBLIC_SHOW_PROVISIONAL"] = False
