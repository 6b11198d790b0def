"""Fixtures for kiosk tests: an enrolled device at the survey's service point, the quick instrument."""
from __future__ import annotations

import pytest

from survey.web.kiosk import api as kiosk_api
from survey.web.kiosk import auth as kiosk_auth
from survey.web.limits import limiter
from tests.respond import factories as f
from tests.respond.conftest import survey_data  # noqa: F401  (shared fixture)


@pytest.fixture(autouse=True)
def _fresh_state():
    limiter.reset()
    kiosk_api._versions.clear()  # ids are reused across rolled-back tests
    kiosk_auth._known.clear()
    yield
    limiter.reset()
    kiosk_api._versions.clear()
    kiosk_auth._known.clear()


@pytest.fixture
def kiosk(db_session, survey_data):  # noqa: F811
    """An enrolled device at the survey's service point, the quick instrument, and helpers."""
    quick = f.add_version(db_session, f.QUICK_YAML)
    device, credential = f.add_device(db_session, survey_data["reg"]["point"])
    db_session.commit()
    return {**survey_data, "quick": quick, "device": device, "credential": credential,
            "headers": {"X-Device-Credential": credential}}


def submission(version, answers, **extra):
    """A kiosk JSON payload with a fresh UUID."""
    import uuid

    return {"uuid": str(uuid.uuid4()), "version_id": version.id, "content_hash": version.content_hash,
            "answers": answers, "other": {}, "language": "vi", "partial": False, **extra}
