"""Fixtures of the sampling tests: a small registry, a questionnaire version, a source system."""
import pytest

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
