"""Fixtures for the link survey tests: a sampled dossier with an open invitation."""
from __future__ import annotations

import pytest

from survey.web.limits import limiter
from tests.respond import factories as f


@pytest.fixture(autouse=True)
def _fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def survey_data(db_session):
    """Registry, the test questionnaire, a launched wave and one open invitation (with its token)."""
    version = f.add_version(db_session, f.SERVICE_YAML)
    reg = f.add_registry(db_session)
    wave = f.add_wave(db_session, version, reg)
    inv, token = f.add_invitation(db_session, wave, reg)
    db_session.commit()
    return {"version": version, "reg": reg, "wave": wave, "inv": inv, "token": token}
