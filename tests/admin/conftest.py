"""Fixtures of the admin tests: the sampling tests' small registry, a signed-in administrator, dossiers."""
from __future__ import annotations

import pytest

from survey.services.intake import batch as intake
from tests.sampling import factories


@pytest.fixture
def reg(db_session):
    """Two agencies × two sectors, procedures and service points."""
    return factories.make_registry(db_session)


@pytest.fixture
def version(db_session):
    """A loaded questionnaire version."""
    return factories.make_version(db_session)


@pytest.fixture
def source(db_session):
    """The source system 'motcua'."""
    return factories.make_source(db_session)


@pytest.fixture
def admin(client, db_session):
    """A signed-in administrator."""
    user = factories.make_admin(db_session)
    factories.login(client, user)
    return user


@pytest.fixture
def dossiers(db_session, reg, source, version):
    """200 dossiers in Q1 2025 (the previous period of a Q2 wave) and 100 in Q2; returns the version."""
    records = [factories.record(f"P{i}", day=f"2025-02-{1 + i % 28:02d}") for i in range(200)]
    records += [factories.record(f"C{i}", day=f"2025-05-{1 + i % 28:02d}", agency="AG2",
                                 procedure="P-CIV-1", service_point="SP2") for i in range(100)]
    result = intake.ingest(db_session, source, records)
    assert result.count("rejected") == 0
    return version


def english(client) -> None:
    """Switch the client's interface to English."""
    with client.session_transaction() as s:
        s["lang"] = "en"
