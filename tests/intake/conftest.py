"""The intake tests use the sampling tests' fixtures (registry, questionnaire version, source)."""
from tests.sampling.conftest import reg, source, version  # noqa: F401  (fixtures, re-exported)
